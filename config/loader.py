"""YAML for run configs: a safe loader that also refuses a key given twice, non-scalar keys, impossible dates,
and documents that expand beyond any run config (alias bombs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..readers.files import open_regular

MAX_CONFIG_BYTES = 1 << 20  # a run config is a few kilobytes
MAX_ALIASES = 100  # anchors are handy; an alias bomb ("billion laughs" for YAML) is not
MAX_NODES = 100_000


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load that also refuses a key given twice (e.g. one source named twice), a key that is not a
    scalar, and more aliases or nodes than any run config needs (so an alias bomb cannot hang the run)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise ConfigError(f"more than {MAX_ALIASES} YAML aliases; refused", where=f"line {mark.line + 1}")
        return super().compose_node(parent, index)


def _expanded_size(node: yaml.Node, sizes: dict[int, int], limit: int = MAX_NODES) -> int:
    """How many nodes the document holds once every alias is expanded (an alias bomb's is astronomical)."""
    if id(node) in sizes:
        return sizes[id(node)]
    sizes[id(node)] = 1  # a node that contains itself is counted once
    if isinstance(node, yaml.SequenceNode):
        total = 1 + sum(_expanded_size(child, sizes, limit) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        total = 1 + sum(_expanded_size(k, sizes, limit) + _expanded_size(v, sizes, limit) for k, v in node.value)
    else:
        total = 1
    sizes[id(node)] = min(total, limit + 1)
    return sizes[id(node)]


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise ConfigError("a key must be a plain name, not a list or mapping", where=f"line {key_node.start_mark.line + 1}")
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(f"key {key!r} is given twice", where=f"line {key_node.start_mark.line + 1}")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


def _construct_timestamp(loader: _UniqueKeyLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        raise ConfigError(f"{node.value!r} is not a real date", where=f"line {node.start_mark.line + 1}") from None


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


class _FastUniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same rules, parsed and composed by libyaml (six times faster, for files of thousands of entries). Its
    composer keeps an alias as the node it refers to, so the expanded-size bound still stops an alias bomb."""


_FastUniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_FastUniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load_yaml(path: Path) -> Any:
    return load_yaml_node(path)[1]


def load_yaml_node(path: Path, *, max_bytes: int = MAX_CONFIG_BYTES, max_nodes: int = MAX_NODES,
                   what: str = "config", fast: bool = False) -> tuple[yaml.Node | None, Any]:  # fmt: skip
    """The document's top node (its marks give each element's line) and the document built from it."""
    # A FIFO, a device or a folder is refused before anything waits on it (open_regular): a config is read whole.
    with open_regular(path, ConfigError, f"{what} file") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ConfigError(f"{what} is over {max_bytes // 1024:,} KB; refused", path=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{what} is not a readable UTF-8 text file (UnicodeDecodeError)", path=path) from None
    try:
        loader = _FastUniqueKeyLoader(text) if fast else _UniqueKeyLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, None
            if _expanded_size(node, {}, max_nodes) > max_nodes:
                raise ConfigError(f"expands to more than {max_nodes:,} YAML nodes (an alias bomb?); refused")
            return node, loader.construct_document(node)
        finally:
            loader.dispose()
    except ConfigError as error:
        raise ConfigError(error.message, path=path, where=error.where) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise ConfigError(f"YAML error: {problem}", path=path, where=where) from None
