"""`gezhi export KIND`: write data out through the exporter registered for KIND.

Exit status: 0 done, 2 usage error (unknown kind, region or format).
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gezhi.core.errors import DomainError, NotFound
from gezhi.core.importexport import EXPORT_FORMATS, export_kinds, exporter_for, load_handlers

USAGE_ERROR = 2


class Command(BaseCommand):
    help = gettext_lazy("导出数据（CSV、GeoJSON 或 xlsx），可限定为某区域及其下级。")

    def add_arguments(self, parser):
        parser.add_argument("kind", help=_("数据类型，如 regions"))
        parser.add_argument("--region", metavar="CODE", help=_("只导出该区域及其下级"))
        parser.add_argument(
            "--format", dest="fmt", choices=EXPORT_FORMATS, default="csv", help=_("文件格式")
        )
        parser.add_argument(
            "-o", "--output", metavar="FILE", help=_("输出文件；不给则写到标准输出")
        )
        parser.add_argument(
            "--actor", metavar="USERNAME", help=_("导出人：按其范围导出，并记入审计日志")
        )
        parser.add_argument(
            "--reveal",
            action="store_true",
            help=_("导出完整的身份证号和电话（须有查看权限，并用 --reason 说明事由）"),
        )
        parser.add_argument("--reason", default="", help=_("导出完整个人信息的事由"))

    def handle(self, *args, kind, region, fmt, output, actor, reveal, reason, **options):
        load_handlers()
        handler = exporter_for(kind)
        if handler is None:
            raise CommandError(
                _("未知的数据类型 {kind}；可导出：{kinds}").format(
                    kind=kind, kinds=", ".join(export_kinds()) or _("（无）")
                ),
                returncode=USAGE_ERROR,
            )
        if fmt not in handler.formats:
            raise CommandError(
                _("{kind} 不支持 {fmt} 格式；可用：{formats}").format(
                    kind=kind, fmt=fmt, formats=", ".join(handler.formats)
                ),
                returncode=USAGE_ERROR,
            )
        if output is None and fmt == "xlsx":
            raise CommandError(_("xlsx 须用 -o 指定输出文件"), returncode=USAGE_ERROR)
        extra = {}
        if handler.personal:
            extra = {"actor": self._user(actor), "reveal": reveal, "reason": reason}
        elif reveal or actor:
            raise CommandError(
                _("{kind} 不含个人信息，不需要 --actor 或 --reveal").format(kind=kind),
                returncode=USAGE_ERROR,
            )

        if output is None:
            buffer = io.BytesIO()
            self._export(handler, buffer, fmt=fmt, region=region, **extra)
            self.stdout.write(buffer.getvalue().decode("utf-8"), ending="")
            return
        target = Path(output)
        # Write beside the target and rename, so a failed export leaves no half file.
        fd, temp_name = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as stream:
                count = self._export(handler, stream, fmt=fmt, region=region, **extra)
            # Personal data stays readable by its owner only.
            os.chmod(temp_name, 0o600 if handler.personal else 0o644)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        self.stdout.write(
            _("已导出 {kind} {count} 行到 {path}").format(kind=kind, count=count, path=target)
        )

    def _user(self, username):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                _("用户不存在：{username}").format(username=username), returncode=USAGE_ERROR
            )
        return user

    def _export(self, handler, stream, *, fmt, region, **extra) -> int:
        try:
            return handler.fn(stream, fmt=fmt, region=region, **extra)
        except NotFound as exc:
            raise CommandError(exc.message, returncode=USAGE_ERROR) from None
        except DomainError as exc:
            raise CommandError(exc.message, returncode=1) from None
