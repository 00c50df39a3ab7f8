#!/bin/sh
# make check-kernel: verify the fastpath of Debian's real kernel trees,
# unchanged, with x2sim verify --kernel.
#
#   linux-source-6.12: no mismatch (exit 0);
#   linux-source-6.1:  exit 1, with the single-step class (the fastpath
#                      ignores the skip's answer: KVM_EXIT_DEBUG is lost)
#                      and its minimal case.
#
# The packages are installed with apt-get when missing (as root; otherwise
# the exact command is printed and the check fails: it never passes
# without the trees).  Only the top Makefile and arch/x86/kvm are unpacked,
# under build/kernel-src/, once per package version.
set -eu
cd "$(dirname "$0")/../.."
X2SIM=${X2SIM:-./build/dev/x2sim}
CACHE=build/kernel-src
THREADS=${THREADS:-2}
VERSIONS="6.1 6.12"

fail() {
	echo "check-kernel: $*" >&2
	exit 1
}

[ -x "$X2SIM" ] || fail "$X2SIM is not built (make build)"

missing=""
for v in $VERSIONS; do
	dpkg-query -W -f='${Status}' "linux-source-$v" 2>/dev/null |
		grep -q "install ok installed" || missing="$missing linux-source-$v"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		fail "missing Debian packages:$missing; run: sudo apt-get update && sudo apt-get install -y$missing"
	fi
	echo "check-kernel: installing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || fail "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing ||
		fail "cannot install$missing"
fi

. tests/kernel/unpack.sh

for v in $VERSIONS; do
	unpack "$v"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The tree must be left as it was: remember every file's checksum.
sums() {
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
}

run() {
	v=$1
	want=$2
	tree=$CACHE/linux-source-$v
	sums "$tree" >"$tmp/before-$v"
	set +e
	"$X2SIM" verify --kernel "$tree" --threads "$THREADS" \
		--max-counterexamples 10 --json "$tmp/$v.json" >"$tmp/$v.out" 2>&1
	rc=$?
	set -e
	sums "$tree" >"$tmp/after-$v"
	cmp -s "$tmp/before-$v" "$tmp/after-$v" ||
		fail "verify --kernel changed files in $tree"
	grep -E "^(x2sim|  [a-z_]+ +arch/|  dispatcher|fastpath|Linux)" "$tmp/$v.out" || true
	if [ "$rc" -ne "$want" ]; then
		cat "$tmp/$v.out" >&2
		fail "linux-source-$v: exit status $rc, expected $want"
	fi
}

# 6.12 honours the skip's answer: nothing differs anywhere.
run 6.12 0
grep -q "no mismatches" "$tmp/6.12.out" ||
	fail "linux-source-6.12: no 'no mismatches' line"
grep -q '"mismatches": 0' "$tmp/6.12.json" ||
	fail "linux-source-6.12: the JSON report has mismatches"

# 6.1 returns EXIT_HANDLED whatever the skip said.
run 6.1 1
grep -q "the exit to userspace differs" "$tmp/6.1.out" ||
	fail "linux-source-6.1: the single-step class is missing"
grep -q "slow path: the sender exits to userspace (exit_reason 4)" \
	"$tmp/6.1.out" ||
	fail "linux-source-6.1: the minimal case does not show KVM_EXIT_DEBUG (4) on the slow path"
grep -q "KVM_GUESTDBG_SINGLESTEP" "$tmp/6.1.out" ||
	fail "linux-source-6.1: the minimal case is not the single-step configuration"
# The same lost exit through the TSC-deadline write (the exits sweep).
grep -q "sender vcpu0, WRMSR ECX 0x6e0" "$tmp/6.1.out" ||
	fail "linux-source-6.1: the TSC-deadline single-step class is missing"
grep -q '"functions"' "$tmp/6.1.json" ||
	fail "linux-source-6.1: the JSON report does not say what was taken"
echo "check-kernel: linux-source-6.12 verified clean; linux-source-6.1 shows the lost KVM_EXIT_DEBUG"
