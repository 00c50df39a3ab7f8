#!/bin/sh
# agree.sh X2SIM DIR: kernel-shaped code written for these tests and the
# shipped re-creation of the same version get the same verdicts, through
# --kernel-source (5.6: SKIP_EMUL_INS read as 5.6's caller did) and
# --kernel (a 6.12-shaped tree); and neither the trees nor the sources are
# changed by verify, extract or a patch, good or bad.
set -eu
x2sim=$1
dir=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
sums() {
	(cd "$here" && find trees sources -type f -print0 | sort -z |
		xargs -0 sha256sum)
}
sums >"$dir/before"
counts() {
	grep -E '"(cases|handled|declined|mismatches|warns|dirty_none)":' "$1" |
		sed 's/"name": "[^"]*",//'
}
# The re-creations are of the IPI path: the ICR sweep.
args="--reduced --sweep icr --threads 2 --max-counterexamples 0"
"$x2sim" verify --kernel-source "$here/sources/v5.6-x86.c" --kvm-version 5.6 \
	$args --json "$dir/k56.json" >"$dir/k56.out" || [ $? -eq 1 ]
"$x2sim" verify --fastpath v5.6-merged $args --json "$dir/v56.json" \
	>"$dir/v56.out" || [ $? -eq 1 ]
counts "$dir/k56.json" >"$dir/k56.c"
counts "$dir/v56.json" >"$dir/v56.c"
cmp "$dir/k56.c" "$dir/v56.c"
grep -q '"mismatches": 0,' "$dir/k56.json" && {
	echo "5.6 found nothing" >&2
	exit 1
}
"$x2sim" verify --kernel "$here/trees/stable-6.12" $args \
	--json "$dir/k612.json" >"$dir/k612.out"
"$x2sim" verify --fastpath v6.12 $args --json "$dir/v612.json" >"$dir/v612.out"
counts "$dir/k612.json" >"$dir/k612.c"
counts "$dir/v612.json" >"$dir/v612.c"
cmp "$dir/k612.c" "$dir/v612.c"
# 5.10: a dispatcher without the L2 check (vmx_vcpu_run() had it) and a
# u32 exit_reason, against x2sim's gate for the same x86.c functions.
"$x2sim" verify --kernel "$here/trees/v5.10" $args --json "$dir/t510.json" \
	>"$dir/t510.out" || [ $? -eq 1 ]
"$x2sim" verify --kernel-source "$here/trees/v5.10/arch/x86/kvm/x86.c" --kvm-version 5.10 \
	$args --json "$dir/s510.json" >"$dir/s510.out" || [ $? -eq 1 ]
counts "$dir/t510.json" >"$dir/t510.c"
counts "$dir/s510.json" >"$dir/s510.c"
cmp "$dir/t510.c" "$dir/s510.c"
grep -q "behind vmx_vcpu_run()'s L2 check" "$dir/t510.out"
"$x2sim" extract --kernel "$here/trees/lts-6.1" -o "$dir/x.c"
"$x2sim" verify --kernel "$here/trees/lts-6.1" \
	--patch "$here/fix-singlestep.patch" $args >"$dir/fix.out"
"$x2sim" verify --kernel "$here/trees/lts-6.1" \
	--patch "$here/stale-context.patch" $args >"$dir/stale.out" 2>&1 &&
	exit 1
sums >"$dir/after"
cmp "$dir/before" "$dir/after"
echo "ok: 5.6, 5.10 and 6.12 agree with their re-creations; nothing was written into the trees"
