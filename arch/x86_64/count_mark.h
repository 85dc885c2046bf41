/*
 * count_mark.h - the marks that bound make bench's instruction counts, the
 * one definition shared by the kernel (count_mark.c) and the QEMU plugin
 * that counts (tools/qemu_plugin/count_insns.c).
 *
 * A mark is the multi-byte NOP "nopl COUNT_MARK_MAGIC | code(%rax)",
 * encoded 0F 1F 80 followed by the displacement's four bytes (SDM vol. 2B,
 * NOP: the recommended 7-byte form): one instruction that does nothing on
 * a CPU or under KVM, and that the plugin recognises by its bytes.
 */
#ifndef ARCH_X86_64_COUNT_MARK_H
#define ARCH_X86_64_COUNT_MARK_H

#define COUNT_MARK_MAGIC 0x49504b00u /* "IPK" in the top three bytes */
#define COUNT_MARK_FIGURE_BEGIN 1
#define COUNT_MARK_FIGURE_END 2
#define COUNT_MARK_CALL_BEGIN 3
#define COUNT_MARK_CALL_END 4

#endif
