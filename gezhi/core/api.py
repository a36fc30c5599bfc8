"""API plumbing shared by every app: the error format."""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gezhi.core.errors import DomainError


def exception_handler(exc, context):
    """Turn a DomainError into `{"detail": ..., "code": ..., "field": ...}` with its status."""
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status_code)
    return drf_exception_handler(exc, context)
