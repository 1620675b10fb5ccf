"""Errors of the domain operations, each with a German message and the HTTP status it maps to."""


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


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

    def __init__(self, message: str, *, field: str | None = None, messages: list[str] | None = None):
        super().__init__(message, field=field)
        self.messages = messages or [message]


class LinkInvalid(DomainError):
    """A link from a mail (confirmation, invitation, password reset) that has expired, was used
    already or was altered."""

    status = 410
