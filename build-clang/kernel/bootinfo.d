build-clang/kernel/bootinfo.o: kernel/bootinfo.c kernel/bootinfo.h \
  lib/format.h

kernel/bootinfo.h:

lib/format.h:
