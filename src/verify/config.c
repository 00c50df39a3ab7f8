// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: the VM description format (docs/config-format.md) and the named
 * configurations built into the binary from the JSON files in configs/.
 *
 * The reader is strict on purpose: a misspelt key or a value of the wrong
 * type in a configuration would otherwise silently verify a VM other than
 * the one the user meant.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "verify/format.h"

/* ---- shared helpers (format.h) ---- */

/*
 * A message is one line of text: what came from the input (a key, a
 * name, a path) cannot put a control character or an escape sequence on
 * the user's terminal; each becomes \xNN.
 */
static void escape_controls(char *out, size_t len, const char *in)
{
	size_t n = 0;

	for (; *in && n + 1 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if (c >= 0x20 && c != 0x7f) {
			out[n++] = (char)c;
			continue;
		}
		if (n + 5 > len)
			break;
		n += (size_t)snprintf(out + n, len - n, "\\x%02x", c);
	}
	out[n] = '\0';
}

int x2s_format_fail(char *err, size_t errlen, const char *file,
		    unsigned int line, unsigned int col, const char *fmt, ...)
{
	char msg[256], raw[512];
	va_list ap;

	if (!err || !errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(raw, sizeof(raw), "%s:%u:%u: %s", file, line, col,
			 msg);
	else
		snprintf(raw, sizeof(raw), "%s: %s", file, msg);
	escape_controls(err, errlen, raw);
	return -EINVAL;
}

static int read_fail(char *err, size_t errlen, const char *path, int r)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	return r;
}

int x2s_read_text_file(const char *path, char **text, size_t *len, char *err,
		       size_t errlen)
{
	size_t n = 0, cap = 4096;
	struct stat st;
	char *buf;
	FILE *f;
	int r;

	*text = NULL;
	*len = 0;
	f = fopen(path, "rb");
	if (!f)
		return read_fail(err, errlen, path, -errno);
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return read_fail(err, errlen, path, -EISDIR);
	}
	buf = malloc(cap + 1);
	if (!buf) {
		fclose(f);
		return read_fail(err, errlen, path, -ENOMEM);
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			char *nb;

			if (cap > JSON_MAX_SIZE) {
				r = -EFBIG;
				goto fail;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				r = -ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got)
			continue;
		if (ferror(f)) {
			r = errno ? -errno : -EIO;
			goto fail;
		}
		break;
	}
	if (n > JSON_MAX_SIZE) {
		r = -EFBIG;
		goto fail;
	}
	fclose(f);
	buf[n] = 0;
	*text = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	fclose(f);
	return read_fail(err, errlen, path, r);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int x2s_json_u64(const struct json_value *v, const char *what, uint64_t max,
		 uint64_t *out, const char *file, char *err, size_t errlen)
{
	uint64_t x = 0;

	if (v->type == JSON_INT) {
		if (v->i.neg)
			return x2s_format_fail(err, errlen, file, v->line,
					       v->col,
					       "%s must not be negative", what);
		x = v->i.mag;
	} else if (v->type == JSON_STRING) {
		const char *s = v->str.s;
		size_t digits = v->str.len >= 2 ? v->str.len - 2 : 0;

		if (s[0] != '0' || s[1] != 'x')
			return x2s_format_fail(
				err, errlen, file, v->line, v->col,
				"%s: \"%s\" is not a number (write an integer or a \"0x...\" hex string)",
				what, s);
		if (!digits)
			return x2s_format_fail(
				err, errlen, file, v->line, v->col,
				"%s: \"0x\" has no hex digits", what);
		for (size_t i = 0; i < digits; i++) {
			int d = hexval(s[2 + i]);

			if (d < 0)
				return x2s_format_fail(
					err, errlen, file, v->line, v->col,
					"%s: \"%s\" is not a hex number", what,
					s);
			if (x >> 60)
				return x2s_format_fail(
					err, errlen, file, v->line, v->col,
					"%s: \"%s\" does not fit in 64 bits",
					what, s);
			x = x << 4 | (uint64_t)d;
		}
	} else {
		return x2s_format_fail(err, errlen, file, v->line, v->col,
				       "%s must be a number, not %s", what,
				       json_type_name(v->type));
	}
	if (x > max)
		return x2s_format_fail(err, errlen, file, v->line, v->col,
				       "%s must be 0 to %" PRIu64 " (0x%" PRIx64
				       "), not %" PRIu64,
				       what, max, max, x);
	*out = x;
	return 0;
}

/* ---- the description format ---- */

enum vcpu_field {
	VF_APIC_MODE,
	VF_SW_ENABLED,
	VF_XAPIC_ID,
	VF_LDR,
	VF_DFR,
	VF_MP_STATE,
	VF_GUEST_MODE,
	VF_L1_INTERCEPT,
	VF_SINGLESTEP,
	VF_RFLAGS_TF,
	VF_RFLAGS_IF,
	VF_APICV,
	VF_TIMER_MODE,
	VF_TIMER_VECTOR,
	VF_TIMER_MASKED,
	VF_TIMER_DIVIDE,
	VF_TIMER_COUNT,
	VF_TIMER_DEADLINE,
	VF_PENDING_VECTOR,
	VF_NMI_PENDING,
	NR_VCPU_FIELDS,
};

/* Key names in the canonical (writing) order. */
static const char *const vcpu_field_keys[NR_VCPU_FIELDS] = {
	[VF_APIC_MODE] = "apic_mode",
	[VF_SW_ENABLED] = "sw_enabled",
	[VF_XAPIC_ID] = "xapic_id",
	[VF_LDR] = "ldr",
	[VF_DFR] = "dfr",
	[VF_MP_STATE] = "mp_state",
	[VF_GUEST_MODE] = "guest_mode",
	[VF_L1_INTERCEPT] = "l1_intercept",
	[VF_SINGLESTEP] = "singlestep",
	[VF_RFLAGS_TF] = "rflags_tf",
	[VF_RFLAGS_IF] = "rflags_if",
	[VF_APICV] = "apicv",
	[VF_TIMER_MODE] = "timer_mode",
	[VF_TIMER_VECTOR] = "timer_vector",
	[VF_TIMER_MASKED] = "timer_masked",
	[VF_TIMER_DIVIDE] = "timer_divide",
	[VF_TIMER_COUNT] = "timer_count",
	[VF_TIMER_DEADLINE] = "timer_deadline",
	[VF_PENDING_VECTOR] = "pending_vector",
	[VF_NMI_PENDING] = "nmi_pending",
};

static const char *const timer_mode_names[] = { "oneshot", "periodic",
						"tsc-deadline" };

static const char *const apic_mode_names[] = {
	[X2S_APIC_MODE_DISABLED] = "disabled",
	[X2S_APIC_MODE_XAPIC] = "xapic",
	[X2S_APIC_MODE_X2APIC] = "x2apic",
};

static const char *const mp_state_names[] = {
	[KVM_MP_STATE_RUNNABLE] = "runnable",
	[KVM_MP_STATE_UNINITIALIZED] = "uninitialized",
	[KVM_MP_STATE_INIT_RECEIVED] = "init_received",
	[KVM_MP_STATE_HALTED] = "halted",
	[KVM_MP_STATE_SIPI_RECEIVED] = "sipi_received",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int64_t vcpu_field_get(const struct x2s_vcpu_desc *v, enum vcpu_field k)
{
	switch (k) {
	case VF_APIC_MODE:
		return v->apic_mode;
	case VF_SW_ENABLED:
		return v->sw_enabled;
	case VF_XAPIC_ID:
		return v->xapic_id;
	case VF_LDR:
		return v->ldr;
	case VF_DFR:
		return v->dfr;
	case VF_MP_STATE:
		return v->mp_state;
	case VF_GUEST_MODE:
		return v->guest_mode;
	case VF_L1_INTERCEPT:
		return v->l1_intercept;
	case VF_SINGLESTEP:
		return v->singlestep;
	case VF_RFLAGS_TF:
		return v->rflags_tf;
	case VF_RFLAGS_IF:
		return v->rflags_if;
	case VF_APICV:
		return v->apicv;
	case VF_TIMER_MODE:
		return v->timer_mode;
	case VF_TIMER_VECTOR:
		return v->timer_vector;
	case VF_TIMER_MASKED:
		return v->timer_masked;
	case VF_TIMER_DIVIDE:
		return v->timer_divide;
	case VF_TIMER_COUNT:
		return v->timer_count;
	case VF_TIMER_DEADLINE:
		return v->timer_deadline;
	case VF_PENDING_VECTOR:
		return v->pending_vector;
	case VF_NMI_PENDING:
		return v->nmi_pending;
	default:
		return 0;
	}
}

static void vcpu_field_set(struct x2s_vcpu_desc *v, enum vcpu_field k,
			   int64_t x)
{
	switch (k) {
	case VF_APIC_MODE:
		v->apic_mode = (enum x2s_apic_mode)x;
		break;
	case VF_SW_ENABLED:
		v->sw_enabled = x;
		break;
	case VF_XAPIC_ID:
		v->xapic_id = (int)x;
		break;
	case VF_LDR:
		v->ldr = x;
		break;
	case VF_DFR:
		v->dfr = x;
		break;
	case VF_MP_STATE:
		v->mp_state = (uint32_t)x;
		break;
	case VF_GUEST_MODE:
		v->guest_mode = x;
		break;
	case VF_L1_INTERCEPT:
		v->l1_intercept = x;
		break;
	case VF_SINGLESTEP:
		v->singlestep = x;
		break;
	case VF_RFLAGS_TF:
		v->rflags_tf = x;
		break;
	case VF_RFLAGS_IF:
		v->rflags_if = x;
		break;
	case VF_APICV:
		v->apicv = x;
		break;
	case VF_TIMER_MODE:
		v->timer_mode = (int)x;
		break;
	case VF_TIMER_VECTOR:
		v->timer_vector = (int)x;
		break;
	case VF_TIMER_MASKED:
		v->timer_masked = x;
		break;
	case VF_TIMER_DIVIDE:
		v->timer_divide = (int)x;
		break;
	case VF_TIMER_COUNT:
		v->timer_count = (uint32_t)x;
		break;
	case VF_TIMER_DEADLINE:
		v->timer_deadline = x;
		break;
	case VF_PENDING_VECTOR:
		v->pending_vector = (int)x;
		break;
	case VF_NMI_PENDING:
		v->nmi_pending = x;
		break;
	default:
		break;
	}
}

enum knob {
	KNOB_VECTOR_HASHING,
	KNOB_X2APIC_FORMAT,
	KNOB_BROADCAST_QUIRK_DISABLED,
	KNOB_X2APIC_ICR_IS_SPLIT,
	KNOB_PREEMPTION_TIMER,
	NR_KNOBS,
};

static const char *const knob_keys[NR_KNOBS] = {
	[KNOB_VECTOR_HASHING] = "vector_hashing",
	[KNOB_X2APIC_FORMAT] = "x2apic_format",
	[KNOB_BROADCAST_QUIRK_DISABLED] = "broadcast_quirk_disabled",
	[KNOB_X2APIC_ICR_IS_SPLIT] = "x2apic_icr_is_split",
	[KNOB_PREEMPTION_TIMER] = "preemption_timer",
};

static bool *knob_ptr(struct x2s_vm_desc *d, enum knob k)
{
	switch (k) {
	case KNOB_VECTOR_HASHING:
		return &d->vector_hashing;
	case KNOB_X2APIC_FORMAT:
		return &d->x2apic_format;
	case KNOB_BROADCAST_QUIRK_DISABLED:
		return &d->broadcast_quirk_disabled;
	case KNOB_PREEMPTION_TIMER:
		return &d->preemption_timer;
	case KNOB_X2APIC_ICR_IS_SPLIT:
	default:
		return &d->x2apic_icr_is_split;
	}
}

struct desc_parser {
	const char *file;
	char *err;
	size_t errlen;
};

#define desc_fail(dp, v, ...)                                           \
	x2s_format_fail((dp)->err, (dp)->errlen, (dp)->file, (v)->line, \
			(v)->col, __VA_ARGS__)

/* Index of s in names[0..n), or -1. */
static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return -1;
}

static int desc_bool(struct desc_parser *dp, const struct json_value *v,
		     const char *key, bool *out)
{
	if (v->type != JSON_BOOL)
		return desc_fail(dp, v, "\"%s\" must be true or false, not %s",
				 key, json_type_name(v->type));
	*out = v->b;
	return 0;
}

static int desc_enum(struct desc_parser *dp, const struct json_value *v,
		     const char *key, const char *const *names, size_t n,
		     int64_t *out)
{
	char list[160] = "";
	int i;

	if (v->type == JSON_STRING) {
		i = name_index(names, n, v->str.s);
		if (i >= 0) {
			*out = i;
			return 0;
		}
	}
	for (size_t j = 0; j < n; j++) {
		size_t l = strlen(list);

		snprintf(list + l, sizeof(list) - l, "%s\"%s\"",
			 j ? (j + 1 == n ? " or " : ", ") : "", names[j]);
	}
	if (v->type != JSON_STRING)
		return desc_fail(dp, v, "\"%s\" must be %s, not %s", key, list,
				 json_type_name(v->type));
	return desc_fail(dp, v, "\"%s\" must be %s, not \"%s\"", key, list,
			 v->str.s);
}

static int desc_vcpu_value(struct desc_parser *dp, const struct json_value *v,
			   enum vcpu_field k, int64_t *out)
{
	const char *key = vcpu_field_keys[k];
	uint64_t x;
	bool b = false;
	int r;

	switch (k) {
	case VF_APIC_MODE:
		return desc_enum(dp, v, key, apic_mode_names,
				 ARRAY_LEN(apic_mode_names), out);
	case VF_MP_STATE:
		return desc_enum(dp, v, key, mp_state_names,
				 ARRAY_LEN(mp_state_names), out);
	case VF_TIMER_MODE:
		if (v->type == JSON_NULL) {
			*out = -1;
			return 0;
		}
		return desc_enum(dp, v, key, timer_mode_names,
				 ARRAY_LEN(timer_mode_names), out);
	case VF_TIMER_VECTOR:
	case VF_TIMER_DIVIDE:
	case VF_TIMER_COUNT:
	case VF_TIMER_DEADLINE:
		r = x2s_json_u64(v, key,
				 k == VF_TIMER_VECTOR ? 255 :
				 k == VF_TIMER_DIVIDE ? 0xf :
				 k == VF_TIMER_COUNT  ? 0xffffffff :
							INT64_MAX,
				 &x, dp->file, dp->err, dp->errlen);
		if (!r)
			*out = (int64_t)x;
		return r;
	case VF_PENDING_VECTOR:
		/* null: none; else a vector a fixed IPI may carry. */
		if (v->type == JSON_NULL) {
			*out = -1;
			return 0;
		}
		r = x2s_json_u64(v, key, 255, &x, dp->file, dp->err,
				 dp->errlen);
		if (!r && x < 16)
			r = desc_fail(
				dp, v,
				"\"%s\" must be 16 .. 255 or null, not %" PRIu64,
				key, x);
		if (!r)
			*out = (int64_t)x;
		return r;
	case VF_XAPIC_ID:
	case VF_LDR:
	case VF_DFR:
		/* null: the reset value (vcpu_id, 0, flat). */
		if (v->type == JSON_NULL) {
			*out = -1;
			return 0;
		}
		if (k == VF_DFR && v->type == JSON_STRING &&
		    (!strcmp(v->str.s, "flat") ||
		     !strcmp(v->str.s, "cluster"))) {
			*out = !strcmp(v->str.s, "flat") ? APIC_DFR_FLAT :
							   APIC_DFR_CLUSTER;
			return 0;
		}
		r = x2s_json_u64(v, key, k == VF_XAPIC_ID ? 255 : 0xffffffff,
				 &x, dp->file, dp->err, dp->errlen);
		if (!r)
			*out = (int64_t)x;
		return r;
	default:
		r = desc_bool(dp, v, key, &b);
		if (!r)
			*out = b;
		return r;
	}
}

static int desc_unknown_key(struct desc_parser *dp, const struct json_member *m,
			    const char *where, const char *const *keys,
			    size_t n)
{
	char list[320] = "";

	for (size_t j = 0; j < n; j++) {
		size_t l = strlen(list);

		snprintf(list + l, sizeof(list) - l, "%s%s", j ? ", " : "",
			 keys[j]);
	}
	return x2s_format_fail(dp->err, dp->errlen, dp->file, m->line, m->col,
			       "unknown key \"%s\" in %s (known: %s)", m->key,
			       where, list);
}

/*
 * Apply an object of vCPU fields to vCPUs [first, last].  with_id: the
 * object is an entry of "vcpu" and carries its "id" (checked by the
 * caller).
 */
static int desc_vcpu_fields(struct desc_parser *dp, const struct json_value *o,
			    struct x2s_vm_desc *d, unsigned int first,
			    unsigned int last, bool with_id)
{
	const char *where = with_id ? "a \"vcpu\" entry" : "\"defaults\"";

	if (o->type != JSON_OBJECT)
		return desc_fail(dp, o, "%s must be an object, not %s", where,
				 json_type_name(o->type));
	for (unsigned int i = 0; i < o->obj.n; i++) {
		const struct json_member *m = &o->obj.m[i];
		int64_t x = 0;
		int k, r;

		if (with_id && !strcmp(m->key, "id"))
			continue;
		k = name_index(vcpu_field_keys, NR_VCPU_FIELDS, m->key);
		if (k < 0)
			return desc_unknown_key(dp, m, where, vcpu_field_keys,
						NR_VCPU_FIELDS);
		r = desc_vcpu_value(dp, &m->val, (enum vcpu_field)k, &x);
		if (r)
			return r;
		for (unsigned int c = first; c <= last; c++)
			vcpu_field_set(&d->vcpu[c], (enum vcpu_field)k, x);
	}
	return 0;
}

static bool desc_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.' || *s == '+'))
			return false;
	return true;
}

static const char *const desc_keys[] = {
	"name",	 "description", "vcpus",    "lapic_in_kernel",
	"knobs", "clock_ns",	"defaults", "vcpu",
};

static int desc_from_json(struct desc_parser *dp, const struct json_value *v,
			  struct x2s_vm_desc *d)
{
	const struct json_member *name, *text, *vcpus, *m;
	bool seen[X2S_DESC_MAX_VCPUS] = { false };
	char why[200];
	uint64_t n;
	int r;

	if (v->type != JSON_OBJECT)
		return desc_fail(dp, v,
				 "a configuration must be an object, not %s",
				 json_type_name(v->type));
	for (unsigned int i = 0; i < v->obj.n; i++)
		if (name_index(desc_keys, ARRAY_LEN(desc_keys),
			       v->obj.m[i].key) < 0)
			return desc_unknown_key(dp, &v->obj.m[i],
						"a configuration", desc_keys,
						ARRAY_LEN(desc_keys));

	name = json_member_find(v, "name");
	if (!name)
		return desc_fail(dp, v, "configuration without \"name\"");
	if (name->val.type != JSON_STRING)
		return desc_fail(dp, &name->val,
				 "\"name\" must be a string, not %s",
				 json_type_name(name->val.type));
	if (name->val.str.len >= X2S_DESC_NAME_LEN ||
	    !desc_name_ok(name->val.str.s))
		return desc_fail(
			dp, &name->val,
			"\"name\" must be 1 to %d characters of A-Z a-z 0-9 - _ . +",
			X2S_DESC_NAME_LEN - 1);
	vcpus = json_member_find(v, "vcpus");
	if (!vcpus)
		return desc_fail(dp, v,
				 "configuration \"%s\" without \"vcpus\"",
				 name->val.str.s);
	r = x2s_json_u64(&vcpus->val, "vcpus", UINT64_MAX, &n, dp->file,
			 dp->err, dp->errlen);
	if (r)
		return r;
	if (n < 1 || n > X2S_DESC_MAX_VCPUS)
		return desc_fail(dp, &vcpus->val, "\"vcpus\" must be 1 to %d",
				 X2S_DESC_MAX_VCPUS);
	x2s_vm_desc_init(d, name->val.str.s, (unsigned int)n);

	text = json_member_find(v, "description");
	if (text) {
		if (text->val.type != JSON_STRING)
			return desc_fail(
				dp, &text->val,
				"\"description\" must be a string, not %s",
				json_type_name(text->val.type));
		if (text->val.str.len >= X2S_DESC_TEXT_LEN)
			return desc_fail(
				dp, &text->val,
				"\"description\" is longer than %d bytes",
				X2S_DESC_TEXT_LEN - 1);
		for (size_t i = 0; i < text->val.str.len; i++)
			if ((unsigned char)text->val.str.s[i] < 0x20)
				return desc_fail(
					dp, &text->val,
					"\"description\" must be one line without control characters");
		memcpy(d->description, text->val.str.s, text->val.str.len);
	}

	m = json_member_find(v, "lapic_in_kernel");
	if (m) {
		r = desc_bool(dp, &m->val, "lapic_in_kernel",
			      &d->lapic_in_kernel);
		if (r)
			return r;
	}

	m = json_member_find(v, "knobs");
	if (m) {
		const struct json_value *o = &m->val;

		if (o->type != JSON_OBJECT)
			return desc_fail(dp, o,
					 "\"knobs\" must be an object, not %s",
					 json_type_name(o->type));
		for (unsigned int i = 0; i < o->obj.n; i++) {
			const struct json_member *k = &o->obj.m[i];
			int idx = name_index(knob_keys, NR_KNOBS, k->key);

			if (idx < 0)
				return desc_unknown_key(dp, k, "\"knobs\"",
							knob_keys, NR_KNOBS);
			r = desc_bool(dp, &k->val, k->key,
				      knob_ptr(d, (enum knob)idx));
			if (r)
				return r;
		}
	}

	m = json_member_find(v, "clock_ns");
	if (m) {
		r = x2s_json_u64(&m->val, "clock_ns", INT64_MAX, &n, dp->file,
				 dp->err, dp->errlen);
		if (r)
			return r;
		d->clock_ns = (int64_t)n;
	}

	m = json_member_find(v, "defaults");
	if (m) {
		r = desc_vcpu_fields(dp, &m->val, d, 0, d->nr_vcpus - 1, false);
		if (r)
			return r;
	}

	m = json_member_find(v, "vcpu");
	if (m) {
		const struct json_value *a = &m->val;

		if (a->type != JSON_ARRAY)
			return desc_fail(dp, a,
					 "\"vcpu\" must be an array, not %s",
					 json_type_name(a->type));
		for (unsigned int i = 0; i < a->arr.n; i++) {
			const struct json_value *e = &a->arr.v[i];
			const struct json_member *id;
			uint64_t c;

			if (e->type != JSON_OBJECT)
				return desc_fail(
					dp, e,
					"a \"vcpu\" entry must be an object, not %s",
					json_type_name(e->type));
			id = json_member_find(e, "id");
			if (!id)
				return desc_fail(
					dp, e, "\"vcpu\" entry without \"id\"");
			r = x2s_json_u64(&id->val, "id", UINT64_MAX, &c,
					 dp->file, dp->err, dp->errlen);
			if (r)
				return r;
			if (c >= d->nr_vcpus)
				return desc_fail(
					dp, &id->val,
					"vcpu id %" PRIu64
					" out of range (\"vcpus\" is %u)",
					c, d->nr_vcpus);
			if (seen[c])
				return desc_fail(dp, &id->val,
						 "vcpu %" PRIu64
						 " is described twice",
						 c);
			seen[c] = true;
			r = desc_vcpu_fields(dp, e, d, (unsigned int)c,
					     (unsigned int)c, true);
			if (r)
				return r;
		}
	}

	if (x2s_vm_desc_check(d, why, sizeof(why)))
		return desc_fail(dp, v, "configuration \"%s\": %s", d->name,
				 why);
	return 0;
}

int x2s_vm_desc_from_json(const struct json_value *v, const char *file,
			  struct x2s_vm_desc *d, char *err, size_t errlen)
{
	struct desc_parser dp = { .file = file, .err = err, .errlen = errlen };

	return desc_from_json(&dp, v, d);
}

static int desc_parse_text(const char *file, const char *text, size_t len,
			   struct x2s_vm_desc *out, unsigned int max, char *err,
			   size_t errlen)
{
	struct desc_parser dp = { .file = file, .err = err, .errlen = errlen };
	const struct json_value *list = NULL;
	struct json_value *root;
	struct json_error je;
	unsigned int n = 0;
	int r;

	if (!out || !max)
		return x2s_format_fail(err, errlen, file, 0, 0,
				       "no room for configurations");
	r = json_parse(text, len, &root, &je);
	if (r == -ENOMEM) {
		x2s_format_fail(err, errlen, file, 0, 0, "out of memory");
		return -ENOMEM;
	}
	if (r)
		return x2s_format_fail(err, errlen, file, je.line, je.col, "%s",
				       je.msg);

	if (root->type == JSON_ARRAY) {
		list = root;
	} else if (root->type == JSON_OBJECT &&
		   json_member_find(root, "configs")) {
		for (unsigned int i = 0; i < root->obj.n; i++) {
			const struct json_member *m = &root->obj.m[i];

			if (strcmp(m->key, "configs")) {
				r = x2s_format_fail(
					err, errlen, file, m->line, m->col,
					"unknown key \"%s\" beside \"configs\"",
					m->key);
				goto out;
			}
		}
		list = &json_member_find(root, "configs")->val;
		if (list->type != JSON_ARRAY) {
			r = desc_fail(&dp, list,
				      "\"configs\" must be an array, not %s",
				      json_type_name(list->type));
			goto out;
		}
	}

	if (!list) {
		r = desc_from_json(&dp, root, &out[0]);
		n = 1;
		goto out;
	}
	if (!list->arr.n) {
		r = desc_fail(&dp, list, "no configurations in the list");
		goto out;
	}
	if (list->arr.n > max) {
		r = desc_fail(&dp, list, "more than %u configurations", max);
		goto out;
	}
	for (unsigned int i = 0; i < list->arr.n; i++) {
		r = desc_from_json(&dp, &list->arr.v[i], &out[n]);
		if (r)
			goto out;
		for (unsigned int j = 0; j < n; j++) {
			if (!strcmp(out[j].name, out[n].name)) {
				r = desc_fail(
					&dp, &list->arr.v[i],
					"a second configuration named \"%s\"",
					out[n].name);
				goto out;
			}
		}
		n++;
	}
out:
	json_free(root);
	return r ? r : (int)n;
}

int x2s_vm_desc_parse(const char *text, struct x2s_vm_desc *out,
		      unsigned int max, char *err, size_t errlen)
{
	if (!text)
		return x2s_format_fail(err, errlen, "<input>", 0, 0, "no text");
	return desc_parse_text("<input>", text, strlen(text), out, max, err,
			       errlen);
}

int x2s_vm_desc_load(const char *path, struct x2s_vm_desc *out,
		     unsigned int max, char *err, size_t errlen)
{
	size_t len;
	char *text;
	int r;

	if (!path)
		return x2s_format_fail(err, errlen, "<input>", 0, 0, "no path");
	r = x2s_read_text_file(path, &text, &len, err, errlen);
	if (r)
		return r;
	r = desc_parse_text(path, text, len, out, max, err, errlen);
	free(text);
	return r;
}

/* ---- writing the canonical form ---- */

static void desc_write_vcpu_value(FILE *f, enum vcpu_field k, int64_t x)
{
	switch (k) {
	case VF_APIC_MODE:
		if (x >= 0 && (size_t)x < ARRAY_LEN(apic_mode_names))
			json_write_string(f, apic_mode_names[x]);
		else
			fprintf(f, "%" PRId64, x);
		break;
	case VF_MP_STATE:
		if (x >= 0 && (size_t)x < ARRAY_LEN(mp_state_names))
			json_write_string(f, mp_state_names[x]);
		else
			fprintf(f, "%" PRId64, x);
		break;
	case VF_TIMER_MODE:
		if (x >= 0 && (size_t)x < ARRAY_LEN(timer_mode_names))
			json_write_string(f, timer_mode_names[x]);
		else
			fputs("null", f);
		break;
	case VF_TIMER_VECTOR:
	case VF_TIMER_DIVIDE:
	case VF_TIMER_COUNT:
		fprintf(f, "%" PRId64, x);
		break;
	case VF_TIMER_DEADLINE:
		fprintf(f, "\"0x%" PRIx64 "\"", (uint64_t)x);
		break;
	case VF_XAPIC_ID:
	case VF_PENDING_VECTOR:
		if (x < 0)
			fputs("null", f);
		else
			fprintf(f, "%" PRId64, x);
		break;
	case VF_DFR:
		if (x == APIC_DFR_FLAT) {
			fputs("\"flat\"", f);
			break;
		}
		if (x == APIC_DFR_CLUSTER) {
			fputs("\"cluster\"", f);
			break;
		}
		/* fall through */
	case VF_LDR:
		if (x < 0)
			fputs("null", f);
		else
			fprintf(f, "\"0x%08" PRIx64 "\"", (uint64_t)x);
		break;
	default:
		fputs(x ? "true" : "false", f);
		break;
	}
}

static void desc_write_indent(FILE *f, int indent)
{
	fprintf(f, "\n%*s", indent > 0 ? indent : 0, "");
}

/*
 * Layout for embedding: the opening brace goes where the caller left the
 * stream, every later line starts with indent spaces, and nothing follows
 * the closing brace (the caller adds "," or a newline).
 *
 * Canonical form: keys in a fixed order, only what differs from
 * x2s_vm_desc_init.  A vCPU field equal on every vCPU (of two or more)
 * goes to "defaults"; the rest is listed per vCPU, in id order.
 */
void x2s_vm_desc_write(FILE *f, const struct x2s_vm_desc *d, int indent)
{
	struct x2s_vm_desc base;
	bool in_defaults[NR_VCPU_FIELDS] = { false };
	unsigned int nr = d->nr_vcpus;
	bool any, first_vcpu = true;
	char name[X2S_DESC_NAME_LEN + 1], text[X2S_DESC_TEXT_LEN + 1];

	if (nr > X2S_DESC_MAX_VCPUS)
		nr = X2S_DESC_MAX_VCPUS;
	x2s_vm_desc_init(&base, "", nr);

	fputs("{", f);
	desc_write_indent(f, indent + 2);
	/* Bounded copies: the struct's strings may lack their NUL. */
	snprintf(name, sizeof(name), "%.*s", (int)sizeof(d->name), d->name);
	snprintf(text, sizeof(text), "%.*s", (int)sizeof(d->description),
		 d->description);
	fputs("\"name\": ", f);
	json_write_string(f, name);
	if (text[0]) {
		fputs(",", f);
		desc_write_indent(f, indent + 2);
		fputs("\"description\": ", f);
		json_write_string(f, text);
	}
	fputs(",", f);
	desc_write_indent(f, indent + 2);
	fprintf(f, "\"vcpus\": %u", d->nr_vcpus);
	if (d->lapic_in_kernel != base.lapic_in_kernel) {
		fputs(",", f);
		desc_write_indent(f, indent + 2);
		fprintf(f, "\"lapic_in_kernel\": %s",
			d->lapic_in_kernel ? "true" : "false");
	}

	any = false;
	for (unsigned int k = 0; k < NR_KNOBS; k++) {
		bool x = *knob_ptr((struct x2s_vm_desc *)d, (enum knob)k);

		if (x == *knob_ptr(&base, (enum knob)k))
			continue;
		if (!any) {
			fputs(",", f);
			desc_write_indent(f, indent + 2);
			fputs("\"knobs\": {", f);
		} else {
			fputs(", ", f);
		}
		any = true;
		fprintf(f, "\"%s\": %s", knob_keys[k], x ? "true" : "false");
	}
	if (any)
		fputs("}", f);
	if (d->clock_ns) {
		fputs(",", f);
		desc_write_indent(f, indent + 2);
		fprintf(f, "\"clock_ns\": %" PRId64, d->clock_ns);
	}

	any = false;
	for (unsigned int k = 0; k < NR_VCPU_FIELDS && nr > 1; k++) {
		int64_t x = vcpu_field_get(&d->vcpu[0], (enum vcpu_field)k);
		bool same = true;

		for (unsigned int c = 1; c < nr; c++)
			same &= vcpu_field_get(&d->vcpu[c],
					       (enum vcpu_field)k) == x;
		if (!same ||
		    x == vcpu_field_get(&base.vcpu[0], (enum vcpu_field)k))
			continue;
		in_defaults[k] = true;
		if (!any) {
			fputs(",", f);
			desc_write_indent(f, indent + 2);
			fputs("\"defaults\": {", f);
		} else {
			fputs(", ", f);
		}
		any = true;
		fprintf(f, "\"%s\": ", vcpu_field_keys[k]);
		desc_write_vcpu_value(f, (enum vcpu_field)k, x);
	}
	if (any)
		fputs("}", f);

	for (unsigned int c = 0; c < nr; c++) {
		const struct x2s_vcpu_desc *v = &d->vcpu[c];

		any = false;
		for (unsigned int k = 0; k < NR_VCPU_FIELDS; k++) {
			int64_t x = vcpu_field_get(v, (enum vcpu_field)k);

			if (in_defaults[k] ||
			    x == vcpu_field_get(&base.vcpu[c],
						(enum vcpu_field)k))
				continue;
			if (!any) {
				fputs(",", f);
				if (first_vcpu) {
					desc_write_indent(f, indent + 2);
					fputs("\"vcpu\": [", f);
				}
				first_vcpu = false;
				desc_write_indent(f, indent + 4);
				fprintf(f, "{\"id\": %u", c);
			}
			any = true;
			fprintf(f, ", \"%s\": ", vcpu_field_keys[k]);
			desc_write_vcpu_value(f, (enum vcpu_field)k, x);
		}
		if (any)
			fputs("}", f);
	}
	if (!first_vcpu) {
		desc_write_indent(f, indent + 2);
		fputs("]", f);
	}
	desc_write_indent(f, indent);
	fputs("}", f);
}

/* ---- the named set ---- */

/* The fixed order is the engine's configuration index: append only. */
static const char *const named_order[] = {
	"x2apic-1",
	"x2apic-2",
	"x2apic-4",
	"sw-disabled-target",
	"hw-disabled-target",
	"wait-for-sipi",
	"mixed-modes",
	"aliased-xapic-ids",
	"l2-no-intercept",
	"l2-intercept",
	"singlestep",
	"guest-tf",
	"apicv",
	"no-vector-hashing",
	"split-icr",
	"x2apic-api",
	"timers",
	"timers-sw",
	"hlt-pending",
};

#define NR_NAMED ARRAY_LEN(named_order)

static struct x2s_vm_desc named_descs[NR_NAMED];
static pthread_once_t named_once = PTHREAD_ONCE_INIT;

/*
 * A built-in file that does not parse is a build defect (the unit tests
 * parse every one), not an input error: stop loudly like BUG().
 */
static void named_load(void)
{
	for (unsigned int i = 0; i < NR_NAMED; i++) {
		const struct x2s_embedded_file *ef = NULL;
		char file[96], err[320];
		int r;

		snprintf(file, sizeof(file), "%s.json", named_order[i]);
		for (unsigned int j = 0; j < x2s_nr_embedded_configs; j++)
			if (!strcmp(x2s_embedded_configs[j].name, file))
				ef = &x2s_embedded_configs[j];
		if (!ef) {
			fprintf(stderr,
				"x2sim: built-in configuration configs/%s is missing\n",
				file);
			abort();
		}
		snprintf(file, sizeof(file), "configs/%s.json", named_order[i]);
		r = desc_parse_text(file, ef->data, ef->len, &named_descs[i], 1,
				    err, sizeof(err));
		if (r != 1 || strcmp(named_descs[i].name, named_order[i])) {
			fprintf(stderr,
				"x2sim: built-in configuration %s: %s\n", file,
				r == 1 ? "name does not match the file name" :
					 err);
			abort();
		}
	}
}

unsigned int x2s_named_config_count(void)
{
	return NR_NAMED;
}

const struct x2s_vm_desc *x2s_named_config(unsigned int i)
{
	if (i >= NR_NAMED)
		return NULL;
	pthread_once(&named_once, named_load);
	return &named_descs[i];
}

const struct x2s_vm_desc *x2s_named_config_find(const char *name)
{
	if (!name)
		return NULL;
	for (unsigned int i = 0; i < NR_NAMED; i++)
		if (!strcmp(named_order[i], name))
			return x2s_named_config(i);
	return NULL;
}
