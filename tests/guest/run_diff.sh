#!/bin/sh
# run_diff.sh X2SIM IMAGE: run --diff v1-posted on the gp guest with
# --save and --json into a temporary directory, then replay the case:
# the divergence (status 1), a JSON report that parses and names the
# case file, and a case that replays as a mismatch (status 1).
x2sim=$1
img=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
"$x2sim" run "$img" --vcpus 1 --diff v1-posted --save "$dir/case.json" \
	--json "$dir/report.json"
st=$?
[ "$st" -eq 1 ] || { echo "run --diff: exit status $st, expected 1"; exit 1; }
python3 - "$dir/report.json" "$dir/case.json" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "diverged", r["verdict"]
d = r["divergence"]
assert d["index"] == 0 and d["vcpu"] == 0, d
assert d["exit"].startswith("WRMSR ECX 0x830"), d["exit"]
assert d["case_file"] == sys.argv[2], d["case_file"]
assert any(f["field"] == "injected" for f in d["differences"])
print("report ok")
PY
"$x2sim" replay "$dir/case.json"
st=$?
[ "$st" -eq 1 ] || { echo "replay: exit status $st, expected 1"; exit 1; }
echo "replay ok"
