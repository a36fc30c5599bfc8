"""`gezhi demo`: seed the demo deployment (five real counties) and serve it."""

from __future__ import annotations

import time
import unicodedata

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from gezhi.regions.models import Region
from gezhi.web.demo import places
from gezhi.web.demo.population import DEFAULT_PEOPLE_PER_GRID, PopulationSummary
from gezhi.web.demo.seed import DEMO_PASSWORD, Login, SeedOptions, seed_demo


def width(text: str) -> int:
    """Columns `text` takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows as aligned text columns."""
    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


class Command(BaseCommand):
    help = (
        "Seed the demo deployment (拉孜县, 叙州区, 达日县, 通州区, 长泰区 on their real "
        "boundaries, cut into townships, villages and grids, with a user for every role), "
        "print the logins and serve it. Run `gezhi migrate` first. Seeding again adds only "
        "what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed-only", action="store_true", help="seed and print the logins, do not serve"
        )
        parser.add_argument("--host", default="127.0.0.1", help="address to serve on")
        parser.add_argument("--port", default="8000", help="port to serve on")
        parser.add_argument(
            "--county",
            action="append",
            choices=[c.code for c in places.COUNTIES],
            help="seed only this county (repeatable; default: all five)",
        )
        parser.add_argument("--townships", type=int, help="at most N townships per county")
        parser.add_argument("--villages-per-township", type=int, metavar="N")
        parser.add_argument("--areas-per-village", type=int, metavar="N", help="达日县 only")
        parser.add_argument("--grids-per-village", type=int, metavar="N")
        parser.add_argument("--random-seed", type=int, default=None, help="vary the tiling")
        parser.add_argument(
            "--people-per-grid",
            type=int,
            default=DEFAULT_PEOPLE_PER_GRID,
            metavar="N",
            help=(
                f"people per grid on average (default {DEFAULT_PEOPLE_PER_GRID}; more in "
                "communities, fewer on pastures); 0 seeds no population"
            ),
        )

    def handle(self, *args, **options):
        for name in ("townships", "villages_per_township", "areas_per_village"):
            if options[name] is not None and options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1")
        if options["grids_per_village"] is not None and options["grids_per_village"] < 1:
            raise CommandError("--grids-per-village must be at least 1")
        if options["people_per_grid"] < 0:
            raise CommandError("--people-per-grid must not be negative")
        if Region._meta.db_table not in connection.introspection.table_names():
            raise CommandError("the database has no tables yet: run `gezhi migrate` first")
        seed_options = SeedOptions(
            townships=options["townships"],
            villages_per_township=options["villages_per_township"],
            areas_per_village=options["areas_per_village"],
            grids_per_village=options["grids_per_village"],
            people_per_grid=options["people_per_grid"],
        )
        if options["county"]:
            seed_options.counties = tuple(dict.fromkeys(options["county"]))
        if options["random_seed"] is not None:
            seed_options.seed = options["random_seed"]

        started = time.monotonic()
        try:
            report = seed_demo(seed_options, log=self.stdout.write)
        except ValidationError as exc:
            raise CommandError(
                f"the demo password {DEMO_PASSWORD!r} does not pass this deployment's "
                f"password rules: {' '.join(exc.messages)}"
            ) from None
        seconds = time.monotonic() - started

        if report.already_seeded:
            self.stdout.write(self.style.SUCCESS(_("演示数据已存在，不再重复生成。")))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "演示数据已生成：%(counties)d 个县（区），%(regions)d 个区域，"
                        "%(users)d 个账号，用时 %(seconds).1f 秒。"
                    )
                    % {
                        "counties": len(report.created_counties),
                        "regions": report.regions_created,
                        "users": report.users_created,
                        "seconds": seconds,
                    }
                )
            )
        self.print_logins(report.logins, report.grid_worker_examples)
        self.print_population(report.population)
        if options["seed_only"]:
            return
        self.stdout.write("")
        call_command("runserver", f"{options['host']}:{options['port']}", use_reloader=False)

    def print_logins(self, logins: list[Login], examples: list[Login]) -> None:
        rows = [(_("用户名"), _("密码"), _("角色"), _("姓名"), _("区域"))]
        rows += [(x.username, DEMO_PASSWORD, x.role, x.display_name, x.where) for x in logins]
        rows += [(x.username, DEMO_PASSWORD, x.role, x.display_name, x.where) for x in examples]
        self.stdout.write("")
        self.stdout.write(_("演示账号（密码相同）："))
        lines = table(rows)
        self.stdout.write(self.style.MIGRATE_HEADING(lines[0]))
        for line in lines[1:]:
            self.stdout.write(line)
        self.stdout.write(
            _("每个网格都有一名网格员，用户名为 gw 加网格代码（如 %(example)s），密码同上。")
            % {"example": examples[0].username if examples else "gw320612001001001"}
        )
        self.stdout.write(_("已存在的账号保留原有密码。"))

    def print_population(self, population: list[PopulationSummary]) -> None:
        if not population:
            return
        rows = [(_("县（区）"), _("人口"), _("户"), _("房屋"), _("单位"), _("组织"))]
        rows += [
            (
                f"{p.name}（{p.code}）",
                f"{p.people:,}",
                f"{p.households:,}",
                f"{p.houses:,}",
                f"{p.units:,}",
                f"{p.organisations:,}",
            )
            for p in population
        ]
        self.stdout.write("")
        self.stdout.write(_("实有人口、房屋、单位和组织："))
        lines = table(rows)
        self.stdout.write(self.style.MIGRATE_HEADING(lines[0]))
        for line in lines[1:]:
            self.stdout.write(line)
