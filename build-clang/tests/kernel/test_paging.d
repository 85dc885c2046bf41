build-clang/tests/kernel/test_paging.o: tests/kernel/test_paging.c \
  kernel/arch.h kernel/ktest.h

kernel/arch.h:

kernel/ktest.h:
