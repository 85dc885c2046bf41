#!/usr/bin/env python3
"""The layering rule of the code base, checked (prints KTAP):

- kernel/ and lib/ reach the machine only through kernel/arch.h: no inline
  assembly, no port I/O, no MSR or MMIO access, no header from arch/ or
  platform/ (but kernel/arch.h's one include of the architecture's params.h);
- the portable self-tests (tests/kernel/, but not tests/kernel/<arch>/) follow
  the same rule;
- kernel/ speaks of CPUs by index and hardware number: no APIC IDs, start-up
  IPIs, trampolines or interrupt command registers (the MADT's parser and
  kernel/firmware/acpi_tables.h, which read them out of the firmware's
  table, excepted);
- kernel/diag/arch_test.h, the self-tests' hooks, is included only by tests/,
  kernel/diag/inject.c and the architecture that implements it, and kernel/arch.h
  declares none of them (no arch_test_ name);
- arch/ and platform/ ask for no injection: kernel/diag/inject.c calls their
  test hooks, never the other way round;
- no cast to a pointer to volatile outside arch/x86_64/x86.h: device memory
  goes through its accessors, and a deliberate load is an atomic one;
- tools/ imports nothing from tests/: tests/runner/ imports tools/common/,
  never the other way round.

Comments and strings are left out before looking, so prose may name these.
"""
import os
import re
import sys

from common import ROOT, ktap_out

# What only arch/ may use: the compiler's assembly, and the x86 helpers of
# arch/x86_64/x86.h for ports, MSRs, control registers and MMIO.
MACHINE = re.compile(r"\b(__asm__|__asm|asm)\b|\b(inb|inw|inl|outb|outw|outl|rdmsr|wrmsr|"
                     r"read_cr\d|write_cr\d|mmio_read\d+|mmio_write\d+)\s*\(")
ARCH_INCLUDE = re.compile(r'^\s*#\s*include\s*"((?:arch|platform)/[^"]*)"', re.M)
ARCH_PARAMS = re.compile(r"^arch/[a-z0-9_]+/params\.h$")
X86_WORDS = re.compile(r"\b\w*(apic_id|sipi|trampoline|icr_|lapic_|x2apic_id)\w*", re.I)
TEST_HOOKS_INCLUDE = re.compile(r'^\s*#\s*include\s*"kernel/diag/arch_test\.h"', re.M)
TEST_HOOK_USERS = ("tests/", "kernel/diag/inject.c", "kernel/diag/arch_test.h", "arch/", "platform/")
COMMENTS_AND_STRINGS = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"', re.S)

RULES = [
    ("layering.kernel_reaches_the_machine_only_through_arch_h", ["kernel"], ()),
    ("layering.lib_reaches_the_machine_only_through_arch_h", ["lib"], ()),
    ("layering.portable_self_tests_use_no_machine_instructions", ["tests/kernel"],
     ("tests/kernel/x86_64",)),
]


def files(tops, skip, suffixes=(".c", ".h")):
    for top in tops:
        for d, dirs, names in os.walk(os.path.join(ROOT, top)):
            rel = os.path.relpath(d, ROOT)
            dirs[:] = [x for x in dirs if os.path.join(rel, x) not in skip]
            for n in sorted(names):
                if n.endswith(suffixes):
                    yield os.path.join(rel, n)


def code_of(text):
    return COMMENTS_AND_STRINGS.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def problems_in(path):
    with open(os.path.join(ROOT, path)) as f:
        text = f.read()
    found = [f"{path}: includes {h}" for h in ARCH_INCLUDE.findall(text)
             if not (path == "kernel/arch.h" and ARCH_PARAMS.match(h))][:1]
    code = code_of(text)
    for number, line in enumerate(code.splitlines(), 1):
        hit = MACHINE.search(line)
        if hit:
            found.append(f"{path}:{number}: {hit.group(1) or hit.group(2) + '('}")
    return found


def x86_words_in(path):
    if path in ("kernel/firmware/madt.c", "kernel/firmware/madt.h", "kernel/firmware/acpi_tables.h"):
        return []
    with open(os.path.join(ROOT, path)) as f:
        code = code_of(f.read())
    return [f"{path}:{n}: {m.group(0)}" for n, line in enumerate(code.splitlines(), 1)
            for m in [X86_WORDS.search(line)] if m]


def test_hooks_outside_tests(path):
    if path.startswith(TEST_HOOK_USERS) or path in TEST_HOOK_USERS:
        return []
    with open(os.path.join(ROOT, path)) as f:
        return [f"{path}: includes kernel/diag/arch_test.h"] if TEST_HOOKS_INCLUDE.search(f.read()) else []


TEST_HOOK_NAME = re.compile(r"\barch_test_\w+")
INJECTION_NAME = re.compile(r"\binject_\w+|\bINJECT_\w+")


def code_matches(path, pattern):
    with open(os.path.join(ROOT, path)) as f:
        code = code_of(f.read())
    return [f"{path}:{n}: {m.group(0)}" for n, line in enumerate(code.splitlines(), 1)
            for m in [pattern.search(line)] if m]


def test_hooks_in_arch_h(path):
    return code_matches(path, TEST_HOOK_NAME) if path == "kernel/arch.h" else []


def injections_in_arch(path):
    return code_matches(path, INJECTION_NAME)


# A cast to a pointer to volatile: device memory goes through x86.h's
# accessors, so that each access is a named, sized instruction, and a load
# made on purpose (a fault, a look through the TLB) is an atomic load. The
# fake x86.h of the host tests stands in for the real one.
VOLATILE_CAST = re.compile(r"\(\s*(const\s+)?volatile\b[^()]*\*\s*\)")
ACCESSOR_HEADERS = ("arch/x86_64/x86.h", "tests/host/fake_x86/arch/x86_64/x86.h")


def volatile_casts(path):
    return [] if path in ACCESSOR_HEADERS else code_matches(path, VOLATILE_CAST)


# tests/ on sys.path, or its runner package imported: what tools/ did before
# tools/common/ held the pieces both share.
TESTS_IMPORT = re.compile(r"^\s*(?:from|import)\s+runner\b|sys\.path\.\w+\(.*[\"']tests[\"']", re.M)


def tests_imported_by(path):
    with open(os.path.join(ROOT, path)) as f:
        text = f.read()
    return [f"{path}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0).strip()}"
            for m in TESTS_IMPORT.finditer(text)]


CHECKS = [(name, tops, skip, problems_in) for name, tops, skip in RULES] + [
    ("layering.kernel_names_no_apic_id_sipi_or_trampoline", ["kernel"], (), x86_words_in),
    ("layering.test_hooks_only_in_tests_and_fault_injection",
     ["kernel", "lib", "arch", "platform", "tests"], (), test_hooks_outside_tests),
    ("layering.arch_h_declares_no_test_hooks", ["kernel"], (), test_hooks_in_arch_h),
    ("layering.arch_and_platform_ask_for_no_injection", ["arch", "platform"], (),
     injections_in_arch),
    ("layering.no_volatile_cast_outside_the_accessor_header",
     ["kernel", "lib", "arch", "platform", "tests"], (), volatile_casts),
    ("layering.tools_import_nothing_from_tests", ["tools"], (), tests_imported_by),
]


def main():
    print("KTAP version 1")
    print(f"1..{len(CHECKS)}")
    failed = 0
    for i, (name, tops, skip, check) in enumerate(CHECKS, 1):
        suffixes = (".py",) if check is tests_imported_by else (".c", ".h")
        found = [p for f in files(tops, skip, suffixes) for p in check(f)]
        if found:
            failed += 1
            print(ktap_out.not_ok(i, name, "; ".join(found[:10])))
        else:
            print(f"ok {i} {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
