; count_known.asm - two operations whose instructions are known from this
; listing alone: the independent truth against which tools/check_count.py
; checks make bench's instruction counts (tools/qemu_plugin/count_insns.c).
;
; count_known_nothing: RET, one instruction (what the harness measures).
; count_known_path: COUNT_KNOWN_NOPS NOPs, then two calls of
; count_known_wait, then RET. count_known_wait: a MOV, then a loop that
; executes its PAUSE COUNT_KNOWN_PAUSES times, three instructions a pass
; (PAUSE, DEC, JNZ), then RET. Each call is a wait of its own: the
; counter should report 2 * (COUNT_KNOWN_PAUSES - 1) spin iterations (the
; first pass of each is path, each later one repeats the loop), none for
; the way from the first wait's last PAUSE to the second's first, and a
; path of COUNT_KNOWN_NOPS + 2 * (CALL + MOV + 3 + RET) + RET.

section .text
bits 64

COUNT_KNOWN_NOPS equ 64
COUNT_KNOWN_PAUSES equ 10

global count_known_nothing
count_known_nothing:
    ret

global count_known_path
count_known_path:
%rep COUNT_KNOWN_NOPS
    nop
%endrep
    call count_known_wait
    call count_known_wait
    ret

count_known_wait:
    mov ecx, COUNT_KNOWN_PAUSES
.loop:
    pause
    dec ecx
    jnz .loop
    ret
