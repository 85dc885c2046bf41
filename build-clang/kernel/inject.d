build-clang/kernel/inject.o: kernel/inject.c kernel/inject.h \
  kernel/arch.h kernel/cmdline.h kernel/console.h kernel/panic.h \
  lib/string.h

kernel/inject.h:

kernel/arch.h:

kernel/cmdline.h:

kernel/console.h:

kernel/panic.h:

lib/string.h:
