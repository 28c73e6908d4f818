"""The manifest: which (check, record) pairs the checks must report, and which records they must
leave out of scope. Anything not listed must not be flagged.
"""

from __future__ import annotations

from collections.abc import Sequence

from .writers import CinChild


class Manifest:
    def __init__(self) -> None:
        self.entries: list[dict[str, str]] = []

    def add(self, source: str, check: str, record_id: str, kind: str = "defect") -> None:
        """kind is "defect" (the check must report the record) or "scope" (it must leave it out)."""
        self.entries.append({"source": source, "check": check, "record_id": record_id, "kind": kind})

    def add_unnamed_cin(self, check: str, file_name: str, position: int) -> None:
        """A CIN child with no id is named by file and line, known only once the file is written."""
        self.add("cin", check, f"@{file_name}:{position}")

    def name_by_line(self, file_name: str, children: Sequence[CinChild]) -> None:
        """Replace a written file's placeholders with the line its child's first episode starts on."""
        for entry in self.entries:
            if entry["record_id"].startswith(f"@{file_name}:"):
                position = int(entry["record_id"].rsplit(":", 1)[1])
                entry["record_id"] = f"{file_name}:{children[position].detail_lines[0]}"

    def count(self, kind: str) -> int:
        return sum(1 for entry in self.entries if entry["kind"] == kind)
