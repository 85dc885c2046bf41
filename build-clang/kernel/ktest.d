build-clang/kernel/ktest.o: kernel/ktest.c kernel/ktest.h kernel/arch.h \
  kernel/console.h lib/format.h lib/string.h

kernel/ktest.h:

kernel/arch.h:

kernel/console.h:

lib/format.h:

lib/string.h:
