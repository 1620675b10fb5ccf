"""How times, dates and money are shown: Europe/Berlin, TT.MM.JJJJ, 1.234,56 €."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_decimal
from flask import current_app
from flask_babel import LazyString, force_locale, get_locale, gettext, ngettext

from workflow.rules.deadlines import BERLIN


def local_datetime(value: datetime | None) -> str:
    """'03.12.2026, 23:59 Uhr': the German of stored and issued texts (mails, PDFs, events)."""
    if value is None:
        return ""
    return value.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M Uhr")


def page_datetime(value: datetime | None) -> str:
    """The pages' `datetime` filter: as local_datetime, in English without the 'Uhr'."""
    text = local_datetime(value)
    locale = get_locale()
    return text.removesuffix(" Uhr") if locale is not None and locale.language == "en" else text


def lazy_datetime(value: datetime | None) -> LazyString:
    """page_datetime written out when read: in a mail, in its recipient's language ('23:59 Uhr'
    in German, '23:59' in English)."""
    return LazyString(page_datetime, value)


def local_date(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(BERLIN).date()
    return value.strftime("%d.%m.%Y")


def money(cents: int | None) -> str:
    """1234567 → '12.345,67 €' (non-breaking space before the sign), exactly as Babel's
    format_currency(…, "EUR", locale="de_DE") writes it, at a fraction of its cost: the tables
    show dozens of amounts per page (a test holds the two together)."""
    if cents is None:
        return ""
    euros, rest = divmod(abs(int(cents)), 100)
    sign = "-" if cents < 0 else ""
    return f"{sign}{euros:,}".replace(",", ".") + f",{rest:02d}\u00a0€"


def euro_input(cents: int | None) -> str:
    """The amount as a person types it back into a form: '12.345,67'."""
    if cents is None:
        return ""
    return format_decimal(Decimal(cents) / 100, format="#,##0.00", locale="de_DE")


def percent(value: Decimal | None) -> str:
    """Decimal('48.5') → '48,50 %'."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.00", locale="de_DE") + "\u00a0%"


def choice_counts(tally: dict) -> str:
    """'7 Zustimmungen, 1 Ablehnung, 0 Enthaltungen' (plural forms by Babel's rules for the
    language, never by hand)."""
    return gettext(
        "%(approve)s, %(reject)s, %(abstain)s",
        approve=ngettext("%(num)s Zustimmung", "%(num)s Zustimmungen", tally["approve"]),
        reject=ngettext("%(num)s Ablehnung", "%(num)s Ablehnungen", tally["reject"]),
        abstain=ngettext("%(num)s Enthaltung", "%(num)s Enthaltungen", tally["abstain"]),
    )


def tally_summary(tally: dict) -> str:
    """'7 Zustimmungen, 1 Ablehnung, 0 Enthaltungen von 14 Stimmberechtigten'."""
    return gettext(
        "%(counts)s von %(eligible)s Stimmberechtigten",
        counts=choice_counts(tally),
        eligible=tally["eligible"],
    )


def in_record_language():
    """Texts that are stored or issued (notifications, a statement's suggested reasoning) are
    written in the app's own language, whatever language the person whose request writes them
    reads the pages in."""
    return force_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


def register(app) -> None:
    app.add_template_filter(page_datetime, "datetime")
    app.add_template_filter(local_date, "date")
    app.add_template_filter(money, "money")
    app.add_template_filter(euro_input, "euro_input")
    app.add_template_filter(percent, "percent")
    app.add_template_global(aria, "aria")


def aria(attrs: dict, field, hint: str | None) -> dict:
    """Adds aria-describedby (hint, error) and aria-invalid to a form field's HTML attributes."""
    described = [f"{field.id}-hint"] if hint else []
    if field.errors:
        described.append(f"{field.id}-error")
        attrs = attrs | {"aria-invalid": "true"}
    if described:
        attrs = attrs | {"aria-describedby": " ".join(described)}
    return attrs
