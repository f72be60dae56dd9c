"""Build the browser assets into build/vendor: `node frontend/build.mjs` copies htmx from
node_modules and bundles the OME-Zarr viewer and the uploader's hashing worker with esbuild
(see package.json)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    node = shutil.which("node")
    if node is None:
        sys.exit("node is not installed: the browser assets are built with Node.js (see README)")
    subprocess.run([node, str(ROOT / "frontend" / "build.mjs")], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
