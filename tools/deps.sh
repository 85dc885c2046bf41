#!/bin/sh
# deps.sh - makes sure the build, run and test tools are installed.
#
# On Debian/Ubuntu it installs what is missing with apt-get (as root, or
# through sudo), without the packages' recommends: QEMU's would add its
# graphical front-ends (hundreds of megabytes) and GRUB's os-prober, which
# looks at the host's own disks. Elsewhere (macOS: Homebrew), or without the
# rights, it prints the command to run and fails. CC (from make) says
# whether clang's tools are needed too; WINDOW=1 (make run WINDOW=1) adds
# what QEMU needs to open a window (qemu-system-gui).
set -u

missing=""
if [ "$(uname -s)" = Darwin ]; then
    # macOS: the kernel builds with Homebrew's LLVM and boots with QEMU's
    # -kernel (docs/book/00-setup.md); the image needs Homebrew's cross GRUB.
    for c in clang ld.lld llvm-nm nasm qemu-system-x86_64 python3; do
        command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
    done
    [ -z "$missing" ] && exit 0
    echo "deps: missing:$missing. Install them with Homebrew, LLVM first on PATH:" >&2
    echo "  brew install llvm lld nasm qemu xorriso x86_64-elf-grub mtools python3 python-matplotlib" >&2
    echo "  export PATH=\"\$(brew --prefix llvm)/bin:\$(brew --prefix lld)/bin:\$PATH\"" >&2
    exit 1
fi
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need_file() { ls $1 >/dev/null 2>&1 || missing="$missing $2"; }

need_cmd nasm nasm
need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd grub-mkrescue grub-common
need_cmd xorriso xorriso
need_cmd mformat mtools
need_cmd python3 python3
need_cmd spin spin   # the SPIN model checker (tests/model/)
need_cmd clang-format clang-format
need_cmd gdb gdb     # make test runs the gdb commands against a halted QEMU
# make test holds its KTAP counts against Perl's TAP::Parser (Debian's perl).
perl -MTAP::Parser -e 1 >/dev/null 2>&1 || missing="$missing perl"
# make bench, trace and compare draw their plots with Debian's matplotlib
# (for /usr/bin/python3, which the Makefile then runs the tools with where
# the python3 first on PATH, pyenv's say, does not see it).
need_file /usr/lib/python3/dist-packages/matplotlib/__init__.py python3-matplotlib
need_file /usr/lib/grub/i386-pc/moddep.lst grub-pc-bin
need_file '/usr/share/OVMF/OVMF_CODE*.fd' ovmf
# The test matrix boots the kernel through ISOLINUX and its mboot.c32 too
# (tools/mkiso_isolinux.sh).
need_file /usr/lib/ISOLINUX/isolinux.bin isolinux
need_file /usr/lib/syslinux/modules/bios/mboot.c32 syslinux-common
if [ "${WINDOW:-}" = 1 ] && command -v qemu-system-x86_64 >/dev/null 2>&1 &&
    ! qemu-system-x86_64 -display help 2>/dev/null | grep -qE '^(gtk|sdl)$'; then
    echo "deps: WINDOW=1 needs QEMU's window (gtk or sdl display): adding qemu-system-gui"
    missing="$missing qemu-system-gui"
elif [ "${WINDOW:-}" = 1 ] && ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    missing="$missing qemu-system-gui"
fi
efi_missing=""
ls /usr/lib/grub/x86_64-efi/moddep.lst >/dev/null 2>&1 || efi_missing=grub-efi-amd64-bin

case "${CC:-}" in
*clang*)
    need_cmd clang clang
    need_cmd ld.lld lld
    need_cmd llvm-nm llvm
    need_file '/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.asan-x86_64.a' libclang-rt-dev
    ;;
esac
case " $missing " in
*" libclang-rt-dev "*)
    # Debian names the package after the LLVM version.
    v=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n1)
    missing=$(echo "$missing" | sed "s/libclang-rt-dev/libclang-rt-${v:-14}-dev/")
    ;;
esac

[ -z "$missing$efi_missing" ] && exit 0

# grub-efi-amd64-bin's recommends would also take over the host's boot
# loader configuration: it goes in a command of its own, so the rest does
# not depend on it.
cmd="apt-get install -y --no-install-recommends$missing"
efi_cmd="apt-get install -y --no-install-recommends $efi_missing"
echo "deps: missing:$missing $efi_missing"

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: this is not a Debian/Ubuntu system; install the equivalents of:$missing $efi_missing" >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
else
    echo "deps: run as root:" >&2
    echo "  apt-get update" >&2
    [ -n "$missing" ] && echo "  $cmd" >&2
    [ -n "$efi_missing" ] && echo "  $efi_cmd" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
if [ -n "$missing" ]; then $sudo $cmd -q || exit 1; fi
if [ -n "$efi_missing" ]; then $sudo $efi_cmd -q || exit 1; fi
echo "deps: installed."
