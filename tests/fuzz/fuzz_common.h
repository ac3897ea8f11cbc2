/*
 * fuzz_common.h - what every libFuzzer target here shares. Layer: tests/fuzz
 * only (libc, cmocka's fakes). The targets link the unit tests' fakes
 * (lwip_harness, fake_udc, fake_board), whose checks are cmocka asserts:
 * outside a cmocka test run a failed assert would exit(), which libFuzzer
 * reports less clearly, so CMOCKA_TEST_ABORT=1 turns it into abort() - a
 * crash with a stack trace and a saved reproducer.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline void fuzz_common_init(void)
{
    setenv("CMOCKA_TEST_ABORT", "1", 1);
}

/* LLVMFuzzerInitialize for a target that needs nothing more than the above */
#define FUZZ_DEFAULT_INITIALIZE                            \
    int LLVMFuzzerInitialize(int *argc, char ***argv)      \
    {                                                      \
        (void)argc;                                        \
        (void)argv;                                        \
        fuzz_common_init();                                \
        return 0;                                          \
    }

#endif
