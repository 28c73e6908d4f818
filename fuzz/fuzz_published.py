"""Published EES CSV: readers/published.py `read_published`, canonical/published.py `published_rows`,
then the whole published check (`pipeline.published.check_published_source`: cells, rounding, a
declared rate, and the default measures' selection and coherence), which uses no Great Expectations.

TRIANGULATE_FUZZ_DEPTH=read stops after `published_rows`.
"""

from __future__ import annotations

from pathlib import Path

from fuzzlib import depth, expected_errors_only, written
from triangulate.canonical.published import PublishedSettings, RateSpec, published_rows
from triangulate.canonical.registry import PUBLISHED, SourceOptions
from triangulate.config import default_measures
from triangulate.pipeline.published import check_published_source
from triangulate.readers.published import read_published

NAME = "dfe_published"


def _check(path: Path) -> None:
    if depth() == "read":
        published_rows(read_published([path]))
        return
    options = SourceOptions(name=NAME, kind=PUBLISHED, paths=(path,))
    # As DfE declares it; the rate is the one in tests/data/dfe_cla_number_and_rate_per_10k_2021_2025.csv.
    settings = PublishedSettings(
        rounding={"national": 10, "regional": 10, "local authority": 1},
        rates=(RateSpec("rate_per_10000", "children_count", "population_estimate", 10000.0),),
    )
    check_published_source(options, settings, default_measures(), {NAME: PUBLISHED})


def test_one_input(data: bytes) -> None:
    with written([("published.csv", data)]) as paths:
        expected_errors_only(lambda: _check(paths[0]))
