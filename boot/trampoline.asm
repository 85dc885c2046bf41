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

; This CPU's APIC ID, read from its local APIC, in R9D: the ID the boot
; CPU's INIT and SIPI were addressed to, and the one the MADT lists. Not
; CPUID's: firmware may renumber xAPIC IDs, an ID written on AMD carries into
; x2APIC mode, and CPUID leaf 1 holds only 8 bits (SDM vol. 3A §11.4.6,
; §11.12.5.1; Linux's parallel bring-up came to read it so too). x2APIC mode survives
; INIT, so the mode is read first (IA32_APIC_BASE.EXTD). Clobbers EAX, ECX,
; EDX; all ones when the xAPIC registers lie above the identity map.
%macro call_free_read_apic_id 0
    mov ecx, MSR_IA32_APIC_BASE
    rdmsr
    test eax, APIC_BASE_X2APIC_ENABLE
    jz %%xapic
    mov ecx, MSR_X2APIC_APIC_ID
    rdmsr
    mov r9d, eax
    jmp %%done
%%xapic:
    mov r9d, -1
    test edx, edx
    jnz %%done
    and eax, APIC_BASE_ADDR_LOW_MASK    ; zero-extends into RAX
    mov r9d, [rax + LAPIC_REG_ID]
    shr r9d, XAPIC_ID_SHIFT
%%done:
%endmacro

; Claims the struct cpu at RDI: CPU_STARTING -> CPU_ENTERING in one locked
; compare-and-swap, or jumps to %1 if another AP, or the boot CPU giving
; up, changed the state first. Clobbers EAX, EDX.
%macro call_free_claim 1
    mov eax, CPU_STARTING_VALUE
    mov edx, CPU_ENTERING_VALUE
    lock cmpxchg dword [rdi + CPU_STATE], edx
    jne %1
%endmacro

section .text
bits 64
global ap_entry64
extern arch_ap_main
; In the higher half, still on the boot page tables. RSI = trampoline base.
; Registers only until the stack is claimed: there is none before.
ap_entry64:
    mov rax, [rsi + ARGS(KERNEL_CR3)]
    mov cr3, rax                        ; low memory stays identity-mapped
    call_free_read_apic_id              ; R9D = this CPU's APIC ID
    mov rdi, [rsi + ARGS(CPU)]
    test rdi, rdi
    jz .find_own_cpu                    ; started with the others: look itself up
    ; Started alone: the slot it was given, if that is its own. An AP that
    ; comes late, after the boot CPU has moved on to the next CPU, or the
    ; twin of one with the same ID, must not take the next CPU's slot.
    cmp dword [rdi + CPU_HW_ID], r9d
    jne .stray
    call_free_claim .stray
.take_stack:
    mov rsp, [rdi + CPU_STACK_HI]       ; from the slot it owns now
.enter:
    xor ebp, ebp                        ; ends backtraces here
    call arch_ap_main                   ; does not return
.hang:
    cli
    hlt
    jmp .hang

; Parallel start: the struct cpu in state CPU_STARTING whose hardware ID is
; this CPU's APIC ID.
.find_own_cpu:
    mov rdi, [rsi + ARGS(CPU_TABLE)]
    mov rcx, [rsi + ARGS(CPU_COUNT)]
.next:
    test rcx, rcx
    jz .stray
    cmp dword [rdi + CPU_HW_ID], r9d
    jne .skip
    call_free_claim .skip
    jmp .take_stack
.skip:
    add rdi, CPU_SIZE
    dec rcx
    jmp .next

; No slot to claim: its APIC ID is not one being started, another AP with
; the same ID got there first, or the boot CPU has given up on it. Counted
; for the boot CPU to report (the ID first: the locked add orders it).
.stray:
    mov [rsi + ARGS(STRAY_ID)], r9d
    lock inc dword [rsi + ARGS(STRAYS)]
    jmp .hang
ap_entry64_end:
    OUTERMOST_FRAME ap_entry64, ap_entry64_end
