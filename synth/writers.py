"""Writers for the synthetic sources, in the real formats (CIN XML, SSDA903 CSV, extracts)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape


@dataclass
class CinEpisode:
    referral: str | None
    closure: str | None = None
    reason: str | None = None
    plan: tuple[str, str | None] | None = None


@dataclass
class CinChild:
    la_child_id: str | None
    sex_element: str  # GenderCurrent or Sex
    sex: str | None
    birth: str | None
    expected_birth: str | None = None
    death: str | None = None
    episodes: list[CinEpisode] = field(default_factory=list)
    detail_lines: list[int] = field(default_factory=list)  # filled in by the writer


def _element(indent: int, name: str, value: str | None) -> list[str]:
    return [] if value is None else [f"{' ' * indent}<{name}>{escape(value)}</{name}>"]


def write_cin_file(path: Path, lea: str, reference_date: str, children: Iterable[CinChild]) -> None:
    year = reference_date[:4]
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<Message>",
        "  <Header>",
        "    <CollectionDetails>",
        "      <Collection>CIN</Collection>",
        f"      <Year>{int(year) - 1}</Year>",
        f"      <ReferenceDate>{reference_date}</ReferenceDate>",
        "    </CollectionDetails>",
        "    <Source>",
        "      <SourceLevel>L</SourceLevel>",
        f"      <LEA>{lea}</LEA>",
        "      <SoftwareCode>Triangulate synth</SoftwareCode>",
        "      <Release>1</Release>",
        "      <SerialNo>001</SerialNo>",
        f"      <DateTime>{reference_date}T09:00:00</DateTime>",
        "    </Source>",
        "  </Header>",
        "  <Children>",
    ]
    for child in children:
        lines.append("    <Child>")
        lines.append("      <ChildIdentifiers>")
        lines += _element(8, "LAchildID", child.la_child_id)
        lines += _element(8, "UPNunknown", "UN1")
        lines += _element(8, "PersonBirthDate", child.birth)
        lines += _element(8, "ExpectedPersonBirthDate", child.expected_birth)
        lines += _element(8, child.sex_element, child.sex)
        lines += _element(8, "PersonDeathDate", child.death)
        lines.append("      </ChildIdentifiers>")
        lines.append("      <ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>")
        child.detail_lines = []
        for episode in child.episodes:
            lines.append("      <CINdetails>")
            child.detail_lines.append(len(lines))
            lines += _element(8, "CINreferralDate", episode.referral)
            lines += _element(8, "ReferralSource", "1A")
            lines += _element(8, "PrimaryNeedCode", "N1")
            lines += _element(8, "CINclosureDate", episode.closure)
            lines += _element(8, "ReasonForClosure", episode.reason)
            if episode.plan:
                lines.append("        <ChildProtectionPlans>")
                lines += _element(10, "CPPstartDate", episode.plan[0])
                lines += _element(10, "CPPendDate", episode.plan[1])
                lines.append("        </ChildProtectionPlans>")
            lines.append("      </CINdetails>")
        lines.append("    </Child>")
    lines += ["  </Children>", "</Message>", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], sheet: str = "deaths") -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    notes = workbook.create_sheet("notes")
    notes.append(["Synthetic NCMD extract written by triangulate synth; the data are on the next sheet."])
    data = workbook.create_sheet(sheet)

    def as_text(value: object) -> object:
        # openpyxl stores a string starting with "=" as a formula; extract values are text.
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(data, value=value)
            cell.data_type = "s"
            return cell
        return value

    data.append(list(header))
    for row in rows:
        data.append([as_text(value) for value in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
