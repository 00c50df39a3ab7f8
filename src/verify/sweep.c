// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: the sweep (engine.h).  Worker threads take units of the plan in
 * order, each with its own engine per configuration, and tally them.  A
 * unit is tallied on its own first: if its end finds a byte moved that
 * the per-case checks leave to it (x2s_engine_settle()), the tally is
 * dropped and the unit runs again with the whole state checked after
 * every case, so every finding names its case.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verify/engine.h"
#include "verify/guard.h"

struct tally {
	struct x2s_sweep_report rep; /* counters and profile only */
	struct x2s_finding_table *table;
};

struct sweep_shared {
	const struct x2s_sweep_opts *o;
	struct x2s_plan plan;
	atomic_size_t next;
	atomic_uint_fast64_t done;
	atomic_int error;
};

struct sweep_thread {
	struct sweep_shared *sh;
	pthread_t tid;
	struct tally total, unit;
	struct x2s_engine **engines; /* one per configuration, made on demand */
	/* The same, with the write guard (x2s_engine_guard()). */
	struct x2s_engine **guarded;
	/*
	 * Per configuration and sender, made on demand: the steering table
	 * (steer_table()).  writes points at the unit's.
	 */
	u8 **steer;
	u8 *writes;
	struct x2s_watch_slot *slot; /* where it says what it runs, or NULL */
};

static void tally_reset(struct tally *t)
{
	memset(&t->rep, 0, sizeof(t->rep));
	t->table->nr = 0;
	t->table->dropped = 0;
}

static void merge_counts(struct x2s_sweep_report *r,
			 const struct x2s_sweep_report *t)
{
	r->cases += t->cases;
	r->handled += t->handled;
	r->declined += t->declined;
	r->mismatches += t->mismatches;
	r->warns += t->warns;
	r->dirty_none += t->dirty_none;
	r->violations += t->violations;
	for (int x = 0; x < X2S_CASE_NR_EXITS; x++) {
		r->exit_cases[x] += t->exit_cases[x];
		r->exit_handled[x] += t->exit_handled[x];
		r->exit_mismatches[x] += t->exit_mismatches[x];
	}
	for (int a = 0; a < 8; a++)
		for (int b = 0; b < 2; b++)
			for (int c = 0; c < 4; c++) {
				r->total[a][b][c] += t->total[a][b][c];
				for (int d = 0; d < X2S_PROFILE_TARGETS; d++)
					r->profile[a][b][c][d] +=
						t->profile[a][b][c][d];
			}
}

static void merge_table(struct x2s_finding_table *to,
			const struct x2s_finding_table *from)
{
	for (unsigned int k = 0; k < from->nr; k++)
		x2s_findings_add(to, &from->f[k], from->f[k].count);
	to->dropped += from->dropped;
}

static unsigned int target_bucket(int targets)
{
	return targets < X2S_PROFILE_TARGETS - 1 ? (unsigned int)targets :
						   X2S_PROFILE_TARGETS - 1;
}

/* The finding part of a case: mismatch counts and its class. */
static void record_finding(struct tally *t, const struct x2s_sweep_opts *o,
			   const struct x2s_unit *u, const struct x2s_input *in,
			   const struct x2s_case_out *co)
{
	struct x2s_sweep_report *r = &t->rep;
	u32 low = (u32)in->data;
	struct x2s_finding f;

	if (co->verdict == X2S_VERDICT_DECLINED ||
	    (co->verdict == X2S_VERDICT_EQUAL && !co->violation))
		return;

	if (co->verdict == X2S_VERDICT_EQUAL) {
		r->violations++;
	} else {
		r->mismatches++;
		r->exit_mismatches[in->kind]++;
		if (co->warn[0])
			r->warns++;
		if (co->verdict == X2S_VERDICT_DIRTY_NONE)
			r->dirty_none++;
	}
	memset(&f, 0, sizeof(f));
	f.verdict = co->verdict;
	f.violation = co->verdict == X2S_VERDICT_EQUAL;
	f.fastpath = co->fastpath;
	f.signature = co->sig;
	f.cause = x2s_signature_cause(co->sig);
	if (f.violation) {
		/* Violations are classed by what the contract looks at. */
		f.delivery_mode = (u8)((low >> 8) & 7);
		f.logical = !!(low & APIC_DEST_LOGICAL);
		f.shorthand = (u8)((low >> 18) & 3);
		f.targets = (u8)target_bucket(co->targets);
	}
	snprintf(f.warn, sizeof(f.warn), "%s", co->warn);
	f.config_index = u->config;
	f.example.config = o->configs[u->config];
	f.example.sender = u->sender;
	x2s_input_case(in, &f.example);
	x2s_findings_add(t->table, &f, 1);
}

static void record(struct tally *t, const struct x2s_sweep_opts *o,
		   const struct x2s_unit *u, const struct x2s_input *in,
		   const struct x2s_case_out *co)
{
	struct x2s_sweep_report *r = &t->rep;
	u32 low = (u32)in->data;
	unsigned int dm = (low >> 8) & 7, lg = !!(low & APIC_DEST_LOGICAL),
		     sh = (low >> 18) & 3;
	/* The profile classes what the fastpath took among ICR writes. */
	bool icr = x2s_input_writes_icr(in);

	r->cases++;
	r->exit_cases[in->kind]++;
	if (co->handled)
		r->exit_handled[in->kind]++;
	if (icr)
		r->total[dm][lg][sh]++;
	if (co->handled) {
		r->handled++;
		if (icr)
			r->profile[dm][lg][sh][target_bucket(co->targets)]++;
	} else {
		r->declined++;
	}
	if (co->verdict != X2S_VERDICT_DECLINED &&
	    (co->verdict != X2S_VERDICT_EQUAL || co->violation))
		record_finding(t, o, u, in, co);
}

/*
 * For a watcher in another process: the case about to run.  Relaxed
 * stores to the thread's own cache line; the watcher reads them once the
 * process is dead or seq has stopped moving.
 */
static void watch_case(struct x2s_watch_slot *w, const struct x2s_unit *u,
		       const struct x2s_input *in)
{
	x2s_watch_slot_case(w, u->config, u->sender, (uint32_t)in->kind,
			    in->ecx, in->reg, in->data);
}

/* The thread starts (running) or ends (done) its share of the sweep. */
static void watch_thread(struct sweep_thread *t, bool running)
{
	if (!t->slot)
		return;
	if (running)
		__atomic_store_n(&t->slot->thread, (uint64_t)pthread_self(),
				 __ATOMIC_RELAXED);
	__atomic_store_n(&t->slot->running, running, __ATOMIC_RELEASE);
}

/*
 * Which cases of a unit are alike in what the fastpath does with them:
 * for an ICR write, the bits above the vector (delivery and destination
 * mode, shorthand, reserved bits); for other exits, the exit and its MSR
 * or register.  Only a guess, and only the speed depends on it.
 */
static unsigned int case_class(const struct x2s_input *in)
{
	u64 k = (u64)in->kind * 0x9e3779b97f4a7c15ull;

	k ^= (u64)in->exit.reason * 0xff51afd7ed558ccdull;
	k ^= in->rcx * 0xc4ceb9fe1a85ec53ull;
	k ^= (in->data >> 8) & 0xffffff;
	k ^= in->has_reg ? (u64)in->reg << 40 : 0;
	return (unsigned int)((k ^ (k >> 29) ^ (k >> 47)) % 4096);
}

/* Cases given back by the guarded engine before a unit stops asking it. */
#define GIVE_UP_AFTER 64

/*
 * The guarded engine of the configuration, made on demand; NULL where
 * the guard cannot work (or X2SIM_GUARD=0) or it could not be made.
 */
static struct x2s_engine *guarded_engine(struct sweep_thread *t,
					 const struct x2s_unit *u)
{
	const struct x2s_sweep_opts *o = t->sh->o;
	struct x2s_engine *g = t->guarded[u->config];

	if (g || !x2s_guard_available())
		return g;
	g = x2s_engine_new(&o->configs[u->config], X2S_CHECK_SWEEP);
	if (g)
		x2s_engine_guard(g, true);
	t->guarded[u->config] = g;
	return g;
}

/*
 * x2s_engine_try_run()'s admit: the case is said (to a watcher) before it
 * runs, and one of a class that wrote already goes to the full engine.
 */
struct run_admit {
	struct sweep_thread *t;
	const struct x2s_unit *u;
	u64 j; /* the index of the case asked about */
};

/*
 * The cases from in on that differ only in the ICR vector are of one
 * class (case_class()), so they are admitted together, but one at a time
 * where a watcher must see each before it runs.
 */
static u64 run_admit(void *opaque, const struct x2s_input *in)
{
	struct run_admit *a = opaque;
	struct sweep_thread *t = a->t;
	/* (An MSR unit's cases are each a class of their own.) */
	u64 n = a->u->kind == X2S_UNIT_MSR ? 1 :
					     x2s_unit_vector_run(a->u, a->j);

	if (t->slot) {
		watch_case(t->slot, a->u, in);
		n = 1;
	}
	if (t->writes[case_class(in)])
		return 0;
	a->j += n;
	return n;
}

/* Cases j .. j + k - 1 of u: clean declines, as record() tallies them. */
static void record_declines(struct tally *t, const struct x2s_unit *u, u64 j,
			    u64 k)
{
	struct x2s_sweep_report *r = &t->rep;
	struct x2s_input in;

	if (!k)
		return;
	r->cases += k;
	r->declined += k;
	x2s_unit_case(u, j, &in);
	r->exit_cases[in.kind] += k;
	for (u64 i = 0, m; i < k; i += m) {
		u32 low;

		/* The profile's bits are above the vector. */
		m = x2s_unit_profile_run(u, j + i);
		m = m < k - i ? m : k - i;
		x2s_unit_case_next(u, j + i, &in);
		if (!x2s_input_writes_icr(&in))
			continue;
		low = (u32)in.data;
		r->total[(low >> 8) & 7][!!(low & APIC_DEST_LOGICAL)]
			[(low >> 18) & 3] += m;
	}
}

/*
 * The steering table of u's configuration and sender: per case class
 * (case_class()), 0 while its cases go to the guarded engine first, else
 * how many clean declines in a row on the full engine bring it back
 * there.  A class's first case that the guarded engine gives back (a
 * fault, some microseconds) sends the class to the full engine; the
 * table outlives the unit, since the units of one sender see the same
 * classes (with other destinations), and a class that then declines
 * clean on the full engine STEER_BACK times in a row is tried guarded
 * again (but see STEER_STUCK).  Only the speed depends on it: either
 * engine gives every case its verdict.  NULL without memory (every case
 * guarded first).
 */
#define STEER_BACK 4
#define STEER_CLASSES 4096
/*
 * Given back by the guarded engine and not yet run on the full one; a
 * class whose given-back case then declines clean on the full one (a
 * fastpath that writes and puts back) stays on the full engine.
 */
#define STEER_GIVEN 0xfe
#define STEER_STUCK 0xff

static u8 *steer_table(struct sweep_thread *t, const struct x2s_unit *u)
{
	u8 **slot =
		&t->steer[(size_t)u->config * X2S_DESC_MAX_VCPUS + u->sender];

	if (!*slot)
		*slot = calloc(STEER_CLASSES, 1);
	return *slot;
}

/*
 * Every case of u, tallied; whether the units' ends found both engines
 * clean.  A case goes to the guarded engine first, unless the steering
 * table (steer_table()) sends its class to e; what the guarded engine
 * gives up runs on e too, checked the full way.
 */
static bool run_unit(struct sweep_thread *t, const struct x2s_unit *u,
		     struct x2s_engine *e, bool guard)
{
	const struct x2s_sweep_opts *o = t->sh->o;
	struct x2s_engine *g = guard ? guarded_engine(t, u) : NULL;
	u64 n = x2s_unit_size(u), passed = 0, given_back = 0;
	struct run_admit admit = { .t = t, .u = u };
	struct x2s_case_out co;
	struct x2s_input in;
	u8 none[STEER_CLASSES] = { 0 };
	u8 *w = steer_table(t, u);
	bool clean, back;
	unsigned int c;

	t->writes = w ? w : none;
	for (u64 j = 0; j < n; j++) {
		back = false;
		if (g) {
			/* As many clean declines as there are, in one go. */
			u64 k;

			admit.j = j;
			k = x2s_engine_try_run(g, u, j, n, o->fn, &in,
					       run_admit, &admit, &back);

			record_declines(&t->unit, u, j, k);
			passed += k;
			j += k;
			if (j == n)
				break;
		} else {
			x2s_unit_case_next(u, j, &in);
		}
		if (t->slot)
			watch_case(t->slot, u, &in);
		c = case_class(&in);
		if (g) {
			if (!back && !t->writes[c] &&
			    x2s_engine_try_case(g, u->sender, &in, o->fn,
						&co)) {
				record(&t->unit, o, u, &in, &co);
				passed++;
				continue;
			}
			/*
			 * A fastpath that writes in most classes (each
			 * given back costs a fault) checks the full way.
			 */
			if (!t->writes[c] && ++given_back >= GIVE_UP_AFTER &&
			    given_back * 8 > passed)
				g = NULL;
			if (!t->writes[c])
				t->writes[c] = STEER_GIVEN;
		}
		x2s_engine_case(e, u->sender, &in, o->fn, o->contract, &co,
				NULL, NULL);
		record(&t->unit, o, u, &in, &co);
		if (guard) {
			u8 *wc = &t->writes[c];

			if (co.handled || co.sig || co.warn[0])
				*wc = STEER_BACK;
			else if (*wc == STEER_GIVEN)
				*wc = STEER_STUCK;
			else if (*wc && *wc != STEER_STUCK)
				(*wc)--;
		}
	}
	clean = x2s_engine_settle(e);
	if (guard && t->guarded[u->config])
		clean &= x2s_engine_settle(t->guarded[u->config]);
	return clean;
}

/*
 * The unit left bytes moved that no case was charged with.  Its cases run
 * again, each checked whole; should none of them move anything now (a
 * fastpath that behaves differently the second time), the unit's first
 * case carries the finding, so that it is not lost.
 */
static void rerun_unit(struct sweep_thread *t, const struct x2s_unit *u,
		       struct x2s_engine *e)
{
	const struct x2s_sweep_opts *o = t->sh->o;
	u64 mismatches;

	tally_reset(&t->unit);
	x2s_engine_set_check(e, X2S_CHECK_CASE);
	run_unit(t, u, e, false);
	x2s_engine_set_check(e, X2S_CHECK_SWEEP);
	mismatches = t->unit.rep.mismatches;
	if (!mismatches) {
		struct x2s_case_out co;
		struct x2s_input in;

		memset(&co, 0, sizeof(co));
		co.verdict = X2S_VERDICT_DIRTY_NONE;
		co.sig = X2S_SIG(X2S_PART_OTHER, true);
		snprintf(
			co.warn, sizeof(co.warn),
			"x2sim: the unit moved state no single case moves again");
		x2s_unit_case(u, 0, &in);
		record_finding(&t->unit, o, u, &in, &co);
	}
}

/* Take the next unit of the plan and run it; false when none is left. */
static bool sweep_one_unit(struct sweep_thread *t)
{
	struct sweep_shared *sh = t->sh;
	const struct x2s_sweep_opts *o = sh->o;
	size_t i = atomic_fetch_add(&sh->next, 1);
	const struct x2s_unit *u;
	struct x2s_engine *e;
	bool clean;

	if (i >= sh->plan.nr || atomic_load(&sh->error))
		return false;
	u = &sh->plan.units[i];
	e = t->engines[u->config];
	if (!e) {
		e = x2s_engine_new(&o->configs[u->config], X2S_CHECK_SWEEP);
		if (!e) {
			atomic_store(&sh->error, -ENOMEM);
			return false;
		}
		t->engines[u->config] = e;
	}
	tally_reset(&t->unit);
	clean = run_unit(t, u, e, true);
	if (x2s_engine_cold_tripped(e) && clean) {
		/*
		 * Something wrote bytes no case of the model writes (the cold
		 * guard's) and the unit's end found them as they were: the
		 * unit again with their per-case check, so that a write put
		 * back at a later case is charged to its case.  (Not clean:
		 * the rerun below checks every case whole anyway.)
		 */
		x2s_engine_cold(e, false);
		tally_reset(&t->unit);
		clean = run_unit(t, u, e, true);
		x2s_engine_cold(e, true);
	}
	if (!clean)
		rerun_unit(t, u, e);
	merge_counts(&t->total.rep, &t->unit.rep);
	merge_table(t->total.table, t->unit.table);
	atomic_fetch_add(&sh->done, x2s_unit_size(u));
	return true;
}

static void *sweep_worker(void *arg)
{
	watch_thread(arg, true);
	while (sweep_one_unit(arg))
		;
	x2s_warn_reset();
	watch_thread(arg, false);
	return NULL;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int threads_init(struct sweep_thread *threads, unsigned int n,
			struct sweep_shared *sh)
{
	for (unsigned int i = 0; i < n; i++) {
		struct sweep_thread *t = &threads[i];

		t->sh = sh;
		if (sh->o->watch && i < X2S_WATCH_SLOTS)
			t->slot = &sh->o->watch->slot[i];
		t->total.table = calloc(1, sizeof(*t->total.table));
		t->unit.table = calloc(1, sizeof(*t->unit.table));
		t->engines = calloc(sh->o->nr_configs, sizeof(*t->engines));
		t->guarded = calloc(sh->o->nr_configs, sizeof(*t->guarded));
		t->steer =
			calloc((size_t)sh->o->nr_configs * X2S_DESC_MAX_VCPUS,
			       sizeof(*t->steer));
		if (!t->total.table || !t->unit.table || !t->engines ||
		    !t->guarded || !t->steer)
			return -ENOMEM;
	}
	return 0;
}

static void threads_free(struct sweep_thread *threads, unsigned int n,
			 unsigned int nr_configs)
{
	if (!threads)
		return;
	for (unsigned int i = 0; i < n; i++) {
		struct sweep_thread *t = &threads[i];

		for (unsigned int c = 0; t->engines && c < nr_configs; c++)
			x2s_engine_free(t->engines[c]);
		for (unsigned int c = 0; t->guarded && c < nr_configs; c++)
			x2s_engine_free(t->guarded[c]);
		for (size_t k = 0;
		     t->steer && k < (size_t)nr_configs * X2S_DESC_MAX_VCPUS;
		     k++)
			free(t->steer[k]);
		free(t->steer);
		free(t->engines);
		free(t->guarded);
		free(t->total.table);
		free(t->unit.table);
	}
	free(threads);
}

/* The calling thread works too, and reports progress. */
static int threads_run(struct sweep_thread *threads, struct sweep_shared *sh)
{
	const struct x2s_sweep_opts *o = sh->o;
	unsigned int started = 0;
	int err = 0;

	for (unsigned int i = 1; i < o->threads; i++) {
		if (pthread_create(&threads[i].tid, NULL, sweep_worker,
				   &threads[i])) {
			err = -EAGAIN;
			break;
		}
		started = i;
	}
	if (!err) {
		watch_thread(&threads[0], true);
		while (sweep_one_unit(&threads[0]))
			if (o->progress)
				o->progress(o->opaque, atomic_load(&sh->done),
					    sh->plan.cases);
		x2s_warn_reset();
		watch_thread(&threads[0], false);
	} else {
		atomic_store(&sh->error, err);
	}
	for (unsigned int i = 1; i <= started; i++)
		pthread_join(threads[i].tid, NULL);
	return err ? err : atomic_load(&sh->error);
}

static int report_findings(struct x2s_sweep_report *r,
			   const struct x2s_finding_table *all)
{
	r->findings_dropped = all->dropped;
	if (!all->nr)
		return 0;
	r->findings = calloc(all->nr, sizeof(*r->findings));
	if (!r->findings)
		return -ENOMEM;
	memcpy(r->findings, all->f, all->nr * sizeof(*r->findings));
	r->nr_findings = all->nr;
	x2s_findings_sort(r->findings, r->nr_findings);
	return 0;
}

int x2s_sweep_run(const struct x2s_sweep_opts *o, struct x2s_sweep_report *r)
{
	struct sweep_thread *threads = NULL;
	struct x2s_finding_table *all = NULL;
	struct sweep_shared sh;
	double t0 = now_seconds();
	int err;

	if (!x2s_sweep_opts_valid(o) || !r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	memset(&sh, 0, sizeof(sh));
	sh.o = o;
	err = x2s_plan_build(o, &sh.plan);
	if (err)
		return err;
	threads = calloc(o->threads, sizeof(*threads));
	all = calloc(1, sizeof(*all));
	err = threads && all ? threads_init(threads, o->threads, &sh) : -ENOMEM;
	if (!err)
		err = threads_run(threads, &sh);
	if (!err) {
		for (unsigned int i = 0; i < o->threads; i++) {
			merge_counts(r, &threads[i].total.rep);
			merge_table(all, threads[i].total.table);
		}
		err = report_findings(r, all);
	}
	r->seconds = now_seconds() - t0;
	threads_free(threads, o->threads, o->nr_configs);
	free(all);
	x2s_plan_free(&sh.plan);
	if (err)
		x2s_sweep_report_free(r);
	return err;
}

void x2s_sweep_report_free(struct x2s_sweep_report *r)
{
	if (!r)
		return;
	free(r->findings);
	r->findings = NULL;
	r->nr_findings = 0;
}
