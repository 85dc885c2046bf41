#!/usr/bin/env bash
# toolchain.sh - builds a real x86_64-elf cross toolchain (binutils and a
# C-only GCC with libgcc) into a prefix inside the tree, for "make toolchain".
#
#   tools/toolchain.sh PREFIX [SRC_DIR]
#
# Sources, in this order: SRC_DIR (a directory holding binutils-*.tar.* and
# gcc-*.tar.* that a student downloaded from ftp.gnu.org), else Debian's
# binutils-source and gcc-12-source packages (/usr/src/binutils,
# /usr/src/gcc-12), installed through apt-get when missing. The upstream
# sources are built as they are: Debian's patches are for Debian's own
# compilers, not for a bare-metal target.
#
# A bare-metal target has no C library, so GCC is built without headers
# (--without-headers), for C only, and only "all-gcc" and "all-target-libgcc"
# are made: exactly what a freestanding kernel needs.
set -euo pipefail

prefix=${1:?usage: tools/toolchain.sh PREFIX [SRC_DIR]}
src=${2:-}
target=x86_64-elf
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
work="$prefix/build"
mkdir -p "$work"
start=$(date +%s)

say() { echo "toolchain: $*"; }

find_tarball() { # DIR NAME-PREFIX
    ls "$1"/"$2"-[0-9]*.tar.* 2>/dev/null | head -n 1
}

if [ -n "$src" ]; then
    binutils_tar=$(find_tarball "$src" binutils)
    gcc_tar=$(find_tarball "$src" gcc)
else
    if [ ! -d /usr/src/binutils ] || [ ! -d /usr/src/gcc-12 ]; then
        if ! command -v apt-get >/dev/null; then
            say "no sources: give SRC_DIR with binutils-*.tar.xz and gcc-*.tar.xz (ftp.gnu.org)" >&2
            exit 1
        fi
        say "installing Debian's binutils-source and gcc-12-source"
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
            binutils-source gcc-12-source >/dev/null
    fi
    binutils_tar=$(find_tarball /usr/src/binutils binutils)
    gcc_tar=$(find_tarball /usr/src/gcc-12 gcc)
fi
[ -n "$binutils_tar" ] || { say "no binutils-*.tar.* found" >&2; exit 1; }
[ -n "$gcc_tar" ] || { say "no gcc-*.tar.* found" >&2; exit 1; }

# GCC needs GMP, MPFR and MPC (and the usual build tools) on the host.
if command -v apt-get >/dev/null; then
    need=""
    for p in libgmp-dev libmpfr-dev libmpc-dev texinfo bison flex g++ make; do
        dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
    done
    if [ -n "$need" ]; then
        say "installing$need"
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $need >/dev/null
    fi
fi

unpack() { # TARBALL -> prints the directory it made
    local dir
    dir=$(tar -tf "$1" | head -n 1 | cut -d/ -f1)
    [ -d "$work/$dir" ] || tar -xf "$1" -C "$work"
    echo "$work/$dir"
}

say "unpacking $(basename "$binutils_tar") and $(basename "$gcc_tar") into $work"
binutils_dir=$(unpack "$binutils_tar")
gcc_dir=$(unpack "$gcc_tar")
# Debian's "dfsg" tarball leaves out the GFDL manuals, and GCC's build
# regenerates one of them (tm.texi); Debian's own patch makes that step a
# copy. Only this one of its patches is applied.
gfdl_patch=$(dirname "$gcc_tar")/debian/patches/gcc-gfdl-build.diff
if [[ "$gcc_tar" == *dfsg* ]] && [ -f "$gfdl_patch" ] && [ ! -f "$gcc_dir/.gfdl-patched" ]; then
    patch -s -p2 -d "$gcc_dir" < "$gfdl_patch"
    touch "$gcc_dir/.gfdl-patched"
fi

if [ ! -x "$prefix/bin/$target-ld" ]; then
    say "building binutils ($jobs jobs)"
    mkdir -p "$work/binutils-build"
    (cd "$work/binutils-build" &&
        "$binutils_dir/configure" --target=$target --prefix="$prefix" --with-sysroot \
            --disable-nls --disable-werror --disable-gdb --disable-gprofng >configure.log 2>&1 &&
        make -j"$jobs" >make.log 2>&1 && make install >install.log 2>&1) ||
        { say "binutils failed: see $work/binutils-build/*.log" >&2; exit 1; }
fi
export PATH="$prefix/bin:$PATH"

if [ ! -x "$prefix/bin/$target-gcc" ]; then
    say "building gcc, C only ($jobs jobs)"
    mkdir -p "$work/gcc-build"
    (cd "$work/gcc-build" &&
        "$gcc_dir/configure" --target=$target --prefix="$prefix" --disable-nls \
            --enable-languages=c --without-headers --disable-multilib >configure.log 2>&1 &&
        make -j"$jobs" all-gcc >make-gcc.log 2>&1 &&
        make -j"$jobs" all-target-libgcc >make-libgcc.log 2>&1 &&
        make install-gcc install-target-libgcc >install.log 2>&1) ||
        { say "gcc failed: see $work/gcc-build/*.log" >&2; exit 1; }
fi

end=$(date +%s)
say "$("$prefix/bin/$target-gcc" --version | head -n 1)"
say "$("$prefix/bin/$target-ld" --version | head -n 1)"
say "done in $(((end - start) / 60)) min $(((end - start) % 60)) s; use it with PATH=$prefix/bin:\$PATH"
