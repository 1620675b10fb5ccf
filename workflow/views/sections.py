"""Sections of the application page. Each stage registers its own: a template and a function that
returns its plain data for a viewer, or None when the section has nothing to show them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Provider = Callable[..., dict | None]  # (application, user) -> data or None


@dataclass(frozen=True)
class Section:
    name: str
    template: str
    order: int
    provider: Provider


_SECTIONS: dict[str, Section] = {}


def section(name: str, template: str, order: int) -> Callable[[Provider], Provider]:
    def register(provider: Provider) -> Provider:
        _SECTIONS[name] = Section(name, template, order, provider)
        return provider

    return register


def render_data(application, user) -> list[dict]:
    """The sections to show, in order, each as {"name", "template", "data"}."""
    shown = []
    for item in sorted(_SECTIONS.values(), key=lambda s: s.order):
        data = item.provider(application, user)
        if data is not None:
            shown.append({"name": item.name, "template": item.template, "data": data})
    return shown
