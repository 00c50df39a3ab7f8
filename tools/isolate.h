/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim CLI: untrusted fastpath code (--plugin, --kernel, --kernel-source)
 * runs in a child process, so that whatever it does -- crash, abort, call
 * exit(), loop -- the user gets one message naming what happened and the
 * case it happened in, never a cut-short report that passes
 * (docs/plugins.md, "When a plugin misbehaves").  For verify, case and
 * replay the failure is a finding (status 1, the case saved and in the
 * JSON report: struct cli_isolate.on_failure); for run, status 2.
 *
 * After its arguments are parsed (and its output files opened) a command
 * calls cli_isolate().  The parent waits: it watches the child through a
 * shared page (struct cli_watch), kills the child's process group when a
 * case stops making progress for --case-timeout seconds or a guest run
 * overruns its --timeout-ms, passes Ctrl-C / SIGTERM on to it, and
 * removes the output files the child did not finish.  The child returns
 * from cli_isolate() and does the command's work as before; main() ends
 * it with cli_isolate_child_exit(), which tells the parent over a pipe
 * that the report is complete and with which status.
 *
 * This guards against accidents, not against malice: a plugin runs with
 * the user's rights and could write the pipe itself.
 */
#ifndef X2SIM_TOOLS_ISOLATE_H
#define X2SIM_TOOLS_ISOLATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "verify/verify.h"

#define CLI_CASE_TIMEOUT_DEFAULT 10 /* seconds, --case-timeout */
#define CLI_MAX_OUTPUTS 3
/* Cases a failure is recorded in when its thread is not known. */
#define CLI_MAX_FAILURES 16

/* What the child is doing, for the watchdog and the message. */
enum cli_phase {
	CLI_PHASE_START,  /* forked; no untrusted code has run */
	CLI_PHASE_LOAD,	  /* opening the plugin (its constructors run) */
	CLI_PHASE_BUILD,  /* compiling a kernel's fastpath: not timed */
	CLI_PHASE_CASES,  /* running cases: the slots are watched */
	CLI_PHASE_GUEST,  /* x2sim run: the guest, under its time budget */
	CLI_PHASE_REPORT, /* writing the report */
};

/* The page the child writes and the parent reads (MAP_SHARED). */
struct cli_watch {
	uint32_t phase;
	uint32_t exit_called;  /* exit() ran the child's on_exit handler */
	uint64_t exit_thread;  /* ... in this thread */
	uint64_t crash_thread; /* the thread a fatal signal hit, 0: unknown */
	uint64_t phase_ns;     /* CLOCK_MONOTONIC when the phase began */
	/* x2sim run: the fastpath call in progress. */
	uint32_t guest_in_fastpath;
	uint32_t guest_vcpu;
	uint32_t guest_exit_reason;
	uint64_t guest_rip;
	/* The fastpath's label once it is loaded or built (plugin path). */
	char label[X2S_CASE_FASTPATH_LEN];
	/* The sweep's slots; case and replay use slot 0. */
	struct x2s_sweep_watch sweep;
};

struct cli_failure;

struct cli_isolate {
	const char *cmd; /* "verify", ... */
	/* "the plugin" or "the kernel's fastpath": who ended the process. */
	const char *who;
	unsigned int case_timeout; /* seconds without progress; 0: none */
	uint64_t guest_timeout_ms; /* run: the guest's budget; 0: none */
	/* Output files opened before the fork, left unfinished on failure. */
	struct cli_atomic_file *outputs[CLI_MAX_OUTPUTS];
	/*
	 * Naming a case: the configurations the slots' indices point into,
	 * with what --config takes for each (a name, or the file it came
	 * from), and the options that select the fastpath again ("--plugin
	 * P").  reproduce, when set, is the whole command to give instead
	 * of "x2sim case ...".
	 */
	const struct x2s_vm_desc *configs;
	const char *const *config_args;
	unsigned int nr_configs;
	const char *fastpath_args;
	const char *reproduce;
	/*
	 * A crash, abort, exit() or hang of the fastpath code is a finding:
	 * the status is findings_status (EXIT_CHECK when 0 is not meant:
	 * set findings_status_set), and on_failure (may be NULL) gets the
	 * failure, with the case or cases it was in, to save and report;
	 * it returns 0, or EXIT_USAGE when it could not write what it had
	 * to.  Without failure_is_finding (run) the status is EXIT_USAGE.
	 */
	bool failure_is_finding;
	bool findings_status_set;
	int findings_status;
	int (*on_failure)(void *opaque, struct cli_failure *f, unsigned int n,
			  const char *label);
	void *opaque;
};

/* The child's page, NULL outside an isolated child. */
extern struct cli_watch *cli_watch;

/*
 * Fork.  In the parent: wait for the child, print one message if it did
 * not complete, store the exit status in *status and return true.  In
 * the child: return false (carry on with the command).  A fork that fails
 * is the parent's: one message, *status EXIT_USAGE.
 */
bool cli_isolate(struct cli_isolate *iso, int *status);

/* main(): the child's report is complete; tell the parent and exit. */
void cli_isolate_child_exit(int status);

/* The child says what it is doing (no-ops outside a child). */
void cli_watch_phase(enum cli_phase phase);
/* One case about to run on the calling thread (slot 0). */
void cli_watch_case(unsigned int config, const struct x2s_case *c);
void cli_watch_case_done(void);
/* The fastpath's label, for a failure found by the parent. */
void cli_watch_label(const char *label);

/* --case-timeout SEC: 1 .. 86400, or 0 for none. */
bool cli_parse_case_timeout(const char *cmd, const char *v, unsigned int *out);

/* Append a word to buf (after a space), quoted for the shell if needed. */
void cli_shell_append(char *buf, size_t len, const char *s);

/* Options that select a plugin or a kernel again: "--plugin P". */
struct x2s_kernel_opts;
void cli_fastpath_args(char *buf, size_t len, const char *plugin,
		       const struct x2s_kernel_opts *ko);

/* "x2sim case --config C --sender S --exit X:ECX=DATA [--reg R]" */
void cli_case_command(char *buf, size_t len, const char *config,
		      const struct x2s_case *c);

#endif /* X2SIM_TOOLS_ISOLATE_H */
