"""What a source covers, from its files' own headers: each file's reference date, the periods it can count and the
LAs it covers year by year (a declared `coverage:` or `la_code:` wins). Known piece by piece, before the source's GX
suite ends, so reconciling need not wait for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Protocol

import pandas as pd

from ..canonical.registry import SourceOptions
from ..domain.dates import parse_dates
from ..domain.geography import ons_code
from ..domain.periods import Span, census_year, merged_spans
from ..domain.places import PlacesCovered


class PieceFacts(Protocol):
    """What a checked piece says of its files (pipeline/check.py Piece)."""

    written_dates: dict[str, str]  # file -> its reference date as written (CIN headers)
    file_las: dict[str, tuple[str, ...]]  # file -> the LAs it is a return of, () not said


def written_dates(pieces: Sequence[PieceFacts]) -> dict[str, str]:
    """Each file's reference date as its header writes it (CIN), the first piece's where a file is in two."""
    written: dict[str, str] = {}
    for piece in pieces:
        for name, date in piece.written_dates.items():
            written.setdefault(name, date)
    return written


def source_coverage(options: SourceOptions, per_file: Mapping[str, dt.date]) -> tuple[Span, ...]:
    """What the source can count: its declared `coverage:`, else the collection years of the censuses its files'
    headers date (CIN), else not known (empty)."""
    if options.coverage:
        return merged_spans(options.coverage)
    return merged_spans([census_year(day) for day in set(per_file.values())])


def pending_coverage(options: SourceOptions, pieces: Sequence[PieceFacts]) -> tuple[Span, ...]:
    """`source_coverage` before the source is finished (reconciling needs it while the GX suite still runs)."""
    return source_coverage(options, file_reference_dates(written_dates(pieces)))


def pending_places(options: SourceOptions, pieces: Sequence[PieceFacts]) -> PlacesCovered | None:
    """The LAs a source covers, census year by census year (None: England's figure): a declared `la_code:`, else its
    files' own, so a year missing an LA's census file is not England's figure that year."""
    if options.la_code:
        code = ons_code(options.la_code)
        return PlacesCovered.one([code]) if code else None
    dates = file_reference_dates(written_dates(pieces))
    return PlacesCovered.of_files((census_year(dates[name]) if name in dates else None, las)
                                  for piece in pieces for name, las in piece.file_las.items())  # fmt: skip


def pending_las(options: SourceOptions, pieces: Sequence[PieceFacts]) -> tuple[str, ...]:
    """Every LA the source is a return of in some year (ONS codes), () when it is England's figure in some year."""
    places = pending_places(options, pieces)
    return places.every if places is not None else ()


def file_reference_dates(written: Mapping[str, str]) -> dict[str, dt.date]:
    """The reference date each file's own header gives, where the kind has one (CIN); these are what the checks use."""
    if not written:
        return {}
    parsed = parse_dates(pd.Series(list(written.values()), dtype=object)).values
    return {name: value.date() for name, value in zip(written, parsed, strict=True) if not pd.isna(value)}


def differing(per_file: dict[str, dt.date]) -> tuple[tuple[str, dt.date], ...]:
    """Files whose own reference date is not the one reported for the source (the latest)."""
    latest = max(per_file.values(), default=None)
    return tuple((name, day) for name, day in per_file.items() if day != latest)


def reference_date_of(options: SourceOptions, per_file: dict[str, dt.date]) -> dt.date | None:
    return max(per_file.values()) if per_file else options.reference_date
