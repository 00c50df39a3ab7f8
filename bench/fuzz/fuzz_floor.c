// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor of bench/fuzz/run.sh: a target that reads its input and does
 * nothing else, built like the x2sim targets (same engine, same
 * sanitizers).  Its execs/s are libFuzzer's own cost per input on this
 * machine, the most any target can reach.
 */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	volatile uint8_t sink = 0;

	for (size_t i = 0; i < size; i++)
		sink ^= data[i];
	(void)sink;
	return 0;
}
