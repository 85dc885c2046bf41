"""The pieces of tests/run.py, one job each: matrix (the configurations),
qemu (booting one), ktap (reading results), screen (the framebuffer check),
constants (facts read from the build)."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qmp  # noqa: E402,F401  (tools/qmp.py)
