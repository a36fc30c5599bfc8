"""Logins, logouts and failed logins go into the audit log, with the client's address."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from gezhi.core.audit import audit_record


def _client(request) -> dict | None:
    # REMOTE_ADDR is what the server saw; behind a proxy that is the proxy unless the
    # deployment's proxy sets it (documented in the operator guide).
    if request is None:
        return None
    return {"ip": request.META.get("REMOTE_ADDR", ""), "path": request.path}


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(actor=user, action="auth.login", obj=user, after=_client(request))


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="auth.logout", obj=user, after=_client(request))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    locked = getattr(request, "gezhi_locked_until", None) if request is not None else None
    after = _client(request) or {}
    if locked:
        after["locked_until"] = locked
    audit_record(
        actor=None,
        action="auth.login_failed",
        object_type="accounts.user",
        object_id=username[:64],
        object_repr=username,
        after=after or None,
    )
