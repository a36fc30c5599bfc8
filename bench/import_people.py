"""Benchmark: importing a village's population (`gezhi import houses|households|people`).

Builds one village of 10 x 10 grids (through the region services), then CSV files of houses
(points scattered over the village, so each house's grid is found by the point index),
households (one per house) and people (100,000 by default, with valid ID numbers, phones,
relations to the household head), and measures on a throwaway database:

  - baseline: plain `bulk_create` of the same rows (values already typed, grid and household
    already known: no reading, no checks, no lookups), houses, households and people;
  - the import of each file through the importer (read, check every row with
    `registry.validation`, find the grid, check scope, insert, audit), and a dry run;
  - importing the people file again (nothing changes, nothing is written);
  - exporting the people (masked CSV).

It runs on SQLite (a temporary file, WAL, as deployed) and, when a server answers, on
PostgreSQL: `DATABASE_URL` if set, else postgres://postgres@127.0.0.1:5432 (a temporary
database, dropped afterwards). Target: at least 20,000 people per second on SQLite.

    .venv/bin/python bench/import_people.py [--people 100000] [--no-postgres] [--xlsx]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 20_000  # people per second on SQLite
GRIDS_X, GRIDS_Y = 10, 10
VILLAGE = (120.0, 32.0, 120.1, 32.1)  # lng0, lat0, lng1, lat1
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/postgres"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强永刚"


def square(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


# --- the data ---------------------------------------------------------------------------------


def id_number(serial: int, born: dt.date, male: bool) -> str:
    from gezhi.lib.codes import id_check_char

    sequence = (serial % 500) * 2 + (1 if male else 0)
    first = f"320612{born:%Y%m%d}{sequence:03d}"
    return first + id_check_char(first)


def generate(people: int, seed: int = 2026):
    """Houses, households and people as typed rows (for the baseline) and as CSV rows."""
    rng = random.Random(seed)
    x0, y0, x1, y1 = VILLAGE
    width, height = (x1 - x0) / GRIDS_X, (y1 - y0) / GRIDS_Y
    houses, households, persons = [], [], []
    used: set[str] = set()
    serial = 0
    day0 = dt.date(1940, 1, 1)
    while len(persons) < people:
        h = len(houses) + 1
        gx, gy = rng.randrange(GRIDS_X), rng.randrange(GRIDS_Y)
        # Inside the grid, away from its edges: the baseline knows the grid without the index.
        lng = round(x0 + (gx + 0.02 + 0.96 * rng.random()) * width, 7)
        lat = round(y0 + (gy + 0.02 + 0.96 * rng.random()) * height, 7)
        address = f"金东村{gy + 1}组{h}号"
        houses.append(
            {"code": f"F{h:07d}", "address": address, "lng": lng, "lat": lat, "grid": (gx, gy)}
        )
        households.append({"number": f"H{h:07d}", "house": h - 1, "address": address})
        size = min(rng.choice((1, 2, 3, 3, 4, 4, 5)), people - len(persons))
        surname = rng.choice(SURNAMES)
        for member in range(size):
            while True:
                serial += 1
                born = day0 + dt.timedelta(days=rng.randrange(0, 365 * 80))
                male = rng.random() < 0.5
                number = id_number(serial, born, male)
                if number not in used:
                    used.add(number)
                    break
            relation = ("head", "spouse", "child", "child", "parent")[member]
            persons.append(
                {
                    "id_number": number,
                    "name": surname + "".join(rng.choice(GIVEN) for _ in range(2)),
                    "sex": "male" if male else "female",
                    "birth_date": born,
                    "ethnicity": "01",
                    "phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                    "marital_status": "married" if member < 2 else "unmarried",
                    "relation_to_head": relation,
                    "population_type": "registered",
                    "household": h - 1,
                    "current_address": address,
                }
            )
    return houses, households, persons


LABELS = {
    "married": "已婚",
    "unmarried": "未婚",
    "head": "户主",
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "registered": "户籍人口",
}


def write_files(work: Path, houses, households, persons) -> dict[str, Path]:
    paths = {name: work / f"{name}.csv" for name in ("houses", "households", "people")}
    with open(paths["houses"], "w", newline="", encoding="utf-8-sig") as f:
        out = csv.writer(f)
        out.writerow(["房屋编码", "地址", "经度", "纬度", "用途"])
        for h in houses:
            out.writerow([h["code"], h["address"], h["lng"], h["lat"], "住宅"])
    with open(paths["households"], "w", newline="", encoding="utf-8-sig") as f:
        out = csv.writer(f)
        out.writerow(["户号", "住址房屋编码", "地址"])
        for hh in households:
            out.writerow([hh["number"], houses[hh["house"]]["code"], hh["address"]])
    with open(paths["people"], "w", newline="", encoding="utf-8-sig") as f:
        out = csv.writer(f)
        out.writerow(
            ["公民身份号码", "姓名", "民族", "联系电话", "婚姻状况", "户号", "与户主关系"]
            + ["现住房屋编码", "人口类型"]
        )
        for p in persons:
            household = households[p["household"]]
            out.writerow(
                [
                    p["id_number"],
                    p["name"],
                    "汉族",
                    p["phone"],
                    LABELS[p["marital_status"]],
                    household["number"],
                    LABELS[p["relation_to_head"]],
                    houses[household["house"]]["code"],
                    LABELS[p["population_type"]],
                ]
            )
    return paths


def write_xlsx(csv_path: Path) -> Path:
    from openpyxl import Workbook

    target = csv_path.with_suffix(".xlsx")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("people")
    with open(csv_path, encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            sheet.append(row)
    book.save(target)
    return target


# --- one database -----------------------------------------------------------------------------


def setup_django(work: Path, database_url: str | None):
    os.environ["GEZHI_VAR_DIR"] = str(work)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gezhi.settings")
    import django

    django.setup()
    name = str(work / "bench.db") if not database_url else f"gezhi_bench_{os.getpid()}"
    from django.db import connection

    # Tables straight from the models, in a database of our own (as the test suite does).
    connection.settings_dict["TEST"].update({"MIGRATE": False, "NAME": name})

    connection.creation.create_test_db(verbosity=0, serialize=False)
    return connection, name


def build_village():
    from gezhi.regions.services import region_create

    x0, y0, x1, y1 = VILLAGE

    def make(code, name, level, parent, boundary):
        return region_create(
            actor=None, code=code, name=name, level=level, parent=parent, boundary=boundary
        )

    county = make("320612", "通州区", "county", None, square(119.9, 31.9, 120.2, 32.2))
    township = make(
        "320612001", "金沙街道", "township", county, square(119.95, 31.95, 120.15, 32.15)
    )
    village = make("320612001001", "金东村", "village", township, square(x0, y0, x1, y1))
    width, height = (x1 - x0) / GRIDS_X, (y1 - y0) / GRIDS_Y
    grids = {}
    for gy in range(GRIDS_Y):
        for gx in range(GRIDS_X):
            code = f"320612001001{gy * GRIDS_X + gx + 1:03d}"
            boundary = square(
                x0 + gx * width, y0 + gy * height, x0 + (gx + 1) * width, y0 + (gy + 1) * height
            )
            grids[(gx, gy)] = make(
                code, f"第{gy * GRIDS_X + gx + 1}网格", "grid", village, boundary
            )
    return county, grids


def timed(results: list, label: str, rows: int, fn):
    start = time.perf_counter()
    cpu = time.process_time()
    value = fn()
    seconds = time.perf_counter() - start
    results.append(
        {"step": label, "rows": rows, "seconds": seconds, "cpu": time.process_time() - cpu}
    )
    print(f"  {label:<44} {seconds:7.2f} s  {rows / seconds:9,.0f} rows/s", flush=True)
    return value


def run_one(people: int, database_url: str | None, xlsx: bool) -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="gezhi-bench-people-"))
    connection, name = setup_django(work, database_url)
    from django.db import transaction

    from gezhi.accounts.choices import Role
    from gezhi.accounts.models import Membership, User
    from gezhi.core.models import AuditEntry
    from gezhi.registry.importexport import KINDS, export_records, import_kind
    from gezhi.registry.models import House, Household, Person

    print(f"{connection.vendor}: {people:,} people, database {name}", flush=True)
    county, grids = build_village()
    manager = User.objects.create_user(username="manager", password="x" * 12)
    Membership.objects.create(user=manager, role=Role.REGION_MANAGER, region=county)
    houses, households, persons = generate(people)
    paths = write_files(work, houses, households, persons)
    results: list[dict] = []

    # Baseline: bulk_create of the same rows, typed and placed already.
    now_rows = len(houses)

    def baseline_houses():
        objects = []
        for h in houses:
            grid = grids[h["grid"]]
            objects.append(
                House(
                    code=h["code"],
                    address=h["address"],
                    lng=h["lng"],
                    lat=h["lat"],
                    use="residential",
                    grid=grid,
                    grid_path=grid.path,
                )
            )
        with transaction.atomic():
            House.objects.bulk_create(objects, batch_size=1000)
        return objects

    def baseline_households(house_objects):
        objects = []
        for hh in households:
            house = house_objects[hh["house"]]
            objects.append(
                Household(
                    number=hh["number"],
                    house=house,
                    address=hh["address"],
                    grid_id=house.grid_id,
                    grid_path=house.grid_path,
                )
            )
        with transaction.atomic():
            Household.objects.bulk_create(objects, batch_size=1000)
        return objects

    def baseline_people(house_objects, household_objects):
        objects = []
        for p in persons:
            household = household_objects[p["household"]]
            values = {k: v for k, v in p.items() if k != "household"}
            objects.append(
                Person(
                    **values,
                    household=household,
                    house=house_objects[households[p["household"]]["house"]],
                    grid_id=household.grid_id,
                    grid_path=household.grid_path,
                )
            )
        with transaction.atomic():
            Person.objects.bulk_create(objects, batch_size=1000)

    house_objects = timed(results, "baseline: bulk_create houses", now_rows, baseline_houses)
    household_objects = timed(
        results,
        "baseline: bulk_create households",
        len(households),
        lambda: baseline_households(house_objects),
    )
    timed(
        results,
        "baseline: bulk_create people",
        len(persons),
        lambda: baseline_people(house_objects, household_objects),
    )
    with transaction.atomic():
        Person.objects.all().delete()
        Household.objects.all().delete()
        House.objects.all().delete()

    def run_import(kind: str, path: Path, **options):
        result = import_kind(KINDS[kind], path, actor=manager, **options)
        assert not result.errors, result.errors[:5]
        return result

    timed(
        results,
        "import houses (point -> grid)",
        len(houses),
        lambda: run_import("houses", paths["houses"]),
    )
    timed(
        results,
        "import households (house -> grid)",
        len(households),
        lambda: run_import("households", paths["households"]),
    )
    timed(
        results,
        "dry run people",
        len(persons),
        lambda: run_import("people", paths["people"], dry_run=True),
    )
    result = timed(
        results, "import people", len(persons), lambda: run_import("people", paths["people"])
    )
    assert result.created == len(persons) and Person.objects.count() == len(persons)
    assert Household.objects.filter(head__isnull=False).count() == len(households)
    entries = AuditEntry.objects.count()
    result = timed(
        results,
        "import people again (nothing changes)",
        len(persons),
        lambda: run_import("people", paths["people"]),
    )
    assert result.unchanged == len(persons) and not result.written
    assert AuditEntry.objects.count() == entries
    if xlsx:
        book = write_xlsx(paths["people"])
        timed(
            results,
            "dry run people from xlsx",
            len(persons),
            lambda: run_import("people", book, dry_run=True),
        )

    class Sink(io.RawIOBase):
        def writable(self):
            return True

        def write(self, data):
            return len(data)

    timed(
        results,
        "export people (CSV, masked)",
        len(persons),
        lambda: export_records(KINDS["people"], Sink(), actor=manager),
    )
    connection.creation.destroy_test_db(name, verbosity=0)
    shutil.rmtree(work, ignore_errors=True)
    return results


# --- the report -------------------------------------------------------------------------------


def postgres_url() -> str | None:
    """DATABASE_URL if it names PostgreSQL, else the local server if one answers."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    try:
        import psycopg

        with psycopg.connect(PG_DEFAULT.replace("postgres://", "postgresql://"), connect_timeout=3):
            return PG_DEFAULT
    except Exception:
        return None


def print_table(all_results: dict[str, list[dict]]) -> None:
    print()
    backends = list(all_results)
    steps = [r["step"] for r in next(iter(all_results.values()))]
    head = f"{'step':<44}" + "".join(f"{b + ' rows/s':>20}" for b in backends)
    print(head)
    print("-" * len(head))
    for step in steps:
        line = f"{step:<44}"
        for backend in backends:
            found = next((r for r in all_results[backend] if r["step"] == step), None)
            if found is None:
                line += f"{'-':>20}"
            else:
                rate = found["rows"] / found["seconds"]
                line += f"{rate:>12,.0f} ({found['seconds']:4.1f}s)"
        print(line)
    print()
    for backend, results in all_results.items():
        by_step = {r["step"]: r for r in results}
        people = by_step["import people"]
        baseline = by_step["baseline: bulk_create people"]
        rate = people["rows"] / people["seconds"]
        base = baseline["rows"] / baseline["seconds"]
        print(
            f"{backend}: import people {rate:,.0f} rows/s with validation and grid assignment, "
            f"plain bulk_create {base:,.0f} rows/s ({rate / base:.2f}x)"
        )
    sqlite = {r["step"]: r for r in all_results.get("sqlite", [])}
    if "import people" in sqlite:
        rate = sqlite["import people"]["rows"] / sqlite["import people"]["seconds"]
        verdict = "met" if rate >= TARGET else "NOT met"
        print(f"target >= {TARGET:,} people/s on SQLite: {verdict} ({rate:,.0f} people/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--xlsx", action="store_true", help="also time reading the people as xlsx")
    parser.add_argument("--backend", help=argparse.SUPPRESS)  # a child run: one database
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.backend:
        results = run_one(args.people, args.database_url, args.xlsx)
        Path(args.out).write_text(json.dumps(results), encoding="utf-8")
        return

    # Each database in its own process: Django's settings are per process.
    backends = [("sqlite", None)]
    if not args.no_postgres:
        url = postgres_url()
        if url:
            backends.append(("postgresql", url))
        else:
            print("PostgreSQL: no server answers; SQLite only")
    all_results = {}
    for backend, url in backends:
        out = Path(tempfile.mkstemp(prefix="gezhi-bench-", suffix=".json")[1])
        command = [
            sys.executable,
            __file__,
            "--backend",
            backend,
            "--people",
            str(args.people),
            "--out",
            str(out),
        ]
        if url:
            command += ["--database-url", url]
        if args.xlsx:
            command.append("--xlsx")
        subprocess.run(command, check=True)
        all_results[backend] = json.loads(out.read_text(encoding="utf-8"))
        out.unlink()
    print_table(all_results)


if __name__ == "__main__":
    main()
