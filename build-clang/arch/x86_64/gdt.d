build-clang/arch/x86_64/gdt.o: arch/x86_64/gdt.c arch/x86_64/gdt.h \
  arch/x86_64/layout.h arch/x86_64/paging.h kernel/arch.h \
  kernel/page_alloc.h lib/string.h

arch/x86_64/gdt.h:

arch/x86_64/layout.h:

arch/x86_64/paging.h:

kernel/arch.h:

kernel/page_alloc.h:

lib/string.h:
