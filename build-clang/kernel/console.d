build-clang/kernel/console.o: kernel/console.c kernel/console.h \
  lib/format.h lib/string.h

kernel/console.h:

lib/format.h:

lib/string.h:
