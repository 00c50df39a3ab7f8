#!/bin/sh
# Build one fuzz target with AFL++ (afl-clang-fast, the same
# LLVMFuzzerTestOneInput) and fuzz it briefly from its seed corpus.
#   tests/fuzz/afl.sh [TARGET] [SECONDS]
# Installs Debian's afl++ with apt-get when run as root and it is missing.
set -eu
cd "$(dirname "$0")/../.."
t=${1:-fuzz_icr}
secs=${2:-60}
if ! command -v afl-clang-fast >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y afl++ >/dev/null
	else
		echo "afl.sh: needs AFL++: apt-get install afl++" >&2
		exit 2
	fi
fi
out=build/fuzz-afl
mkdir -p "$out"
CC=afl-clang-fast CFLAGS="-O2" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
	OUT="$PWD/$out/bin" bash tests/fuzz/build.sh
rm -rf "$out/findings-$t"
AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
	afl-fuzz -V "$secs" -i "tests/fuzz/corpus/$t" -o "$out/findings-$t" \
	-x tests/fuzz/x2sim.dict -- "$out/bin/$t"
crashes=$(find "$out/findings-$t" -path '*crashes/id*' | wc -l)
echo "afl.sh: $t: $crashes crashes"
[ "$crashes" = 0 ]
