#!/bin/sh
# save-replay.sh X2SIM DIR: a counterexample found in a tree's fastpath is
# saved as linux-VERSION-N.json; replay asks for the tree again rather than
# guessing, and with it reproduces the mismatch.
set -eu
x2sim=$1
dir=$2
tree=$(cd "$(dirname "$0")" && pwd)/trees/lts-6.1
rm -rf "$dir"
"$x2sim" verify --kernel "$tree" --reduced --configs singlestep \
	--max-counterexamples 1 --save "$dir" >/dev/null 2>&1 && exit 1
f=$dir/linux-6.1.250-x2sim-1.json
[ -f "$f" ]
if "$x2sim" replay "$f" >"$dir/r1.out" 2>&1; then exit 1; fi
grep -q "give that tree again with --kernel DIR" "$dir/r1.out"
if "$x2sim" replay "$f" --kernel "$tree" >"$dir/r2.out" 2>&1; then exit 1; fi
grep -q "verdict: MISMATCH" "$dir/r2.out"
echo "ok: saved as $(basename "$f"), replayed with --kernel"
