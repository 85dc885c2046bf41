build-clang/tests/kernel/test_x86_exceptions.o: \
  tests/kernel/test_x86_exceptions.c arch/x86_64/trap.h kernel/arch.h \
  kernel/inject.h kernel/ksyms.h kernel/ktest.h lib/string.h

arch/x86_64/trap.h:

kernel/arch.h:

kernel/inject.h:

kernel/ksyms.h:

kernel/ktest.h:

lib/string.h:
