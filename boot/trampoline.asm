; trampoline.asm - where an application processor (AP) starts.
;
; A SIPI starts the AP in real mode at CS:IP = (vector << 8):0, that is at
; physical address vector * 4096 (SDM vol. 3A §9.4.4). The boot CPU copies
; the bytes from ap_trampoline_start to ap_trampoline_end to such a page
; below 1 MiB, fills in the arguments block at its end, and sends the SIPI.
; The code runs at an address it does not know when it is assembled, so it
; finds its base from CS and uses base-relative addresses throughout; the
; addresses that must be absolute (the GDT base, far jump targets) are
; patched in by the boot CPU (arch/x86_64/smp_start.c).
;
; Steps: real mode -> protected mode (32-bit) -> long mode, using the boot
; page tables (which map this page executable) -> a jump to ap_entry64 in
; the kernel's higher half, which switches to the kernel's page tables and
; the AP's own stack and calls arch_ap_main(cpu).

%include "boot/layout.inc"

CR0_PE          equ 1 << 0
CR4_PGE         equ 1 << 7

TR_CODE32       equ 0x08
TR_DATA         equ 0x10
TR_CODE64       equ 0x18

; The arguments block (struct trampoline_args in smp_start.c; keep in step).
struc tr_args
    .gdtr_limit:    resw 1
    .gdtr_base:     resd 1
    .pad0:          resw 1
    .far32_offset:  resd 1
    .far32_sel:     resw 1
    .pad1:          resw 1
    .far64_offset:  resd 1
    .far64_sel:     resw 1
    .pad2:          resw 1
    .boot_cr3:      resd 1
    .efer_bits:     resd 1
    .kernel_cr3:    resq 1
    .entry64:       resq 1
    .stack_top:     resq 1
    .cpu:           resq 1
    .gdt:           resq 4
endstruc

section .rodata
align 16
global ap_trampoline_start, ap_trampoline_end, ap_trampoline_args
global ap_trampoline_pm32, ap_trampoline_lm64, ap_trampoline_args_size

bits 16
ap_trampoline_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    movzx esi, ax
    shl esi, 4                          ; ESI = physical base of this page
    o32 lgdt [ap_trampoline_args - ap_trampoline_start + tr_args.gdtr_limit]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    o32 jmp far [ap_trampoline_args - ap_trampoline_start + tr_args.far32_offset]

bits 32
ap_trampoline_pm32:
    mov ax, TR_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, CR4_PAE | CR4_PGE
    mov cr4, eax
    mov eax, [esi + ap_trampoline_args - ap_trampoline_start + tr_args.boot_cr3]
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, [esi + ap_trampoline_args - ap_trampoline_start + tr_args.efer_bits]
    wrmsr                               ; LME (and NXE, as on the boot CPU)
    mov eax, cr0
    or eax, CR0_PG | CR0_WP
    mov cr0, eax                        ; long mode is active from here
    jmp far [esi + ap_trampoline_args - ap_trampoline_start + tr_args.far64_offset]

bits 64
ap_trampoline_lm64:
    mov ax, TR_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esi, esi                        ; zero the upper half: it is undefined here
    mov rax, [rsi + ap_trampoline_args - ap_trampoline_start + tr_args.entry64]
    jmp rax

align 16
ap_trampoline_args:
    istruc tr_args
    iend
ap_trampoline_end:

ap_trampoline_args_size: dd tr_args_size

section .text
bits 64
global ap_entry64
extern arch_ap_main
; In the higher half, still on the boot page tables. RSI = trampoline base.
ap_entry64:
    mov rax, [rsi + ap_trampoline_args - ap_trampoline_start + tr_args.kernel_cr3]
    mov cr3, rax
    mov rsp, [rsi + ap_trampoline_args - ap_trampoline_start + tr_args.stack_top]
    mov rdi, [rsi + ap_trampoline_args - ap_trampoline_start + tr_args.cpu]
    xor ebp, ebp                        ; ends backtraces here
    call arch_ap_main                   ; does not return
.hang:
    cli
    hlt
    jmp .hang
