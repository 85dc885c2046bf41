"""Facts the kernel defines in C, read from the build's generated constants.json."""
import json
import os


# Facts the kernel's C code defines (exit codes, the exit device's port, the
# font cell) are read from the build's generated constants.json
# (tools/gen_constants.py), never copied here: load_constants() fills these.
# QEMU's status for a value v written to isa-debug-exit is (v << 1) | 1.
EXIT_PASS = EXIT_FAIL = EXIT_CRASH = None


EXIT_PORT = None


FONT_CELL = None


LARGE_SCREEN_WIDTH = None


EXPECTED_STATUS = {}


def load_constants(build):
    """Reads build/gen/constants.json (made with the kernel)."""
    global EXIT_PASS, EXIT_FAIL, EXIT_CRASH, EXIT_PORT, FONT_CELL, LARGE_SCREEN_WIDTH
    global EXPECTED_STATUS
    path = os.path.join(build, "gen", "constants.json")
    with open(path) as f:
        c = json.load(f)
    status = lambda v: (v << 1) | 1
    EXIT_PASS, EXIT_FAIL = status(c["KTEST_EXIT_PASS"]), status(c["KTEST_EXIT_FAIL"])
    EXIT_CRASH = status(c["KTEST_EXIT_CRASH"])
    EXIT_PORT = c["QEMU_DEBUG_EXIT_PORT"]
    FONT_CELL = (c["FONT_CELL_WIDTH"], c["FONT_CELL_HEIGHT"])
    LARGE_SCREEN_WIDTH = c["FB_LARGE_SCREEN_WIDTH"]
    EXPECTED_STATUS = {"pass": EXIT_PASS, "bench": EXIT_PASS, "fail": EXIT_FAIL,
                       "crash": EXIT_CRASH, "reset": 0, "hang": "timeout"}
