#!/usr/bin/env python3
"""Checks that every C source and header is formatted as .clang-format says
(clang-format --dry-run -Werror) and prints KTAP: one case per folder, naming
the files that differ. `clang-format -i <file>` fixes one.
"""
import os
import shutil
import subprocess
import sys

from common import ROOT, ktap_out

FOLDERS = ("arch", "platform", "boot", "kernel", "lib", "tests")


def sources():
    found = {}
    for top in FOLDERS:
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    found.setdefault(top, []).append(os.path.relpath(os.path.join(d, f), ROOT))
    return found


def main():
    print("KTAP version 1")
    tool = shutil.which("clang-format")
    if tool is None:
        print("1..0 # SKIP clang-format is not installed (Debian package clang-format)")
        return 0
    groups = sources()
    print(f"1..{len(groups)}")
    failed = 0
    for i, (top, files) in enumerate(sorted(groups.items()), 1):
        differ = [f for f in files
                  if subprocess.run([tool, "--dry-run", "-Werror", f], cwd=ROOT,
                                    capture_output=True).returncode != 0]
        if differ:
            failed += 1
            print(ktap_out.not_ok(i, f"format.{top}",
                                  f"not as .clang-format says: {' '.join(differ)}"))
        else:
            print(f"ok {i} format.{top}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
