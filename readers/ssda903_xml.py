"""Stream the SSDA903 return in its XML form (one EXPSSDA903 file) into the CSV form's two raw frames.

    <EXPSSDA903>
      <CHILD>
        <HEADER><CHILDID/><UPN/><SEX/><DOB/><ETHNIC/> ... nested tables (AREVIEW, OC2, ...) </HEADER>
        <EPISODE><DECOM/><RNE/><LS/><CIN/><PL/> ... <DEC/><REC/></EPISODE> ...
      </CHILD> ...
    </EXPSSDA903>

The header frame has one row per CHILD, the episodes frame one row per EPISODE, with the same
columns as header.csv and episodes.csv (`schemas/ssda903.py`): only two element names differ,
`CHILDID` (the CSV's CHILD) and `PL` (the CSV's PLACE). The return names no LA of its own (DfE's schema
has none; the LA is its sender): a HEADER's `LA` element, where a system writes one, is the CSV's
optional LA column, so a return whose children all name one LA is that LA's. Each episode row takes CHILD from its
child's HEADER. Only the direct leaf elements of HEADER are read; its nested tables (reviews,
missing episodes, OC2, OC3, adoption, permanence) are not needed for deaths and are ignored.
Entities are never resolved and nothing is fetched: a DTD anywhere in the file is refused.

Each row has its element's line. Where lines do not tell rows apart (many systems write the whole return on one
line), those rows also get their element path (`PATH_COLUMN`, e.g. `/EXPSSDA903/CHILD[3]/EPISODE[2]`), so each
failing record is found, and counted, on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from lxml import etree

from ..errors import InputError
from ..schemas.base import FILE_COLUMN, LINE_COLUMN, PATH_COLUMN
from ..schemas.ssda903 import EPISODES, HEADER, LA_COLUMN
from .files import MAX_XML_BYTES, HashedInput, existing_file, leading_bytes, opened_input
from .xml import local, refuse_dtd, safe_iterparse, syntax_error

ROOT = "EXPSSDA903"
# Element names of the XML return that differ from the CSV column names (every other one is the same).
XML_NAMES = {"CHILDID": "CHILD", "PL": "PLACE"}
# The return's own shape names no LA (the LA sends it): a HEADER may carry one in an LA element, as the CSV
# form's optional LA column does, and then the return knows its LA.
HEADER_COLUMNS = (*HEADER.columns, LA_COLUMN)
EPISODE_COLUMNS = EPISODES.columns

_BOMS = {b"\xef\xbb\xbf": "utf-8", b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


def looks_like_xml(path: Path) -> bool:
    """True when the file's first character, after an optional byte-order mark and whitespace, is `<`."""
    head = leading_bytes(path, 512)
    encoding = "latin-1"
    for bom, name in _BOMS.items():
        if head.startswith(bom):
            head, encoding = head[len(bom) :], name
            break
    return head.decode(encoding, errors="ignore").lstrip().startswith("<")


def _text(value: str | None) -> object:
    if value is None:
        return pd.NA
    value = value.strip()
    return value if value else pd.NA


@dataclass
class _Rows:
    columns: tuple[str, ...]

    def __post_init__(self) -> None:
        self.data: dict[str, list[object]] = {name: [] for name in (*self.columns, LINE_COLUMN, PATH_COLUMN)}

    def add(self, values: Mapping[str, object], line: int, path: str) -> None:
        for name in self.columns:
            self.data[name].append(values.get(name, pd.NA))
        self.data[LINE_COLUMN].append(line)
        self.data[PATH_COLUMN].append(path)

    def frame(self, file_label: str) -> pd.DataFrame:
        # Object columns holding str or pd.NA, exactly as the CSV reader's (no str-dtype inference).
        columns = {name: pd.Series(self.data[name], dtype=object) for name in self.columns}
        lines = columns[LINE_COLUMN] = pd.Series(self.data[LINE_COLUMN], dtype="int64")
        shared = lines.duplicated(keep=False)
        if shared.any():  # lines do not tell these rows apart: their element paths do
            columns[PATH_COLUMN] = pd.Series(self.data[PATH_COLUMN], dtype=object).where(shared, pd.NA)
        frame = pd.DataFrame(columns)
        frame[FILE_COLUMN] = file_label
        return frame


def _fields(element: etree._Element, wanted: tuple[str, ...], names: Mapping[str, str]) -> dict[str, object]:
    """The element's direct leaf children that are wanted columns, by CSV name; the first of a repeated one wins."""
    values: dict[str, object] = {}
    for field in element:
        if len(field):  # a nested table (AREVIEW, OC2, ...), not a field
            continue
        tag = local(field.tag)
        name = names.get(tag, XML_NAMES.get(tag, tag))
        if name in wanted and name not in values:
            values[name] = _text(field.text)
    return values


def _not_a_return(root_tag: object, path: Path) -> InputError:
    return InputError(f"not an SSDA903 XML return (root element is {local(root_tag) or '?'}, expected {ROOT})", path=path)


def read_ssda903_xml(raw_path: str | Path, column_map: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One XML return -> (header frame, episodes frame), as the CSV reader gives them. The file is read once: the
    bytes lxml parses are the bytes hashed (readers/files.py `opened_input`)."""
    path = existing_file(raw_path)
    with opened_input(path) as source:
        source.within(MAX_XML_BYTES, "SSDA903 XML file")
        return _parse_return(path, source, column_map)


def _parse_return(
    path: Path, source: HashedInput, column_map: Mapping[str, str] | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    names = dict(column_map or {})
    headers, episodes = _Rows(HEADER_COLUMNS), _Rows(EPISODE_COLUMNS)
    # Only the root and CHILD elements reach Python; everything inside a CHILD is read from it at its end.
    context = safe_iterparse(source, (ROOT, "CHILD"), events=("start", "end"))
    first = True
    children = 0
    try:
        for event, element in context:
            if first:
                first = False
                tree = element.getroottree()
                refuse_dtd(tree, path, "an SSDA903 return")
                if local(tree.getroot().tag) != ROOT:
                    raise _not_a_return(tree.getroot().tag, path)
            if event != "end" or local(element.tag) != "CHILD":
                continue
            parent = element.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # a CHILD nested deeper than the root's children is not a record
            children += 1
            _read_child(element, headers, episodes, names, f"/{ROOT}/{local(element.tag)}[{children}]")
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as error:
        syntax_error(error, path)
    if first:  # no root or CHILD element was ever seen: check what the file is
        root = context.root
        refuse_dtd(root.getroottree(), path, "an SSDA903 return")
        if local(root.tag) != ROOT:
            raise _not_a_return(root.tag, path)
    if not children:
        raise InputError(f"SSDA903 XML return has no CHILD elements under {ROOT}", path=path)
    header_frame = headers.frame(path.name)
    if header_frame[LA_COLUMN].isna().all():  # no child names its LA: read exactly as the CSV without the column
        header_frame = header_frame.drop(columns=LA_COLUMN)
    return header_frame, episodes.frame(path.name)


def _read_child(element: etree._Element, headers: _Rows, episodes: _Rows, names: Mapping[str, str], path: str) -> None:
    """One CHILD (at `path`, e.g. /EXPSSDA903/CHILD[3]): its header row and its episodes' rows."""
    header: dict[str, object] | None = None
    header_line = element.sourceline or 0
    header_path = path
    parts: list[tuple[etree._Element, str]] = []
    for part in element:
        tag = local(part.tag)
        if tag == "HEADER" and header is None:
            header = _fields(part, HEADER_COLUMNS, names)
            header_line = part.sourceline or header_line
            header_path = f"{path}/{tag}"
        elif tag == "EPISODE":
            parts.append((part, f"{path}/{tag}[{len(parts) + 1}]"))
    header = header or {}
    child_id = header.get("CHILD", pd.NA)
    headers.add(header, header_line, header_path)
    for part, part_path in parts:
        episode = _fields(part, EPISODE_COLUMNS, names)
        episode["CHILD"] = child_id
        episodes.add(episode, part.sourceline or element.sourceline or 0, part_path)
