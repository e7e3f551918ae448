"""Reporting periods, cut-offs and deadlines of NĐ 09/2019 (the 15th-to-14th rule)."""

import dataclasses
from datetime import date, timedelta

import pytest

from app.services.report_calendar import (
    Frequency,
    Period,
    add_working_days,
    deadline_after,
    fixed_deadline,
    is_working_day,
    next_period,
    period,
    period_ending_on,
    period_of,
    periods_ending_between,
    previous,
    roll_forward,
    with_cut_off,
)

M, Q, H, A = Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.SEMIANNUAL, Frequency.ANNUAL

#: Tết Canh Tý: 23–29 January 2020 were public holidays (25–26 January is a weekend inside it)
TET_2020 = [date(2020, 1, d) for d in range(23, 30)]

NO_HOLIDAYS: frozenset[date] = frozenset()


def d(iso: str) -> date:
    return date.fromisoformat(iso)


@pytest.mark.parametrize(
    "day,weekday",
    [
        ("2019-12-14", "Saturday"),
        ("2020-01-14", "Tuesday"),
        ("2020-01-22", "Wednesday"),
        ("2020-01-23", "Thursday"),
        ("2020-01-25", "Saturday"),
        ("2020-01-27", "Monday"),
        ("2020-01-30", "Thursday"),
        ("2020-01-31", "Friday"),
        ("2020-02-14", "Friday"),
        ("2020-02-17", "Monday"),
        ("2020-03-13", "Friday"),
        ("2020-03-14", "Saturday"),
        ("2020-03-16", "Monday"),
        ("2020-03-20", "Friday"),
        ("2020-03-23", "Monday"),
        ("2020-04-30", "Thursday"),
        ("2020-05-04", "Monday"),
        ("2020-06-14", "Sunday"),
        ("2020-06-15", "Monday"),
        ("2020-11-10", "Tuesday"),
        ("2020-11-14", "Saturday"),
        ("2020-11-15", "Sunday"),
        ("2020-11-16", "Monday"),
        ("2020-12-14", "Monday"),
        ("2020-12-19", "Saturday"),
        ("2020-12-21", "Monday"),
    ],
)
def test_calendar_facts_the_tests_rely_on(day, weekday):
    assert d(day).strftime("%A") == weekday


@pytest.mark.parametrize(
    "frequency,key,year,number,start,cut_off",
    [
        (M, "2020-01", 2020, 1, "2019-12-15", "2020-01-14"),
        (M, "2020-02", 2020, 2, "2020-01-15", "2020-02-14"),
        (M, "2020-03", 2020, 3, "2020-02-15", "2020-03-14"),
        (M, "2020-12", 2020, 12, "2020-11-15", "2020-12-14"),
        (Q, "2020-Q1", 2020, 1, "2019-12-15", "2020-03-14"),
        (Q, "2020-Q2", 2020, 2, "2020-03-15", "2020-06-14"),
        (Q, "2020-Q3", 2020, 3, "2020-06-15", "2020-09-14"),
        (Q, "2020-Q4", 2020, 4, "2020-09-15", "2020-12-14"),
        (H, "2020-H1", 2020, 1, "2019-12-15", "2020-06-14"),
        (H, "2020-H2", 2020, 2, "2020-06-15", "2020-12-14"),
        (A, "2020", 2020, 1, "2019-12-15", "2020-12-14"),
        (A, "2021", 2021, 1, "2020-12-15", "2021-12-14"),
    ],
)
def test_period_start_and_cut_off(frequency, key, year, number, start, cut_off):
    assert period(frequency, key) == Period(frequency, key, year, number, d(start), d(cut_off))


def test_period_accepts_the_frequency_as_a_string():
    assert period("quarterly", "2020-Q2") == period(Q, "2020-Q2")
    assert period("monthly", "2020-03").frequency is M


def test_period_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        period(M, "2020-03").cut_off = d("2020-03-31")


@pytest.mark.parametrize(
    "frequency,key,message",
    [
        (M, "2020-13", "from 1 to 12"),
        (M, "2020-00", "from 1 to 12"),
        (Q, "2020-Q5", "from 1 to 4"),
        (Q, "2020-Q0", "from 1 to 4"),
        (H, "2020-H3", "from 1 to 2"),
        (M, "20-01", "not a key of monthly periods"),
        (M, "2020-3", "not a key of monthly periods"),
        (M, " 2020-03", "not a key of monthly periods"),
        (M, "0020-01", "not a key of monthly periods"),
        (A, "20", "not a key of annual periods"),
        (Q, "2020-q1", "not a key of quarterly periods"),
        (Q, "2020-03", "'2020-03' is a key of monthly periods, not of quarterly ones"),
        (M, "2020-Q1", "is a key of quarterly periods, not of monthly ones"),
        (Q, "2020-H1", "is a key of semiannual periods, not of quarterly ones"),
        (A, "2020-H2", "is a key of semiannual periods, not of annual ones"),
        (M, "2020", "is a key of annual periods, not of monthly ones"),
        # Not a key of any frequency, so the message must not claim it is a monthly one.
        (Q, "2020-13", "not a key of quarterly periods"),
    ],
)
def test_bad_keys_are_rejected_with_a_clear_message(frequency, key, message):
    with pytest.raises(ValueError, match=message):
        period(frequency, key)


def test_unknown_frequency_is_rejected():
    with pytest.raises(ValueError, match="unknown report frequency 'weekly'"):
        period("weekly", "2020")


@pytest.mark.parametrize(
    "frequency,day,key",
    [
        (M, "2020-03-01", "2020-03"),
        (M, "2020-03-14", "2020-03"),
        (M, "2020-03-15", "2020-04"),
        (M, "2020-02-29", "2020-03"),
        (M, "2020-12-14", "2020-12"),
        (M, "2020-12-15", "2021-01"),
        (M, "2020-12-31", "2021-01"),
        (M, "2020-01-01", "2020-01"),
        (Q, "2020-03-14", "2020-Q1"),
        (Q, "2020-03-15", "2020-Q2"),
        (Q, "2020-09-14", "2020-Q3"),
        (Q, "2020-09-15", "2020-Q4"),
        (Q, "2020-12-14", "2020-Q4"),
        (Q, "2020-12-15", "2021-Q1"),
        (Q, "2020-12-31", "2021-Q1"),
        (H, "2020-06-14", "2020-H1"),
        (H, "2020-06-15", "2020-H2"),
        (H, "2020-12-14", "2020-H2"),
        (H, "2020-12-31", "2021-H1"),
        (A, "2020-01-01", "2020"),
        (A, "2020-12-14", "2020"),
        (A, "2020-12-15", "2021"),
        (A, "2020-12-31", "2021"),
    ],
)
def test_period_of(frequency, day, key):
    assert period_of(frequency, d(day)) == period(frequency, key)


@pytest.mark.parametrize("frequency", list(Frequency))
def test_period_of_every_day_contains_it_and_round_trips_its_key(frequency):
    day = d("2019-11-01")
    while day <= d("2021-02-28"):
        found = period_of(frequency, day)
        assert found.start <= day <= found.cut_off, (day, found)
        assert period(frequency, found.key) == found
        day += timedelta(days=1)


@pytest.mark.parametrize("frequency", list(Frequency))
def test_consecutive_periods_tile_the_calendar(frequency):
    current = period_of(frequency, d("2018-01-01"))
    for _ in range(40):
        following = next_period(current)
        assert following.start == current.cut_off + timedelta(days=1)
        assert following.cut_off.day == 14
        current = following


@pytest.mark.parametrize(
    "frequency,day,key",
    [
        (M, "2020-03-14", "2020-03"),
        (M, "2020-03-13", None),
        (M, "2020-03-15", None),
        (M, "2020-01-14", "2020-01"),
        (Q, "2020-03-14", "2020-Q1"),
        (Q, "2020-04-14", None),
        (Q, "2020-12-14", "2020-Q4"),
        (H, "2020-06-14", "2020-H1"),
        (H, "2020-03-14", None),
        (H, "2020-12-14", "2020-H2"),
        (A, "2020-12-14", "2020"),
        (A, "2020-06-14", None),
        (A, "2020-12-31", None),
    ],
)
def test_period_ending_on(frequency, day, key):
    expected = period(frequency, key) if key else None
    assert period_ending_on(frequency, d(day)) == expected


@pytest.mark.parametrize(
    "frequency,keys",
    [
        (M, [f"2020-{m:02d}" for m in range(1, 13)]),
        (Q, ["2020-Q1", "2020-Q2", "2020-Q3", "2020-Q4"]),
        (H, ["2020-H1", "2020-H2"]),
        (A, ["2020"]),
    ],
)
def test_periods_ending_in_2020(frequency, keys):
    found = periods_ending_between(frequency, d("2020-01-01"), d("2020-12-31"))
    assert [p.key for p in found] == keys
    assert all(p.frequency is frequency for p in found)


@pytest.mark.parametrize(
    "frequency,first,last,keys",
    [
        (M, "2020-03-14", "2020-04-14", ["2020-03", "2020-04"]),
        (M, "2020-03-15", "2020-04-13", []),
        (M, "2020-03-14", "2020-03-14", ["2020-03"]),
        (M, "2020-11-20", "2021-02-14", ["2020-12", "2021-01", "2021-02"]),
        (Q, "2019-12-14", "2020-06-14", ["2019-Q4", "2020-Q1", "2020-Q2"]),
        (A, "2020-12-15", "2021-12-13", []),
        (M, "2020-04-14", "2020-03-14", []),
    ],
)
def test_periods_ending_between_includes_both_ends(frequency, first, last, keys):
    assert [p.key for p in periods_ending_between(frequency, d(first), d(last))] == keys


@pytest.mark.parametrize(
    "frequency,key,before,after",
    [
        (M, "2020-01", "2019-12", "2020-02"),
        (M, "2020-06", "2020-05", "2020-07"),
        (M, "2020-12", "2020-11", "2021-01"),
        (Q, "2020-Q1", "2019-Q4", "2020-Q2"),
        (Q, "2020-Q4", "2020-Q3", "2021-Q1"),
        (H, "2020-H1", "2019-H2", "2020-H2"),
        (H, "2020-H2", "2020-H1", "2021-H1"),
        (A, "2020", "2019", "2021"),
    ],
)
def test_previous_and_next(frequency, key, before, after):
    p = period(frequency, key)
    assert previous(p) == period(frequency, before)
    assert next_period(p) == period(frequency, after)
    assert next_period(previous(p)) == p


def test_with_cut_off_moves_only_the_cut_off():
    # The preliminary result of the 2020 annual review counts figures up to 10 November.
    annual = period(A, "2020")
    moved = with_cut_off(annual, 11, 10)
    assert moved == Period(A, "2020", 2020, 1, d("2019-12-15"), d("2020-11-10"))
    assert annual.cut_off == d("2020-12-14")


def test_with_cut_off_may_equal_the_start():
    assert with_cut_off(period(M, "2020-03"), 2, 15).cut_off == d("2020-02-15")


@pytest.mark.parametrize(
    "frequency,key,month,day",
    [
        (M, "2020-03", 2, 14),
        (Q, "2020-Q2", 1, 31),
        (H, "2020-H2", 6, 14),
    ],
)
def test_with_cut_off_before_the_start_is_rejected(frequency, key, month, day):
    with pytest.raises(ValueError, match="falls before"):
        with_cut_off(period(frequency, key), month, day)


def test_with_cut_off_rejects_a_day_that_does_not_exist():
    with pytest.raises(ValueError):
        with_cut_off(period(A, "2021"), 2, 29)


@pytest.mark.parametrize(
    "day,holidays,expected",
    [
        ("2020-03-13", NO_HOLIDAYS, True),
        ("2020-03-14", NO_HOLIDAYS, False),
        ("2020-11-15", NO_HOLIDAYS, False),
        ("2020-01-23", NO_HOLIDAYS, True),
        ("2020-01-23", TET_2020, False),
        ("2020-01-30", TET_2020, True),
        ("2020-04-30", {d("2020-04-30"), d("2020-05-01")}, False),
    ],
)
def test_is_working_day(day, holidays, expected):
    assert is_working_day(d(day), holidays) is expected


@pytest.mark.parametrize(
    "day,holidays,expected",
    [
        ("2020-03-13", NO_HOLIDAYS, "2020-03-13"),
        ("2020-03-14", NO_HOLIDAYS, "2020-03-16"),
        ("2020-11-15", NO_HOLIDAYS, "2020-11-16"),
        ("2020-01-23", TET_2020, "2020-01-30"),
        ("2020-01-25", TET_2020, "2020-01-30"),
        ("2020-01-25", NO_HOLIDAYS, "2020-01-27"),
        ("2020-04-30", (d("2020-04-30"), d("2020-05-01")), "2020-05-04"),
    ],
)
def test_roll_forward(day, holidays, expected):
    assert roll_forward(d(day), holidays) == d(expected)


@pytest.mark.parametrize(
    "day,n,holidays,expected",
    [
        ("2020-03-13", 1, NO_HOLIDAYS, "2020-03-16"),
        ("2020-03-14", 1, NO_HOLIDAYS, "2020-03-16"),
        ("2020-03-16", 5, NO_HOLIDAYS, "2020-03-23"),
        ("2020-01-14", 7, NO_HOLIDAYS, "2020-01-23"),
        ("2020-01-14", 7, TET_2020, "2020-01-30"),
        ("2020-01-22", 1, TET_2020, "2020-01-30"),
        ("2020-01-22", 2, TET_2020, "2020-01-31"),
        # n == 0 rolls forward: the day itself if it is a working day.
        ("2020-03-13", 0, NO_HOLIDAYS, "2020-03-13"),
        ("2020-03-14", 0, NO_HOLIDAYS, "2020-03-16"),
        ("2020-01-23", 0, TET_2020, "2020-01-30"),
    ],
)
def test_add_working_days(day, n, holidays, expected):
    assert add_working_days(d(day), n, holidays) == d(expected)


def test_add_working_days_rejects_a_negative_count():
    with pytest.raises(ValueError, match="negative"):
        add_working_days(d("2020-03-16"), -1, NO_HOLIDAYS)


@pytest.mark.parametrize(
    "cut_off,working_days,holidays,expected",
    [
        # Monthly cut-off of March 2020 falls on a Saturday.
        ("2020-03-14", 1, NO_HOLIDAYS, "2020-03-16"),
        ("2020-03-14", 5, NO_HOLIDAYS, "2020-03-20"),
        # Friday plus one working day is the Monday after.
        ("2020-02-14", 1, NO_HOLIDAYS, "2020-02-17"),
        # The whole of Tết is skipped.
        ("2020-01-22", 1, TET_2020, "2020-01-30"),
        ("2020-01-14", 7, TET_2020, "2020-01-30"),
        # Annual cut-off on Monday 14 December; the weekend of 19–20 December is skipped.
        ("2020-12-14", 5, NO_HOLIDAYS, "2020-12-21"),
    ],
)
def test_deadline_after(cut_off, working_days, holidays, expected):
    assert deadline_after(d(cut_off), working_days, holidays) == d(expected)


@pytest.mark.parametrize("working_days", [0, -1])
def test_deadline_must_be_at_least_one_working_day_after_the_cut_off(working_days):
    with pytest.raises(ValueError, match="at least one working day"):
        deadline_after(d("2020-03-13"), working_days, NO_HOLIDAYS)


@pytest.mark.parametrize(
    "year,month,day,holidays,expected",
    [
        # "Before 15 November" is given as 14 November, a Saturday in 2020.
        (2020, 11, 14, NO_HOLIDAYS, "2020-11-16"),
        (2020, 11, 15, NO_HOLIDAYS, "2020-11-16"),
        (2020, 6, 14, NO_HOLIDAYS, "2020-06-15"),
        (2020, 11, 10, NO_HOLIDAYS, "2020-11-10"),
        (2020, 1, 25, TET_2020, "2020-01-30"),
    ],
)
def test_fixed_deadline(year, month, day, holidays, expected):
    assert fixed_deadline(year, month, day, holidays) == d(expected)


def test_fixed_deadline_rejects_a_day_that_does_not_exist():
    with pytest.raises(ValueError):
        fixed_deadline(2021, 2, 29, NO_HOLIDAYS)
