"""Finding the stored record each row of an import stands for, by its natural key.

People by ID number, else by document (type and number), else by household and name; houses
by code; households by number; units and organisations by credit code (those without one are
matched by name and grid once the grid is known: `RegistryImport.match_by_name`). One query
per chunk of keys. Keys are read from the raw cells, before cleaning, so that a row for a
stored record is cleaned as a partial update.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from gezhi.registry.models import Household

if TYPE_CHECKING:
    from gezhi.registry.importexport.importing import RegistryImport, Row


LOOKUP_CHUNK = 2000  # keys per query


def chunks(values: Iterable[Any], size: int = LOOKUP_CHUNK) -> Iterator[list[Any]]:
    """The values in sorted chunks of `size`: one query each, whatever the file's size."""
    ordered = sorted(values, key=str)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _text(value: Any) -> str:
    return str(value).strip() if isinstance(value, str) else ""


def _find_by(run: RegistryImport, rows: list[Row], column: str, *, upper: bool = False) -> None:
    keyed: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        key = _text(row.raw.get(column))
        if key:
            keyed[key.upper() if upper else key].append(row)
    for chunk in chunks(keyed):
        for values in run.stored(**{f"{column}__in": chunk}):
            for row in keyed.get(values[column], ()):
                row.existing = values


def _find_houses(run: RegistryImport, rows: list[Row]) -> None:
    _find_by(run, rows, "code")


def _find_households(run: RegistryImport, rows: list[Row]) -> None:
    _find_by(run, rows, "number")


def _find_with_credit_code(run: RegistryImport, rows: list[Row]) -> None:
    _find_by(run, rows, "credit_code", upper=True)


def _find_people(run: RegistryImport, rows: list[Row]) -> None:
    """By ID number; else by document (type and number); else by household and name."""
    _find_by(run, rows, "id_number", upper=True)
    rest = [row for row in rows if row.existing is None and not _text(row.raw.get("id_number"))]
    documents: dict[str, list[Row]] = defaultdict(list)
    by_household: dict[str, list[Row]] = defaultdict(list)
    for row in rest:
        if number := _text(row.raw.get("document_number")):
            documents[number].append(row)
        elif (household := _text(row.raw.get("household"))) and _text(row.raw.get("name")):
            by_household[household].append(row)
    for chunk in chunks(documents):
        for values in run.stored(document_number__in=chunk):
            for row in documents[values["document_number"]]:
                if _text(row.raw.get("document_type")) in ("", values["document_type"]):
                    row.existing = values
    if not by_household:
        return
    household_ids: dict[int, str] = {}
    for chunk in chunks(by_household):
        query = Household.objects.filter(number__in=chunk).values_list("pk", "number")
        household_ids.update(query)
    wanted = {
        (number, _text(row.raw.get("name"))): row
        for number, rows_ in by_household.items()
        for row in rows_
    }
    for chunk in chunks(household_ids):
        for values in run.stored(household_id__in=chunk, id_number=""):
            key = (household_ids[values["household_id"]], values["name"])
            if key in wanted:
                wanted[key].existing = values


EXISTING_FINDERS: dict[str, Callable[[RegistryImport, list[Row]], None]] = {
    "people": _find_people,
    "households": _find_households,
    "houses": _find_houses,
    "units": _find_with_credit_code,
    "organisations": _find_with_credit_code,
}
