"""`gezhi token USERNAME`: print the user's API token, creating it if needed.

Exit status: 0 done, 2 unknown or inactive user.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.models import Token

from gezhi.core.audit import audit_record

USAGE_ERROR = 2


class Command(BaseCommand):
    help = gettext_lazy("打印用户的 API 令牌（没有则创建）。")

    def add_arguments(self, parser):
        parser.add_argument("username", help=_("用户账号"))

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                _("用户 {name} 不存在").format(name=username), returncode=USAGE_ERROR
            )
        if not user.is_active:
            raise CommandError(
                _("用户 {name} 已停用，不能发放令牌").format(name=username),
                returncode=USAGE_ERROR,
            )
        with transaction.atomic():
            token, created = Token.objects.get_or_create(user=user)
            if created:
                # The key itself never goes into the log: only that one was issued, and to whom.
                audit_record(
                    actor=None,
                    action="token.create",
                    object_type="authtoken.token",
                    object_id=str(user.pk),
                    object_repr=user.username,
                    after={"user": user.username},
                    reason=_("命令行 gezhi token"),
                )
        self.stdout.write(token.key)
