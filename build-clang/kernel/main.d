build-clang/kernel/main.o: kernel/main.c kernel/arch.h kernel/bench.h \
  kernel/bootinfo.h kernel/cmdline.h kernel/console.h kernel/inject.h \
  kernel/ktest.h kernel/multiboot2.h kernel/panic.h lib/string.h

kernel/arch.h:

kernel/bench.h:

kernel/bootinfo.h:

kernel/cmdline.h:

kernel/console.h:

kernel/inject.h:

kernel/ktest.h:

kernel/multiboot2.h:

kernel/panic.h:

lib/string.h:
