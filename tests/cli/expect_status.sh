#!/bin/sh
# expect_status.sh STATUS [--grep PATTERN] [--no-file PATH] [--one-line] --
#                  COMMAND...
# Runs COMMAND; passes when it exits with STATUS, its output matches
# PATTERN (if given), nothing named PATH* exists afterwards (if given: the
# file and any temporary beside it) and, with --one-line, stderr is exactly
# one line.
set -u
want=$1
shift
pattern=
nofile=
oneline=
while [ "$1" != "--" ]; do
	case $1 in
	--grep) pattern=$2; shift 2 ;;
	--no-file) nofile=$2; shift 2 ;;
	--one-line) oneline=1; shift ;;
	*) echo "expect_status.sh: bad option $1" >&2; exit 2 ;;
	esac
done
shift
errf=$(mktemp) || exit 2
trap 'rm -f "$errf"' EXIT
out=$("$@" 2>"$errf")
rc=$?
out=$(printf '%s\n' "$out"; cat "$errf")
if [ "$rc" -ne "$want" ]; then
	printf '%s\n' "$out"
	echo "expected exit status $want, got $rc: $*" >&2
	exit 1
fi
if [ -n "$pattern" ] && ! printf '%s\n' "$out" | grep -q -- "$pattern"; then
	printf '%s\n' "$out"
	echo "output does not match '$pattern'" >&2
	exit 1
fi
if [ -n "$nofile" ] && ls -d "$nofile"* >/dev/null 2>&1; then
	ls -d "$nofile"* >&2
	echo "$nofile was left behind" >&2
	exit 1
fi
if [ -n "$oneline" ] && [ "$(wc -l <"$errf")" -ne 1 ]; then
	cat "$errf"
	echo "stderr has $(wc -l <"$errf") lines, not one" >&2
	exit 1
fi
echo "ok: exit $rc: $*"
