build-clang/tests/kernel/test_ktest.o: tests/kernel/test_ktest.c \
  kernel/cmdline.h kernel/ktest.h lib/string.h

kernel/cmdline.h:

kernel/ktest.h:

lib/string.h:
