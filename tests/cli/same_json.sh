#!/bin/sh
# same_json.sh X2SIM DIR: the JSON report does not depend on --threads
# (but for the command line it records).
set -eu
x2sim=$1
dir=$2
mkdir -p "$dir"
rm -f "$dir/t1.json" "$dir/t2.json"
args="verify --fastpath v5.6-merged,upstream --reduced --configs x2apic-2,singlestep,mixed-modes"
"$x2sim" $args --threads 1 --json "$dir/t1.json" >/dev/null || [ $? -eq 1 ]
"$x2sim" $args --threads 2 --json "$dir/t2.json" >/dev/null || [ $? -eq 1 ]
grep -q '"command": \["x2sim", "verify", .*"--threads", "1"' "$dir/t1.json"
for t in t1 t2; do
	grep -v '^  "command": ' "$dir/$t.json" >"$dir/$t.masked"
done
cmp "$dir/t1.masked" "$dir/t2.masked"
grep -q '"x2sim_verify": 2' "$dir/t1.json"
echo "ok: --threads 1 and 2 wrote byte-identical JSON"
