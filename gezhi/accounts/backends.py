"""Authentication with lockout after repeated failures (MLPS 2.0: 登录失败处理).

Every password login goes through this backend: the login page, the Django admin's login, and
any DRF authentication class that checks a password (`BasicAuthentication`,
`SessionAuthentication` rides on a session made by one of the first two).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gezhi.core.audit import audit_record


class LockoutBackend(ModelBackend):
    """ModelBackend that refuses a locked account and counts failures.

    After `GEZHI_LOGIN_MAX_FAILURES` wrong passwords in a row the account is locked for
    `GEZHI_LOGIN_LOCKOUT_MINUTES`; a right password during the lock is refused too. A successful
    login resets the count. The time a lock ends is left on `request.gezhi_locked_until` so the
    login form can say so.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.is_locked:
            # Checking the password anyway keeps the answer's timing the same as a real check.
            user.check_password(password)
            _note_lock(request, user.locked_until)
            return None
        if not self.user_can_authenticate(user):
            user.check_password(password)
            return None
        if user.check_password(password):
            if user.failed_logins or user.locked_until:
                User._default_manager.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
                user.failed_logins, user.locked_until = 0, None
            return user
        locked_until = count_failure(user)
        if locked_until is not None:
            _note_lock(request, locked_until)
        return None


def _note_lock(request, locked_until) -> None:
    if request is not None:
        request.gezhi_locked_until = locked_until


@transaction.atomic
def count_failure(user):
    """Count one wrong password; lock the account when the count reaches the limit.

    Returns the end of the lock when this failure locked the account, else None.
    """
    User = type(user)
    User._default_manager.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
    failures = User._default_manager.values_list("failed_logins", flat=True).get(pk=user.pk)
    if failures < settings.GEZHI_LOGIN_MAX_FAILURES:
        return None
    until = timezone.now() + timedelta(minutes=settings.GEZHI_LOGIN_LOCKOUT_MINUTES)
    # The guard (count still at or past the limit) keeps two racing failures from locking twice.
    locked = User._default_manager.filter(
        pk=user.pk, failed_logins__gte=settings.GEZHI_LOGIN_MAX_FAILURES
    ).update(locked_until=until, failed_logins=0)
    if not locked:
        return None
    audit_record(
        actor=None,
        action="user.lock",
        obj=user,
        after={"locked_until": until, "failures": failures},
        reason="登录失败次数过多",
    )
    return until
