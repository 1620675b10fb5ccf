"""Errors of the domain operations, each with a German message and the HTTP status it maps to.

A message is given as a lazy string (`lazy_gettext` with its named values): it is written out when
it is read, in the language of the request that shows it (German by default, English on an English
page), so a view puts it on the page as it is. Outside a request (the CLI, `tick`) it is German."""

from __future__ import annotations

from flask_babel import LazyString

Message = str | LazyString


class DomainError(Exception):
    status = 400

    def __init__(self, message: Message, *, field: str | None = None):
        super().__init__(message)
        self._message = message
        self.field = field

    @property
    def message(self) -> str:
        return str(self._message)

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    status = 404


class NotAllowed(DomainError):
    """The person may not do this (missing right)."""

    status = 403


class InvalidTransition(DomainError):
    """The action does not apply in the application's current state (or someone was faster)."""

    status = 409


class RuleViolation(DomainError):
    """A guard or rule refused the data: shown at the form, with the reason."""

    status = 422

    def __init__(self, message: Message, *, field: str | None = None, messages: list[Message] | None = None):
        super().__init__(message, field=field)
        self._messages = messages or [message]

    @property
    def messages(self) -> list[str]:
        return [str(m) for m in self._messages]


class LinkInvalid(DomainError):
    """A link from a mail (confirmation, invitation, password reset) that has expired, was used
    already or was altered."""

    status = 410
