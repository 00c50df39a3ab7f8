#!/bin/sh
# schema.sh X2SIM PLUGIN_DIR KERNEL_TREE DIR: real reports of verify and
# merge are valid against docs/verify-report.schema.json (JSON Schema,
# draft 2020-12, checked with python3-jsonschema): findings with saved
# cases, contract violations, the exits sweep, a plugin's, a kernel
# tree's, a plugin that crashed, 3 shards and their merge; and reports
# spoilt in ways the schema must catch are not.  Status 77 (skipped)
# when python3-jsonschema is missing.
set -u
x2sim=$1
pdir=$2
tree=$3
tmp=$4
here=$(dirname "$0")
schema=$here/../../docs/verify-report.schema.json
check="python3 $here/check_schema.py $schema"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

rm -rf "$tmp"
mkdir -p "$tmp" || exit 2
python3 -c 'import jsonschema' 2>/dev/null || {
	echo "skipped: python3-jsonschema is not installed (tools/install-deps.sh)"
	exit 77
}

# run NAME ARGS...: verify ARGS --json NAME.json, status 0 or 1.
run() {
	name=$1
	shift
	"$x2sim" "$@" --json "$tmp/$name.json" >/dev/null 2>"$tmp/$name.err"
	[ $? -le 1 ] || fail "$name: $(cat "$tmp/$name.err")"
}

red="--reduced --configs x2apic-2,singlestep"
# shellcheck disable=SC2086 # $red is a list of words
run findings verify --fastpath v5.6-merged,v1-posted $red \
	--max-counterexamples 2 --save "$tmp/cases"
# shellcheck disable=SC2086
run violations verify --fastpath upstream $red --contract single-target
run exits verify --fastpath upstream --sweep exits --configs x2apic-2,mixed-modes
# shellcheck disable=SC2086
run plugin verify --plugin "$pdir/sound_memset_tpr.so" $red
run kernel verify --kernel "$tree" --reduced --configs singlestep
run failure verify --plugin "$pdir/misbehave_segv.so" --reduced \
	--configs x2apic-2 --case-timeout 5 --save "$tmp/cases"
for k in 1 2 3; do
	# shellcheck disable=SC2086
	run shard$k verify --fastpath v5.6-merged $red --shard $k/3
done
"$x2sim" merge "$tmp/shard1.json" "$tmp/shard2.json" "$tmp/shard3.json" \
	--json "$tmp/merged.json" >/dev/null
[ $? -eq 1 ] || fail "merge"
"$x2sim" merge "$tmp/failure.json" --json "$tmp/merged-failure.json" \
	>/dev/null
[ $? -eq 1 ] || fail "merge of the failure"
grep -q '"contract violation"' "$tmp/violations.json" || fail "no violation"
grep -q '"case_file"' "$tmp/findings.json" || fail "no case_file"
grep -q '"kernel": {' "$tmp/kernel.json" || fail "no kernel object"
grep -q '"cases": null' "$tmp/failure.json" || fail "no failure"

set -- findings violations exits plugin kernel failure shard1 shard2 \
	shard3 merged merged-failure
files=
for f in "$@"; do
	files="$files $tmp/$f.json"
done
# shellcheck disable=SC2086
$check $files || fail "a report is not valid against the schema"

# Spoilt: a count as a string, a key missing, an unknown key, a bad
# finding, a violation without its ICR class, a failure with counts.
spoil() {
	sed "$2" "$tmp/$1.json" >"$tmp/bad-$3.json"
	cmp -s "$tmp/$1.json" "$tmp/bad-$3.json" && fail "spoil $3 changed nothing"
	bad="$bad $tmp/bad-$3.json"
}
bad=
spoil findings 's/"cases": \([0-9]*\)/"cases": "\1"/' count-string
spoil findings '/"configs_sha256"/d' no-digest
spoil findings 's/"reduced": true/"reduced": true, "frob": 1/' unknown-key
spoil findings 's/"cause": "the exit to userspace differs"/"cause": "frob"/' cause
spoil violations 's/, "targets": [0-9]//' violation
spoil failure 's/"handled": null/"handled": 0/' failure-count
spoil merged 's/"shard": "1\/3"/"shard": "0\/3"/' shard
# shellcheck disable=SC2086
$check --invalid $bad || fail "a spoilt report passed the schema"
echo "ok: every report valid, every spoilt one not"
