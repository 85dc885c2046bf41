; entry.asm - from the boot loader's 32-bit protected mode to kmain() in 64-bit C.
;
; The loaders (GRUB through multiboot2 or multiboot 1, QEMU's -kernel and ISOLINUX's
; mboot.c32 through multiboot 1)
; enter _start in 32-bit protected mode with paging off, EAX = the loader's
; magic and EBX = the physical address of its information structure
; (multiboot2 spec §3.2 "Machine state", multiboot 0.6.96 §3.2).
;
; The steps, in order:
;   1. zero .bss (the boot stack and page tables live there);
;   2. check the magic and that the CPU can run 64-bit code; if not, print a
;      message on serial and the VGA text screen and halt (never triple-fault);
;   3. build boot page tables: the low 4 GiB identity-mapped and the first
;      1 GiB again at KERNEL_VMA, with 2 MiB pages (SDM vol. 3A §4.5);
;   4. enable PAE, long mode (EFER.LME, and EFER.NXE when the CPU has NX) and
;      paging, load a 64-bit GDT and far-jump into 64-bit code (SDM vol. 3A
;      §10.8.5 "Initializing IA-32e Mode");
;   5. jump to the higher half, switch to the boot stack, call kmain(magic, info).
;
; arch/x86_64/paging.c later replaces these tables with finer ones.

%include "boot/layout.inc"
%include "boot/debug_frame.inc"

; ---------------------------------------------------------------------------
; Multiboot headers. Both sit at the very start of the image: multiboot2 wants
; its header 8-byte aligned within the first 32 KiB, multiboot 1 wants 4-byte
; alignment within the first 8 KiB.
; ---------------------------------------------------------------------------
section .multiboot2 progbits alloc noexec nowrite align=8
mb2_header:
    dd MB2_HEADER_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    ; Framebuffer tag (multiboot2 §3.1.10: type 5, size 20), optional (flags
    ; bit 0), no preferred size or depth: the kernel draws on any linear RGB
    ; mode of 24 or 32 bits. Without it GRUB sets EGA text mode on a BIOS PC
    ; whatever gfxpayload says; the image's grub.cfg keeps text mode there
    ; unless asked otherwise (tools/mkiso.sh).
    align 8
    dw 5
    dw 1
    dd 20
    dd 0
    dd 0
    dd 0
    ; end tag (type 0, flags 0, size 8)
    align 8
    dw 0
    dw 0
    dd 8
mb2_header_end:

; Multiboot 1 with the "address fields" flag (bit 16): QEMU's -kernel loader
; refuses 64-bit ELF files, but with these fields it loads the file as a flat
; image, which works because the linker lays the file out exactly like memory
; from __load_phys_start on (tools/check_layout.py verifies this at build time).
; GRUB's multiboot command and ISOLINUX's mboot.c32 take the same fields.
;
; The "video mode" flag (bit 2) asks for EGA text (mode_type 1, spec 0.6.96
; §3.1.4), no preferred size: a BIOS PC keeps the text screen the kernel
; already draws on, and GRUB under UEFI, which has no text mode, hands over
; its linear framebuffer instead; either way the information's framebuffer
; fields (flags bit 12) say which. Without the flag GRUB under UEFI says
; nothing of the screen and it stays black. QEMU's -kernel ignores the
; request (it says "multiboot knows VBE. we don't." on stderr) and boots
; in text mode, as before.
MB1_FLAG_PAGE_ALIGN   equ 1 << 0
MB1_FLAG_MEMORY_INFO  equ 1 << 1
MB1_FLAG_VIDEO_MODE   equ 1 << 2
MB1_FLAG_ADDRESSES    equ 1 << 16
MB1_FLAGS equ MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMORY_INFO | MB1_FLAG_VIDEO_MODE | MB1_FLAG_ADDRESSES
MB1_MODE_EGA_TEXT     equ 1

extern __load_phys_start
extern __load_phys_end
extern __bss_phys_end
extern __bss_start
extern __bss_end

section .multiboot1 progbits alloc noexec nowrite align=4
mb1_header:
    dd MB1_HEADER_MAGIC
    dd MB1_FLAGS
    dd -(MB1_HEADER_MAGIC + MB1_FLAGS)
    dd mb1_header               ; header_addr
    dd __load_phys_start        ; load_addr
    dd __load_phys_end          ; load_end_addr
    dd __bss_phys_end           ; bss_end_addr
    dd _start                   ; entry_addr
    dd MB1_MODE_EGA_TEXT        ; mode_type
    dd 0                        ; width: no preference
    dd 0                        ; height: no preference
    dd 0                        ; depth: no preference

; ---------------------------------------------------------------------------
; 32-bit code. Runs at its physical address; symbols in the higher half are
; reached as (symbol - KERNEL_VMA).
; ---------------------------------------------------------------------------
section .boot.text progbits alloc exec nowrite align=16
bits 32

global _start
_start:
    cli
    cld
    mov ebp, eax                        ; EBP = loader magic, ESI = info, kept
    mov esi, ebx                        ; untouched until kmain is called

    ; 1. Zero .bss. Both loaders are asked to do it, but the kernel does not rely
    ;    on that: a stale page table bit would be fatal.
    mov edi, __bss_start - KERNEL_VMA
    mov ecx, __bss_end - KERNEL_VMA
    sub ecx, edi
    shr ecx, 2
    xor eax, eax
    rep stosd

    mov esp, boot_stack_top - KERNEL_VMA

    ; 2. Who started us, and can this CPU run 64-bit code?
    cmp ebp, MB2_BOOTLOADER_MAGIC
    je .magic_ok
    cmp ebp, MB1_BOOTLOADER_MAGIC
    je .magic_ok
    mov ebx, msg_bad_magic
    jmp boot_fail
.magic_ok:
    ; CPUID exists when EFLAGS.ID can be toggled (SDM vol. 1 §3.4.3.3).
    pushfd
    pop eax
    mov ecx, eax
    xor eax, EFLAGS_ID
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    xor eax, ecx
    jz .no_long_mode

    mov eax, CPUID_EXT_MAX
    cpuid
    cmp eax, CPUID_EXT_FEATURES
    jb .no_long_mode
    mov eax, CPUID_EXT_FEATURES
    cpuid
    test edx, CPUID_EXT_EDX_LM
    jz .no_long_mode
    mov [cpu_has_nx - KERNEL_VMA], edx  ; remembered for step 4 (bit 20 = NX)

    ; 3. Boot page tables.
    ;    PML4[0]   -> pdpt_low  : PDPT[0..3]   -> boot_pd[0..3] (identity, 4 GiB)
    ;    PML4[511] -> pdpt_high : PDPT[510]    -> boot_pd[0]    (KERNEL_VMA..+1 GiB)
    mov eax, boot_pdpt_low - KERNEL_VMA
    or eax, PTE_PRESENT | PTE_WRITE
    mov [boot_pml4 - KERNEL_VMA], eax
    mov eax, boot_pdpt_high - KERNEL_VMA
    or eax, PTE_PRESENT | PTE_WRITE
    mov [boot_pml4 - KERNEL_VMA + 511 * 8], eax

    mov edi, boot_pdpt_low - KERNEL_VMA
    mov eax, boot_pd - KERNEL_VMA
    or eax, PTE_PRESENT | PTE_WRITE
    mov ecx, 4
.fill_pdpt:
    mov [edi], eax
    add edi, 8
    add eax, 4096
    loop .fill_pdpt

    mov eax, boot_pd - KERNEL_VMA
    or eax, PTE_PRESENT | PTE_WRITE
    mov [boot_pdpt_high - KERNEL_VMA + 510 * 8], eax

    ; 2048 entries of 2 MiB: physical 0 .. 4 GiB. Bits 32+ of each entry are 0
    ; (already zeroed with .bss).
    mov edi, boot_pd - KERNEL_VMA
    mov eax, PTE_PRESENT | PTE_WRITE | PTE_LARGE
    mov ecx, 2048
.fill_pd:
    mov [edi], eax
    add edi, 8
    add eax, 0x200000
    loop .fill_pd

    ; 4. Long mode.
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax

    mov eax, boot_pml4 - KERNEL_VMA
    mov cr3, eax

    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    test dword [cpu_has_nx - KERNEL_VMA], CPUID_EXT_EDX_NX
    jz .no_nx
    or eax, EFER_NXE
.no_nx:
    wrmsr

    mov eax, cr0
    or eax, CR0_PG | CR0_WP
    mov cr0, eax

    lgdt [boot_gdt_ptr]
    jmp SEL_KERNEL_CODE:long_mode_entry

.no_long_mode:
    mov ebx, msg_no_long_mode
    ; fall through

; boot_fail: print the NUL-terminated string at EBX on COM1 and on the VGA
; text screen, then halt for good. Used before anything else works, so it
; programs COM1 itself (115200 8N1, 16550 registers) and never returns.
boot_fail:
    mov dx, COM1_PORT + 1               ; IER: no interrupts
    xor al, al
    out dx, al
    mov dx, COM1_PORT + 3               ; LCR: DLAB on
    mov al, 0x80
    out dx, al
    mov dx, COM1_PORT + 0               ; divisor 1 = 115200 baud
    mov al, 1
    out dx, al
    mov dx, COM1_PORT + 1
    xor al, al
    out dx, al
    mov dx, COM1_PORT + 3               ; LCR: 8N1, DLAB off
    mov al, 0x03
    out dx, al

    mov edi, VGA_TEXT_PHYS
.next_char:
    mov al, [ebx]
    test al, al
    jz .halt
    mov ah, 0x4F                        ; white on red
    mov [edi], ax
    add edi, 2
    mov dx, COM1_PORT + 5               ; LSR: wait (bounded) for THR empty
    mov ecx, 100000
.wait_thr:
    mov ah, al
    in al, dx
    test al, 0x20
    mov al, ah
    jnz .send
    loop .wait_thr
.send:
    mov dx, COM1_PORT
    out dx, al
    inc ebx
    jmp .next_char
.halt:
    cli
    hlt
    jmp .halt

; ---------------------------------------------------------------------------
; 64-bit code, still at its physical address.
; ---------------------------------------------------------------------------
bits 64
long_mode_entry:
    mov ax, SEL_KERNEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rax, higher_half_entry
    jmp rax

section .boot.rodata progbits alloc noexec nowrite align=16
msg_bad_magic:
    db "ipikernel: not started by a multiboot or multiboot2 loader; halted.", 13, 10, 0
msg_no_long_mode:
    db "ipikernel: this CPU does not support 64-bit long mode; halted.", 13, 10, 0

; The boot GDT: null, 64-bit code, data (SDM vol. 3A §3.4.5). gdt.c installs
; the final one with a TSS.
align 16
boot_gdt:
    dq 0
    dq DESC_KERNEL_CODE64               ; SEL_KERNEL_CODE (descriptors.h)
    dq DESC_KERNEL_DATA                 ; SEL_KERNEL_DATA
boot_gdt_end:
boot_gdt_ptr:
    dw boot_gdt_end - boot_gdt - 1
    dd boot_gdt

; ---------------------------------------------------------------------------
; Higher half.
; ---------------------------------------------------------------------------
section .text
extern kmain
extern __stack_chk_guard
higher_half_entry:
    mov rsp, boot_stack_top
    ; The stack protector's guard (kernel/diag/stack_protector.c) from the TSC,
    ; before the first C function saves a copy of it.
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov rcx, 0x9E3779B97F4A7C15         ; spread the counter's low-entropy bits
    imul rax, rcx
    mov [rel __stack_chk_guard], rax
    mov edi, ebp                        ; kmain(magic, info_phys); the 32-bit
    mov esi, esi                        ; moves clear the upper halves, which
    xor ebp, ebp                        ; long mode leaves undefined. RBP = 0
    call kmain                          ; ends the backtrace frame chain.
.hang:
    cli
    hlt
    jmp .hang
higher_half_entry_end:
    OUTERMOST_FRAME higher_half_entry, higher_half_entry_end

section .bss
alignb 4096
global boot_pml4
boot_pml4:       resb 4096
boot_pdpt_low:   resb 4096
boot_pdpt_high:  resb 4096
boot_pd:         resb 4096 * 4
cpu_has_nx:      resd 1

; The boot stack, preceded by a guard page that paging.c leaves unmapped so an
; overflow faults (and reaches the double-fault handler on its own IST stack).
alignb 4096
global boot_stack_guard
global boot_stack_bottom
global boot_stack_top
boot_stack_guard:  resb 4096
boot_stack_bottom: resb BOOT_STACK_SIZE
boot_stack_top:
