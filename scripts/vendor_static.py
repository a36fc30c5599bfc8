"""Copy the front-end libraries from node_modules into our own static files.

Run by `make` after `npm ci`; pages load them from /static/vendor/, never from a CDN.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "gezhi" / "web" / "static" / "vendor"

# package -> list of (source inside the package, destination inside vendor/)
FILES = {
    "leaflet": [
        ("dist/leaflet.js", "leaflet/leaflet.js"),
        ("dist/leaflet.css", "leaflet/leaflet.css"),
        ("dist/images", "leaflet/images"),
    ],
}


def main() -> int:
    for package, files in FILES.items():
        for source, dest in files:
            src, dst = MODULES / package / source, VENDOR / dest
            if not src.exists():
                print(f"missing {src}: run `npm ci` first", file=sys.stderr)
                return 1
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dst)
    print(f"front-end libraries copied into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
