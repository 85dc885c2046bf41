#!/usr/bin/env python3
"""Checks that kernel.elf can be loaded both ways:

- by QEMU's multiboot 1 loader, which copies the file flat from the offset of
  load_addr: every loadable segment must sit at the same distance between file
  offset and physical address;
- by both specifications: the multiboot2 header 8-byte aligned within the
  first 32 KiB of the file, the multiboot 1 header 4-byte aligned within the
  first 8 KiB.

Exits non-zero with a message saying what is wrong."""
import struct
import sys

PT_LOAD = 1
MB1_MAGIC = 0x1BADB002
MB2_MAGIC = 0xE85250D6


def fail(msg):
    print(f"check_layout: {msg}", file=sys.stderr)
    sys.exit(1)


def main(path):
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        fail(f"{path} is not a 64-bit ELF file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    deltas = set()
    for i in range(phnum):
        p_type, _flags, off, _vaddr, paddr, filesz, _memsz, _align = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == PT_LOAD and filesz > 0:
            deltas.add(off - paddr)
    if len(deltas) != 1:
        fail("loadable segments are not laid out like memory; QEMU -kernel would load "
             "them wrongly (check linker.ld)")

    def find(magic, limit, align):
        for pos in range(0, min(limit, len(data)), align):
            if struct.unpack_from("<I", data, pos)[0] == magic:
                return pos
        return None

    if find(MB2_MAGIC, 32768, 8) is None:
        fail("no 8-byte aligned multiboot2 header in the first 32 KiB")
    if find(MB1_MAGIC, 8192, 4) is None:
        fail("no 4-byte aligned multiboot header in the first 8 KiB")


if __name__ == "__main__":
    main(sys.argv[1])
