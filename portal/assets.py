"""Build the browser assets into build/vendor: `node frontend/build.mjs` copies htmx and Uppy
from node_modules and bundles the OME-Zarr viewer with esbuild (see package.json)."""

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
