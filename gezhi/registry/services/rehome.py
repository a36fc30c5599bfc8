"""Re-homing the registers after a redraw: no record stays on a retired grid.

Houses and units go to the new grid holding their point (`rehome_points`); records that hang
on another follow it (people and households their house, people without one their household,
units without a point their house, organisations their unit); the rest go to the new grid that
took the largest part of their old grid. Each move updates `grid` and `grid_path` in bulk and
is a `GridMove` row with the reason "网格调整"; the redraw's own audit entry carries the counts
(docs/decisions/005: bulk operations are audited as one entry).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import models
from django.utils.translation import gettext as _

from gezhi.regions.models import Region
from gezhi.regions.rehome import UPDATE_CHUNK, GridLocator, rehome_points
from gezhi.registry.choices import RecordKind
from gezhi.registry.models import GridMove, House, Household, Organisation, Person, Unit

Moves = dict[int, tuple[int, int]]  # record pk -> (from grid pk, to grid pk)


def rehome_registry(
    *, redraw, old_grids: Sequence[Region], new_grids: Sequence[Region], locate: GridLocator
) -> dict[str, int]:
    """The registry's re-home hook (registered in `RegistryConfig.ready`)."""
    old_ids = [g.pk for g in old_grids]
    fallback = {old.pk: locate.largest_overlap(old).pk for old in old_grids}
    paths = {g.pk: g.path for g in (*old_grids, *new_grids)}
    actor = getattr(redraw, "actor", None)
    reason = _("网格调整")
    counts: dict[str, int] = {}

    def on_old(model: type[models.Model]):
        return model._base_manager.filter(grid_id__in=old_ids)

    def by_point(model: type[models.Model]) -> Moves:
        with_point = on_old(model).filter(lng__isnull=False, lat__isnull=False)
        before = dict(with_point.values_list("pk", "grid_id"))
        if not before:
            return {}
        rehome_points(
            with_point,
            grid_field="grid",
            lng_field="lng",
            lat_field="lat",
            old_grids=old_grids,
            new_grids=new_grids,
            locate=locate,
        )
        after = _grids_of(model, list(before))
        return {pk: (before[pk], after[pk]) for pk in before}

    def following(model: type[models.Model], *links: str) -> Moves:
        """Rows on old grids go where the first record they link to is (else by overlap)."""
        fields = ["pk", "grid_id", *(f"{link}__grid_id" for link in links)]
        moves: Moves = {}
        for row in on_old(model).values_list(*fields):
            pk, grid_id, *targets = row
            target = next((t for t in targets if t is not None), None)
            if target is None or target in old_ids:
                target = fallback[grid_id]
            moves[pk] = (grid_id, target)
        return moves

    house_moves = by_point(House)
    house_moves.update(following(House))  # houses without a point: by overlap
    counts["houses"] = _apply(House, RecordKind.HOUSE, house_moves, paths, actor, reason)
    unit_moves = by_point(Unit)
    # Then the units without a point, which are the ones still on old grids.
    unit_moves.update(following(Unit, "house"))
    counts["units"] = _apply(Unit, RecordKind.UNIT, unit_moves, paths, actor, reason)
    household_moves = following(Household, "house")
    counts["households"] = _apply(
        Household, RecordKind.HOUSEHOLD, household_moves, paths, actor, reason
    )
    person_moves = following(Person, "house", "household")
    counts["people"] = _apply(Person, RecordKind.PERSON, person_moves, paths, actor, reason)
    organisation_moves = following(Organisation, "unit")
    counts["organisations"] = _apply(
        Organisation, RecordKind.ORGANISATION, organisation_moves, paths, actor, reason
    )
    return counts


def _grids_of(model: type[models.Model], pks: list[int]) -> dict[int, int]:
    grids: dict[int, int] = {}
    for start in range(0, len(pks), UPDATE_CHUNK):
        chunk = pks[start : start + UPDATE_CHUNK]
        grids.update(model._base_manager.filter(pk__in=chunk).values_list("pk", "grid_id"))
    return grids


def _apply(
    model: type[models.Model], kind: str, moves: Moves, paths: dict[int, str], actor, reason: str
) -> int:
    """Set grid and grid_path of the moved rows (grouped by target) and write their GridMoves."""
    missing = {to for _from, to in moves.values()} - set(paths)
    if missing:
        paths.update(Region.objects.filter(pk__in=missing).values_list("pk", "path"))
    by_target: dict[int, list[int]] = defaultdict(list)
    for pk, (_from, to) in moves.items():
        by_target[to].append(pk)
    for to, pks in by_target.items():
        for start in range(0, len(pks), UPDATE_CHUNK):
            model._base_manager.filter(pk__in=pks[start : start + UPDATE_CHUNK]).update(
                grid_id=to, grid_path=paths[to]
            )
    actor_id = getattr(actor, "pk", None)
    GridMove.objects.bulk_create(
        [
            GridMove(
                kind=kind,
                record_id=pk,
                from_grid_id=from_grid,
                to_grid_id=to_grid,
                reason=reason,
                actor_id=actor_id,
            )
            for pk, (from_grid, to_grid) in sorted(moves.items())
            if from_grid != to_grid
        ],
        batch_size=500,
    )
    return len(moves)
