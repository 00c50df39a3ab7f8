#!/bin/sh
# merge.sh X2SIM PLUGIN_DIR DIR: scale-out (docs/scale-out.md).  A reduced
# sweep of v5.6-merged (with findings) on x2apic-2 and singlestep, run
# whole and as 3 shards in 3 processes at once, each sharded as a job
# array is (the index from JOB_COMPLETION_INDEX, from SLURM_ARRAY_TASK_ID,
# and given), with --findings-exit-status 0; x2sim merge of the shards
# (in any order) writes the unsharded run's JSON but for the command
# lines, prints its text report but for the first line and the timing
# columns, and exits 1 for the findings.  Then merge refuses, each with
# one line and status 2: a missing shard, a shard twice, shards of
# another split, and a shard of another configuration set, fastpath,
# sweep, x2sim version or plugin.
set -u
x2sim=$1
pdir=$2
tmp=$3
args="verify --fastpath v5.6-merged --reduced --configs x2apic-2,singlestep --max-counterexamples 2 --threads 1"

fail() {
	echo "FAIL: $*" >&2
	[ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" >&2
	exit 1
}

rm -rf "$tmp"
mkdir -p "$tmp" || exit 2

# shellcheck disable=SC2086 # $args is a list of words
"$x2sim" $args --json "$tmp/full.json" >"$tmp/full.txt"
[ $? -eq 1 ] || fail "the unsharded run did not exit 1"

# shellcheck disable=SC2086
JOB_COMPLETION_INDEX=0 "$x2sim" $args --shard-count 3 \
	--findings-exit-status 0 --json "$tmp/s1.json" >"$tmp/s1.txt" &
p1=$!
# shellcheck disable=SC2086
SLURM_ARRAY_TASK_ID=1 "$x2sim" $args --shard-count 3 \
	--findings-exit-status 0 --json "$tmp/s2.json" >"$tmp/s2.txt" &
p2=$!
# shellcheck disable=SC2086
"$x2sim" $args --shard-index 2 --shard-count 3 \
	--findings-exit-status 0 --json "$tmp/s3.json" >"$tmp/s3.txt" &
p3=$!
for p in $p1 $p2 $p3; do
	wait $p || fail "a shard exited $? (--findings-exit-status 0)"
done
for k in 1 2 3; do
	grep -q "\"shard\": \"$k/3\"" "$tmp/s$k.json" || fail "s$k.json: not shard $k/3"
done

"$x2sim" merge "$tmp/s3.json" "$tmp/s1.json" "$tmp/s2.json" \
	--json "$tmp/merged.json" >"$tmp/merged.txt" 2>"$tmp/err"
[ $? -eq 1 ] || fail "merge did not exit 1 for the findings"
[ -s "$tmp/err" ] && fail "merge wrote to stderr"
for f in full merged; do
	grep -v -e '^  "command": ' -e '^  "merged_from": ' "$tmp/$f.json" \
		>"$tmp/$f.masked"
	sed -E -e 1d -e 's/^(v5\.6-merged( +[0-9]+){5}) .*/\1/' "$tmp/$f.txt" \
		>"$tmp/$f.text"
done
cmp "$tmp/full.masked" "$tmp/merged.masked" || fail "merged JSON differs"
cmp "$tmp/full.text" "$tmp/merged.text" || fail "merged text differs"
grep -q '"finding_classes": 4' "$tmp/merged.json" || fail "no findings"
grep -q '"merged_from": \[{"shard": "1/3", "command": \["x2sim", "verify",' \
	"$tmp/merged.json" || fail "merged_from"
# The command line as given, operands before options (getopt_long
# permutes the arguments it parses, never these).
grep -qF "\"command\": [\"x2sim\", \"merge\", \"$tmp/s3.json\", \"$tmp/s1.json\", \"$tmp/s2.json\", \"--json\", \"$tmp/merged.json\"]" \
	"$tmp/merged.json" || fail "command: $(grep '^  "command"' "$tmp/merged.json")"
grep -q '"shard": "1/1"' "$tmp/merged.json" || fail "not 1/1"
"$x2sim" merge "$tmp/s1.json" "$tmp/s2.json" "$tmp/s3.json" \
	--findings-exit-status 0 >/dev/null || fail "--findings-exit-status 0"

# refuse STEM PATTERN FILES...: status 2, one line matching PATTERN.
refuse() {
	pattern=$1
	shift
	"$x2sim" merge "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || fail "merge $*: status $rc, not 2"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "merge $*: not one line"
	grep -q -- "$pattern" "$tmp/err" || fail "merge $*: not '$pattern'"
	echo "ok: refused: $(cat "$tmp/err")"
}

other() {
	name=$1
	shift
	"$x2sim" "$@" --json "$tmp/$name.json" >/dev/null
	[ $? -le 1 ] || fail "$name: verify failed"
}

# shellcheck disable=SC2086
other n2 $args --shard 2/4
# shellcheck disable=SC2086
other c2 ${args%%--configs*} --configs x2apic-2 --max-counterexamples 2 \
	--shard 2/3
# shellcheck disable=SC2086
other f2 verify --fastpath v1-posted --reduced --configs x2apic-2,singlestep \
	--max-counterexamples 2 --shard 2/3
# shellcheck disable=SC2086
other w2 $args --contract single-target --shard 2/3
sed 's/"version": "[^"]*"/"version": "0.0"/' "$tmp/s2.json" >"$tmp/v2.json"
other p1 verify --plugin "$pdir/my_fastpath.so" --reduced --configs x2apic-2 \
	--shard 1/2
other p2 verify --plugin "$pdir/my_fastpath.so" --reduced --configs x2apic-2 \
	--shard 2/2
sed 's/"sha256": "[0-9a-f]*"/"sha256": "0000"/' "$tmp/p2.json" >"$tmp/q2.json"

refuse "1 of 3 shards are missing: 2/3" "$tmp/s1.json" "$tmp/s3.json"
refuse "are both shard 2/3" "$tmp/s1.json" "$tmp/s2.json" "$tmp/s2.json" \
	"$tmp/s3.json"
refuse "is shard 1/3 but .* is shard 2/4" "$tmp/s1.json" "$tmp/n2.json" \
	"$tmp/s3.json"
refuse "differ in the configurations" "$tmp/s1.json" "$tmp/c2.json" "$tmp/s3.json"
refuse "differ in the fastpaths (v5.6-merged; v1-posted)" "$tmp/s1.json" \
	"$tmp/f2.json" "$tmp/s3.json"
refuse "differ in the contract (\"contract\": none; single-target)" "$tmp/s1.json" "$tmp/w2.json" "$tmp/s3.json"
refuse "differ in the x2sim version" "$tmp/s1.json" "$tmp/v2.json" "$tmp/s3.json"
refuse "differ in the plugin" "$tmp/p1.json" "$tmp/q2.json"
refuse "s1.txt:1:1: unexpected" "$tmp/s1.txt"
echo '{"x2sim_run": 1}' >"$tmp/run.json"
refuse "run.json is not an x2sim verify report" "$tmp/run.json"
refuse "no reports given"
"$x2sim" merge "$tmp/p1.json" "$tmp/p2.json" >/dev/null ||
	fail "the plugin's shards did not merge"
echo "ok: 3 shards merged into the unsharded report; mismatched inputs refused"
