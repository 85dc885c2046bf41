build-clang/kernel/bench.o: kernel/bench.c kernel/bench.h kernel/arch.h \
  kernel/console.h

kernel/bench.h:

kernel/arch.h:

kernel/console.h:
