"""The pieces of tests/run.py that only the tests need: matrix (the
configurations), selftests (a boot's results against the self-tests the
sources declare), screen (the framebuffer check), tap_check (the counts
again from TAP::Parser). What tools/ shares with them (booting QEMU, reading
KTAP, the build's constants, the project root) is tools/common/: tests/
imports tools/, never the other way round."""
import os
import sys

# tools/ on the path, so that its package imports as "common" here as it does
# in the scripts of tools/ (where Python puts the script's own folder first).
sys.path.insert(0, os.path.normpath(os.path.join(os.path.abspath(__file__), "..", "..", "..",
                                                 "tools")))
