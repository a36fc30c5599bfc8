"""Every write to the registers: records, households, moves, reveals, the data catalogue.

Split by subject; import from here.
"""

from gezhi.registry.services.base import (
    SENSITIVE_FIELDS,
    require_record_action,
    resolve_grid,
)
from gezhi.registry.services.catalogue_fields import (
    catalogue_field_activate,
    catalogue_field_create,
    catalogue_field_deactivate,
    catalogue_field_update,
    catalogue_snapshot,
)
from gezhi.registry.services.imports import id_ranges, record_import_audit
from gezhi.registry.services.privacy import (
    can_reveal,
    masked_value,
    personal_data_reveal,
    sensitive_fields,
    visible_tags,
)
from gezhi.registry.services.records import (
    KIND_SERVICES,
    house_create,
    house_update,
    household_create,
    household_set_head,
    household_update,
    organisation_create,
    organisation_update,
    person_create,
    person_update,
    record_move,
    unit_create,
    unit_update,
)
from gezhi.registry.services.rehome import rehome_registry

__all__ = [
    "KIND_SERVICES",
    "SENSITIVE_FIELDS",
    "can_reveal",
    "catalogue_field_activate",
    "catalogue_field_create",
    "catalogue_field_deactivate",
    "catalogue_field_update",
    "catalogue_snapshot",
    "house_create",
    "house_update",
    "id_ranges",
    "household_create",
    "household_set_head",
    "household_update",
    "masked_value",
    "organisation_create",
    "organisation_update",
    "person_create",
    "person_update",
    "personal_data_reveal",
    "record_import_audit",
    "record_move",
    "rehome_registry",
    "require_record_action",
    "resolve_grid",
    "sensitive_fields",
    "unit_create",
    "unit_update",
    "visible_tags",
]
