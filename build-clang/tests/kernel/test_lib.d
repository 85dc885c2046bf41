build-clang/tests/kernel/test_lib.o: tests/kernel/test_lib.c \
  kernel/ktest.h lib/format.h lib/string.h

kernel/ktest.h:

lib/format.h:

lib/string.h:
