build-clang/tests/kernel/test_backtrace.o: tests/kernel/test_backtrace.c \
  kernel/arch.h kernel/ksyms.h kernel/ktest.h lib/string.h

kernel/arch.h:

kernel/ksyms.h:

kernel/ktest.h:

lib/string.h:
