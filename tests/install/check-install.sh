#!/bin/sh
# check-install.sh [BUILD_DIR]: install x2sim into a scratch prefix, then
# build and run one consumer through find_package(x2sim) and one through
# pkg-config, build a guest from the installed kit alone and run it with
# the installed CLI, and find COPYING, the completion and the man page.
# With BUILD_DIR (ctest's install_kit: the tree make check just built)
# that tree is installed; without, a Release tree is configured and built.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ $# -ge 1 ]; then
	cmake --install "$1" --prefix "$work/prefix" >/dev/null
else
	cmake -S "$top" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_INSTALL_PREFIX="$work/prefix" -DX2SIM_BUILD_TESTS=OFF \
		-DX2SIM_BUILD_BENCH=OFF >/dev/null
	cmake --build "$work/build" -j2 >/dev/null
	cmake --install "$work/build" >/dev/null
fi

cmake -S "$top/tests/install/consumer" -B "$work/consumer" \
	-DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
LD_LIBRARY_PATH="$work/prefix/lib" "$work/consumer/consumer"

export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
cc -std=gnu11 -Wall -Werror $(pkg-config --cflags x2sim) \
	"$top/tests/install/consumer/consumer.c" -o "$work/consumer-pc" \
	$(pkg-config --libs x2sim)
LD_LIBRARY_PATH="$work/prefix/lib" "$work/consumer-pc"

# A guest built from the installed kit alone, run by the installed CLI.
kit="$work/prefix/share/x2sim/guest"
cat >"$work/hello.c" <<'EOF2'
#include "guest.h"

volatile u64 got;

void guest_main(u64 cpu, u64 nr_cpus)
{
	(void)nr_cpus;
	if (cpu)
		return;
	idt_load();
	x2apic_send(0, ICR_SELF | 0x44);
	while (!got)
		sti_hlt_cli();
}

void guest_irq(u64 vector)
{
	got += vector == 0x44;
	x2apic_eoi();
}
EOF2
cc -O2 -ffreestanding -fno-pic -fno-pie -no-pie -static -nostdlib \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fcf-protection=none -fno-asynchronous-unwind-tables -Wall -Werror \
	-Wl,--build-id=none -Wl,-T,"$kit/guest.ld" -I "$kit" \
	-o "$work/hello.elf" "$kit/runtime.S" "$kit/idt.c" "$work/hello.c"
LD_LIBRARY_PATH="$work/prefix/lib" "$work/prefix/bin/x2sim" run \
	"$work/hello.elf" --vcpus 2 --fastpath upstream >"$work/run.out"
grep -q "finished" "$work/run.out"
test -f "$work/prefix/share/doc/x2sim/COPYING"
test -f "$work/prefix/share/bash-completion/completions/x2sim"
MANPATH="$work/prefix/share/man" man -E ascii x2sim 2>/dev/null | grep -q "EXIT STATUS"
echo "install check: 4 passed, 0 failed"
