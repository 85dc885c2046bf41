#!/bin/sh
# mkiso_isolinux.sh [--cmdline "..."] KERNEL OUT.iso - an ISOLINUX image
# (BIOS only: a CD, or a stick or disk, being isohybrid) that starts KERNEL
# through mboot.c32, SYSLINUX's multiboot 1 loader, with one entry booted at
# once (default command line: test).
#
# The test matrix boots it beside GRUB's images (tools/mkiso.sh): a third
# loader, which hands the kernel the multiboot 0.6.96 information with
# mboot.c32's own memory map and loader name ("ISOLINUX ..."), and neither
# an RSDP nor a framebuffer. mboot.c32 takes the kernel's ELF64 file through
# the multiboot 1 header's address fields (boot/entry.asm), as QEMU's -kernel
# does.
#
# Debian's isolinux (isolinux.bin, isohdpfx.bin) and syslinux-common (the
# .c32 modules) packages; make deps installs them.
set -eu
ISOLINUX_DIR=${ISOLINUX_DIR:-/usr/lib/ISOLINUX}
MODULES_DIR=${SYSLINUX_MODULES_DIR:-/usr/lib/syslinux/modules/bios}
cmdline=test
while [ $# -gt 2 ]; do
    case $1 in
    --cmdline) cmdline=$2; shift 2 ;;
    *) echo "mkiso_isolinux: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ $# -ne 2 ]; then
    echo "usage: mkiso_isolinux.sh [--cmdline \"...\"] KERNEL OUT.iso" >&2
    exit 2
fi
kernel=$1
out=$2
for f in "$ISOLINUX_DIR/isolinux.bin" "$ISOLINUX_DIR/isohdpfx.bin" "$MODULES_DIR/ldlinux.c32" \
    "$MODULES_DIR/libcom32.c32" "$MODULES_DIR/mboot.c32"; do
    if [ ! -f "$f" ]; then
        echo "mkiso_isolinux: no $f (are isolinux and syslinux-common installed? try: make deps)" >&2
        exit 1
    fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/ipikernel-isolinux.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/isolinux" "$dir/boot"
cp "$kernel" "$dir/boot/kernel.elf"
# isolinux.bin loads ldlinux.c32 (its core), which runs mboot.c32, which
# needs libcom32.c32.
cp "$ISOLINUX_DIR/isolinux.bin" "$MODULES_DIR/ldlinux.c32" "$MODULES_DIR/libcom32.c32" \
    "$MODULES_DIR/mboot.c32" "$dir/isolinux/"
# SERIAL first: COM1 at 115200 carries ISOLINUX's own messages, as it does
# GRUB's. mboot.c32's APPEND is the kernel's file, then its command line
# (modules would follow "---"); the kernel's path starts the command line,
# as under GRUB, and the kernel skips a first word with a "/" in it.
cat > "$dir/isolinux/isolinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT ipikernel
PROMPT 0
TIMEOUT 1
LABEL ipikernel
  KERNEL mboot.c32
  APPEND /boot/kernel.elf $cmdline
CFG

mkdir -p "$(dirname "$out")"
if ! log=$(xorriso -as mkisofs -quiet -o "$out" -isohybrid-mbr "$ISOLINUX_DIR/isohdpfx.bin" \
    -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 \
    -boot-info-table "$dir" 2>&1); then
    echo "$log" >&2
    echo "mkiso_isolinux: xorriso failed (is xorriso installed? try: make deps)" >&2
    exit 1
fi
