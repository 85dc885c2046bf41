#!/usr/bin/env python3
"""The kernel builds where students are: with clang and LLVM's tools only,
as on macOS (Homebrew's llvm, lld, nasm, python3), with no GNU binutils or
GNU-only commands on PATH.

1. The build's scripts (Makefile, tools/*.sh) use no GNU-only command form
   (sed -i without a suffix, stat -c, readelf, grep -P, ...).
2. `make CC=clang kernel` runs with PATH holding only clang, ld.lld,
   llvm-nm, nasm, python3, make and the POSIX commands a Mac has; gcc, ld,
   nm, as, objcopy, readelf and stat are not there.
3. The kernel built that way boots in QEMU and passes its self-tests.

Prints KTAP; skips when clang, ld.lld or llvm-nm is missing.

    tools/check_portable_build.py [--build build]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

from common import ROOT, ktap_out

# What a Mac with Xcode's command-line tools and Homebrew's llvm, lld, nasm
# and qemu has on PATH that the kernel build may use.
LLVM = {"clang": ["clang", "clang-14"], "ld.lld": ["ld.lld", "ld.lld-14"],
        "llvm-nm": ["llvm-nm", "llvm-nm-14"]}
OTHERS = ["nasm", "python3", "make", "bash", "sh", "env", "uname", "mkdir", "rm", "mv", "cp",
          "cat", "echo", "diff", "grep", "head", "tail", "cmp", "find", "tr", "sort", "printf",
          "test", "dirname", "basename", "date", "wc", "cut", "touch", "ls", "id", "expr",
          "sed", "awk", "true", "false"]
ABSENT = ["gcc", "cc", "ld", "nm", "as", "objcopy", "objdump", "readelf", "stat",
          "x86_64-elf-gcc"]
# Command forms that work only with the GNU tools.
GNU_ONLY = [
    (re.compile(r"\bsed\s+-i\s+(?!'')(?!\"\")"), "sed -i without a suffix argument (BSD sed)"),
    (re.compile(r"\bsed\s+-r\b"), "sed -r (use -E)"),
    (re.compile(r"\bstat\s+-c\b"), "stat -c (BSD stat has -f)"),
    (re.compile(r"\breadelf\b"), "readelf (not on macOS; use llvm-readelf or python)"),
    (re.compile(r"\bgrep\s+-\w*P"), "grep -P"),
    (re.compile(r"\bxargs\s+-r\b"), "xargs -r"),
    (re.compile(r"date\s+\+%s%N|%N"), "date +%N"),
    (re.compile(r"\bcp\s+-a\b"), "cp -a (use cp -pR)"),
    (re.compile(r"\breadlink\s+-f\b"), "readlink -f"),
]
SCRIPTS = ["Makefile", "tools/mkiso.sh", "tools/deps.sh"]


def scan_scripts():
    problems = []
    for rel in SCRIPTS:
        with open(os.path.join(ROOT, rel)) as f:
            for n, line in enumerate(f, 1):
                code = line.split("#", 1)[0] if not rel.endswith(".py") else line
                for pattern, what in GNU_ONLY:
                    if pattern.search(code):
                        problems.append(f"{rel}:{n}: {what}")
    return problems


def restricted_path(bindir):
    os.makedirs(bindir, exist_ok=True)
    missing = []
    for name, candidates in LLVM.items():
        found = next((shutil.which(c) for c in candidates if shutil.which(c)), None)
        if found is None:
            missing.append(name)
        else:
            os.symlink(found, os.path.join(bindir, name))
    for name in OTHERS:
        # python3 is the one running this check: a shim earlier on PATH
        # (pyenv's) would not run without the rest of PATH.
        found = sys.executable if name == "python3" else shutil.which(name)
        if found is None:
            missing.append(name)
        else:
            os.symlink(found, os.path.join(bindir, name))
    return missing


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    build = args.build if os.path.isabs(args.build) else os.path.join(ROOT, args.build)
    work = os.path.join(build, "portable")
    if os.path.exists(work):
        shutil.rmtree(work)
    bindir = os.path.join(work, "bin")
    missing = restricted_path(bindir)
    if any(m in LLVM for m in missing):
        print(f"1..0 # SKIP no {', '.join(m for m in missing if m in LLVM)} here")
        return 0
    results = []
    problems = scan_scripts()
    results.append(("portable.no_gnu_only_command_forms_in_the_build_scripts", not problems,
                    "; ".join(problems)))
    absent = [a for a in ABSENT if shutil.which(a, path=bindir)]
    kernel_build = os.path.join(work, "build")
    env = {"PATH": bindir, "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C"}
    p = subprocess.run(["make", "-s", "--no-print-directory", "CC=clang",
                        f"BUILD={kernel_build}", "kernel"],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    kernel = os.path.join(kernel_build, "kernel.elf")
    built = p.returncode == 0 and os.path.exists(kernel) and not absent and not missing
    results.append(("portable.the_kernel_builds_with_clang_and_llvm_tools_only", built,
                    f"missing here: {missing}; on PATH but must not be: {absent}; "
                    f"make said: {(p.stdout + p.stderr).strip()[-600:]}"))
    if built:
        from common import constants
        from common.config import Config
        from common.qemu import boot
        constants.load_constants(kernel_build)
        cfg = Config("portable", smp="2")
        status, seconds, serial, cmd, topology = boot(cfg, kernel, None, work)
        with open(os.path.join(work, "serial.log"), "w") as f:
            f.write(serial)
        results.append(("portable.that_kernel_passes_its_self_tests",
                        status == constants.EXIT_PASS,
                        f"QEMU status {status} after {seconds:.0f} s; log in {work}/serial.log"))
    else:
        results.append(("portable.that_kernel_passes_its_self_tests", False, "not built"))
    return ktap_out.print_report(results)


if __name__ == "__main__":
    sys.exit(main())
