import pandas as pd
from triangulate.domain.definitions import age_in_completed_years, is_adult_at_death, is_unborn


def dates(*values):
    return pd.Series(pd.to_datetime(list(values), format="%Y-%m-%d"))


def test_age_counts_completed_years_around_the_birthday():
    born = dates("2005-06-15", "2005-06-15", "2005-06-15", "2020-02-29", "2020-01-01")
    died = dates("2023-06-14", "2023-06-15", "2023-06-16", "2021-02-28", "2019-12-31")
    assert list(age_in_completed_years(born, died)) == [17, 18, 18, 0, -1]


def test_adult_at_death_is_18_or_over_and_unknown_age_is_not_adult():
    assert list(is_adult_at_death(pd.Series([17, 18, None], dtype="Int64"))) == [False, True, False]


def test_unborn_needs_expected_date_and_no_birth_date():
    birth_blank = pd.Series([True, True, False, False])
    expected_blank = pd.Series([False, True, False, True])
    assert list(is_unborn(birth_blank, expected_blank)) == [True, False, False, False]
