build-clang/lib/format.o: lib/format.c lib/format.h

lib/format.h:
