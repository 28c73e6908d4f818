import pandas as pd
from triangulate.canonical.records import death_records
from triangulate.reconcile.linkage import LEFT, RIGHT, link


def records(source: str, rows: list[tuple[str | None, str | None, str, str, str | None]]) -> pd.DataFrame:
    """rows: (child_id, date_of_birth, date_of_death, sex, age when there is no birth date)."""
    ids = pd.Series([f"{source}{n}" for n in range(len(rows))])
    column = lambda n: pd.Series([row[n] for row in rows], dtype=object)  # noqa: E731
    return death_records(
        source=source,
        record_id=ids,
        child_key=ids,
        location=ids,
        birth_date=column(1),
        death_date=column(2),
        sex=column(3),
        la_code=pd.Series(["E08000025"] * len(rows), dtype=object),
        status=pd.Series(["LAC"] * len(rows), dtype=object),
        reference_date=pd.Timestamp("2024-03-31"),
        child_id=column(0),
        age_when_no_birth_date=column(4),
    )


def test_nearest_death_within_tolerance_links_and_far_dates_do_not() -> None:
    left = records("L", [(None, "2010-05-01", "2023-03-31", "F", None), (None, "2011-01-01", "2023-06-01", "M", None)])
    right = records("R", [(None, "2010-05-01", "2023-04-01", "F", None), (None, "2011-01-01", "2023-07-01", "M", None)])
    links = link(left, right, death_date_days=7)
    assert links.pairs[[LEFT, RIGHT]].values.tolist() == [[0, 0]]
    assert list(links.only_left) == [1] and list(links.only_right) == [1]


def test_child_id_wins_over_demographics() -> None:
    left = records("L", [("P1", "2010-05-01", "2023-03-31", "F", None)])
    right = records("R", [("P1", "2009-01-01", "2022-01-01", "F", None)])
    assert link(left, right).pairs["linked_on"].tolist() == ["child_id"]


def test_age_links_only_a_record_without_a_birth_date() -> None:
    left = records("L", [(None, "2010-05-01", "2023-03-31", "F", None), (None, "2012-05-01", "2023-03-31", "M", None)])
    right = records("R", [(None, None, "2023-04-02", "F", "12"), (None, "2012-06-01", "2023-03-31", "M", None)])
    links = link(left, right)
    # The girl is linked by age (right has no birth date); the boys' birth dates differ, so they are two children.
    assert links.pairs[[LEFT, RIGHT]].values.tolist() == [[0, 0]]
    assert list(links.only_left) == [1] and list(links.only_right) == [1]


def test_index_labels_come_back_not_positions() -> None:
    left = records("L", [(None, "2010-05-01", "2023-03-31", "F", None)]).set_axis([40])
    right = records("R", [(None, "2010-05-01", "2023-03-31", "F", None)]).set_axis([7])
    assert link(left, right).pairs[[LEFT, RIGHT]].values.tolist() == [[40, 7]]
