build-clang/kernel/inject.o: kernel/inject.c kernel/inject.h \
  kernel/arch.h kernel/cmdline.h kernel/console.h kernel/cpu.h \
  kernel/ipi.h kernel/barrier.h kernel/irql.h kernel/smp.h kernel/madt.h \
  kernel/panic.h lib/string.h

kernel/inject.h:

kernel/arch.h:

kernel/cmdline.h:

kernel/console.h:

kernel/cpu.h:

kernel/ipi.h:

kernel/barrier.h:

kernel/irql.h:

kernel/smp.h:

kernel/madt.h:

kernel/panic.h:

lib/string.h:
