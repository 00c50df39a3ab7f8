#!/bin/sh
# expect_status.sh STATUS [--grep PATTERN] [--no-file PATH] -- COMMAND...
# Runs COMMAND; passes when it exits with STATUS, its output matches
# PATTERN (if given) and PATH does not exist afterwards (if given).
set -u
want=$1
shift
pattern=
nofile=
while [ "$1" != "--" ]; do
	case $1 in
	--grep) pattern=$2; shift 2 ;;
	--no-file) nofile=$2; shift 2 ;;
	*) echo "expect_status.sh: bad option $1" >&2; exit 2 ;;
	esac
done
shift
out=$("$@" 2>&1)
rc=$?
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
if [ -n "$nofile" ] && ls "$nofile"* >/dev/null 2>&1; then
	echo "$nofile was left behind" >&2
	exit 1
fi
echo "ok: exit $rc: $*"
