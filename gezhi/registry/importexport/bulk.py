"""Bulk inserts for imports: many rows in few statements, keys returned.

`bulk_create` does the same through model instances, preparing every value of every field
through the field's methods; for 100,000 people that costs more than the rest of the import.
Here each field's preparation is decided once per import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

SQLITE_CACHE_KIB = 65536  # page cache while inserting many rows on SQLite

# Field types whose Python values the database driver takes as they are.
PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "FloatField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
    }
)


@contextmanager
def _page_cache(conn, cursor, rows: int):
    """On SQLite, a larger page cache for a large insert: every row adds to each of the
    table's indexes at a random place, and the default cache (2 MB) keeps few of their pages."""
    if conn.vendor != "sqlite" or rows < 10_000:
        yield
        return
    cursor.execute("PRAGMA cache_size")
    (before,) = cursor.fetchone()
    cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _preparer(model_field: models.Field, conn) -> Callable[[Any], Any] | None:
    """How a field's Python value becomes a query parameter (None: as it is)."""
    internal = model_field.get_internal_type()
    if internal in PLAIN_TYPES:
        return None
    if internal == "DateField":
        adapt = conn.ops.adapt_datefield_value
        return lambda value: None if value is None else adapt(value)

    def prepare(value: Any) -> Any:
        return model_field.get_db_prep_save(value, conn)

    if internal == "JSONField":
        # Most records have no tags and no catalogue values: prepare the empty ones once.
        empty = {list: prepare([]), dict: prepare({})}
        return lambda value: (
            empty[type(value)] if not value and type(value) in empty else prepare(value)
        )
    return prepare


def insert_rows(
    model: type[models.Model], rows: list[dict[str, Any]], constants: dict[str, Any] | None = None
) -> list[int]:
    """Insert rows (attname -> Python value) and return their primary keys, in order.

    `constants`: values every row shares (the timestamps), prepared once.

    `bulk_create` does the same through model instances, preparing every value of every
    field through the field's methods; for 100,000 people that costs more than the rest of
    the import. Here each field's preparation is decided once: plain values go to the driver
    as they are, dates through the backend's adapter, the others (JSON, decimals) through the
    field, and missing values take the field's default. Multi-row INSERT ... RETURNING, as
    `bulk_create` issues.
    """
    if not rows:
        return []
    constants = constants or {}
    conn = connections[DEFAULT_DB_ALIAS]
    if not conn.features.can_return_rows_from_bulk_insert:
        objects = [model(**row, **constants) for row in rows]
        model._default_manager.bulk_create(objects)
        return [obj.pk for obj in objects]  # type: ignore[misc]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plan = []
    for model_field in fields:
        prepare = _preparer(model_field, conn)
        if model_field.attname in constants:
            value = constants[model_field.attname]
            plan.append((model_field.attname, None, prepare(value) if prepare else value, True))
            continue
        default = model_field.get_default()
        if prepare is not None and default is not None:
            default = prepare(default)
        plan.append((model_field.attname, prepare, default, False))

    def parameters(row: dict[str, Any]) -> Iterator[Any]:
        for attname, prepare, default, constant in plan:
            if constant or attname not in row:
                yield default
            elif prepare is None:
                yield row[attname]
            else:
                yield prepare(row[attname])

    if conn.vendor == "postgresql":
        return _copy_rows(conn, model, fields, rows, parameters)
    return _sqlite_rows(conn, model, fields, rows, parameters)


def _sqlite_rows(conn, model, fields, rows, parameters) -> list[int]:
    """SQLite: keys assigned here, rows sent through the driver's executemany.

    Inside the import's transaction (BEGIN IMMEDIATE) no other connection can write, so the
    next keys are known: above both the largest key and the AUTOINCREMENT counter, so a
    deleted record's key is never given again. One prepared statement run per row is several
    times cheaper than multi-row INSERTs that Django's cursor must rewrite and SQLite re-parse.
    """
    if not conn.in_atomic_block:
        raise RuntimeError("insert_rows on SQLite must run inside the import's transaction")
    quote = conn.ops.quote_name
    table = quote(model._meta.db_table)
    pk_column = quote(model._meta.pk.column)
    columns = ", ".join(quote(f.column) for f in (model._meta.pk, *fields))
    placeholders = ", ".join(["?"] * (len(fields) + 1))
    with conn.cursor() as cursor, _page_cache(conn, cursor, len(rows)):
        cursor.execute(f"SELECT COALESCE(MAX({pk_column}), 0) FROM {table}")  # noqa: S608
        (largest,) = cursor.fetchone()
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [model._meta.db_table])
        counter = cursor.fetchone()
        first = max(largest, counter[0] if counter else 0) + 1
        ids = list(range(first, first + len(rows)))
        with conn.wrap_database_errors:  # the driver's errors as Django's (IntegrityError...)
            conn.connection.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
                ((pk, *parameters(row)) for pk, row in zip(ids, rows, strict=True)),
            )
    return ids


def _copy_rows(conn, model, fields, rows, parameters) -> list[int]:
    """PostgreSQL: COPY, with the keys drawn from the table's sequence first.

    A multi-row INSERT with tens of thousands of parameters spends most of its time in the
    driver splitting the query; COPY streams the rows (several times faster). The keys come
    from the same sequence the table's inserts use, so concurrent writers never collide.
    """
    quote = conn.ops.quote_name
    table = quote(model._meta.db_table)
    pk_column = model._meta.pk.column
    columns = ", ".join(quote(f.column) for f in (model._meta.pk, *fields))
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk_column, len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        # The driver's own cursor: Django's does not offer COPY; its errors are turned into
        # Django's (IntegrityError...) as for any query.
        with (
            conn.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *parameters(row)))
    return ids
