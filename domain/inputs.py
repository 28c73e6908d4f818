"""What the tool says of its inputs besides their data: each file's identity, and any name an input gives, as shown.

- `InputFile`: a file as provenance records it: its path, and the size and SHA-256 of the very bytes that were
  parsed (readers/files.py `opened_input` hashes them as the parser reads them, so a file that changes during a
  run is never certified by bytes that were not checked).
- `printable` (defined in the leaf text.py, which errors.py uses too): a name from an input (a file or sheet name, a source, measure or config name, a release label, a
  cell) with each control character written as a visible escape (`\\n`, `\\x1b`, `\\u2028`): a name cannot split a
  console line, forge a line in a CI log, recolour a terminal, or put into XML a character XML 1.0 cannot hold.
- `label_problem`: what is wrong with a release label, if anything (a short printable line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..text import UNSAFE, escape_char, printable

__all__ = ["InputFile", "label_problem", "printable"]


@dataclass(frozen=True)
class InputFile:
    path: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


MAX_LABEL = 200  # characters in a release label: a name in a list of runs, not a document


def label_problem(label: str) -> str | None:
    """Why `label` cannot name a release, or None: at most MAX_LABEL characters, none of them a control character."""
    if len(label) > MAX_LABEL:
        return f"a release label is at most {MAX_LABEL} characters; this one has {len(label):,}"
    unsafe = UNSAFE.search(label)
    if unsafe is not None:
        return f"a release label is one line of printable text; this one holds {escape_char(unsafe[0])} at character {unsafe.start() + 1}"
    return None
