"""Deadlines of the procedure: calendar days, moved off weekends and Lower Saxony's holidays.

A deadline is the end of its day in Europe/Berlin (23:59:59 local time), as § 31 VwVfG counts.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

BERLIN = ZoneInfo("Europe/Berlin")
CIRCULATION_DAYS = 7
STATEMENT_DAYS = 14
ASSESSMENT_DAYS = 21


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv="NI", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_working_day(day: date) -> date:
    """`day` itself if it is a working day in Lower Saxony, else the next one."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def local_date(moment: datetime) -> date:
    return moment.astimezone(BERLIN).date()


def due_date(start: datetime, days: int) -> date:
    """The day a deadline of `days` calendar days from `start` falls on, moved to a working day."""
    return next_working_day(local_date(start) + timedelta(days=days))


def end_of_day(day: date) -> datetime:
    """The last second of `day` in Berlin, as an aware datetime (UTC offset of that day)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=BERLIN)
