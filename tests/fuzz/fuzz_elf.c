// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_elf: the guest image loader on arbitrary bytes.  It must accept a
 * valid image or refuse with -ENOEXEC and a message; never read out of
 * bounds, crash or leak (the sanitizers and LeakSanitizer watch).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/guest.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x2s_guest_image *img = NULL;
	char err[256] = "";
	int r;

	r = x2s_guest_image_load_mem(data, size, &img, err, sizeof(err));
	if (r) {
		if (img || !err[0] || r >= 0) {
			fprintf(stderr,
				"fuzz_elf: error %d with image %p, message '%s'\n",
				r, (void *)img, err);
			abort();
		}
		return 0;
	}
	/* Walk what the loader promises about an accepted image. */
	for (unsigned int i = 0; i < x2s_guest_image_nr_segments(img); i++) {
		const struct x2s_guest_segment *s =
			x2s_guest_image_segment(img, i);
		volatile uint8_t sink = 0;

		if (s->filesz > s->memsz || s->vaddr < X2S_GUEST_IMAGE_MIN ||
		    s->vaddr + s->memsz > X2S_GUEST_IMAGE_MAX) {
			fprintf(stderr,
				"fuzz_elf: segment %u at %#llx, %llu/%llu bytes accepted\n",
				i, (unsigned long long)s->vaddr,
				(unsigned long long)s->filesz,
				(unsigned long long)s->memsz);
			abort();
		}
		for (uint64_t j = 0; j < s->filesz; j++)
			sink ^= s->data[j];
		(void)sink;
	}
	(void)x2s_guest_image_entry(img);
	x2s_guest_image_symbol(img, "main", NULL, NULL);
	x2s_guest_image_free(img);
	return 0;
}
