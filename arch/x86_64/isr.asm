; isr.asm - entry stubs for all 256 interrupt vectors.
;
; The CPU pushes SS, RSP, RFLAGS, CS, RIP and, for some exceptions, an error
; code (SDM vol. 3A §6.14.1, §6.13). Each stub makes the frame uniform by
; pushing a zero where the CPU pushed no error code, then the vector number,
; and jumps to isr_common, which saves the general registers in the order of
; struct trap_frame (arch/x86_64/trap.h) and calls trap_dispatch(frame).

%include "constants.inc"
%include "boot/debug_frame.inc"

section .text
bits 64

extern trap_dispatch

; Vectors for which the CPU pushes an error code: #DF, #TS, #NP, #SS, #GP,
; #PF, #AC, #CP, #VC, #SX.
%define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%define ISR_STUB_SIZE 16                ; every stub padded to this: stub n is at isr_stubs + n * 16

align 16
global isr_stubs
isr_stubs:
%assign v 0
%rep 256
    align ISR_STUB_SIZE
%if HAS_ERROR_CODE(v)
    push qword v                        ; error code already on the stack
%else
    push qword 0                        ; no error code: keep the frame uniform
    push qword v
%endif
    jmp isr_common
%assign v v + 1
%endrep

isr_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld                                 ; the C ABI expects DF = 0
    mov rdi, rsp                        ; argument: struct trap_frame *
    mov rbx, rsp                        ; callee-saved: the frame, to restore RSP
    and rsp, -16                        ; the C ABI wants a 16-byte aligned stack
.call:
    call trap_dispatch
    mov rsp, rbx
.frame_restored:
    ; For gdb: a backtrace from inside a handler goes on into the code that
    ; was interrupted (boot/debug_frame.inc).
    TRAP_FRAME_CALL .call, .frame_restored
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                         ; vector and error code
    iretq

; int arch_try_call(void (*fn)(void *), void *arg, struct arch_fault *fault)
;
; Saves the callee-saved registers, makes room for a struct try_frame
; (trap.h) below them and has try_frame_open (trap.c) link it in as this
; CPU's innermost try-call, then calls fn(arg). If fn faults, trap_dispatch
; (trap.c) rewrites the trap frame so that the IRETQ lands on
; arch_try_resume with RSP = the try_frame and RAX = the vector: the
; exception "returns" from arch_try_call. On both ways out try_frame_close
; unlinks the frame again.
;
; The frame is found through the CPU's own per-CPU block, never through a
; global: another CPU may be inside arch_try_call at the same time, on its
; own stack.
extern try_frame_open
extern try_frame_close
global arch_try_call
global arch_try_resume
arch_try_call:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, TRY_FRAME_SIZE             ; struct try_frame; RSP is 16-byte aligned again (trap.h)
    mov r12, rdi                        ; fn and arg, kept across try_frame_open
    mov r13, rsi
    mov rdi, rsp                        ; try_frame_open(frame, fault)
    mov rsi, rdx
    call try_frame_open
    mov rdi, r13
    call r12                            ; fn(arg)
    mov eax, -1                         ; fn returned: no fault
arch_try_resume:
    ; Here on both ways: RSP = the try_frame, EAX = the result. The
    ; callee-saved registers are restored below, so RBX may hold it.
    mov ebx, eax
    mov rdi, rsp                        ; try_frame_close(frame)
    call try_frame_close
    mov eax, ebx
    add rsp, TRY_FRAME_SIZE
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
