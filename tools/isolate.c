// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim CLI: running untrusted fastpath code in a child process and
 * telling the user what became of it (isolate.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "isolate.h"
#include "kernel/kbuild.h"
#include "report.h"
#include "vmx/vmx.h"

/*
 * The child ends with _exit(): under AddressSanitizer its leak check,
 * which would have run at exit, is run by hand first.
 */
#if defined(__SANITIZE_ADDRESS__)
#define X2S_LEAK_CHECK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define X2S_LEAK_CHECK 1
#endif
#endif
#ifdef X2S_LEAK_CHECK
void __lsan_do_leak_check(void);
#endif

#define TOKEN "x2sim-done "
/* How often the parent looks at the child, in ms. */
#define POLL_MS 50
/* What a guest run may overrun its --timeout-ms by before it is ended. */
#define GUEST_GRACE_MS 1000u

struct cli_watch *cli_watch;
static int token_fd = -1;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t self_thread(void)
{
	return (uint64_t)pthread_self();
}

/* ---- the child ---- */

void cli_watch_phase(enum cli_phase phase)
{
	if (!cli_watch)
		return;
	__atomic_store_n(&cli_watch->phase_ns, mono_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&cli_watch->phase, phase, __ATOMIC_RELEASE);
}

void cli_watch_case(unsigned int config, const struct x2s_case *c)
{
	struct x2s_watch_slot *w;

	if (!cli_watch)
		return;
	w = &cli_watch->sweep.slot[0];
	__atomic_store_n(&w->thread, self_thread(), __ATOMIC_RELAXED);
	x2s_watch_slot_case(w, config, c->sender, (uint32_t)c->exit, c->ecx,
			    c->reg, c->data);
	__atomic_store_n(&w->running, 1, __ATOMIC_RELEASE);
}

void cli_watch_label(const char *label)
{
	if (cli_watch && label)
		snprintf(cli_watch->label, sizeof(cli_watch->label), "%s",
			 label);
}

void cli_watch_case_done(void)
{
	if (cli_watch)
		__atomic_store_n(&cli_watch->sweep.slot[0].running, 0,
				 __ATOMIC_RELEASE);
}

/*
 * A fatal signal: note the thread it hit, then die of it.  The handler is
 * called directly, or through the write guard's SIGSEGV handler, which
 * passes on the faults that are not its own (src/verify/guard.c) and
 * stays installed: the default action is restored here, not by
 * SA_RESETHAND alone, or raise() would come back through the guard.
 */
static void child_fatal(int sig)
{
	uint64_t none = 0;

	__atomic_compare_exchange_n(&cli_watch->crash_thread, &none,
				    self_thread(), false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * exit() called before the report was complete (the normal end is
 * cli_isolate_child_exit(), which does not come here): note the thread,
 * and end with the status at once, before other exit handlers run (a
 * sanitizer's leak check would change the status; the plugin's own
 * destructors have nothing left to do).
 */
static void child_on_exit(int status, void *arg)
{
	(void)arg;
	__atomic_store_n(&cli_watch->exit_thread, self_thread(),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&cli_watch->exit_called, 1, __ATOMIC_RELEASE);
	_exit(status);
}

static void child_setup(struct cli_watch *w, int fd, pid_t parent)
{
	static const int fatal[] = { SIGSEGV, SIGBUS,  SIGILL, SIGFPE,
				     SIGABRT, SIGTRAP, SIGSYS };
	struct sigaction sa;

	/* Its own group, so that the parent can end it with what it runs. */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(EXIT_USAGE);
	cli_watch = w;
	token_fd = fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = child_fatal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	on_exit(child_on_exit, NULL);
}

void cli_isolate_child_exit(int status)
{
	char buf[32];
	int n;

	if (!cli_watch)
		return;
	fflush(stdout);
	fflush(stderr);
#ifdef X2S_LEAK_CHECK
	__lsan_do_leak_check();
#endif
	n = snprintf(buf, sizeof(buf), TOKEN "%d\n", status);
	while (write(token_fd, buf, (size_t)n) < 0 && errno == EINTR)
		;
	/* No atexit handler or destructor of the plugin runs after this. */
	_exit(status);
}

/* ---- naming what happened ---- */

static const struct {
	int sig;
	const char *name;
} signal_names[] = {
	{ SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" },	{ SIGILL, "SIGILL" },
	{ SIGFPE, "SIGFPE" },	{ SIGABRT, "SIGABRT" }, { SIGTRAP, "SIGTRAP" },
	{ SIGSYS, "SIGSYS" },	{ SIGKILL, "SIGKILL" }, { SIGTERM, "SIGTERM" },
	{ SIGINT, "SIGINT" },	{ SIGHUP, "SIGHUP" },	{ SIGQUIT, "SIGQUIT" },
	{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGUSR1, "SIGUSR1" },
	{ SIGUSR2, "SIGUSR2" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
};

static const char *signal_name(int sig, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]);
	     i++)
		if (signal_names[i].sig == sig)
			return signal_names[i].name;
	snprintf(buf, len, "signal %d", sig);
	return buf;
}

/* Append s to buf, in single quotes when the shell would need them. */
void cli_shell_append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);
	bool plain = *s != '\0';

	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_./:=,+-@%",
			    *p))
			plain = false;
	if (n && n < len)
		buf[n++] = ' ';
	if (plain) {
		snprintf(buf + n, len > n ? len - n : 0, "%s", s);
		return;
	}
	if (n < len)
		buf[n++] = '\'';
	for (; *s && n + 5 < len; s++) {
		if (*s == '\'') {
			memcpy(buf + n, "'\\''", 4);
			n += 4;
		} else {
			buf[n++] = *s;
		}
	}
	if (n + 1 < len)
		buf[n++] = '\'';
	if (len)
		buf[n < len ? n : len - 1] = '\0';
}

void cli_fastpath_args(char *buf, size_t len, const char *plugin,
		       const struct x2s_kernel_opts *ko)
{
	const char *const opts[][2] = {
		{ "--plugin", plugin },
		{ "--kernel", ko ? ko->tree : NULL },
		{ "--patch", ko ? ko->patch : NULL },
		{ "--kernel-source", ko ? ko->source : NULL },
		{ "--kvm-version", ko ? ko->kvm_version : NULL },
		{ "--cc", ko ? ko->cc : NULL },
	};

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (!opts[i][1])
			continue;
		cli_shell_append(buf, len, opts[i][0]);
		cli_shell_append(buf, len, opts[i][1]);
	}
}

void cli_case_command(char *buf, size_t len, const char *config,
		      const struct x2s_case *c)
{
	char exit[96];

	snprintf(buf, len, "x2sim case --config");
	cli_shell_append(buf, len, config);
	snprintf(exit, sizeof(exit), "--sender %u --exit %s:0x%x=0x%llx",
		 c->sender, x2s_case_exit_name(c->exit), c->ecx,
		 (unsigned long long)c->data);
	snprintf(buf + strlen(buf), len - strlen(buf), " %s", exit);
	if (x2s_case_exit_uses(c->exit) & X2S_CASE_USES_REG)
		snprintf(buf + strlen(buf), len - strlen(buf), " --reg %u",
			 c->reg);
}

/* "config x2apic-2, sender 0, WRMSR ...; reproduce with: x2sim case ..." */
static void describe_slot(const struct cli_isolate *iso,
			  const struct x2s_watch_slot *w, char *buf, size_t len,
			  struct cli_failure *fl)
{
	const struct x2s_vm_desc *d = NULL;
	const char *arg = NULL;
	struct x2s_case c;
	char exit[96], cmd[1024];

	memset(&c, 0, sizeof(c));
	c.sender = w->sender;
	c.exit = w->exit < X2S_CASE_NR_EXITS ? (enum x2s_case_exit)w->exit :
					       X2S_CASE_WRMSR;
	c.ecx = w->ecx;
	c.data = w->data;
	c.reg = (uint8_t)w->reg;
	if (iso->configs && w->config < iso->nr_configs) {
		d = &iso->configs[w->config];
		arg = iso->config_args ? iso->config_args[w->config] : NULL;
		if (!arg)
			arg = d->name;
	}
	x2s_case_exit_format(&c, exit, sizeof(exit));
	if (iso->reproduce) {
		snprintf(cmd, sizeof(cmd), "%s", iso->reproduce);
	} else {
		cli_case_command(cmd, sizeof(cmd), arg ? arg : "?", &c);
		if (iso->fastpath_args)
			snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
				 " %s", iso->fastpath_args);
		if (iso->case_timeout != CLI_CASE_TIMEOUT_DEFAULT)
			snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
				 " --case-timeout %u", iso->case_timeout);
	}
	snprintf(buf, len, "config %s, sender %u, %s; reproduce with: %s",
		 d ? d->name : "?", c.sender, exit, cmd);
	/* The case as a case file holds it: only a case of a known config. */
	if (fl && d && c.sender < d->nr_vcpus) {
		c.config = *d;
		fl->c = c;
		fl->has_case = true;
	}
}

/*
 * Where the child was: the case of the slot the hang or the fatal thread
 * names, else every case that was running; the loading or the guest.
 */
static void describe_where(const struct cli_isolate *iso,
			   const struct cli_watch *w, int slot, uint64_t thread,
			   char *buf, size_t len, struct cli_failure *fl,
			   unsigned int *nfl)
{
	const struct x2s_watch_slot *s = w->sweep.slot;
	unsigned int running = 0;
	char one[1400];

	buf[0] = '\0';
	*nfl = 1;
	if (slot < 0 && thread) {
		for (int i = 0; i < X2S_WATCH_SLOTS; i++)
			if (s[i].running && s[i].thread == thread)
				slot = i;
	}
	if (slot >= 0) {
		describe_slot(iso, &s[slot], one, sizeof(one), fl);
		snprintf(buf, len, " in case: %s", one);
		return;
	}
	for (int i = 0; i < X2S_WATCH_SLOTS; i++)
		running += s[i].running != 0;
	if (running) {
		unsigned int k = 0;

		snprintf(buf, len,
			 running == 1 ? " in case:" : " in one of %u cases:",
			 running);
		/* Which of them is not known: each is a candidate. */
		for (int i = 0; i < X2S_WATCH_SLOTS; i++) {
			if (!s[i].running)
				continue;
			describe_slot(iso, &s[i], one, sizeof(one),
				      k < CLI_MAX_FAILURES ? &fl[k] : NULL);
			snprintf(buf + strlen(buf), len - strlen(buf), "%s %s",
				 k++ ? ";" : "", one);
		}
		*nfl = k < CLI_MAX_FAILURES ? k : CLI_MAX_FAILURES;
		return;
	}
	switch (w->phase) {
	case CLI_PHASE_START:
		snprintf(buf, len, " before any case ran");
		break;
	case CLI_PHASE_LOAD:
		snprintf(buf, len,
			 " while it was being loaded (in an ELF constructor)");
		break;
	case CLI_PHASE_BUILD:
		snprintf(buf, len, " while it was being built and loaded");
		break;
	case CLI_PHASE_GUEST:
		if (w->guest_in_fastpath) {
			const char *r =
				vmx_exit_reason_name(w->guest_exit_reason);

			snprintf(
				buf, len,
				" in the guest's vcpu %u at rip 0x%llx, in the fastpath of its %s exit",
				w->guest_vcpu, (unsigned long long)w->guest_rip,
				r ? r : "unknown");
		} else {
			snprintf(buf, len, " while the guest ran");
		}
		break;
	default:
		snprintf(buf, len, " outside any case");
		break;
	}
}

/* ---- the parent ---- */

static volatile sig_atomic_t parent_signal;

static void parent_on_signal(int sig)
{
	parent_signal = sig;
}

static const int passed_on[] = { SIGINT, SIGTERM, SIGHUP };
#define NR_PASSED_ON (sizeof(passed_on) / sizeof(passed_on[0]))

enum ending {
	END_ITSELF,
	END_HANG,
	END_GUEST_TIMEOUT,
	END_SIGNAL,
};

static void kill_child(pid_t pid)
{
	if (kill(-pid, SIGKILL))
		kill(pid, SIGKILL);
}

/* A standard output whose reader has gone (x2sim ... | head). */
static bool stdout_broken(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

struct watchdog {
	bool valid[X2S_WATCH_SLOTS];
	uint64_t seq[X2S_WATCH_SLOTS];
	uint64_t since[X2S_WATCH_SLOTS];
	uint32_t phase;
	uint64_t phase_since;
};

/* Has the child stopped making progress?  The slot, or -2 for the load. */
static int watchdog_check(const struct cli_isolate *iso,
			  const struct cli_watch *w, struct watchdog *wd,
			  uint64_t now)
{
	uint64_t limit = (uint64_t)iso->case_timeout * 1000000000ull;
	uint32_t phase = __atomic_load_n(&w->phase, __ATOMIC_ACQUIRE);

	if (phase != wd->phase) {
		wd->phase = phase;
		wd->phase_since = now;
	}
	if (!iso->case_timeout)
		return -1;
	if (phase == CLI_PHASE_LOAD && now - wd->phase_since > limit)
		return -2;
	for (int i = 0; i < X2S_WATCH_SLOTS; i++) {
		const struct x2s_watch_slot *s = &w->sweep.slot[i];
		uint64_t seq;

		if (!__atomic_load_n(&s->running, __ATOMIC_ACQUIRE)) {
			wd->valid[i] = false;
			continue;
		}
		seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (!wd->valid[i] || wd->seq[i] != seq) {
			wd->valid[i] = true;
			wd->seq[i] = seq;
			wd->since[i] = now;
		} else if (now - wd->since[i] > limit) {
			return i;
		}
	}
	return -1;
}

static bool guest_overran(const struct cli_isolate *iso,
			  const struct cli_watch *w, uint64_t now)
{
	uint64_t start;

	if (!iso->guest_timeout_ms ||
	    __atomic_load_n(&w->phase, __ATOMIC_ACQUIRE) != CLI_PHASE_GUEST)
		return false;
	start = __atomic_load_n(&w->phase_ns, __ATOMIC_RELAXED);
	return now >
	       start + (iso->guest_timeout_ms + GUEST_GRACE_MS) * 1000000ull;
}

/* The final token, "x2sim-done N\n"; false when there is none. */
static bool parse_token(const char *buf, size_t len, int *status)
{
	const char *p;
	char *end;
	long v;

	if (len < sizeof(TOKEN) || buf[len - 1] != '\n')
		return false;
	/* The last line only. */
	for (p = buf + len - 1; p > buf && p[-1] != '\n'; p--)
		;
	if (strncmp(p, TOKEN, sizeof(TOKEN) - 1))
		return false;
	errno = 0;
	v = strtol(p + sizeof(TOKEN) - 1, &end, 10);
	if (errno || *end != '\n' || v < 0 || v > 255)
		return false;
	*status = (int)v;
	return true;
}

static void abandon_outputs(struct cli_isolate *iso)
{
	/* The child renamed what it completed; the rest is removed. */
	for (int i = 0; i < CLI_MAX_OUTPUTS; i++)
		if (iso->outputs[i] && iso->outputs[i]->f)
			cli_atomic_commit(iso->outputs[i], false);
}

/*
 * Say what happened, in one line.  A failure of the fastpath code itself
 * (a crash, an abort, an exit(), a hang) is a finding where the command
 * takes it as one: the failures go to on_failure, status 1.
 */
static int report(struct cli_isolate *iso, const struct cli_watch *w,
		  enum ending how, int hung, int wstatus, bool have_token,
		  int token)
{
	static struct cli_failure fl[CLI_MAX_FAILURES];
	char what[256], where[4096], sigbuf[32], kind[X2S_CASE_FAILURE_LEN];
	char label[X2S_CASE_FASTPATH_LEN];
	uint64_t thread = 0;
	unsigned int nfl = 0;
	bool finding = iso->failure_is_finding;
	int status;

	kind[0] = '\0';
	memset(fl, 0, sizeof(fl));

	if (how == END_GUEST_TIMEOUT) {
		snprintf(
			what, sizeof(what),
			"%s did not return within the guest's time budget of %llu ms (--timeout-ms; the process running it was ended %u ms past it)",
			iso->who, (unsigned long long)iso->guest_timeout_ms,
			GUEST_GRACE_MS);
	} else if (how == END_HANG) {
		snprintf(kind, sizeof(kind), "timeout");
		if (hung == -2)
			snprintf(
				what, sizeof(what),
				"%s did not finish loading within %u s (--case-timeout)",
				iso->who, iso->case_timeout);
		else
			snprintf(
				what, sizeof(what),
				"%s did not return within %u s (--case-timeout)",
				iso->who, iso->case_timeout);
	} else if (WIFSIGNALED(wstatus)) {
		int sig = WTERMSIG(wstatus);
		const char *name = signal_name(sig, sigbuf, sizeof(sigbuf));

		thread = w->crash_thread;
		snprintf(kind, sizeof(kind), "%s",
			 sig == SIGABRT ? "abort" : name);
		if (sig == SIGKILL) {
			/* Killed from outside: not the code's own doing. */
			finding = false;
			snprintf(
				what, sizeof(what),
				"the process running %s was killed (SIGKILL; out of memory?)",
				iso->who);
		} else if (sig == SIGABRT) {
			snprintf(what, sizeof(what), "%s aborted (SIGABRT)",
				 iso->who);
		} else {
			snprintf(what, sizeof(what), "%s crashed (%s)",
				 iso->who, name);
		}
	} else if (WIFEXITED(wstatus) && !have_token) {
		bool called = w->exit_called;

		thread = called ? w->exit_thread : 0;
		snprintf(kind, sizeof(kind), "%s(%d)",
			 called ? "exit" : "_exit", WEXITSTATUS(wstatus));
		snprintf(
			what, sizeof(what),
			"%s ended the process with %s(%d) before the report was complete",
			iso->who, called ? "exit" : "_exit",
			WEXITSTATUS(wstatus));
	} else {
		finding = false;
		snprintf(
			what, sizeof(what),
			"the process running %s ended with status %d, but reported %d",
			iso->who,
			WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1, token);
	}
	describe_where(iso, w, hung >= 0 ? hung : -1, thread, where,
		       sizeof(where), fl, &nfl);
	/* verify's progress line on a terminal: the message replaces it. */
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r%70s\r", "");
	cli_message(iso->cmd, "%s%s", what, where);
	if (!finding)
		return EXIT_USAGE;
	for (unsigned int i = 0; i < nfl; i++) {
		snprintf(fl[i].kind, sizeof(fl[i].kind), "%s", kind);
		snprintf(fl[i].c.failure, sizeof(fl[i].c.failure), "%s", kind);
		snprintf(fl[i].message, sizeof(fl[i].message), "%s", what);
		snprintf(fl[i].where, sizeof(fl[i].where), "%.*s",
			 (int)sizeof(fl[i].where) - 1, where);
	}
	/* The child's page: its label may be torn, but it ends here. */
	memcpy(label, w->label, sizeof(label));
	label[sizeof(label) - 1] = '\0';
	status = iso->findings_status_set ? iso->findings_status : EXIT_CHECK;
	if (iso->on_failure &&
	    iso->on_failure(iso->opaque, fl, nfl, label[0] ? label : NULL))
		status = EXIT_USAGE;
	return status;
}

static int parent_wait(struct cli_isolate *iso, struct cli_watch *w, pid_t pid,
		       int fd)
{
	struct sigaction sa, old[NR_PASSED_ON];
	struct watchdog *wd = calloc(1, sizeof(*wd));
	enum ending how = END_ITSELF;
	char tok[256], scratch[256];
	size_t toklen = 0;
	bool eof = false, have_token;
	int wstatus = 0, hung = -1, token = -1, status;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = parent_on_signal;
	sigemptyset(&sa.sa_mask);
	parent_signal = 0;
	for (size_t i = 0; i < NR_PASSED_ON; i++)
		sigaction(passed_on[i], &sa, &old[i]);
	if (wd)
		wd->phase_since = mono_ns();

	for (;;) {
		struct pollfd p = { .fd = eof ? -1 : fd, .events = POLLIN };
		pid_t r;

		if (poll(&p, 1, POLL_MS) > 0 &&
		    (p.revents & (POLLIN | POLLHUP))) {
			char *dst = toklen + 1 < sizeof(tok) ? tok + toklen :
							       scratch;
			size_t room = dst == scratch ? sizeof(scratch) :
						       sizeof(tok) - 1 - toklen;
			ssize_t n = read(fd, dst, room);

			if (n > 0 && dst != scratch)
				toklen += (size_t)n;
			else if (n == 0 || (n < 0 && errno != EINTR))
				eof = true;
		}
		r = waitpid(pid, &wstatus, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			break;
		if (how != END_ITSELF)
			continue;
		if (parent_signal) {
			how = END_SIGNAL;
			kill_child(pid);
		} else if (wd && (hung = watchdog_check(iso, w, wd,
							mono_ns())) != -1) {
			how = END_HANG;
			kill_child(pid);
		} else if (guest_overran(iso, w, mono_ns())) {
			how = END_GUEST_TIMEOUT;
			kill_child(pid);
		}
	}
	/* What is left in the pipe, without waiting on anyone else. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (!eof && toklen + 1 < sizeof(tok)) {
		ssize_t n = read(fd, tok + toklen, sizeof(tok) - 1 - toklen);

		if (n <= 0)
			break;
		toklen += (size_t)n;
	}
	free(wd);
	for (size_t i = 0; i < NR_PASSED_ON; i++)
		sigaction(passed_on[i], &old[i], NULL);

	abandon_outputs(iso);
	if (how == END_SIGNAL) {
		/* End as the signal would have ended x2sim. */
		signal(parent_signal, SIG_DFL);
		raise(parent_signal);
		return 128 + parent_signal;
	}
	have_token = parse_token(tok, toklen, &token);
	if (how == END_ITSELF && have_token && WIFEXITED(wstatus) &&
	    WEXITSTATUS(wstatus) == token)
		return token;
	if (how == END_ITSELF && WIFSIGNALED(wstatus) &&
	    WTERMSIG(wstatus) == SIGPIPE && stdout_broken()) {
		/* The reader went away (| head): as quiet as before. */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		return EXIT_USAGE;
	}
	status = report(iso, w, how, hung, wstatus, have_token, token);
	return status;
}

bool cli_isolate(struct cli_isolate *iso, int *status)
{
	struct cli_watch *w;
	pid_t pid, parent = getpid();
	int fds[2];

	fflush(stdout);
	fflush(stderr);
	w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED) {
		abandon_outputs(iso);
		*status = cli_error(iso->cmd, "cannot map a shared page: %s",
				    strerror(errno));
		return true;
	}
	if (pipe2(fds, O_CLOEXEC)) {
		abandon_outputs(iso);
		*status = cli_error(iso->cmd, "cannot make a pipe: %s",
				    strerror(errno));
		munmap(w, sizeof(*w));
		return true;
	}
	w->sweep.slot[0].thread = self_thread();
	pid = fork();
	if (pid < 0) {
		abandon_outputs(iso);
		*status =
			cli_error(iso->cmd, "cannot fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		munmap(w, sizeof(*w));
		return true;
	}
	if (!pid) {
		close(fds[0]);
		child_setup(w, fds[1], parent);
		return false;
	}
	close(fds[1]);
	/* Either side may win the race to put the child in its group. */
	setpgid(pid, pid);
	*status = parent_wait(iso, w, pid, fds[0]);
	close(fds[0]);
	munmap(w, sizeof(*w));
	return true;
}

bool cli_parse_case_timeout(const char *cmd, const char *v, unsigned int *out)
{
	uint64_t t;

	if (!cli_parse_u64(cmd, "--case-timeout", v, 0, 86400, &t))
		return false;
	*out = (unsigned int)t;
	return true;
}
