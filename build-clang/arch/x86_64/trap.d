build-clang/arch/x86_64/trap.o: arch/x86_64/trap.c arch/x86_64/trap.h \
  arch/x86_64/cpu.h kernel/arch.h kernel/console.h kernel/ksyms.h \
  kernel/panic.h

arch/x86_64/trap.h:

arch/x86_64/cpu.h:

kernel/arch.h:

kernel/console.h:

kernel/ksyms.h:

kernel/panic.h:
