"""Panels of the start pages (the coordinator's cockpit, the partner's start page). Each feature
registers its own: a template and a function that returns plain data for a viewer, or None when
the panel has nothing to show them.

Places kept for the stages still being built (register with these names and orders):
- "sessions" (order 20): the next committee sessions and their agendas — coordinator and partners;
- "budget" (order 30): the budget summary of the current funding period — coordinator.

    @panel("budget", "dashboard/_budget.html", order=30, roles=("coordinator",))
    def _budget_panel(user) -> dict | None: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Provider = Callable[..., dict | None]  # (user) -> data or None


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    order: int
    roles: tuple[str, ...]
    provider: Provider


_PANELS: dict[str, Panel] = {}


def panel(name: str, template: str, order: int, roles: tuple[str, ...]) -> Callable[[Provider], Provider]:
    def register(provider: Provider) -> Provider:
        _PANELS[name] = Panel(name, template, order, tuple(roles), provider)
        return provider

    return register


def render_data(user) -> list[dict]:
    """The panels to show `user`, in order, each as {"name", "template", "data"}."""
    shown = []
    for item in sorted(_PANELS.values(), key=lambda p: p.order):
        if user.role not in item.roles:
            continue
        data = item.provider(user)
        if data is not None:
            shown.append({"name": item.name, "template": item.template, "data": data})
    return shown
