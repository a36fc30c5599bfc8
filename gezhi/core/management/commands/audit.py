"""`gezhi audit verify`: recompute the audit log's hash chain and report the first break.

Exit status: 0 the chain is whole, 1 a broken entry (named by its sequence number), 2 usage.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gezhi.core.audit import audit_verify

BROKEN = 1


class Command(BaseCommand):
    help = gettext_lazy("审计日志：verify 校验哈希链，报告第一条被改动或缺失的记录。")

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=["verify"], help=_("verify：校验哈希链"))

    def handle(self, *args, subcommand, **options):
        result = audit_verify()
        if result.ok:
            self.stdout.write(_("已校验 {checked} 条审计记录：OK").format(checked=result.checked))
            return
        broken = result.first_break
        raise CommandError(
            _("已校验 {checked} 条审计记录；第 {seq} 条记录未通过校验：{reason}").format(
                checked=result.checked, seq=broken.seq, reason=broken.reason
            ),
            returncode=BROKEN,
        )
