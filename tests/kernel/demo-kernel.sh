#!/bin/sh
# make demo's last step: Debian 12's own kernel source, linux-source-6.1,
# through x2sim verify --kernel when it is installed (exit status 1 is the
# point: its fastpath loses KVM_EXIT_DEBUG under userspace single-step);
# otherwise how to get it.
set -eu
cd "$(dirname "$0")/../.."
X2SIM=${X2SIM:-./build/dev/x2sim}
CACHE=build/kernel-src
THREADS=${THREADS:-2}

fail() {
	echo "demo: $*" >&2
	exit 1
}

if ! dpkg-query -W -f='${Status}' linux-source-6.1 2>/dev/null |
	grep -q "install ok installed"; then
	echo
	echo "Debian 12's own kernel, verified by its own fastpath code: install"
	echo "its source and run make demo again (or make check-kernel):"
	echo "  apt-get install linux-source-6.1"
	exit 0
fi
. tests/kernel/unpack.sh
unpack 6.1
echo
echo "Debian 12's kernel source, linux-source-6.1, its fastpath unchanged:"
echo "  x2sim verify --kernel $CACHE/linux-source-6.1 --threads $THREADS --max-counterexamples 1"
"$X2SIM" verify --kernel "$CACHE/linux-source-6.1" --threads "$THREADS" \
	--max-counterexamples 1 || test $? -eq 1
