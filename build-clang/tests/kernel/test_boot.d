build-clang/tests/kernel/test_boot.o: tests/kernel/test_boot.c \
  kernel/bootinfo.h kernel/cmdline.h kernel/ktest.h lib/string.h

kernel/bootinfo.h:

kernel/cmdline.h:

kernel/ktest.h:

lib/string.h:
