// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim verify: the write guard (guard.h).  mprotect() and a SIGSEGV
 * handler: no system call on the way of a case that writes nothing, two
 * when the guard moves to another sender or arms again, and one fault
 * (caught, the write not done) when a case writes protected memory; the
 * engine then gives that case to an engine that checks it the full way.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "verify/guard.h"

/* The armed guard of this thread, for the handler. */
static __thread struct x2s_guard *armed_here
	__attribute__((tls_model("initial-exec")));

static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction previous;
static bool have_previous;

static void on_fault(int sig, siginfo_t *si, void *uc);

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
	struct x2s_guard *g = armed_here;
	char *addr = si->si_addr;
	int saved = errno;

	if (g && g->armed && si->si_code == SEGV_ACCERR && addr >= g->base &&
	    addr < g->base + g->len) {
		sigjmp_buf *jump = g->jump;

		g->trips++;
		if (jump) {
			/* SA_NODEFER: SIGSEGV is not blocked here. */
			g->jump = NULL;
			errno = saved;
			siglongjmp(*jump, 1);
		}
		g->armed = 0;
		armed_here = NULL;
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

bool x2s_guard_arm(struct x2s_guard *g, void *open, size_t open_len)
{
	if (armed_here && armed_here != g)
		x2s_guard_disarm(armed_here);
	if (!handler_installed())
		goto fail;
	g->open = open;
	g->open_len = open_len;
	if (mprotect(g->base, g->len, PROT_READ))
		goto fail;
	if (open_len && mprotect(open, open_len, PROT_READ | PROT_WRITE))
		goto fail;
	armed_here = g;
	g->armed = 1;
	return true;
fail:
	g->armed = 1;
	x2s_guard_disarm(g);
	return false;
}

void x2s_guard_disarm(struct x2s_guard *g)
{
	if (!g->armed)
		return;
	g->armed = 0;
	if (armed_here == g)
		armed_here = NULL;
	/* Cannot fail on a mapping of our own: it only drops protection. */
	mprotect(g->base, g->len, PROT_READ | PROT_WRITE);
}
