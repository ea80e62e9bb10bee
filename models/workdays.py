"""Vietnamese working days (pure): Saturday and Sunday off, public holidays (lunar ones included) from `holidays`.

Enough for what recipients are shown (a reply deadline, the weekday before an event, Article 148's
effective deadline); the escalation work (issue 10) adds the government's yearly swaps of days off.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache


@lru_cache(maxsize=64)
def _days_off(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("VN", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday (or a day off given in its place)."""
    return day.weekday() < 5 and day not in _days_off(day.year)


def add_working_days(day: date, n: int) -> date:
    """The n-th working day after day (n > 0) or before it (n < 0); day itself when n == 0."""
    step = timedelta(days=1 if n > 0 else -1)
    left = abs(n)
    while left:
        day += step
        if is_working_day(day):
            left -= 1
    return day


def effective_deadline(last_day: date) -> date:
    """Article 148 of the 2015 Civil Code: a period whose last day is a day off ends on the next working day."""
    while not is_working_day(last_day):
        last_day += timedelta(days=1)
    return last_day
