build-clang/arch/x86_64/paging.o: arch/x86_64/paging.c \
  arch/x86_64/paging.h arch/x86_64/layout.h arch/x86_64/cpu.h \
  kernel/page_alloc.h kernel/panic.h

arch/x86_64/paging.h:

arch/x86_64/layout.h:

arch/x86_64/cpu.h:

kernel/page_alloc.h:

kernel/panic.h:
