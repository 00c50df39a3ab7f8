#!/bin/sh
# Install x2sim into a scratch prefix, then build and run one consumer
# through find_package(x2sim) and one through pkg-config.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake -S "$top" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_INSTALL_PREFIX="$work/prefix" -DX2SIM_BUILD_TESTS=OFF \
	-DX2SIM_BUILD_BENCH=OFF >/dev/null
cmake --build "$work/build" -j2 >/dev/null
cmake --install "$work/build" >/dev/null

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
echo "install check: 2 passed, 0 failed"
