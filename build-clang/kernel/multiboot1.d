build-clang/kernel/multiboot1.o: kernel/multiboot1.c kernel/multiboot2.h \
  kernel/bootinfo.h lib/string.h

kernel/multiboot2.h:

kernel/bootinfo.h:

lib/string.h:
