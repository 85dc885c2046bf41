# ipikernel - build, run and test.
#
#   make              kernel (build/kernel.elf) and bootable ISO (build/ipikernel.iso)
#   make usb DEV=/dev/sdX   write the image to a USB stick (refuses anything else)
#   make run          boot in QEMU, serial console on this terminal (CPUS=, ACCEL=kvm|tcg,
#                     BOOT=iso|kernel, CMDLINE="...")
#   make test         host unit tests, the SPIN model, quick mutants and the QEMU
#                     matrix; last line "N passed, N failed"
#   make bench        the benchmarks: build/bench/results.csv, a table, SVG plots
#                     (CPUS="1 2 4", ACCEL=kvm|tcg|icount, APIC=x2apic|xapic, BARRIER=...)
#   make trace        the rendezvous' timeline: build/trace/trace.json and trace.svg
#   make compare      an empty call against Linux's membarrier, round by round: the
#                     ratios and their median (COMPARE_ROUNDS=5, CPUS=2, ACCEL=tcg|kvm)
#   make fuzz         every parser under libFuzzer for FUZZ_SECONDS each (default 180)
#   make soak         the rendezvous stress in a loop for SOAK_MINUTES (default 10)
#   make mutants      every deliberate bug of tests/mutants/, and what caught it
#   make model        the SPIN model in every configuration (the large ones too)
#   make debug        QEMU halted at the first instruction, gdb attached, stopped in kmain
#                     (with tools/gdb/ipikernel.py: "info cpus", "info rendezvous")
#   make lab LAB=x    a student tree for a lab (LABDIR=, default ../ipikernel-lab-x)
#   make grade        the labs' scores (in a lab tree: that lab's; LAB= picks one)
#   make toolchain    a real x86_64-elf binutils and GCC in toolchain/ (about an hour),
#                     then the kernel built with it and booted (toolchain-check)
#   make deps         install the tools (Debian/Ubuntu, no recommends; WINDOW=1 adds
#                     QEMU's window), or print the command to do it
#   make clean
#
# The C compiler is found in this order: x86_64-elf-gcc (a cross compiler),
# the host gcc on x86-64 Linux, else clang with --target=x86_64-unknown-none-elf
# and ld.lld. "make CC=clang" selects clang explicitly.

SHELL := /bin/bash
.DEFAULT_GOAL := all

# ---------------------------------------------------------------------------
# Toolchain
# ---------------------------------------------------------------------------
HOST_SYSTEM := $(shell uname -sm)
have = $(shell command -v $(1) 2>/dev/null)

ifeq ($(origin CC),default)
  ifneq ($(call have,x86_64-elf-gcc),)
    CC := x86_64-elf-gcc
    LD := x86_64-elf-ld
    NM := x86_64-elf-nm
  else ifeq ($(HOST_SYSTEM)$(if $(call have,gcc),yes),Linux x86_64yes)
    CC := gcc
  else
    CC := clang
  endif
endif

COMPILER_IS_CLANG := $(if $(findstring clang,$(shell $(CC) --version 2>/dev/null | head -n1)),yes,)

ifeq ($(COMPILER_IS_CLANG),yes)
  TARGET_FLAGS := --target=x86_64-unknown-none-elf
  LD := ld.lld
  NM := $(if $(call have,llvm-nm),llvm-nm,nm)
  HOSTCC ?= clang
else
  TARGET_FLAGS :=
  ifeq ($(origin LD),default)
    LD := ld
  endif
  NM ?= nm
  HOSTCC ?= gcc
endif
NASM ?= nasm
# The tools need only the standard library, but make bench, trace and
# compare draw with Debian's matplotlib (make deps installs it), which a
# python3 earlier on PATH (pyenv's, a virtual environment's) may not see:
# the first of python3 and /usr/bin/python3 that finds it runs the tools.
PYTHON ?= $(shell for p in python3 /usr/bin/python3; do $$p -c 'import importlib.util as u, sys; \
    sys.exit(u.find_spec("matplotlib") is None)' 2>/dev/null && { echo $$p; exit; }; done; echo python3)

# make SANITIZE=1 builds (and tests) a kernel with undefined-behaviour
# checks, in a build directory of its own so no object mixes the two.
ifeq ($(SANITIZE),1)
  BUILD ?= build/sanitized
endif
BUILD ?= build

# Quiet by default; "make V=1" shows the commands.
ifeq ($(V),1)
  Q :=
  say := @true
else
  Q := @
  say := @echo
endif

# Kernel C: freestanding, no red zone (interrupts push onto the stack below
# RSP), no SSE (its registers are not saved on interrupts), kernel code model
# (the image lives in the top 2 GiB), frame pointers for backtraces, and
# call-frame information for gdb in .debug_frame (no .eh_frame: nothing
# unwinds at run time).
KERNEL_CFLAGS := $(TARGET_FLAGS) -std=c11 -O2 -g -ffreestanding \
    -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -mcmodel=kernel \
    -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-common \
    -Wall -Wextra -Werror -I. -MMD -MP
ifneq ($(COMPILER_IS_CLANG),yes)
  # Stop gcc from turning lib/string.c's loops back into calls to themselves.
  KERNEL_CFLAGS += -fno-tree-loop-distribute-patterns
endif
# Every build: a canary below each return address of a function with an
# array or an address-taken local (kernel/diag/stack_protector.c), kept in a
# global, as the kernel has no thread-local storage for the usual %fs:40.
STACK_PROTECTOR := -fstack-protector-strong -mstack-protector-guard=global
# make SANITIZE=1: undefined-behaviour checks in all kernel C, reported by
# kernel/diag/ubsan.c (file, line, kind) as a panic. Alignment checks are left
# out: the kernel reads packed firmware tables through memcpy, and x86
# does not fault on misaligned data.
ifeq ($(SANITIZE),1)
  SANITIZE_FLAGS := -fsanitize=undefined -fno-sanitize=alignment -fno-sanitize-recover=all
endif
# The runtimes themselves are built without what they implement.
NO_INSTRUMENT := kernel/diag/ubsan.c kernel/diag/stack_protector.c
# No NASM DWARF: gdb 13 warns "pc ... in address map, but not in symtab" on
# every frame that returns into assembly. Use "x/8i $$pc" to read it instead.
NASMFLAGS = -f elf64 -I. -I$(GEN)/ -Werror
LDFLAGS = -L $(GEN) -T linker.ld -nostdlib -static -z max-page-size=0x1000 -z noexecstack --fatal-warnings

# Sources are found by folder: kernel/ and each of its folders (the book's
# chapters: boot/, firmware/, smp/, diag/), so a new .c file builds without
# an edit here.
KERNEL_C_SRCS := $(wildcard kernel/*.c kernel/*/*.c arch/x86_64/*.c platform/pc/*.c lib/*.c \
    tests/kernel/*.c tests/kernel/x86_64/*.c)
KERNEL_ASM_SRCS := $(wildcard boot/*.asm arch/x86_64/*.asm tests/kernel/x86_64/*.asm)
KERNEL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(KERNEL_C_SRCS)) \
               $(patsubst %.asm,$(BUILD)/%.o,$(KERNEL_ASM_SRCS))

KERNEL := $(BUILD)/kernel.elf
ISO := $(BUILD)/ipikernel.iso
CMDLINE ?=

.PHONY: all kernel iso usb fuzz fuzz-targets sanitized-kernel soak run bench trace compare debug test test-host host-tests test-large mutants model deps clean \
        readme-options lab lab-docs grade toolchain toolchain-check
all: $(KERNEL) $(ISO)
kernel: $(KERNEL)
iso: $(ISO)

$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(say) "  CC      $<"
	$(Q)$(CC) $(KERNEL_CFLAGS) $(if $(filter $(NO_INSTRUMENT),$<),-fno-stack-protector,$(STACK_PROTECTOR) $(SANITIZE_FLAGS)) -c $< -o $@

# Constants shared by C, assembly, the linker script and the tools have one
# source, C: arch/x86_64/shared/constants.c is compiled to assembly and its
# @@const lines become build/gen/constants.{inc,ld,json}.
GEN = $(BUILD)/gen
$(GEN)/constants.s: arch/x86_64/shared/constants.c Makefile
	@mkdir -p $(dir $@)
	$(say) "  CONST   $<"
	$(Q)$(CC) $(KERNEL_CFLAGS) -S $< -o $@
$(GEN)/constants.inc: $(GEN)/constants.s tools/gen_constants.py
	$(Q)$(PYTHON) tools/gen_constants.py $< $(GEN)
$(GEN)/constants.ld $(GEN)/constants.json: $(GEN)/constants.inc

$(BUILD)/%.o: %.asm boot/layout.inc $(GEN)/constants.inc Makefile
	@mkdir -p $(dir $@)
	$(say) "  NASM    $<"
	$(Q)$(NASM) $(NASMFLAGS) $< -o $@

# Two links: the first gives the addresses of all functions, the second
# embeds them as the symbol table for backtraces (.ksyms comes after all
# code, so no function moves). The check proves it.
$(BUILD)/kernel.stage1.elf: $(KERNEL_OBJS) $(BUILD)/ksyms_empty.o linker.ld $(GEN)/constants.ld \
    $(BUILD)/sources.stamp
	$(say) "  LD      $@"
	$(Q)$(LD) $(LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms_empty.o

$(BUILD)/ksyms_empty.c: tools/gen_ksyms.py
	@mkdir -p $(dir $@)
	$(Q)$(PYTHON) tools/gen_ksyms.py < /dev/null > $@

$(BUILD)/ksyms.c: $(BUILD)/kernel.stage1.elf tools/gen_ksyms.py
	$(say) "  KSYMS   $@"
	$(Q)$(NM) -n -S --defined-only $< | $(PYTHON) tools/gen_ksyms.py > $@

$(BUILD)/ksyms_empty.o $(BUILD)/ksyms.o: $(BUILD)/%.o: $(BUILD)/%.c
	$(Q)$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(KERNEL): $(BUILD)/kernel.stage1.elf $(BUILD)/ksyms.o tools/check_layout.py
	$(say) "  LD      $@"
	$(Q)$(LD) $(LDFLAGS) -o $@.tmp $(KERNEL_OBJS) $(BUILD)/ksyms.o
	@diff <($(NM) -n $(BUILD)/kernel.stage1.elf | grep -i ' t ') \
	      <($(NM) -n $@.tmp | grep -i ' t ') > /dev/null || \
	  { echo "error: functions moved between the two links (see linker.ld .ksyms)"; exit 1; }
	$(Q)$(PYTHON) tools/check_layout.py $@.tmp
	$(Q)mv $@.tmp $@

# The image has the boot menu (self-tests by default), or, when CMDLINE is
# given (even empty), one entry with that command line. The stamp rebuilds
# it when that choice changes.
ISO_MODE := $(if $(filter command line environment,$(origin CMDLINE)),--cmdline "$(CMDLINE)",)
$(BUILD)/cmdline.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(ISO_MODE)' | cmp -s - $@ || echo '$(ISO_MODE)' > $@

$(ISO): $(KERNEL) tools/mkiso.sh $(BUILD)/cmdline.stamp
	$(say) "  ISO     $@"
	$(Q)tools/mkiso.sh $(ISO_MODE) $(KERNEL) $@

# The sources are found by folder, so a file deleted there changes no
# prerequisite's date: this stamp, rewritten when the list changes, links
# the kernel again without it.
$(BUILD)/sources.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(KERNEL_C_SRCS) $(KERNEL_ASM_SRCS)' | cmp -s - $@ || echo '$(KERNEL_C_SRCS) $(KERNEL_ASM_SRCS)' > $@

.PHONY: FORCE
FORCE:

# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------
CPUS ?= 1
ACCEL ?= tcg
MACHINE ?= q35
MEMORY ?= 256M
ifeq ($(ACCEL),kvm)
  BOOT ?= kernel
  ACCEL_FLAGS := -accel kvm -cpu host,-arch-capabilities
else
  # The GRUB image when there is a grub-mkrescue (Homebrew: x86_64-elf-),
  # else QEMU's -kernel (multiboot 1).
  BOOT ?= $(if $(or $(call have,grub-mkrescue),$(call have,x86_64-elf-grub-mkrescue)),iso,kernel)
  ACCEL_FLAGS := -accel tcg
endif
# The exit device's port is the kernel's (platform.h), read from the build.
QEMU_EXIT_DEVICE = -device isa-debug-exit,iosize=0x04,iobase=$(shell \
    $(PYTHON) tools/gen_constants.py --get QEMU_DEBUG_EXIT_PORT $(GEN)/constants.json)
QEMU_COMMON = -M $(MACHINE) -m $(MEMORY) -smp $(CPUS) $(ACCEL_FLAGS) -no-reboot $(QEMU_EXIT_DEVICE)
ifeq ($(BOOT),kernel)
  QEMU_BOOT = -kernel $(KERNEL) -append "$(CMDLINE)"
else
  QEMU_BOOT = -cdrom $(ISO)
endif
# FIRMWARE=uefi boots the ISO through OVMF (the kernel then draws its text
# on GRUB's framebuffer); WINDOW=1 shows the screen in a window, with the
# serial console still on this terminal.
FIRMWARE ?= bios
OVMF := $(firstword $(wildcard /usr/share/ovmf/OVMF.fd /usr/share/qemu/OVMF.fd))
ifeq ($(FIRMWARE),uefi)
  QEMU_BOOT += -bios $(OVMF)
endif
ifeq ($(WINDOW),1)
  QEMU_OUTPUT := -serial mon:stdio
else
  QEMU_OUTPUT := -nographic
endif

run: deps $(if $(filter iso,$(BOOT)),all,kernel)
	@echo "Booting $(BOOT) on $(MACHINE), $(CPUS) CPU(s), $(ACCEL), $(FIRMWARE). Quit with Ctrl-A X."
	qemu-system-x86_64 $(QEMU_COMMON) $(QEMU_BOOT) $(QEMU_OUTPUT); \
	  status=$$?; [ $$status -eq 0 -o $$status -eq 33 ] || echo "(QEMU exited with status $$status)"

# Writes the image to a USB stick or SD card (tools/usb_write.py says what it
# refuses; run it as root: make iso, then sudo python3 tools/usb_write.py
# build/ipikernel.iso /dev/sdX, so that nothing is built as root):
# DEV=/dev/sdX (the whole disk), YES=1 skips the question for a small
# removable stick, MAX_GB= raises the size a stick may have (128),
# ALLOW_FILE=1 writes into a plain file. DEV and YES count only on the
# command line: a DEV or YES left in the environment (or YES=0, YES=no) never
# picks a disk or skips the question.
usb_dev = $(if $(filter command line,$(origin DEV)),$(DEV))
usb_yes = $(if $(and $(filter command line,$(origin YES)),$(filter 1,$(YES))),--yes)
usb: deps all
	$(PYTHON) tools/usb_write.py $(ISO) "$(usb_dev)" $(usb_yes) \
	  $(if $(ALLOW_FILE),--allow-file) $(if $(MAX_GB),--max-gb $(MAX_GB))

# The QEMU plugin with which make bench ACCEL=icount counts each CPU's
# instructions per call (tools/qemu_plugin/count_insns.c): a host library.
COUNT_PLUGIN := $(BUILD)/count_insns.so
$(COUNT_PLUGIN): tools/qemu_plugin/count_insns.c tools/qemu_plugin/qemu_plugin_v1.h \
    arch/x86_64/count_mark.h
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC  $<"
	$(Q)$(HOSTCC) -std=gnu11 -O2 -I. -Wall -Wextra -Werror -fPIC -fvisibility=hidden -shared \
	  -pthread $< -o $@

# The benchmarks (tools/bench.py), one boot per configuration of the sweep,
# booted with the test runner's QEMU command: CPUS="1 2 4 8 16 32",
# ACCEL=kvm|tcg|icount (default: KVM where it works here, as timing under TCG
# says little; icount: TCG counting instructions, one per cycle),
# APIC=x2apic|xapic, BARRIER=central|dissemination (default both).
# CPUS, ACCEL and APIC count only when given (make run has its own defaults).
# IDLE="hlt poll mwait" adds a boot per idle mode (default hlt);
# BENCH_OPTIONS="barrier_spin_us=0" adds kernel options to every boot.
BENCH_CPUS ?= 1 2 4
bench_knob = $(if $(filter command line environment,$(origin $(1))),$($(1)))
bench: deps all $(COUNT_PLUGIN)
	$(PYTHON) tools/bench.py $(BUILD) --cpus "$(or $(call bench_knob,CPUS),$(BENCH_CPUS))" \
	  --accel "$(call bench_knob,ACCEL)" --apic "$(call bench_knob,APIC)" \
	  --barrier "$(call bench_knob,BARRIER)" --idle "$(IDLE)" --options "$(BENCH_OPTIONS)" \
	  --plugin $(COUNT_PLUGIN) --nm $(NM)

# The rendezvous' timeline: Chrome trace-event JSON and an SVG picture
# (tools/trace.py), from a boot with "trace" on TRACE_CPUS CPUs;
# ACCEL=kvm|tcg|icount (icount: counted in instructions, the same every run).
TRACE_CPUS ?= 4
trace: deps all
	ACCEL="$(call bench_knob,ACCEL)" $(PYTHON) tools/trace.py $(BUILD) \
	  $(or $(call bench_knob,CPUS),$(TRACE_CPUS))

# This kernel's empty rendezvous call against Linux's membarrier
# (tools/compare.py): per round, one boot of this kernel with "bench" and one
# of Debian's Linux (the package linux-image-amd64 depends on, fetched once
# with apt-get into build/compare/linux/) whose init
# (tools/linux_init/membarrier_init.c, built static here) times
# membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), in the same QEMU
# configuration; prints each round's ratios and their median and writes
# build/compare/rounds.csv and ratios.svg. COMPARE_ROUNDS= (default 5),
# CPUS= one count (default 2), ACCEL=tcg|kvm (default tcg), BARRIER=
# (default central), BENCH_OPTIONS= more options for this kernel,
# COMPARE_LINUX= a kernel image to boot instead of Debian's,
# COMPARE_LINUX_OPTIONS= more Linux options. Minutes: not in make test.
COMPARE_ROUNDS ?= 5
COMPARE_INIT := $(BUILD)/compare/membarrier_init
$(COMPARE_INIT): tools/linux_init/membarrier_init.c
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC  $< (static)"
	$(Q)$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -Werror -static -pthread $< -o $@
compare: deps all $(COMPARE_INIT)
	$(PYTHON) tools/compare.py $(BUILD) --init $(COMPARE_INIT) --rounds "$(COMPARE_ROUNDS)" \
	  --cpus "$(or $(call bench_knob,CPUS),2)" --accel "$(or $(call bench_knob,ACCEL),tcg)" \
	  --barrier "$(or $(call bench_knob,BARRIER),central)" --options "$(BENCH_OPTIONS)" \
	  --linux "$(COMPARE_LINUX)" --linux-options "$(COMPARE_LINUX_OPTIONS)"

debug: deps all
	@echo "QEMU waits for gdb on :1234; gdb stops in kmain. Quit QEMU with Ctrl-A X."
	qemu-system-x86_64 $(QEMU_COMMON) -kernel $(KERNEL) -append "$(CMDLINE)" \
	    -display none -serial file:$(BUILD)/debug-serial.log -s -S & \
	gdb -q -x tools/debug.gdb $(KERNEL); kill %1 2>/dev/null; true

# ---------------------------------------------------------------------------
# Teaching: labs (tools/lab.py, docs/labs/) and a cross toolchain
# ---------------------------------------------------------------------------
# A lab tree is this tree with one lab's marked regions replaced by stubs
# (LAB(name) markers in the source); make grade there scores that lab.
lab:
	@[ -n "$(LAB)" ] || { echo "make lab LAB=<name>; the labs:"; $(PYTHON) tools/lab.py list; exit 1; }
	$(PYTHON) tools/lab.py make $(LAB) $(if $(LABDIR),--out "$(LABDIR)")

# The handouts' grading tables, from tools/lab.py's table (make test checks them).
lab-docs:
	$(PYTHON) tools/lab.py docs

grade: deps
	$(PYTHON) tools/lab.py grade --build $(BUILD) --cc "$(CC)" $(if $(LAB),--lab $(LAB))

# x86_64-elf binutils and GCC from Debian's source packages (or TOOLCHAIN_SRC=
# a directory with the GNU tarballs) in toolchain/; the Makefile then prefers
# toolchain/bin/x86_64-elf-gcc when it is on PATH. toolchain-check builds
# the kernel with it and boots it through the self-tests.
TOOLCHAIN := $(CURDIR)/toolchain
toolchain:
	tools/toolchain.sh $(TOOLCHAIN) $(TOOLCHAIN_SRC)
	$(MAKE) --no-print-directory toolchain-check

toolchain-check:
	@[ -x $(TOOLCHAIN)/bin/x86_64-elf-gcc ] || { echo "no $(TOOLCHAIN)/bin/x86_64-elf-gcc: run make toolchain"; exit 1; }
	@mkdir -p build
	PATH="$(TOOLCHAIN)/bin:$$PATH" $(MAKE) --no-print-directory -B BUILD=build/x86_64-elf V=1 kernel \
	  > build/x86_64-elf.log 2>&1 || { tail -n 20 build/x86_64-elf.log; exit 1; }
	@n=$$(grep -c '^x86_64-elf-gcc ' build/x86_64-elf.log); l=$$(grep -c '^x86_64-elf-ld ' build/x86_64-elf.log); \
	  echo "toolchain: $$n compilations by x86_64-elf-gcc, $$l links by x86_64-elf-ld"; \
	  [ "$$n" -gt 0 ] && [ "$$l" -gt 0 ]
	$(PYTHON) tests/run.py --build build/x86_64-elf --cc x86_64-elf-gcc --only q35-kernel-tcg-smp8

# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------
# Host unit tests: lib/ and the pure kernel parsers built for this machine with
# AddressSanitizer and UndefinedBehaviorSanitizer. lib/string.c is built with
# its functions renamed (lib_memcpy, ...) so they do not replace the C library's.
HOST_CFLAGS := -std=gnu11 -g -O1 -I. -Wall -Wextra -Werror -fno-omit-frame-pointer \
    -fsanitize=address,undefined -fno-sanitize-recover=all -D_DEFAULT_SOURCE -MMD -MP
LIB_RENAMES := $(foreach f,memcpy memmove memset memcmp strlen strnlen strcmp strncmp strchr strstr strlcpy,-D$(f)=lib_$(f))
HOST_BUILD := $(BUILD)/host

$(HOST_BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -fno-builtin $(LIB_RENAMES) -c $< -o $@

$(HOST_BUILD)/tests/host/%.o: tests/host/%.c Makefile
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

# The folders that are pure C (no instruction, register or device of the
# machine) build on the host whole, into one archive that every host test
# links: the linker takes from it only the objects a test needs, so a new
# file in these folders needs no edit here. kernel/warnings.c, the parsers'
# warning log, is the one file outside them that they use.
HOST_AR ?= $(if $(call have,ar),ar,llvm-ar)
PURE_C_SRCS := $(wildcard lib/*.c kernel/boot/*.c kernel/firmware/*.c) kernel/warnings.c
HOST_PURE := $(HOST_BUILD)/libpure.a
$(HOST_PURE): $(patsubst %.c,$(HOST_BUILD)/%.o,$(PURE_C_SRCS))
	$(say) "  AR      $@"
	$(Q)rm -f $@ && $(HOST_AR) rcs $@ $^
HOST_TESTS := $(HOST_BUILD)/test_format $(HOST_BUILD)/test_string \
              $(HOST_BUILD)/test_multiboot $(HOST_BUILD)/test_cmdline $(HOST_BUILD)/test_madt \
              $(HOST_BUILD)/test_ap_start $(HOST_BUILD)/test_options $(HOST_BUILD)/test_platform \
              $(HOST_BUILD)/test_stop $(HOST_BUILD)/test_acpi

$(HOST_BUILD)/test_format: $(HOST_BUILD)/tests/host/test_format.o $(HOST_PURE)
$(HOST_BUILD)/test_string: $(HOST_BUILD)/tests/host/test_string.o $(HOST_PURE)
$(HOST_BUILD)/test_multiboot: $(HOST_BUILD)/tests/host/test_multiboot.o $(HOST_PURE)
$(HOST_BUILD)/test_cmdline: $(HOST_BUILD)/tests/host/test_cmdline.o $(HOST_PURE)
$(HOST_BUILD)/test_options: $(HOST_BUILD)/tests/host/test_options.o $(HOST_PURE)
$(HOST_BUILD)/tests/host/test_options.o: HOST_CFLAGS += -DREADME_PATH='"$(CURDIR)/README.md"'
$(HOST_BUILD)/test_platform: $(HOST_BUILD)/tests/host/test_platform.o \
    $(HOST_BUILD)/arch/x86_64/apic_mode.o $(HOST_PURE)
# The RSDP search and the root table walk (kernel/firmware/acpi.c) on a fake
# physical memory; the test stands in for the console and the machine.
$(HOST_BUILD)/test_acpi: $(HOST_BUILD)/tests/host/test_acpi.o $(HOST_PURE)
$(HOST_BUILD)/test_madt: $(HOST_BUILD)/tests/host/test_madt.o $(HOST_PURE)
# The one owner of ending the machine (kernel/stop.c), one thread per CPU.
$(HOST_BUILD)/test_stop: $(HOST_BUILD)/tests/host/test_stop.o $(HOST_BUILD)/kernel/stop.o \
    $(HOST_PURE)
$(HOST_BUILD)/test_stop: HOST_CFLAGS += -pthread
# The AP start-up sequence (kernel/smp/smp.c, arch/x86_64/smp_start.c) against a
# fake local APIC.
$(HOST_BUILD)/test_ap_start: $(HOST_BUILD)/tests/host/test_ap_start.o \
    $(HOST_BUILD)/kernel/smp/smp.o $(HOST_BUILD)/arch/x86_64/smp_start.o $(HOST_PURE)
# The x2APIC's ICR and EOI writes (arch/x86_64/lapic.c) against a fake MSR
# and MMIO interface that records them and the fences between them: lapic.c
# and the test are built with tests/host/fake_x86 first on the quote search
# path, where a stand-in arch/x86_64/x86.h turns those instructions into calls.
FAKE_X86_BUILD := $(HOST_BUILD)/fake_x86
FAKE_X86_CFLAGS = $(HOST_CFLAGS) -iquote tests/host/fake_x86
$(FAKE_X86_BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC  $< (fake x86)"
	$(Q)$(HOSTCC) $(FAKE_X86_CFLAGS) -fno-builtin $(LIB_RENAMES) -c $< -o $@
$(FAKE_X86_BUILD)/tests/host/%.o: tests/host/%.c Makefile
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC  $< (fake x86)"
	$(Q)$(HOSTCC) $(FAKE_X86_CFLAGS) -c $< -o $@
$(HOST_BUILD)/test_x2apic: $(FAKE_X86_BUILD)/tests/host/test_x2apic.o \
    $(FAKE_X86_BUILD)/arch/x86_64/lapic.o $(HOST_BUILD)/arch/x86_64/apic_mode.o $(HOST_PURE)
HOST_TESTS += $(HOST_BUILD)/test_x2apic
# The IRQL and the lazy task priority (kernel/smp/irql.c, arch/x86_64/priority.c)
# against a fake CPU and local APIC that deliver interrupts by CR8, RFLAGS.IF
# and the vectors in service, and count the CR8 writes.
$(HOST_BUILD)/test_irql: $(FAKE_X86_BUILD)/tests/host/test_irql.o \
    $(FAKE_X86_BUILD)/arch/x86_64/priority.o $(HOST_BUILD)/kernel/smp/irql.o
HOST_TESTS += $(HOST_BUILD)/test_irql
# The TLB shoot-down (kernel/smp/tlb.c) against a fake rendezvous and TLB that
# record which CPU flushed which page.
$(HOST_BUILD)/test_tlb: $(HOST_BUILD)/tests/host/test_tlb.o $(HOST_BUILD)/kernel/smp/tlb.o
HOST_TESTS += $(HOST_BUILD)/test_tlb
$(HOST_BUILD)/tests/host/test_madt.o: HOST_CFLAGS += -DMADT_DATA_DIR='"$(CURDIR)/tests/host/data/madt"'
# The barriers and the rendezvous state machine, with one thread per CPU,
# under ThreadSanitizer (which cannot be combined with AddressSanitizer).
TSAN_CFLAGS := $(filter-out -fsanitize=address%,$(HOST_CFLAGS)) -fsanitize=thread -pthread
TSAN_BUILD := $(HOST_BUILD)/tsan
# The same archive's way for the threaded test: the pure folders, the SMP
# core and the trace buffer, of which the test links what it uses.
TSAN_SRCS := $(PURE_C_SRCS) $(wildcard kernel/smp/*.c) kernel/diag/trace.c
TSAN_PARTS := $(TSAN_BUILD)/libparts.a
$(TSAN_PARTS): $(patsubst %.c,$(TSAN_BUILD)/%.o,$(TSAN_SRCS))
	$(say) "  AR      $@"
	$(Q)rm -f $@ && $(HOST_AR) rcs $@ $^
$(TSAN_BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(say) "  TSANCC  $<"
	$(Q)$(HOSTCC) $(TSAN_CFLAGS) -fno-builtin $(LIB_RENAMES) -c $< -o $@
$(TSAN_BUILD)/tests/host/%.o: tests/host/%.c Makefile
	@mkdir -p $(dir $@)
	$(say) "  TSANCC  $<"
	$(Q)$(HOSTCC) $(TSAN_CFLAGS) -c $< -o $@
$(HOST_BUILD)/test_rendezvous: $(TSAN_BUILD)/tests/host/test_rendezvous.o $(TSAN_PARTS)
	$(say) "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(TSAN_CFLAGS) -o $@ $^
HOST_TESTS += $(HOST_BUILD)/test_rendezvous

$(filter-out $(HOST_BUILD)/test_rendezvous,$(HOST_TESTS)):
	$(say) "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^

# Fuzzing (clang's libFuzzer with AddressSanitizer and UBSan): one target per
# parser of untrusted input, tests/fuzz/fuzz_<name>.c. tools/fuzz.py runs
# them: make fuzz (FUZZ_SECONDS= each, default 180), make test (a few
# seconds each, and a replay of the seeds and of every crash ever found).
FUZZ_CC ?= clang
comma := ,
FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_CFLAGS := -std=gnu11 -g -O1 -I. -Wall -Wextra -Werror -fno-omit-frame-pointer \
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -D_DEFAULT_SOURCE -MMD -MP
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_COMMON := tests/fuzz/stubs.c $(PURE_C_SRCS)
FUZZ_COMMON_OBJS := $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(FUZZ_COMMON))
# The formatter and the string functions are what the parsers use, not
# what is fuzzed: no coverage feedback from them (ten times the speed for
# the command line, whose problem reports are formatted), sanitizers kept.
FUZZ_NO_COVERAGE := lib/format.c lib/string.c kernel/warnings.c
$(FUZZ_BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(say) "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(if $(filter $(FUZZ_NO_COVERAGE),$<),$(subst fuzzer-no-link$(comma),,$(FUZZ_CFLAGS)),$(FUZZ_CFLAGS)) \
	  $(if $(filter tests/fuzz/%,$<),,-fno-builtin $(LIB_RENAMES)) -c $< -o $@
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_COMMON_OBJS)
	$(say) "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^
fuzz-targets: $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))
.SECONDARY: $(FUZZ_COMMON_OBJS) $(patsubst %,$(FUZZ_BUILD)/tests/fuzz/fuzz_%.o,$(FUZZ_TARGETS))
FUZZ_SECONDS ?= 180
fuzz: deps fuzz-targets
	$(PYTHON) tools/fuzz.py --build $(BUILD) --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The rendezvous stress self-tests booted again and again (tools/soak.py):
# SOAK_MINUTES=, SOAK_CPUS="2 4", SOAK_BARRIERS="central dissemination",
# SOAK_OPTIONS= more kernel options for every boot, SOAK_SETS=all|full|changing
# which stress self-tests (changing: participant sets that change every call).
SOAK_MINUTES ?= 10
SOAK_CPUS ?= 2 4
SOAK_BARRIERS ?= central dissemination
SOAK_SETS ?= all
soak: deps all
	$(PYTHON) tools/soak.py --build $(BUILD) --minutes $(SOAK_MINUTES) --cpus "$(SOAK_CPUS)" \
	  --barriers "$(SOAK_BARRIERS)" --options "$(SOAK_OPTIONS)" --sets "$(SOAK_SETS)"

# README.md's option table, regenerated from kernel/boot/options.c (make test
# checks that it is current).
readme-options: $(HOST_BUILD)/test_options
	$(Q)$(PYTHON) -c 'import re,subprocess,sys; t=subprocess.run(["$<","--markdown"],check=True,capture_output=True,text=True).stdout; r=open("README.md").read(); b="<!-- options: begin (generated from kernel/boot/options.c by make readme-options) -->\n"; e="<!-- options: end -->"; i=r.index(b)+len(b); j=r.index(e); open("README.md","w").write(r[:i]+t+r[j:])'

host-tests: $(HOST_TESTS) $(COUNT_PLUGIN)

# The same kernel with SANITIZE=1, which one configuration of the matrix
# boots (build/sanitized/kernel.elf).
sanitized-kernel:
	$(Q)$(MAKE) -s --no-print-directory BUILD=$(BUILD)/sanitized SANITIZE=1 kernel

test: deps all host-tests fuzz-targets sanitized-kernel
	$(PYTHON) tests/run.py --build $(BUILD) --cc "$(CC)"

# Hundreds of CPUs (x2APIC IDs above 255, under KVM): minutes, so not in "make test".
test-large: deps all
	$(PYTHON) tests/run.py --build $(BUILD) --cc "$(CC)" --large

# Every deliberate bug of tests/mutants/mutants.txt, one at a time, against
# the tests that must catch it (make test runs the quick ones).
mutants: deps
	$(PYTHON) tools/mutants.py

# The SPIN model in every configuration, the large ones too (make test runs
# those that take seconds).
model: deps
	$(PYTHON) tools/check_model.py --all

test-host: host-tests fuzz-targets
	$(PYTHON) tests/run.py --build $(BUILD) --cc "$(CC)" --only host

deps:
	@CC="$(CC)" WINDOW="$(WINDOW)" tools/deps.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
