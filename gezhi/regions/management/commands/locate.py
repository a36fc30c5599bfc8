"""`gezhi locate LNG LAT` and `gezhi locate --csv IN.csv -o OUT.csv`: point -> grid.

Exit status: 0 done; 1 a point in no grid and no region, or rows with bad coordinates (the
output is still written, with the reason in the `error` column); 2 usage error.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gezhi.core.errors import InvalidInput
from gezhi.lib.geo import Crs, to_wgs84_array
from gezhi.regions.geoindex import check_point, get_index, locate_point, parse_crs
from gezhi.regions.models import Region

REJECTED = 1
USAGE_ERROR = 2
ADDED_COLUMNS = ["grid_code", "grid_name", "region_code", "error"]
_CHUNK = 500  # codes per name query, below every database's parameter limit


def describe(region: Region) -> str:
    return f"{region.code} {region.name}"


class Command(BaseCommand):
    help = gettext_lazy("查询坐标所在的网格：单个坐标，或用 --csv 批量处理 CSV 文件。")

    def add_arguments(self, parser):
        parser.add_argument("lng", nargs="?", type=float, help=_("经度"))
        parser.add_argument("lat", nargs="?", type=float, help=_("纬度"))
        parser.add_argument(
            "--crs",
            default=Crs.WGS84.value,
            choices=[c.value for c in Crs],
            help=_("输入坐标系：wgs84（默认）、gcj02（高德、腾讯、微信）、bd09（百度）"),
        )
        parser.add_argument("--csv", dest="csv_in", help=_("输入 CSV 文件（含 lng、lat 两列）"))
        parser.add_argument("-o", "--output", help=_("输出 CSV 文件"))

    def handle(self, *args, lng, lat, crs, csv_in, output, **options):
        if csv_in:
            if lng is not None or lat is not None:
                raise CommandError(_("--csv 与单个坐标不能同时使用"), returncode=USAGE_ERROR)
            if not output:
                raise CommandError(_("--csv 需要 -o 指定输出文件"), returncode=USAGE_ERROR)
            self.locate_csv(Path(csv_in), Path(output), parse_crs(crs))
        else:
            if lng is None or lat is None:
                raise CommandError(
                    _(
                        "用法：gezhi locate 经度 纬度 [--crs ...]，或 gezhi locate --csv 输入 -o 输出"
                    ),
                    returncode=USAGE_ERROR,
                )
            self.locate_one(lng, lat, crs)

    # --- one point --------------------------------------------------------------------------

    def locate_one(self, lng: float, lat: float, crs: str) -> None:
        try:
            result = locate_point(lng, lat, crs)
        except InvalidInput as exc:
            raise CommandError(exc.message, returncode=REJECTED) from None
        if crs != Crs.WGS84:
            self.stdout.write(
                _("WGS-84 坐标：{lng:.7f}, {lat:.7f}").format(
                    lng=result.lng_wgs84, lat=result.lat_wgs84
                )
            )
        path = " / ".join(describe(r) for r in result.path)
        if result.grid is not None:
            self.stdout.write(_("网格：{grid}").format(grid=describe(result.grid)))
            self.stdout.write(_("路径：{path}").format(path=path))
            return
        self.stdout.write(_("不在任何网格内"))
        if result.containing is None:
            raise CommandError(_("也不在任何有边界的区域内"), returncode=REJECTED)
        self.stdout.write(_("所在区域：{region}").format(region=describe(result.containing)))
        self.stdout.write(_("路径：{path}").format(path=path))

    # --- a CSV file ---------------------------------------------------------------------------

    def locate_csv(self, source: Path, target: Path, crs: Crs) -> None:
        try:
            # utf-8-sig: spreadsheets save CSV with a byte-order mark.
            with source.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                columns = list(reader.fieldnames or [])
                rows = list(reader)
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                _("无法读取 {file}：{error}").format(file=source, error=exc), returncode=REJECTED
            ) from None
        missing = [name for name in ("lng", "lat") if name not in columns]
        if missing:
            raise CommandError(
                _("{file} 缺少列：{columns}").format(file=source, columns=", ".join(missing)),
                returncode=REJECTED,
            )

        lngs = np.full(len(rows), np.nan)
        lats = np.full(len(rows), np.nan)
        errors = [""] * len(rows)
        for i, row in enumerate(rows):
            try:
                lng, lat = parse_number(row.get("lng"), "lng"), parse_number(row.get("lat"), "lat")
                check_point(lng, lat)
            except InvalidInput as exc:
                errors[i] = exc.message
                continue
            lngs[i], lats[i] = lng, lat

        x, y = to_wgs84_array(lngs, lats, crs)
        index = get_index()
        grid_pos, region_pos = index.locate_many(x, y)
        grid_codes = [index.grids.codes[p] if p >= 0 else "" for p in grid_pos.tolist()]
        region_codes = [index.region_codes[p] if p >= 0 else "" for p in region_pos.tolist()]
        names = region_names({c for c in grid_codes if c})

        in_grid = outside_grids = nowhere = 0
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(
                handle,
                fieldnames=[*columns, *[c for c in ADDED_COLUMNS if c not in columns]],
                extrasaction="ignore",
            )
            writer.writeheader()
            for i, row in enumerate(rows):
                grid_code = grid_codes[i]
                row.update(
                    grid_code=grid_code,
                    grid_name=names.get(grid_code, ""),
                    region_code=region_codes[i],
                    error=errors[i],
                )
                writer.writerow(row)
                if errors[i]:
                    continue
                if grid_code:
                    in_grid += 1
                elif region_codes[i]:
                    outside_grids += 1
                else:
                    nowhere += 1

        bad = sum(1 for e in errors if e)
        summary = _(
            "共 {total} 行：在网格内 {in_grid} 行，不在网格内但在区域内 {outside} 行，"
            "不在任何区域内 {nowhere} 行，坐标有误 {bad} 行。结果已写入 {target}"
        ).format(
            total=len(rows),
            in_grid=in_grid,
            outside=outside_grids,
            nowhere=nowhere,
            bad=bad,
            target=target,
        )
        if bad:
            first = next(i for i, e in enumerate(errors) if e)
            raise CommandError(
                summary
                + "\n"
                + _("第一处错误：第 {line} 行，{error}").format(
                    line=first + 2, error=errors[first]
                ),
                returncode=REJECTED,
            )
        self.stdout.write(summary)


def parse_number(value: str | None, field: str) -> float:
    """A coordinate cell as a float; InvalidInput naming the column otherwise."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(_("{field} 为空").format(field=field), field=field)
    try:
        number = float(text)
    except ValueError:
        raise InvalidInput(
            _("{field} 不是数字：{value!r}").format(field=field, value=text), field=field
        ) from None
    if not math.isfinite(number):
        raise InvalidInput(_("{field} 不是有限的数").format(field=field), field=field)
    return number


def region_names(codes: set[str]) -> dict[str, str]:
    """Names of the regions with `codes`, read now (a rename does not rebuild the index)."""
    ordered = sorted(codes)
    names: dict[str, str] = {}
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        names.update(Region.objects.filter(code__in=chunk).values_list("code", "name"))
    return names
