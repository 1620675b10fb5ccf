"""Deadlines of the procedure: calendar days, moved off weekends and Lower Saxony's holidays.

A deadline is the end of its day in Europe/Berlin (23:59:59 local time), as § 31 VwVfG counts.
A deadline moved off a weekend or holiday says why (`shift_note`): the holiday's German name comes
from the `holidays` package (`language="de"`; without it, the names follow the system's locale).
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


WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv="NI", years=year, language="de")


def holiday_name(day: date) -> str | None:
    """The German name of the public holiday in Lower Saxony on `day` ('Erster Weihnachtstag')."""
    return _holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_working_day(day: date) -> date:
    """`day` itself if it is a working day in Lower Saxony, else the next one."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def why_not_a_working_day(day: date) -> str | None:
    """'ein Samstag', 'ein Feiertag in Niedersachsen (Reformationstag)', 'ein Samstag und ein
    Feiertag in Niedersachsen (Zweiter Weihnachtstag)'; None for a working day."""
    parts = []
    if day.weekday() >= 5:
        parts.append(f"ein {WEEKDAYS[day.weekday()]}")
    name = holiday_name(day)
    if name:
        parts.append(f"ein Feiertag in Niedersachsen ({name})")
    return " und ".join(parts) or None


def shift_note(counted: date, due: date | None = None) -> str | None:
    """Why a deadline whose count ends on `counted` falls on `due` (the next working day):
    '25.12.2026 ist ein Feiertag in Niedersachsen (Erster Weihnachtstag); Frist daher 28.12.2026'.
    None when nothing was moved, or when `due` is not where `counted` moves to."""
    moved_to = next_working_day(counted)
    if moved_to == counted or (due is not None and due != moved_to):
        return None
    return f"{counted:%d.%m.%Y} ist {why_not_a_working_day(counted)}; Frist daher {moved_to:%d.%m.%Y}"


def counted_day(start: datetime, days: int) -> date:
    """The day `days` calendar days from `start` (Berlin's day), before moving it off a weekend."""
    return local_date(start) + timedelta(days=days)


def local_date(moment: datetime) -> date:
    return moment.astimezone(BERLIN).date()


def due_date(start: datetime, days: int) -> date:
    """The day a deadline of `days` calendar days from `start` falls on, moved to a working day."""
    return next_working_day(counted_day(start, days))


def end_of_day(day: date) -> datetime:
    """The last second of `day` in Berlin, as an aware datetime (UTC offset of that day)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=BERLIN)
