# debug.gdb - used by "make debug": attach to QEMU's gdb stub and stop in kmain.
#
# kernel.elf is a 64-bit ELF, but the CPU starts in 32-bit mode; telling gdb
# the architecture up front avoids "Remote 'g' packet reply is too long".
set architecture i386:x86-64
target remote localhost:1234
# "info cpus" and "info rendezvous" (tools/gdb/ipikernel.py).
source tools/gdb/ipikernel.py
# A hardware breakpoint: the loader copies the kernel into memory after gdb
# attaches, which would overwrite a software breakpoint's int3.
hbreak kmain
continue
echo \nStopped in kmain. Try: bt, info cpus, info rendezvous, next, x/8i $pc\n
