build-clang/kernel/main.o: kernel/main.c kernel/acpi.h kernel/madt.h \
  kernel/arch.h kernel/bench.h kernel/bootinfo.h kernel/cmdline.h \
  kernel/console.h kernel/inject.h kernel/ipi.h kernel/barrier.h \
  kernel/cpu.h kernel/ktest.h kernel/multiboot2.h kernel/page_alloc.h \
  kernel/panic.h kernel/smp.h lib/string.h

kernel/acpi.h:

kernel/madt.h:

kernel/arch.h:

kernel/bench.h:

kernel/bootinfo.h:

kernel/cmdline.h:

kernel/console.h:

kernel/inject.h:

kernel/ipi.h:

kernel/barrier.h:

kernel/cpu.h:

kernel/ktest.h:

kernel/multiboot2.h:

kernel/page_alloc.h:

kernel/panic.h:

kernel/smp.h:

lib/string.h:
