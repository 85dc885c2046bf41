build-clang/arch/x86_64/arch.o: arch/x86_64/arch.c kernel/arch.h \
  arch/x86_64/cpu.h arch/x86_64/gdt.h arch/x86_64/paging.h \
  arch/x86_64/layout.h arch/x86_64/pic.h arch/x86_64/serial.h \
  arch/x86_64/trap.h arch/x86_64/vga_text.h kernel/bootinfo.h \
  kernel/console.h lib/string.h

kernel/arch.h:

arch/x86_64/cpu.h:

arch/x86_64/gdt.h:

arch/x86_64/paging.h:

arch/x86_64/layout.h:

arch/x86_64/pic.h:

arch/x86_64/serial.h:

arch/x86_64/trap.h:

arch/x86_64/vga_text.h:

kernel/bootinfo.h:

kernel/console.h:

lib/string.h:
