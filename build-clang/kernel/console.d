build-clang/kernel/console.o: kernel/console.c kernel/console.h \
  kernel/arch.h kernel/spinlock.h lib/format.h lib/string.h

kernel/console.h:

kernel/arch.h:

kernel/spinlock.h:

lib/format.h:

lib/string.h:
