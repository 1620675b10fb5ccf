"""The main navigation, assembled from what each blueprint registers (label, endpoint, roles)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for


@dataclass(frozen=True)
class NavItem:
    label: object  # a lazy string
    endpoint: str
    roles: tuple[str, ...]
    order: int
    badge: Callable | None = None  # (user) -> a number shown beside the label (e.g. unread)


_ITEMS: list[NavItem] = []


def register(
    label, endpoint: str, roles: tuple[str, ...], order: int = 50, badge: Callable | None = None
) -> None:
    """`label` is a lazy_gettext string, translated when the page is rendered."""
    if all(item.endpoint != endpoint or set(item.roles) != set(roles) for item in _ITEMS):
        _ITEMS.append(NavItem(label, endpoint, roles, order, badge))
        _ITEMS.sort(key=lambda item: item.order)


def items_for(user) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        {
            "label": str(item.label),
            "url": url_for(item.endpoint),
            "badge": item.badge(user) if item.badge else None,
        }
        for item in _ITEMS
        if user.role in item.roles
    ]
