build-clang/ksyms_empty.o: build-clang/ksyms_empty.c kernel/ksyms.h

kernel/ksyms.h:
