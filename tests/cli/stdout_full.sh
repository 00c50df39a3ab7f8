#!/bin/sh
# stdout_full.sh X2SIM DIR: a report that cannot be written (here: past a
# file size limit of one 512-byte block, which the short error message on
# stderr still fits in) is exit status 2 with one message, not success.
set -u
x2sim=$1
dir=$2
mkdir -p "$dir"
out="$dir/full.out"
err="$dir/full.err"
rm -f "$out" "$err"
(
	trap '' XFSZ
	ulimit -f 1
	"$x2sim" decode 0xfd >"$out" 2>"$err"
)
rc=$?
if [ "$rc" -ne 2 ]; then
	echo "expected exit status 2, got $rc" >&2
	exit 1
fi
grep -q "cannot write standard output" "$err" || {
	cat "$err" >&2
	exit 1
}
echo "ok: a failed write to standard output is exit 2"
