#!/usr/bin/env python3
"""The layering rule of the code base, checked (prints KTAP):

- kernel/ and lib/ reach the machine only through kernel/arch.h: no inline
  assembly, no port I/O, no MSR or MMIO access, no header from arch/;
- the portable self-tests (tests/kernel/, but not tests/kernel/<arch>/) follow
  the same rule.

Comments and strings are left out before looking, so prose may name these.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What only arch/ may use: the compiler's assembly, and the x86 helpers of
# arch/x86_64/cpu.h for ports, MSRs, control registers and MMIO.
MACHINE = re.compile(r"\b(__asm__|__asm|asm)\b|\b(inb|inw|inl|outb|outw|outl|rdmsr|wrmsr|"
                     r"read_cr\d|write_cr\d|mmio_read\d+|mmio_write\d+)\s*\(")
ARCH_INCLUDE = re.compile(r'^\s*#\s*include\s*"arch/', re.M)
COMMENTS_AND_STRINGS = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"', re.S)

RULES = [
    ("layering.kernel_reaches_the_machine_only_through_arch_h", ["kernel"], ()),
    ("layering.lib_reaches_the_machine_only_through_arch_h", ["lib"], ()),
    ("layering.portable_self_tests_use_no_machine_instructions", ["tests/kernel"],
     ("tests/kernel/x86_64",)),
]


def files(tops, skip):
    for top in tops:
        for d, dirs, names in os.walk(os.path.join(ROOT, top)):
            rel = os.path.relpath(d, ROOT)
            dirs[:] = [x for x in dirs if os.path.join(rel, x) not in skip]
            for n in sorted(names):
                if n.endswith((".c", ".h")):
                    yield os.path.join(rel, n)


def problems_in(path):
    with open(os.path.join(ROOT, path)) as f:
        text = f.read()
    found = [f"{path}: includes a header from arch/" for _ in ARCH_INCLUDE.findall(text)][:1]
    code = COMMENTS_AND_STRINGS.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    for number, line in enumerate(code.splitlines(), 1):
        hit = MACHINE.search(line)
        if hit:
            found.append(f"{path}:{number}: {hit.group(1) or hit.group(2) + '('}")
    return found


def main():
    print("KTAP version 1")
    print(f"1..{len(RULES)}")
    failed = 0
    for i, (name, tops, skip) in enumerate(RULES, 1):
        found = [p for f in files(tops, skip) for p in problems_in(f)]
        if found:
            failed += 1
            print(f"not ok {i} {name} # {'; '.join(found[:10])}")
        else:
            print(f"ok {i} {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
