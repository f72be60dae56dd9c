"""Copy the browser libraries Aperture serves from node_modules into build/vendor."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# destination name -> file inside node_modules
VENDOR_FILES = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "uppy.min.js": "uppy/dist/uppy.min.js",
    # uppy.min.js names it (sourceMappingURL): collectstatic's manifest storage needs it.
    "uppy.min.js.map": "uppy/dist/uppy.min.js.map",
    "uppy.min.css": "uppy/dist/uppy.min.css",
}


def main() -> None:
    target = ROOT / "build" / "vendor"
    target.mkdir(parents=True, exist_ok=True)
    for name, source in VENDOR_FILES.items():
        shutil.copyfile(ROOT / "node_modules" / source, target / name)


if __name__ == "__main__":
    main()
