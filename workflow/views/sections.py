"""Sections of the application page. Each stage registers its own: a template and a function that
returns its plain data for a viewer, or None when the section has nothing to show them.

A long section (the sketch, the long form, the assessment) is folded into a `<details>` with a
one-line summary, open only while the application is in the states where that section is worked
on (or when one of its forms came back with errors): a partner voting finds the vote without
scrolling past the whole sketch and long form. Every section has a title and an anchor for the
page's table of contents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Provider = Callable[..., dict | None]  # (application, user) -> data or None
Summary = Callable[[dict], str]  # the section's data -> its one-line summary when folded


@dataclass(frozen=True)
class Section:
    name: str
    template: str
    order: int
    provider: Provider
    title: object = None  # a lazy string: the entry in the table of contents
    anchor: str | None = None  # the id of the section element in its template
    summary: Summary | None = None  # folded when given
    open_in: tuple[str, ...] = ()  # the states in which a folded section starts open


_SECTIONS: dict[str, Section] = {}


def section(
    name: str,
    template: str,
    order: int,
    *,
    title=None,
    anchor: str | None = None,
    summary: Summary | None = None,
    open_in: tuple[str, ...] = (),
) -> Callable[[Provider], Provider]:
    def register(provider: Provider) -> Provider:
        _SECTIONS[name] = Section(name, template, order, provider, title, anchor, summary, open_in)
        return provider

    return register


def _has_errors(data: dict) -> bool:
    return any(getattr(value, "errors", None) for value in data.values() if hasattr(value, "validate"))


def render_data(application, user, form_overrides: dict | None = None) -> list[dict]:
    """The sections to show, in order, each as {"name", "template", "data", "title", "anchor",
    "folded", "summary", "open"}. `form_overrides` replace a section's form by name (a refused
    submission shown again with its errors), before it is decided whether the section is open."""
    shown = []
    for item in sorted(_SECTIONS.values(), key=lambda s: s.order):
        data = item.provider(application, user)
        if data is None:
            continue
        for name, form in (form_overrides or {}).items():
            if name in data:
                data[name] = form
        folded = item.summary is not None
        shown.append(
            {
                "name": item.name,
                "template": item.template,
                "data": data,
                "title": str(item.title) if item.title else None,
                "anchor": item.anchor,
                "folded": folded,
                "summary": item.summary(data) if folded else None,
                "open": folded and (application.state in item.open_in or _has_errors(data)),
            }
        )
    return shown
