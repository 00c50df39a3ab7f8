// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim verify: the write guard (guard.h).  mprotect() and a SIGSEGV
 * handler: no system call on the way of a case that writes nothing, two
 * when the guard is lowered and raised again, and one fault
 * (caught, the write not done) when a case writes protected memory; the
 * engine then gives that case to an engine that checks it the full way.
 */
/* memfd_create() */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "verify/guard.h"

/* The armed guards of this thread, for the handler. */
static __thread struct x2s_guard *armed_here
	__attribute__((tls_model("initial-exec")));

static void list_add(struct x2s_guard *g)
{
	g->next = armed_here;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	armed_here = g;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static void list_del(struct x2s_guard *g)
{
	for (struct x2s_guard **p = &armed_here; *p; p = &(*p)->next) {
		if (*p == g) {
			*p = g->next;
			break;
		}
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	g->next = NULL;
}

/* The armed guard of this thread whose memory holds addr, or NULL. */
static struct x2s_guard *guard_at(const char *addr)
{
	for (struct x2s_guard *g = armed_here; g; g = g->next)
		if (g->armed && addr >= g->base && addr < g->base + g->len)
			return g;
	return NULL;
}

static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction previous;
static bool have_previous;

static void on_fault(int sig, siginfo_t *si, void *uc);

#if defined(__x86_64__) && defined(__linux__)
/*
 * The jump out of a caught fault is made from the thread's own stack, not
 * from the handler, which runs on the alternate signal stack when there
 * is one (SA_ONSTACK): ASan unpoisons the stacks a jump leaves, and from
 * the alternate stack it finds the thread's stack by reading
 * /proc/self/maps (about half a millisecond a fault here).  The handler
 * returns into jump_out() with the faulting stack pointer.
 */
static __thread sigjmp_buf *jump_to __attribute__((tls_model("initial-exec")));

static __attribute__((noreturn, used)) void jump_out(void)
{
	siglongjmp(*jump_to, 1);
}

static void jump_after_return(void *uc, sigjmp_buf *jump)
{
	mcontext_t *mc = &((ucontext_t *)uc)->uc_mcontext;
	/* Below the red zone, aligned as right after a call. */
	greg_t sp = ((mc->gregs[REG_RSP] - 128) & ~(greg_t)15) - 8;

	jump_to = jump;
	mc->gregs[REG_RSP] = sp;
	mc->gregs[REG_RIP] = (greg_t)(uintptr_t)jump_out;
}
#define JUMP_AFTER_RETURN 1
#else
#define JUMP_AFTER_RETURN 0
#endif

/* Hand a fault that is not ours to whatever was installed before. */
static void pass_on(int sig, siginfo_t *si, void *uc)
{
	if (have_previous && (previous.sa_flags & SA_SIGINFO) &&
	    previous.sa_sigaction) {
		previous.sa_sigaction(sig, si, uc);
		return;
	}
	if (have_previous && previous.sa_handler != SIG_DFL &&
	    previous.sa_handler != SIG_IGN) {
		previous.sa_handler(sig);
		return;
	}
	/* The default action: returning faults again, without us. */
	signal(sig, SIG_DFL);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	char *addr = si->si_addr;
	struct x2s_guard *g = guard_at(addr);
	int saved = errno;

	if (g && si->si_code == SEGV_ACCERR) {
		sigjmp_buf *jump = g->jump;

		g->trips++;
		g->fault_addr = addr;
		if (jump) {
			/* SA_NODEFER: SIGSEGV is not blocked here. */
			g->jump = NULL;
			errno = saved;
#if JUMP_AFTER_RETURN
			jump_after_return(uc, jump);
			return;
#else
			siglongjmp(*jump, 1);
#endif
		}
		g->armed = 0;
		list_del(g);
		/* The faulting write runs again, and succeeds. */
		if (!mprotect(g->base, g->len, PROT_READ | PROT_WRITE)) {
			errno = saved;
			return;
		}
	}
	errno = saved;
	pass_on(sig, si, uc);
}

/* Ours in place (again, if something replaced it); false if it failed. */
static bool handler_installed(void)
{
	struct sigaction now, ours;
	bool ok = true;

	pthread_mutex_lock(&handler_lock);
	if (sigaction(SIGSEGV, NULL, &now)) {
		ok = false;
	} else if (!(now.sa_flags & SA_SIGINFO) ||
		   now.sa_sigaction != on_fault) {
		memset(&ours, 0, sizeof(ours));
		ours.sa_sigaction = on_fault;
		/* SA_NODEFER: a fault in a handler we pass on still works. */
		ours.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
		sigemptyset(&ours.sa_mask);
		if (sigaction(SIGSEGV, &ours, &previous)) {
			ok = false;
		} else {
			have_previous = true;
		}
	}
	pthread_mutex_unlock(&handler_lock);
	return ok;
}

bool x2s_guard_available(void)
{
	const char *env = getenv("X2SIM_GUARD");

	if (env && !strcmp(env, "0"))
		return false;
#if X2S_GUARD_UNDER_TSAN
	/*
	 * ThreadSanitizer's runtime does not survive a jump out of a fault
	 * in instrumented code: the TSan build checks the full way only.
	 */
	return false;
#endif
	return sysconf(_SC_PAGESIZE) == 4096;
}

void x2s_guard_init(struct x2s_guard *g, void *base, size_t len)
{
	memset(g, 0, sizeof(*g));
	g->base = base;
	g->len = len;
}

/* Armed from now on; before any protection, so a failure undoes it. */
static bool arm_begin(struct x2s_guard *g)
{
	x2s_guard_disarm(g);
	if (!handler_installed())
		return false;
	g->armed = 1;
	list_add(g);
	return true;
}

bool x2s_guard_arm(struct x2s_guard *g, void *open, size_t open_len)
{
	if (!arm_begin(g))
		return false;
	g->open = open;
	g->open_len = open_len;
	if (mprotect(g->base, g->len, PROT_READ) ||
	    (open_len && mprotect(open, open_len, PROT_READ | PROT_WRITE))) {
		x2s_guard_disarm(g);
		return false;
	}
	return true;
}

bool x2s_guard_arm_ranges(struct x2s_guard *g, const struct x2s_guard_range *r,
			  unsigned int n)
{
	if (!arm_begin(g))
		return false;
	g->open = NULL;
	g->open_len = 0;
	for (unsigned int i = 0; i < n; i++) {
		if (mprotect(r[i].start, r[i].len, PROT_READ)) {
			x2s_guard_disarm(g);
			return false;
		}
	}
	return true;
}

void *x2s_guard_alias(void *base, size_t len)
{
	int fd = memfd_create("x2sim-guard", MFD_CLOEXEC);
	void *alias, *p;

	if (fd < 0)
		return NULL;
	alias = ftruncate(fd, (off_t)len) ?
			MAP_FAILED :
			mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			     0);
	if (alias == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	memcpy(alias, base, len);
	p = mmap(base, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 0);
	close(fd);
	if (p == base)
		return alias;
	/*
	 * A failed MAP_FIXED may have unmapped base already: private memory
	 * there again, the bytes back from the file.
	 */
	p = mmap(base, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p != base)
		abort();
	memcpy(base, alias, len);
	munmap(alias, len);
	return NULL;
}

void x2s_guard_disarm(struct x2s_guard *g)
{
	if (!g->armed)
		return;
	g->armed = 0;
	list_del(g);
	/* Cannot fail on a mapping of our own: it only drops protection. */
	mprotect(g->base, g->len, PROT_READ | PROT_WRITE);
}
