#!/bin/sh
# same_run_json.sh X2SIM IMAGE DIR: two runs of the same guest write the
# same JSON, except host times (*_ns) and resident engine memory, which
# are measurements.
set -eu
x2sim=$1
image=$2
dir=$3
mkdir -p "$dir"
rm -f "$dir"/r1.json "$dir"/r2.json
for r in r1 r2; do
	"$x2sim" run "$image" --vcpus 2 --fastpath upstream --dump pongs \
		--json "$dir/$r.json" >/dev/null
	sed -E -e 's/"([a-z_]*_ns)":[0-9.]+/"\1":T/g' \
		-e 's/"engine_bytes_per_vcpu":[0-9]+/"engine_bytes_per_vcpu":M/' \
		"$dir/$r.json" >"$dir/$r.masked"
done
grep -q '"result":"finished"' "$dir/r1.json"
grep -q '"exits_total":[1-9]' "$dir/r1.json"
cmp "$dir/r1.masked" "$dir/r2.masked"
echo "ok: two runs wrote the same JSON but for host times and memory"
