"""Authentication with lockout after repeated failures (MLPS 2.0: 登录失败处理)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import F
from django.utils import timezone


class LockoutBackend(ModelBackend):
    """ModelBackend that refuses a locked account and counts failures.

    After `GEZHI_LOGIN_MAX_FAILURES` wrong passwords in a row the account is locked for
    `GEZHI_LOGIN_LOCKOUT_MINUTES`; a right password during the lock is refused too.
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
            if request is not None:
                request.gezhi_locked_until = user.locked_until
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_logins or user.locked_until:
                User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            return user
        self._count_failure(user)
        if request is not None and User.objects.get(pk=user.pk).is_locked:
            request.gezhi_locked_until = User.objects.get(pk=user.pk).locked_until
        return None

    @staticmethod
    def _count_failure(user) -> None:
        User = type(user)
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        failures = User.objects.values_list("failed_logins", flat=True).get(pk=user.pk)
        if failures >= settings.GEZHI_LOGIN_MAX_FAILURES:
            until = timezone.now() + timedelta(minutes=settings.GEZHI_LOGIN_LOCKOUT_MINUTES)
            User.objects.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
