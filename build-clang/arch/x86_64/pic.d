build-clang/arch/x86_64/pic.o: arch/x86_64/pic.c arch/x86_64/pic.h \
  arch/x86_64/cpu.h

arch/x86_64/pic.h:

arch/x86_64/cpu.h:
