/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The entry point every x2sim fuzz target defines, as libFuzzer, AFL++
 * (afl-clang-fast) and OSS-Fuzz call it; replay_main.c calls it for each
 * file of a corpus when no fuzzing engine is linked.
 */
#ifndef X2SIM_TESTS_FUZZ_H
#define X2SIM_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* X2SIM_TESTS_FUZZ_H */
