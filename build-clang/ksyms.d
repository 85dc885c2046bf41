build-clang/ksyms.o: build-clang/ksyms.c kernel/ksyms.h

kernel/ksyms.h:
