"""Deadlines of the procedure: calendar days, moved off weekends and Lower Saxony's holidays.

A deadline is the end of its day in Europe/Berlin (23:59:59 local time), as § 31 VwVfG counts.
A deadline moved off a weekend or holiday says why (`shift_note`): the holiday's German name comes
from the `holidays` package (`language="de"`; without it, the names follow the system's locale).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

BERLIN = ZoneInfo("Europe/Berlin")
CIRCULATION_DAYS = 7
STATEMENT_DAYS = 14
ASSESSMENT_DAYS = 21


# The days the procedure knows. Anything outside is a typo, and would break the arithmetic: the
# day after 31.12.9999 and the UTC moment of 01.01.0001 00:30 in Berlin do not exist.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def N_(text: str) -> str:
    """As workflow.lifecycle.N_: marks a text for the catalogue; the forms and services translate it."""
    return text


DAY_OUT_OF_RANGE = N_("Bitte geben Sie ein Datum zwischen dem 01.01.2000 und dem 31.12.2099 an.")


def day_in_range(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


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


# -- past and future, by Berlin's calendar ---------------------------------------------------------
# One rule wherever a day or a moment is "in the past" or "still to come": Berlin's day decides
# (never the server's local date or UTC's), a moment is compared as a moment. `now` is passed by
# services that read the clock through their own `utcnow`.


def today(now: datetime | None = None) -> date:
    """Berlin's today."""
    return local_date(now or datetime.now(UTC))


def is_past_day(day: date, now: datetime | None = None) -> bool:
    """`day` is before Berlin's today."""
    return day < today(now)


def is_future_day(day: date, now: datetime | None = None) -> bool:
    """`day` is after Berlin's today."""
    return day > today(now)


def planned_in_the_past(starts_at: datetime, now: datetime | None = None) -> bool:
    """A session (or anything planned) at `starts_at` falls on a day before Berlin's today;
    later today, or earlier today, counts as today."""
    return is_past_day(local_date(starts_at), now)


def still_to_come(starts_at: datetime, now: datetime | None = None) -> bool:
    """`starts_at` has not begun yet (a moment compared as a moment)."""
    return starts_at > (now or datetime.now(UTC))
