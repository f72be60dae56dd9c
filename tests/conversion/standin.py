"""Install the bioformats2raw stand-in (tests/conversion/fake_bioformats2raw.py) as an
executable named ``bioformats2raw``, the way the real one's launcher script is installed.

Only bioformats2raw is faked: it is a Java program that is not installable here. The
stand-in follows the pinned release's source line by line (see its docstring).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_LAUNCHER = """#!{python}
import sys
sys.path.insert(0, {root!r})
from tests.conversion.fake_bioformats2raw import main
sys.exit(main())
"""


def write_standin(directory: Path) -> Path:
    """Write the stand-in executable into ``directory`` and return its path."""
    path = directory / "bioformats2raw"
    path.write_text(_LAUNCHER.format(python=sys.executable, root=str(ROOT)))
    path.chmod(0o755)
    return path
