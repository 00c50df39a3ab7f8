/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim verify: the write guard (docs/verify.md, "The write guard").
 *
 * While a guard is armed, the memory of one VM (x2s_vm_mem()) is
 * read-only, all of it (the engine then writes it through a second
 * mapping, x2s_guard_alias()) or but for one range left open (the
 * sender's structures), or only a list of ranges is
 * (x2s_guard_arm_ranges()).  A write to a
 * protected byte, by any instruction, faults; the fault handler either
 * jumps back to the caller before the write happens (x2s_guard_catch())
 * or notes it (trips), opens the whole mapping again and lets the write
 * go on.  A case that ran armed and did not trip the guard wrote none of
 * the protected bytes.
 *
 * A guard is armed, disarmed and freed in one thread, which may have
 * several armed at once (over different memory).  The handler is installed
 * for SIGSEGV when the first guard arms, keeps whatever handler was there
 * for every other fault, and is put back if something replaced it since
 * (a test framework that installs its own around each test).
 */
#ifndef X2SIM_SRC_VERIFY_GUARD_H
#define X2SIM_SRC_VERIFY_GUARD_H

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* ThreadSanitizer builds have no guard (guard.c says why). */
#if defined(__SANITIZE_THREAD__)
#define X2S_GUARD_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define X2S_GUARD_UNDER_TSAN 1
#endif
#endif
#ifndef X2S_GUARD_UNDER_TSAN
#define X2S_GUARD_UNDER_TSAN 0
#endif

struct x2s_guard {
	char *base; /* page-aligned, len bytes */
	size_t len;
	char *open; /* page-aligned, open_len bytes, inside base */
	size_t open_len;
	volatile sig_atomic_t armed;
	sigjmp_buf *volatile jump; /* x2s_guard_catch() */
	unsigned long trips;	   /* faults taken */
	char *volatile fault_addr; /* the last one's address */
	struct x2s_guard *next;	   /* the thread's armed guards */
};

/* A page-aligned range, for x2s_guard_arm_ranges(). */
struct x2s_guard_range {
	void *start;
	size_t len;
};

/*
 * Whether guards can work here (page size, the handler installed):
 * false when X2SIM_GUARD=0 is set in the environment too.
 */
bool x2s_guard_available(void);
/* A guard over [base, base + len), disarmed. */
void x2s_guard_init(struct x2s_guard *g, void *base, size_t len);
/*
 * Protect everything but [open, open + open_len) (page-aligned, inside
 * the range; open_len 0: nothing open).  False when it could not be
 * done: the guard is then disarmed and everything writable.
 */
bool x2s_guard_arm(struct x2s_guard *g, void *open, size_t open_len);
/*
 * Protect only the n ranges (each page-aligned and inside the guard's
 * memory), the rest staying writable.  False as for x2s_guard_arm().
 */
bool x2s_guard_arm_ranges(struct x2s_guard *g, const struct x2s_guard_range *r,
			  unsigned int n);
/* Everything writable again (a no-op when not armed). */
void x2s_guard_disarm(struct x2s_guard *g);
/*
 * Move [base, base + len) (page-aligned, a private mapping of the
 * caller's with nothing else in it) onto a memory file, its bytes kept,
 * and map that file once more: the second mapping, returned, stays
 * writable whatever a guard does to the first, so that an engine can
 * write memory a fastpath may not.  NULL where this cannot be done (base
 * then holds its bytes as before).  The caller unmaps both.
 */
void *x2s_guard_alias(void *base, size_t len);
/*
 * While jump is set (sigsetjmp(*jump, 0) by the caller), a write to the
 * protected range does not happen: the handler siglongjmp()s there with
 * 1 and the guard stays armed.  NULL: the guard disarms and the write
 * goes on.
 */
static inline void x2s_guard_catch(struct x2s_guard *g, sigjmp_buf *jump)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	g->jump = jump;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

#endif /* X2SIM_SRC_VERIFY_GUARD_H */
