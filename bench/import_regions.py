"""Benchmark: importing a city-sized region file (`gezhi import regions`).

Builds a GeoJSON file of one county split into townships, villages and grids that tile each
village exactly (default 20 x 25 x 100 = 50,000 grids, 50,521 rows), then measures on a
throwaway SQLite file (WAL, as deployed):

  - checking the file (--dry-run),
  - importing it (check + bulk write + audit + boundary version),
  - importing it again (nothing changes),
  - exporting it as CSV and GeoJSON,

and, as the baseline in the same run, creating a sample of the same grids one by one through
`region_create` (the service every other write path uses), extrapolated to the whole file.

    .venv/bin/python bench/import_regions.py [--townships 20 --villages 25 --grids 100]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def square(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


def build_file(path: Path, townships: int, villages: int, grids: int) -> int:
    """County 1 x 1 degree; townships are columns, villages rows, grids columns again."""
    features = []

    def add(code, name, parent, level, geometry):
        properties = {"code": code, "name": name, "parent_code": parent, "level": level}
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})

    add("320612", "通州区", "", "county", square(120.0, 32.0, 121.0, 33.0))
    width, height = 1.0 / townships, 1.0 / villages
    for t in range(townships):
        township = f"320612{t + 101:03d}"
        x0, x1 = 120.0 + t * width, 120.0 + (t + 1) * width
        add(township, f"第{t + 1}镇", "320612", "township", square(x0, 32.0, x1, 33.0))
        for v in range(villages):
            village = f"{township}{v + 200:03d}"
            y0, y1 = 32.0 + v * height, 32.0 + (v + 1) * height
            add(village, f"第{v + 1}村", township, "village", square(x0, y0, x1, y1))
            for g in range(grids):
                gx0 = x0 + (x1 - x0) * g / grids
                gx1 = x0 + (x1 - x0) * (g + 1) / grids
                code = f"{village}{g + 1:03d}"
                add(code, f"第{g + 1}网格", village, "grid", square(gx0, y0, gx1, y1))
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return len(features)


def timed(label: str, rows: int, fn):
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<40} {seconds:8.2f} s  {rows / seconds:10,.0f} rows/s")
    return value, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--townships", type=int, default=20)
    parser.add_argument("--villages", type=int, default=25)
    parser.add_argument("--grids", type=int, default=100)
    parser.add_argument("--sample", type=int, default=1000, help="grids for the baseline")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="gezhi-bench-"))
    os.environ["GEZHI_VAR_DIR"] = str(work)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gezhi.settings")
    import django
    from django.conf import settings

    django.setup()
    # Tables straight from the models, in a file of our own (as the test suite does).
    settings.DATABASES["default"]["TEST"] = {"MIGRATE": False, "NAME": str(work / "bench.db")}
    from django.db import connection, transaction

    connection.creation.create_test_db(verbosity=0, serialize=False)

    from gezhi.regions.importexport import export_regions, import_regions
    from gezhi.regions.models import Region
    from gezhi.regions.services import region_create

    source = work / "city.geojson"
    rows = build_file(source, args.townships, args.villages, args.grids)
    print(f"file: {rows:,} rows ({source.stat().st_size / 1e6:.1f} MB), SQLite in {work}")

    result, _ = timed("check only (--dry-run)", rows, lambda: import_regions(source, dry_run=True))
    assert result.created == rows and not result.errors, result.errors[:5]
    result, import_seconds = timed("import (check + write)", rows, lambda: import_regions(source))
    assert result.written and Region.objects.count() == rows
    result, _ = timed("import again (nothing changes)", rows, lambda: import_regions(source))
    assert result.unchanged == rows and not result.written
    for fmt in ("csv", "geojson"):
        timed(f"export {fmt}", rows, lambda fmt=fmt: export_regions(io.BytesIO(), fmt=fmt))

    # Baseline: the same kind of grids, one region_create call each, in a fresh village.
    village = Region.objects.filter(level="village").order_by("path").first()
    x0, y0 = village.min_lng, village.min_lat
    x1, y1 = village.max_lng, village.max_lat
    sample = args.sample
    parent = region_create(
        actor=None,
        code=village.code[:9] + "999",
        name="基准村",
        level="village",
        parent=village.parent,
        boundary=square(x0, y0, x1, y1),
    )

    def one_by_one():
        with transaction.atomic():
            for g in range(sample):
                gx0, gx1 = x0 + (x1 - x0) * g / sample, x0 + (x1 - x0) * (g + 1) / sample
                region_create(
                    actor=None,
                    code=f"{parent.code}{g + 1:03d}",
                    name=f"第{g + 1}网格",
                    level="grid",
                    parent=parent,
                    boundary=square(gx0, y0, gx1, y1),
                )

    _, seconds = timed(f"baseline: region_create x {sample}", sample, one_by_one)
    estimate = seconds / sample * rows
    print(
        f"baseline extrapolated to {rows:,} rows: {estimate:,.0f} s; "
        f"bulk import is {estimate / import_seconds:.1f}x faster"
    )
    connection.creation.destroy_test_db(str(work / "bench.db"), verbosity=0)


if __name__ == "__main__":
    main()
