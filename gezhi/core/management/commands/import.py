"""`gezhi import KIND FILE`: load a file through the importer registered for KIND.

Exit status: 0 done, 1 input rejected (rows listed, report written if asked), 2 usage error.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gezhi.core.errors import DomainError
from gezhi.core.importexport import import_kinds, importer_for, load_handlers, write_error_report

USAGE_ERROR = 2
REJECTED = 1
ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = gettext_lazy(
        "导入数据文件。默认全部成功才写入；--dry-run 只检查，--skip-invalid 跳过有错误的行，"
        "--report 把有错误的行写入 xlsx 报告。"
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help=_("数据类型，如 regions"))
        parser.add_argument("file", help=_("CSV、xlsx 或 GeoJSON 文件"))
        parser.add_argument("--dry-run", action="store_true", help=_("只检查，不写入"))
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help=_("跳过有错误的行（及其下级），写入其余的行"),
        )
        parser.add_argument("--report", metavar="OUT.xlsx", help=_("错误报告（xlsx）的路径"))
        parser.add_argument("--actor", metavar="USERNAME", help=_("记入审计日志的操作人"))

    def handle(self, *args, kind, file, dry_run, skip_invalid, report, actor, **options):
        load_handlers()
        importer = importer_for(kind)
        if importer is None:
            raise CommandError(
                _("未知的数据类型 {kind}；可导入：{kinds}").format(
                    kind=kind, kinds=", ".join(import_kinds()) or _("（无）")
                ),
                returncode=USAGE_ERROR,
            )
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("文件不存在：{path}").format(path=path), returncode=USAGE_ERROR)
        user = None
        if actor:
            user = get_user_model().objects.filter(username=actor).first()
            if user is None:
                raise CommandError(
                    _("用户不存在：{username}").format(username=actor), returncode=USAGE_ERROR
                )
        try:
            result = importer(path, dry_run=dry_run, skip_invalid=skip_invalid, actor=user)
        except DomainError as exc:
            raise CommandError(exc.message, returncode=REJECTED) from None

        for error in result.errors[:ERRORS_SHOWN]:
            self.stderr.write(str(error))
        if len(result.errors) > ERRORS_SHOWN:
            self.stderr.write(
                _("……另有 {count} 条错误").format(count=len(result.errors) - ERRORS_SHOWN)
            )
        for warning in result.warnings[:ERRORS_SHOWN]:
            self.stderr.write(_("提示：{warning}").format(warning=warning))
        if len(result.warnings) > ERRORS_SHOWN:
            self.stderr.write(
                _("……另有 {count} 条提示").format(count=len(result.warnings) - ERRORS_SHOWN)
            )
        if report:
            write_error_report(result.errors, report, result.warnings)
            self.stderr.write(_("错误报告：{path}").format(path=report))

        accepted = result.created + result.updated + result.unchanged
        rejected = bool(result.errors) and (not skip_invalid or accepted == 0)
        if dry_run:
            note = _("（试运行，未写入）")
        elif rejected:
            note = _("（有错误，未写入）")
        else:
            note = ""
        self.stdout.write(
            _(
                "{kind}：新建 {created}，更新 {updated}，未变 {unchanged}，拒绝 {rejected}{note}"
            ).format(
                kind=kind,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                rejected=result.rejected,
                note=note,
            )
        )
        if rejected:
            raise CommandError(
                _("{count} 行有错误，未导入").format(count=result.rejected), returncode=REJECTED
            )
