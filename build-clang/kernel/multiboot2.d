build-clang/kernel/multiboot2.o: kernel/multiboot2.c kernel/multiboot2.h \
  kernel/bootinfo.h lib/string.h

kernel/multiboot2.h:

kernel/bootinfo.h:

lib/string.h:
