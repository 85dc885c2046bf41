build-clang/kernel/panic.o: kernel/panic.c kernel/panic.h kernel/arch.h \
  kernel/console.h kernel/ktest.h kernel/smp.h kernel/cpu.h \
  kernel/madt.h

kernel/panic.h:

kernel/arch.h:

kernel/console.h:

kernel/ktest.h:

kernel/smp.h:

kernel/cpu.h:

kernel/madt.h:
