"""The one safe way the readers stream XML: lxml iterparse that resolves no entity, fetches nothing, refuses
a DTD wherever it stands, and turns lxml's errors into one line naming the file and line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from lxml import etree

from ..errors import InputError


def local(tag: object) -> str:
    """An element's name without its namespace ('' for comments and processing instructions)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


class TagCodes(dict[object, int]):
    """Element tag -> integer code by local name, whatever the namespace; -1 for a name not listed.

    A tag string is split once, the first time it is seen, so a parse loop can look codes up per element
    without a Python call (`codes[element.tag]`): CIN files may or may not carry a namespace. A name in
    `namespaced` gets that code instead when its tag does carry one.
    """

    LIMIT = 10_000  # tags remembered: a hostile file could give every element a different name

    def __init__(self, names: dict[str, int], namespaced: dict[str, int] | None = None) -> None:
        super().__init__()
        self._names = names
        self._namespaced = namespaced or {}

    def __missing__(self, tag: object) -> int:
        name = local(tag)
        namespaced = isinstance(tag, str) and tag.startswith("{") and name in self._namespaced
        code = (self._namespaced if namespaced else self._names).get(name, -1)
        if len(self) < self.LIMIT:
            self[tag] = code
        return code


def safe_iterparse(source: Any, tags: Sequence[str], events: Sequence[str] = ("end",)) -> Any:
    """Only the named elements (any namespace) reach Python; the rest stay inside lxml, which is most of the speed.

    `source` is a file object (the readers' HashedInput: lxml reads it to its end, in 32 KB reads) or a path."""
    return etree.iterparse(
        str(source) if isinstance(source, Path) else source,
        events=tuple(events),
        tag=tuple(f"{{*}}{name}" for name in tags),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def refuse_dtd(tree: etree._ElementTree, path: Path, what: str) -> None:
    """Neither return ever declares a DTD; one anywhere before the root is refused (entities are never resolved)."""
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise InputError(f"XML declares a DTD or entities, which {what} never does; refused", path=path, where="line 1")


def syntax_error(error: etree.XMLSyntaxError, path: Path) -> NoReturn:
    line = error.lineno or "?"
    if any(sign in str(error.msg) for sign in ("amplification", "entity reference loop")):
        # libxml2 2.11+ stops an entity bomb while parsing, before the DTD can be seen and refused.
        raise InputError("XML declares a DTD or entities that expand without bound; refused", path=path, where=f"line {line}") from None
    if "Text node too long" in str(error.msg):
        raise InputError("a text value is longer than lxml's 10 MB limit", path=path, where=f"line {line}") from None
    raise InputError(f"malformed XML: {error.msg}", path=path, where=f"line {line}") from None
