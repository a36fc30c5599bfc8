"""Every write to the region tree, its grid workers and departments, and redrawing.

Split by subject; import from here.
"""

from gezhi.regions.services.redraw import NewGridSpec, redraw_grids
from gezhi.regions.services.tree import (
    apply_boundary,
    bump_boundary_version,
    enabled_levels,
    level_error,
    region_create,
    region_path,
    region_snapshot,
    region_update,
    validate_region,
)
from gezhi.regions.services.workers import (
    assignment_snapshot,
    department_create,
    department_snapshot,
    department_update,
    grid_assign_worker,
    grid_release_worker,
    require_region_action,
)

__all__ = [
    "NewGridSpec",
    "apply_boundary",
    "assignment_snapshot",
    "bump_boundary_version",
    "department_create",
    "department_snapshot",
    "department_update",
    "enabled_levels",
    "grid_assign_worker",
    "grid_release_worker",
    "level_error",
    "redraw_grids",
    "region_create",
    "region_path",
    "region_snapshot",
    "region_update",
    "require_region_action",
    "validate_region",
]
