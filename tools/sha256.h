/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim CLI: SHA-256 (FIPS 180-4), for the reports' plugin and
 * configuration digests (docs/verify-json.md).
 */
#ifndef X2SIM_TOOLS_SHA256_H
#define X2SIM_TOOLS_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed so far */
	uint8_t buf[64];
	size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(struct sha256 *s, char out[65]);
/* A file's digest: 0, or -errno. */
int sha256_file(const char *path, char out[65]);

#endif /* X2SIM_TOOLS_SHA256_H */
