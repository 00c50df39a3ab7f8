/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim CLI: verify's report, as text and as JSON (docs/verify-json.md),
 * written from one structure that `verify` fills from its sweeps and
 * `merge` from the JSON reports of shards, so that both print and write
 * the same report for the same cases.
 */
#ifndef X2SIM_TOOLS_REPORT_H
#define X2SIM_TOOLS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "verify/json.h"
#include "verify/verify.h"

#define CLI_REPORT_FORMAT 2 /* "x2sim_verify" */
#define CLI_KVM_MODEL "KVM 6.18 on VMX"
#define CLI_SHA256_LEN 65

/*
 * Fastpath code that failed (crashed, aborted, ended the process, hung):
 * a finding with no counts (the process that counted is gone).
 */
struct cli_failure {
	char kind[X2S_CASE_FAILURE_LEN]; /* "SIGSEGV", "abort", "timeout" */
	char message[512];		 /* "the plugin crashed (SIGSEGV)" */
	char where[512];		 /* " in case: ..." or " while ..." */
	bool has_case;
	struct x2s_case c; /* c.failure is kind */
	char *case_file;   /* saved here, or NULL */
	const char *shard; /* merge: the shard that reported it ("2/3") */
};

struct cli_variant {
	const char *label;
	const char *stem; /* for saved case files; NULL: the label */
	const struct x2s_fastpath *fn;
	/* The text report may run the minimal cases to show them. */
	bool can_run;
	struct x2s_sweep_report rep;
	char **saved; /* case file per finding, or NULL */
	/* Non-zero: the fastpath code failed; counts are unknown. */
	struct cli_failure *failures;
	unsigned int nr_failures;
};

struct cli_report {
	const char *cmd; /* "verify" or "merge" */
	int argc;
	char **argv; /* the command line, argv[0] the command */
	unsigned int sweep;
	bool reduced;
	enum x2s_contract contract;
	unsigned int shard, nr_shards;
	unsigned int max; /* --max-counterexamples */
	const char *const *config_names;
	unsigned int nr_configs;
	char configs_sha256[CLI_SHA256_LEN];
	const char *version; /* x2sim version and commit, KVM modelled */
	const char *commit;
	const char *kvm_model;
	const char *plugin; /* path, or NULL */
	char plugin_sha256[CLI_SHA256_LEN];
	/* verify --kernel: what was taken; merge: the object as read. */
	const struct x2s_kernel_fastpath *kfp;
	const struct json_value *kernel_json;
	/* merge: each input's "shard" and "command", in shard order. */
	const struct json_value *const *shard_commands;
	const char *const *shard_names;
	unsigned int nr_inputs;
	struct cli_variant *v;
	unsigned int nv;
};

/* This build's version ("0.1") and commit (git describe, or "unknown"). */
const char *cli_version(void);
const char *cli_commit(void);

/* "icr,exits" or "all"; and back (0 or EXIT_USAGE after a message). */
const char *cli_sweep_name(unsigned int bits);
int cli_sweep_parse(const char *cmd, const char *v, unsigned int *bits);

/* The digest of the configurations as case files write them. */
void cli_configs_sha256(const struct x2s_vm_desc *d, unsigned int n,
			char out[CLI_SHA256_LEN]);

/*
 * The text report after the sweeps: the table, the acceptance profiles,
 * the exits, the findings (each saved into save_dir when given).
 */
void cli_report_print(struct cli_report *r, const char *save_dir);
/* The JSON report. */
void cli_report_json(FILE *f, const struct cli_report *r);
/* Any parsed value, compactly, on one line. */
void cli_json_write_value(FILE *f, const struct json_value *v);
/* Does the report hold a finding (mismatch, violation, failure)? */
bool cli_report_has_findings(const struct cli_report *r);

/*
 * Save a case as DIR/STEM-SUFFIX.json (the stem made of the label's file
 * name): 0 and the path in *path_out, or -errno.
 */
int cli_save_case(const char *dir, const struct cli_variant *v,
		  const char *suffix, const struct x2s_case *c,
		  const char *comment, char **path_out);

void cli_report_free(struct cli_report *r);

#endif /* X2SIM_TOOLS_REPORT_H */
