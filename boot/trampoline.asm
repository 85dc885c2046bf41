; trampoline.asm - where an application processor (AP) starts.
;
; A SIPI starts the AP in real mode at CS:IP = (vector << 8):0, that is at
; physical address vector * 4096 (SDM vol. 3A §9.4.4). The boot CPU copies
; the bytes from ap_trampoline_start to ap_trampoline_end to such a page
; below 1 MiB, fills in the arguments block at its end, and sends the SIPI.
; The code runs at an address it does not know when it is assembled, so it
; finds its base from CS and uses base-relative addresses throughout; the
; addresses that must be absolute (the GDT base, far jump targets) are
; patched in by the boot CPU (arch/x86_64/trampoline.c).
;
; Steps: real mode -> protected mode (32-bit) -> long mode, using the boot
; page tables (which map this page executable) -> a jump to ap_entry64 in
; the kernel's higher half, which switches to the kernel's page tables and
; the AP's own stack and calls arch_ap_main(cpu).

%include "boot/layout.inc"
%include "boot/debug_frame.inc"

CR0_PE          equ 1 << 0

; The arguments block at ap_trampoline_args is struct trampoline_args
; (arch/x86_64/trampoline.h): its offsets and size (TRAMPOLINE_ARGS_*)
; come from C through constants.inc.
%define ARGS(field) (ap_trampoline_args - ap_trampoline_start + TRAMPOLINE_ARGS_ %+ field)

section .rodata
align 16
global ap_trampoline_start, ap_trampoline_end, ap_trampoline_args
global ap_trampoline_pm32, ap_trampoline_lm64

bits 16
ap_trampoline_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    movzx esi, ax
    shl esi, 4                          ; ESI = physical base of this page
    o32 lgdt [ARGS(GDTR)]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    o32 jmp far [ARGS(FAR32)]

bits 32
ap_trampoline_pm32:
    mov ax, SEL_TRAMPOLINE_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, CR4_PAE | CR4_PGE
    mov cr4, eax
    mov eax, [esi + ARGS(BOOT_CR3)]
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, [esi + ARGS(EFER_BITS)]
    wrmsr                               ; LME (and NXE, as on the boot CPU)
    mov eax, cr0
    or eax, CR0_PG | CR0_WP
    mov cr0, eax                        ; long mode is active from here
    jmp far [esi + ARGS(FAR64)]

bits 64
ap_trampoline_lm64:
    mov ax, SEL_TRAMPOLINE_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esi, esi                        ; zero the upper half: it is undefined here
    mov rax, [rsi + ARGS(ENTRY64)]
    jmp rax

align 16
ap_trampoline_args:
    times TRAMPOLINE_ARGS_SIZE db 0
ap_trampoline_end:

section .text
bits 64
global ap_entry64
extern arch_ap_main
; In the higher half, still on the boot page tables. RSI = trampoline base.
ap_entry64:
    mov rax, [rsi + ARGS(KERNEL_CR3)]
    mov cr3, rax
    mov rdi, [rsi + ARGS(CPU)]
    test rdi, rdi
    jz .find_own_cpu                    ; started with the others: look itself up
    mov rsp, [rsi + ARGS(STACK_TOP)]
.enter:
    xor ebp, ebp                        ; ends backtraces here
    call arch_ap_main                   ; does not return
.hang:
    cli
    hlt
    jmp .hang

; Parallel start: this CPU's APIC ID, as arch_cpu_hw_id reads it (CPUID
; leaf 0xB's x2APIC ID where the leaf exists, else CPUID.1:EBX[31:24];
; SDM vol. 3A §9.4.5), then the struct cpu in state CPU_STARTING that has
; it. Registers only: there is no stack yet.
.find_own_cpu:
    xor eax, eax
    cpuid
    cmp eax, 0xB
    jb .initial_apic_id
    mov eax, 0xB
    xor ecx, ecx
    cpuid
    test ebx, ebx                       ; leaf 0xB not really there
    jz .initial_apic_id
    mov r9d, edx
    jmp .search
.initial_apic_id:
    mov eax, 1
    cpuid
    shr ebx, 24
    mov r9d, ebx
.search:
    mov rdi, [rsi + ARGS(CPU_TABLE)]
    mov rcx, [rsi + ARGS(CPU_COUNT)]
.next:
    test rcx, rcx
    jz .hang                            ; not ours to start: the kernel reports it
    cmp dword [rdi + CPU_HW_ID], r9d
    jne .skip
    cmp dword [rdi + CPU_STATE], CPU_STARTING_VALUE
    je .found
.skip:
    add rdi, CPU_SIZE
    dec rcx
    jmp .next
.found:
    mov rsp, [rdi + CPU_STACK_HI]
    jmp .enter
ap_entry64_end:
    OUTERMOST_FRAME ap_entry64, ap_entry64_end
