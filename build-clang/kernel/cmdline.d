build-clang/kernel/cmdline.o: kernel/cmdline.c kernel/cmdline.h \
  lib/string.h

kernel/cmdline.h:

lib/string.h:
