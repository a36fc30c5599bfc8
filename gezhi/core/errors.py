"""Domain errors raised by services; the API turns them into 400/404/409 with the message."""

from __future__ import annotations


class DomainError(Exception):
    """A write that the rules of the domain do not allow (HTTP 409)."""

    status_code = 409
    code = "conflict"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class InvalidInput(DomainError):
    """Input that fails validation (HTTP 400); `field` names the parameter when there is one."""

    status_code = 400
    code = "invalid"


class NotFound(DomainError):
    """Missing, or outside the actor's scope: the two are the same answer (HTTP 404)."""

    status_code = 404
    code = "not_found"
