"""The calendar of periodic reports under NĐ 09/2019/NĐ-CP: periods, data cut-offs and deadlines.

A period's data runs from the 15th of the month before it to the 14th of its last month (the
"15th-to-14th rule"): monthly "2020-03" covers 2020-02-15 .. 2020-03-14, quarterly "2020-Q1"
2019-12-15 .. 2020-03-14, half-year "2020-H2" 2020-06-15 .. 2020-12-14, annual "2020"
2019-12-15 .. 2020-12-14. Hence a day from 15 to 31 December belongs to the next year's first
period of every frequency.

Deadlines count working days: Monday to Friday, less the public holidays the caller passes in
(they are configured elsewhere; this module knows no calendar of its own).

Pure standard library: no Flask, no database.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Frequency(StrEnum):
    """How often a report is due."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"


@dataclass(frozen=True)
class Period:
    """One reporting period: the days ``start`` .. ``cut_off`` (both included) its data covers."""

    frequency: Frequency
    key: str  # "2020-03", "2020-Q1", "2020-H1", "2020"
    year: int
    number: int  # month 1-12, quarter 1-4, half 1-2, 1 for annual
    start: date
    cut_off: date  # the data cut-off, "ngày chốt số liệu"


#: Calendar months a period spans; period ``n`` of a year ends in month ``n * months``
_MONTHS: dict[Frequency, int] = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.SEMIANNUAL: 6,
    Frequency.ANNUAL: 12,
}

_PERIODS_PER_YEAR: dict[Frequency, int] = {f: 12 // months for f, months in _MONTHS.items()}

#: Day of the month on which a period's data stops; the next period starts the day after
_CUT_OFF_DAY = 14

# The year has four digits with no leading zero: "20-01" and "0020-01" are typing errors, and
# year 1 would need a start in year 0, which ``date`` cannot hold.
_YEAR = r"([1-9]\d{3})"

_KEY_PATTERNS: dict[Frequency, re.Pattern[str]] = {
    Frequency.MONTHLY: re.compile(_YEAR + r"-(\d{2})"),
    Frequency.QUARTERLY: re.compile(_YEAR + r"-Q(\d)"),
    Frequency.SEMIANNUAL: re.compile(_YEAR + r"-H(\d)"),
    Frequency.ANNUAL: re.compile(_YEAR),
}

_KEY_EXAMPLES: dict[Frequency, str] = {
    Frequency.MONTHLY: "2020-03",
    Frequency.QUARTERLY: "2020-Q1",
    Frequency.SEMIANNUAL: "2020-H1",
    Frequency.ANNUAL: "2020",
}


def _frequency(frequency: Frequency | str) -> Frequency:
    """``frequency`` as a ``Frequency``; ValueError naming the valid ones if it is none."""
    try:
        return Frequency(frequency)
    except ValueError:
        valid = ", ".join(f.value for f in Frequency)
        raise ValueError(f"unknown report frequency {frequency!r} (expected one of: {valid})") from None


def _key(frequency: Frequency, year: int, number: int) -> str:
    if frequency is Frequency.MONTHLY:
        return f"{year}-{number:02d}"
    if frequency is Frequency.QUARTERLY:
        return f"{year}-Q{number}"
    if frequency is Frequency.SEMIANNUAL:
        return f"{year}-H{number}"
    return str(year)


def _build(frequency: Frequency, year: int, number: int) -> Period:
    """Period ``number`` of ``year``; the caller has checked that ``number`` is in range."""
    last_month = number * _MONTHS[frequency]
    # The month before the period's first month, which is December of the previous year when
    # the period starts in January.
    start_year, start_month = (year, last_month - _MONTHS[frequency]) if number > 1 else (year - 1, 12)
    try:
        start = date(start_year, start_month, _CUT_OFF_DAY + 1)
        cut_off = date(year, last_month, _CUT_OFF_DAY)
    except ValueError:
        raise ValueError(f"year {year} is outside the calendar this module can represent") from None
    return Period(frequency, _key(frequency, year, number), year, number, start, cut_off)


def _numbers(frequency: Frequency, key: str) -> tuple[int, int] | None:
    """(year, number) if ``key`` has the form of a ``frequency`` key, the number not yet range-checked."""
    match = _KEY_PATTERNS[frequency].fullmatch(key)
    if match is None:
        return None
    number = int(match.group(2)) if frequency is not Frequency.ANNUAL else 1
    return int(match.group(1)), number


def _key_error(frequency: Frequency, key: str) -> ValueError:
    """A message that says which frequency a misplaced key belongs to, when it belongs to one."""
    # Only called when ``key`` does not have ``frequency``'s form, so ``frequency`` never matches here.
    for other in Frequency:
        numbers = _numbers(other, key)
        if numbers is not None and 1 <= numbers[1] <= _PERIODS_PER_YEAR[other]:
            return ValueError(f"{key!r} is a key of {other.value} periods, not of {frequency.value} ones")
    example = _KEY_EXAMPLES[frequency]
    return ValueError(f"{key!r} is not a key of {frequency.value} periods (expected the form {example!r})")


def period(frequency: Frequency | str, key: str) -> Period:
    """The period of ``frequency`` named by ``key`` ("2020-03", "2020-Q1", "2020-H2", "2020").

    Keys are matched exactly (no surrounding spaces, capital Q and H). ValueError if ``key`` is
    malformed, names a month/quarter/half that does not exist, or is a key of another frequency.
    """
    frequency = _frequency(frequency)
    key = key if isinstance(key, str) else repr(key)
    numbers = _numbers(frequency, key)
    if numbers is None:
        raise _key_error(frequency, key)
    year, number = numbers
    count = _PERIODS_PER_YEAR[frequency]
    if not 1 <= number <= count:
        raise ValueError(f"{key!r}: a {frequency.value} period number must be from 1 to {count}")
    return _build(frequency, year, number)


def period_of(frequency: Frequency | str, day: date) -> Period:
    """The period of ``frequency`` whose ``start`` .. ``cut_off`` contains ``day``."""
    frequency = _frequency(frequency)
    year, month = day.year, day.month
    # From the 15th on, a day is data of the period that ends in the next month.
    if day.day > _CUT_OFF_DAY:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    months = _MONTHS[frequency]
    return _build(frequency, year, (month + months - 1) // months)


def period_ending_on(frequency: Frequency | str, day: date) -> Period | None:
    """The period of ``frequency`` whose cut-off is exactly ``day``; None if no period ends then."""
    found = period_of(frequency, day)
    return found if found.cut_off == day else None


def periods_ending_between(frequency: Frequency | str, first: date, last: date) -> list[Period]:
    """Every period of ``frequency`` with ``first <= cut_off <= last``, earliest first.

    Empty if ``first > last``.
    """
    periods: list[Period] = []
    # The period containing ``first`` is the earliest whose cut-off is not before ``first``; when
    # ``first > last`` its cut-off is already past ``last`` and nothing is collected.
    current = period_of(frequency, first)
    while current.cut_off <= last:
        periods.append(current)
        current = next_period(current)
    return periods


def previous(p: Period) -> Period:
    """The period of the same frequency just before ``p`` (crossing into the previous year)."""
    if p.number > 1:
        return _build(p.frequency, p.year, p.number - 1)
    return _build(p.frequency, p.year - 1, _PERIODS_PER_YEAR[p.frequency])


def next_period(p: Period) -> Period:
    """The period of the same frequency just after ``p`` (crossing into the next year)."""
    if p.number < _PERIODS_PER_YEAR[p.frequency]:
        return _build(p.frequency, p.year, p.number + 1)
    return _build(p.frequency, p.year + 1, 1)


def with_cut_off(p: Period, month: int, day: int) -> Period:
    """``p`` with its cut-off moved to ``day``/``month`` of ``p.year``; key and start unchanged.

    For reports whose figures stop on a fixed date rather than the 14th, such as the preliminary
    result of the annual review (10 November). ValueError if that date does not exist or falls
    before ``p.start``.
    """
    cut_off = date(p.year, month, day)
    if cut_off < p.start:
        raise ValueError(f"cut-off {cut_off} falls before {p.start}, the start of period {p.key}")
    return Period(p.frequency, p.key, p.year, p.number, p.start, cut_off)


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    """Whether ``day`` is Monday to Friday and not in ``holidays``."""
    return day.weekday() < 5 and day not in holidays


def roll_forward(day: date, holidays: Collection[date]) -> date:
    """``day`` itself if it is a working day, else the first working day after it."""
    holidays = frozenset(holidays)
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, n: int, holidays: Collection[date]) -> date:
    """The ``n``-th working day after ``day`` (``day`` itself never counts).

    ``n == 0`` gives ``roll_forward(day)``; ValueError if ``n < 0``.
    """
    if n < 0:
        raise ValueError(f"cannot add a negative number of working days ({n})")
    holidays = frozenset(holidays)
    if n == 0:
        return roll_forward(day, holidays)
    while n:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            n -= 1
    return day


def deadline_after(cut_off: date, working_days: int, holidays: Collection[date]) -> date:
    """The deadline ``working_days`` working days after ``cut_off``.

    NĐ 09/2019 requires at least one working day between cut-off and deadline, so
    ``working_days < 1`` is a ValueError.
    """
    if working_days < 1:
        raise ValueError(
            f"a deadline must be at least one working day after the cut-off (got {working_days})"
        )
    return add_working_days(cut_off, working_days, holidays)


def fixed_deadline(year: int, month: int, day: int, holidays: Collection[date]) -> date:
    """A deadline on a fixed date of ``year``, moved to the next working day if it is not one.

    "Before 15 November" is given as 14 November. ValueError if the date does not exist.
    """
    return roll_forward(date(year, month, day), holidays)
