"""What `triangulate synth` generates: the knobs, and the dates they imply."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..domain.periods import financial_year

NATIONAL_CHILDREN_PER_YEAR = 20_000  # living children in need a year, England (the real figure is ~700,000)


@dataclass(frozen=True)
class SynthSpec:
    seed: int = 1
    years: int = 3
    last_year: int = 2023
    children_per_year: int = NATIONAL_CHILDREN_PER_YEAR
    xlsx: bool = True
    defects: bool = True
    looked_after_per_year: int | None = None  # living looked-after children; default a tenth of CIN (national ~110,000)
    la: str | None = None  # one LA's release (DfE or ONS code): its own records only; children_per_year are then the LA's

    @property
    def end_years(self) -> list[int]:
        """The financial years generated, named by the year they end in, oldest first."""
        return list(range(self.last_year - self.years + 1, self.last_year + 1))

    @property
    def reference_date(self) -> dt.date:
        """31 March of the last year: the census date every return of the sample is checked against."""
        return financial_year(self.last_year).end

    @property
    def living_looked_after(self) -> int:
        """Living looked-after children a year (nationally about a tenth of the children in need)."""
        if self.looked_after_per_year is not None:
            return self.looked_after_per_year
        return self.children_per_year // 10
