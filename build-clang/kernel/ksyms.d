build-clang/kernel/ksyms.o: kernel/ksyms.c kernel/ksyms.h lib/string.h

kernel/ksyms.h:

lib/string.h:
