// SPDX-License-Identifier: GPL-2.0-only
/* x2sim CLI: shared helpers (errors, strict numbers, atomic files). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

void cli_put_escaped(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

/*
 * One line: whatever the arguments hold (an option value, a file name, a
 * config's text), a control character is written as \xNN and never
 * reaches the terminal raw.
 */
static void cli_vmessage(const char *cmd, const char *fmt, va_list ap)
{
	char msg[8192];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (cmd)
		fprintf(stderr, "x2sim %s: ", cmd);
	else
		fputs("x2sim: ", stderr);
	cli_put_escaped(stderr, msg);
	fputc('\n', stderr);
}

void cli_message(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmessage(cmd, fmt, ap);
	va_end(ap);
}

int cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmessage(cmd, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int cli_given_argc;
char **cli_given_argv;

/* How many long options begin with name (up to a '='). */
static int prefix_matches(const char *name, const struct option *longopts)
{
	size_t len = strcspn(name, "=");
	int n = 0;

	for (const struct option *o = longopts; o->name; o++)
		n += len && !strncmp(o->name, name, len);
	return n;
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	const char *bad;
	char spec[64];
	int c;

	/* ':' first: a missing value is told apart from an unknown option. */
	snprintf(spec, sizeof(spec), ":h%s", shortopts ? shortopts : "");
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	/*
	 * A long option, or a short one that ends its element, is the
	 * element before optind; optopt is 0 for an unknown long option, the
	 * option's value for a long option given a value it does not take,
	 * the character of an unknown short one.
	 */
	bad = argv[optind - 1];
	if (c == ':')
		cli_error(cmd, "%s needs a value", bad);
	else if (!optopt && prefix_matches(bad + 2, longopts) > 1)
		cli_error(cmd,
			  "ambiguous option '%.*s' (see 'x2sim %s --help')",
			  (int)strcspn(bad, "="), bad, cmd);
	else if (!optopt)
		cli_error(cmd, "unknown option '%.*s' (see 'x2sim %s --help')",
			  (int)strcspn(bad, "="), bad, cmd);
	else if ((optopt >= CLI_OPT_LONG || optopt == 'h') &&
		 !strncmp(bad, "--", 2))
		cli_error(cmd, "%.*s takes no value", (int)strcspn(bad, "="),
			  bad);
	else
		cli_error(cmd, "unknown option '-%c' (see 'x2sim %s --help')",
			  optopt, cmd);
	return '?';
}

int cli_no_operands(const char *cmd, int argc, char **argv)
{
	if (optind < argc)
		return cli_error(
			cmd, "unexpected argument '%s' (see 'x2sim %s --help')",
			argv[optind], cmd);
	return 0;
}

bool cli_parse_u64(const char *cmd, const char *what, const char *s,
		   uint64_t min, uint64_t max, uint64_t *out)
{
	const char *digits = s;
	int base = 10;
	uint64_t v = 0;

	if (!s || !*s) {
		cli_error(cmd, "%s: empty value", what);
		return false;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		digits = s + 2;
		if (!*digits) {
			cli_error(cmd, "%s: '%s' has no digits", what, s);
			return false;
		}
	}
	for (const char *p = digits; *p; p++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else {
			cli_error(cmd, "%s: '%s' is not a number", what, s);
			return false;
		}
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) {
			cli_error(cmd, "%s: '%s' does not fit 64 bits", what,
				  s);
			return false;
		}
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (v < min || v > max) {
		cli_error(cmd, "%s: %s is out of range [%llu, %llu]", what, s,
			  (unsigned long long)min, (unsigned long long)max);
		return false;
	}
	*out = v;
	return true;
}

/* Write straight into path: standard output, a device or a FIFO. */
static int cli_open_direct(struct cli_atomic_file *af, const char *path)
{
	int fd;

	if (!strcmp(path, "-")) {
		af->f = stdout;
		af->direct = true;
		return 0;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	af->f = fdopen(fd, "w");
	if (!af->f) {
		int err = errno;

		close(fd);
		return -err;
	}
	af->direct = true;
	return 0;
}

/*
 * The temporary files being written, by path, so that SIGINT, SIGTERM or
 * SIGHUP ending x2sim removes them.  The handler only reads what a slot
 * marked in use holds and calls unlink(), which is async-signal-safe.
 */
#define CLI_MAX_TEMPS 16
static char live_tmp[CLI_MAX_TEMPS][PATH_MAX];
static volatile sig_atomic_t live_used[CLI_MAX_TEMPS];
static const int temp_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void remove_temps_on_signal(int sig)
{
	for (int i = 0; i < CLI_MAX_TEMPS; i++)
		if (live_used[i])
			unlink(live_tmp[i]);
	/* SA_RESETHAND: the signal, pending now, then ends x2sim as usual. */
	raise(sig);
}

static void install_temp_handlers(void)
{
	static bool done;
	struct sigaction sa, old;

	if (done)
		return;
	done = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = remove_temps_on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(temp_signals) / sizeof(temp_signals[0]);
	     i++) {
		/* A signal ignored (nohup) stays ignored. */
		if (sigaction(temp_signals[i], NULL, &old) ||
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(temp_signals[i], &sa, NULL);
	}
}

static void temp_track(const char *tmp)
{
	if (strlen(tmp) >= PATH_MAX)
		return;
	for (int i = 0; i < CLI_MAX_TEMPS; i++) {
		if (live_used[i])
			continue;
		strcpy(live_tmp[i], tmp);
		live_used[i] = 1;
		return;
	}
}

static void temp_untrack(const char *tmp)
{
	for (int i = 0; i < CLI_MAX_TEMPS; i++)
		if (live_used[i] && !strcmp(live_tmp[i], tmp))
			live_used[i] = 0;
}

/*
 * PATH.tmp.XXXXXX, the last component cut so that it stays within
 * NAME_MAX: a target whose name is near the limit still gets a temporary
 * beside it.
 */
static char *temp_name(const char *path)
{
	static const char suffix[] = ".tmp.XXXXXX";
	const char *slash = strrchr(path, '/');
	size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
	size_t base = strlen(path) - dir;
	char *tmp;

	if (base + sizeof(suffix) - 1 > NAME_MAX)
		base = NAME_MAX - (sizeof(suffix) - 1);
	tmp = malloc(dir + base + sizeof(suffix));
	if (!tmp)
		return NULL;
	memcpy(tmp, path, dir + base);
	memcpy(tmp + dir + base, suffix, sizeof(suffix));
	return tmp;
}

int cli_atomic_open(struct cli_atomic_file *af, const char *path)
{
	sigset_t block, saved;
	char *real = NULL;
	struct stat st;
	mode_t mask;
	int fd;

	memset(af, 0, sizeof(*af));
	/*
	 * Only a regular file is replaced by rename(); anything else (a
	 * device such as /dev/stdout, a FIFO) is written in place, and a
	 * symbolic link is followed, so that neither is ever replaced.
	 */
	if (!strcmp(path, "-"))
		return cli_open_direct(af, path);
	if (!stat(path, &st)) {
		/* rename() would fail only after all the work: refuse it now. */
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (!S_ISREG(st.st_mode))
			return cli_open_direct(af, path);
		real = realpath(path, NULL);
		if (!real)
			return -errno;
		path = real;
	}
	af->path = strdup(path);
	af->tmp = temp_name(path);
	free(real);
	if (!af->path || !af->tmp) {
		free(af->path);
		free(af->tmp);
		memset(af, 0, sizeof(*af));
		return -ENOMEM;
	}
	install_temp_handlers();
	/* No signal between creating the file and knowing its name. */
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(temp_signals) / sizeof(temp_signals[0]);
	     i++)
		sigaddset(&block, temp_signals[i]);
	pthread_sigmask(SIG_BLOCK, &block, &saved);
	fd = mkstemp(af->tmp);
	if (fd >= 0)
		temp_track(af->tmp);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (fd >= 0) {
		/* mkstemp() makes 0600; a new file gets what the umask allows. */
		mask = umask(0);
		umask(mask);
		if (!fchmod(fd, 0666 & ~mask))
			af->f = fdopen(fd, "w");
	}
	if (!af->f) {
		int err = errno;

		if (fd >= 0) {
			close(fd);
			unlink(af->tmp);
			temp_untrack(af->tmp);
		}
		free(af->path);
		free(af->tmp);
		memset(af, 0, sizeof(*af));
		return -err;
	}
	return 0;
}

int cli_atomic_commit(struct cli_atomic_file *af, bool ok)
{
	int err = 0;

	if (!af->f)
		return -EINVAL;
	if (af->direct) {
		if (fflush(af->f) || ferror(af->f))
			err = -EIO;
		if (af->f != stdout && fclose(af->f) && !err)
			err = -errno;
		memset(af, 0, sizeof(*af));
		return err;
	}
	if (ferror(af->f))
		err = -EIO;
	if (fclose(af->f) && !err)
		err = -errno;
	if (ok && !err && rename(af->tmp, af->path))
		err = -errno;
	if (!ok || err)
		unlink(af->tmp);
	temp_untrack(af->tmp);
	free(af->path);
	free(af->tmp);
	memset(af, 0, sizeof(*af));
	return err;
}
