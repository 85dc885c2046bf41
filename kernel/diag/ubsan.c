/*
 * ubsan.c - the kernel's runtime for -fsanitize=undefined (make SANITIZE=1).
 *
 * The compiler inserts a check before each operation whose result C leaves
 * undefined (signed overflow, a shift past the width, a misaligned or NULL
 * access, an index past an array, a bool or enum with an impossible value,
 * ...) and calls __ubsan_handle_<kind>(data, operands...) when it fails.
 * Every data block starts with the source location. The kernel has no C
 * library to lend it a runtime, so this file is one: it prints the kind,
 * file, line and column, and panics, which in test mode ends QEMU with the
 * crash status. It is compiled without the sanitizer (the Makefile says so):
 * a check inside the handler would recurse.
 *
 * The handlers' names and data layouts are the ABI shared by GCC and
 * Clang's sanitizer runtime (compiler-rt's ubsan_handlers.h): only the
 * leading source location is read here, so a layout that grows at its end
 * in a later compiler does not matter.
 */
#include "kernel/panic.h"

#include <stddef.h>
#include <stdint.h>

/* The operands are part of each handler's signature but not read. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

struct ubsan_source_location {
    const char *file;
    uint32_t line;
    uint32_t column;
};

static noreturn void report(const char *kind, const void *data)
{
    const struct ubsan_source_location *at = data;
    panic_at(at->file != NULL ? at->file : "(unknown file)", (int)at->line,
             "undefined behaviour: %s (column %u)", kind, at->column);
}

/* One handler per check, in both forms: "_abort" is the one called with
 * -fno-sanitize-recover (the Makefile's choice), the plain one otherwise.
 * The operands (values, types) are not decoded: the kind and the place are
 * what a reader needs to find the bug. */
#define UBSAN_HANDLER(name, kind, ...)                                                             \
    noreturn void __ubsan_handle_##name(const void *data, ##__VA_ARGS__);                          \
    noreturn void __ubsan_handle_##name(const void *data, ##__VA_ARGS__) { report(kind, data); }   \
    noreturn void __ubsan_handle_##name##_abort(const void *data, ##__VA_ARGS__);                  \
    noreturn void __ubsan_handle_##name##_abort(const void *data, ##__VA_ARGS__)                   \
    {                                                                                              \
        report(kind, data);                                                                        \
    }

UBSAN_HANDLER(add_overflow, "signed addition overflow", uintptr_t a, uintptr_t b)
UBSAN_HANDLER(sub_overflow, "signed subtraction overflow", uintptr_t a, uintptr_t b)
UBSAN_HANDLER(mul_overflow, "signed multiplication overflow", uintptr_t a, uintptr_t b)
UBSAN_HANDLER(divrem_overflow, "division by zero or overflow", uintptr_t a, uintptr_t b)
UBSAN_HANDLER(negate_overflow, "signed negation overflow", uintptr_t a)
UBSAN_HANDLER(shift_out_of_bounds, "shift out of bounds", uintptr_t a, uintptr_t b)
UBSAN_HANDLER(out_of_bounds, "array index out of bounds", uintptr_t index)
UBSAN_HANDLER(load_invalid_value, "load of an impossible bool or enum value", uintptr_t v)
UBSAN_HANDLER(type_mismatch_v1, "misaligned or null pointer, or too small an object",
              uintptr_t pointer)
UBSAN_HANDLER(pointer_overflow, "pointer arithmetic overflow", uintptr_t base, uintptr_t result)
UBSAN_HANDLER(vla_bound_not_positive, "variable-length array bound not positive", uintptr_t v)
UBSAN_HANDLER(nonnull_arg, "null passed as an argument declared nonnull")
UBSAN_HANDLER(nonnull_return_v1, "null returned from a function declared returns_nonnull",
              const void *at)
UBSAN_HANDLER(invalid_builtin, "invalid argument to a builtin (ctz/clz of 0)")
UBSAN_HANDLER(builtin_unreachable, "__builtin_unreachable reached")
UBSAN_HANDLER(missing_return, "end of a non-void function without a return")
UBSAN_HANDLER(alignment_assumption, "alignment assumption violated", uintptr_t p, uintptr_t a,
              uintptr_t o)
UBSAN_HANDLER(function_type_mismatch, "call through a pointer of the wrong function type",
              uintptr_t f)
UBSAN_HANDLER(implicit_conversion, "implicit conversion changed the value", uintptr_t a,
              uintptr_t b)
