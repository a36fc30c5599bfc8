"""Import and export of the registers: `gezhi import people|households|houses|units|organisations
FILE` and `gezhi export KIND`, and the same from the page /registry/import/.

- `columns`: the columns of each kind (headers in Chinese, English names accepted), shared by
  the template, the import and the export.
- `importing`: check every row in memory, then write in one transaction (bulk inserts, one
  audit entry per import; changed records through their update service); `matching` finds
  the stored record of each row by its natural key, `bulk` inserts many rows at once.
- `exporting`: CSV (UTF-8 with BOM) or xlsx, masked unless revealed with a reason, audited;
  the xlsx import template of each kind.

See docs/import-export.md.
"""

from __future__ import annotations

from functools import partial

from gezhi.core.importexport import register_exporter, register_importer
from gezhi.registry.importexport.columns import KINDS, Kind
from gezhi.registry.importexport.exporting import EXPORT_FORMATS, export_records, write_template
from gezhi.registry.importexport.importing import import_kind

for _name, _kind in KINDS.items():
    register_importer(_name, partial(import_kind, _kind))
    register_exporter(_name, partial(export_records, _kind), EXPORT_FORMATS, personal=True)

__all__ = ["KINDS", "Kind", "export_records", "import_kind", "write_template"]
