import pandas as pd
from triangulate.domain.dates import parse_dates, parse_one


def parse(*values):
    return parse_dates(pd.Series(list(values), dtype=object))


def test_both_formats_read_to_the_same_day():
    parsed = parse("2023-03-31", "31/03/2023", "2023-03-31T00:00:00", " 1/4/2023 ")
    assert list(parsed.values.dt.strftime("%Y-%m-%d")) == ["2023-03-31", "2023-03-31", "2023-03-31", "2023-04-01"]
    assert not parsed.unreadable.any()


def test_impossible_and_ambiguous_dates_are_unreadable_not_missing():
    parsed = parse("2023-02-29", "31/02/2022", "2023-13-01", "03/31/2023", "31/03/23", "yesterday", "2024-02-29")
    assert list(parsed.unreadable) == [True, True, True, True, True, True, False]
    assert not parsed.blank.any()


def test_blank_is_missing_not_unreadable():
    parsed = parse(None, "", "   ")
    assert parsed.blank.all()
    assert not parsed.unreadable.any()
    assert parsed.values.isna().all()


def test_parse_one():
    assert str(parse_one("2024-03-31"))[:10] == "2024-03-31"
    assert parse_one("2024-31-03") is None


def test_order_key_orders_both_formats_by_date_not_by_text() -> None:
    from triangulate.domain.dates import order_key

    # As text, "01/05/2022" sorts after "2023-04-01"; as dates it is earlier.
    assert sorted(["2023-04-01", "01/05/2022", "2022-12-31"], key=order_key) == ["01/05/2022", "2022-12-31", "2023-04-01"]
    assert order_key("2023-02-30x") == (0, 0, 0)
