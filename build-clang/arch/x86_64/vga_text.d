build-clang/arch/x86_64/vga_text.o: arch/x86_64/vga_text.c \
  arch/x86_64/vga_text.h arch/x86_64/cpu.h arch/x86_64/paging.h \
  arch/x86_64/layout.h

arch/x86_64/vga_text.h:

arch/x86_64/cpu.h:

arch/x86_64/paging.h:

arch/x86_64/layout.h:
