build-clang/arch/x86_64/backtrace.o: arch/x86_64/backtrace.c \
  arch/x86_64/layout.h arch/x86_64/paging.h kernel/arch.h \
  kernel/console.h kernel/ksyms.h

arch/x86_64/layout.h:

arch/x86_64/paging.h:

kernel/arch.h:

kernel/console.h:

kernel/ksyms.h:
