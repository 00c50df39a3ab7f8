/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim: a small strict JSON reader and the writing helpers the file
 * formats share.
 *
 * The reader accepts RFC 8259 JSON with three restrictions that suit
 * configuration files: numbers must be integers (no fraction, no
 * exponent) that fit in 64 bits, strings must not contain U+0000, and an
 * object must not repeat a key.  Every value remembers the line and column
 * it starts at so that the formats built on top can point at the culprit.
 * Nesting depth, input size and the number of values are bounded.
 */
#ifndef X2SIM_SRC_VERIFY_JSON_H
#define X2SIM_SRC_VERIFY_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32
#define JSON_MAX_SIZE (4u << 20)
#define JSON_MAX_VALUES (1u << 18)

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_INT,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_member;

struct json_value {
	enum json_type type;
	unsigned int line, col; /* 1-based */
	union {
		bool b;
		struct {
			/* value = neg ? -mag : mag; mag <= 2^63 when neg */
			uint64_t mag;
			bool neg;
		} i;
		struct {
			char *s; /* NUL-terminated UTF-8, no embedded NUL */
			size_t len;
		} str;
		struct {
			struct json_value *v;
			unsigned int n;
		} arr;
		struct {
			struct json_member *m;
			unsigned int n;
		} obj;
	};
};

struct json_member {
	char *key;
	unsigned int line, col; /* where the key starts */
	struct json_value val;
};

struct json_error {
	unsigned int line, col;
	char msg[160];
};

/*
 * Parse len bytes of text into a tree.  Returns 0 and *out (free it with
 * json_free), -EINVAL with err filled in for malformed input, or -ENOMEM.
 */
int json_parse(const char *text, size_t len, struct json_value **out,
	       struct json_error *err);
void json_free(struct json_value *v);

/* The member called key of an object, or NULL. */
const struct json_member *json_member_find(const struct json_value *obj,
					   const char *key);
const char *json_type_name(enum json_type t);

/*
 * Write s as a JSON string literal, the one writer of every report and
 * file x2sim makes: '"' and '\\' escaped with a backslash, every control
 * character (below 0x20, and DEL 0x7f) as \u00XX; NULL as "".
 */
void json_write_string(FILE *f, const char *s);

#endif /* X2SIM_SRC_VERIFY_JSON_H */
