"""Which LAs a record source covers, year by year: a census is one file per LA and year, so a year with an LA's file
missing covers every LA but that one, and is not England's figure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .geography import covers_every, la_label, la_lookup
from .periods import Period, Span, spans_label


@dataclass(frozen=True)
class PlacesCovered:
    """Per span of dates (a census year; None: every date), the LAs covered, or None for every LA (England's figure)."""

    by_span: tuple[tuple[Span | None, frozenset[str] | None], ...]

    @classmethod
    def of_files(cls, files: Iterable[tuple[Span | None, tuple[str, ...]]]) -> PlacesCovered | None:
        """From each file's span and the LAs it is the return of (() where it does not say: a multi-LA extract).
        None when every span covers every LA: the source is national."""
        by_span: dict[Span | None, set[str] | None] = {}
        for span, las in files:
            known = by_span.setdefault(span, set())
            by_span[span] = None if known is None or not las else known | set(las)
        every = set(la_lookup()["new_la_code"])
        covered = tuple(sorted(((span, None if las is None or covers_every(every, las) else frozenset(las))
                                for span, las in by_span.items()), key=lambda item: (item[0] is not None, item[0])))  # fmt: skip
        if not covered or all(las is None for _, las in covered):
            return None
        return cls(covered)

    @classmethod
    def one(cls, codes: Iterable[str]) -> PlacesCovered:
        """A declared return of these LAs in every period (`la_code:`)."""
        return cls(((None, frozenset(codes)),))

    def at(self, period: Period) -> frozenset[str] | None:
        """The LAs covered throughout the period (None: every LA); an empty set where no span holds it."""
        found: frozenset[str] | None = frozenset()
        for span, las in self.by_span:
            if span is None or (span[0] <= period.start and period.end <= span[1]):
                if las is None:
                    return None
                found = las if not found else found | las
        return found

    @property
    def every(self) -> tuple[str, ...]:
        """Every LA covered in some span (for the JSON); () when some span is England's."""
        if any(las is None for _, las in self.by_span):
            return ()
        return tuple(sorted(set().union(*(las for _, las in self.by_span if las is not None))))

    def words(self) -> str:
        """`one LA's return (Bradford (E08000032))`, or per span where they differ."""
        def named(las: frozenset[str] | None) -> str:
            if las is None:
                return "every LA"
            if len(las) == 1:
                return f"one LA's return ({la_label(next(iter(las)))})"
            shown = ", ".join(la_label(code) for code in sorted(las)[:4])
            return f"a return of {len(las)} LAs ({shown}{' ...' if len(las) > 4 else ''})"

        distinct = {las for _, las in self.by_span}
        if len(distinct) == 1:
            return named(next(iter(distinct)))
        return "; ".join(f"{spans_label((span,)) if span else 'every year'}: {named(las)}" for span, las in self.by_span)
