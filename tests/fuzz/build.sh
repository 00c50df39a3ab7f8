#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script (docs/fuzzing.md): builds the
# x2sim fuzz targets into $OUT with their seed corpora and dictionary.
# Honours $CC, $CFLAGS, $LIB_FUZZING_ENGINE and $OUT; run from anywhere,
# e.g. locally:
#   CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out tests/fuzz/build.sh
# Under AFL++, CC=afl-clang-fast and LIB_FUZZING_ENGINE=/path/libAFLDriver.a
# (or -fsanitize=fuzzer with afl-clang-fast >= 4).
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -d "$SRC/x2sim" ] && [ -f "$SRC/x2sim/tests/fuzz/build.sh" ]; then
	SRC=$SRC/x2sim
fi
: "${CC:=clang}" "${CFLAGS:=}" "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${OUT:?set OUT to the output directory}"
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$OUT" "$WORK/obj"

# The core library (src/core, lapic, vmx, fastpath, verify) and the ELF
# loader, with the embedded named configurations.
cmake -DOUT="$WORK/x2sim_configs.c" \
	-DFILES="$(ls "$SRC"/configs/*.json | tr '\n' '|' | sed 's/|$//')" \
	-DARRAY=x2s_embedded_configs -DARRAY_COUNT=x2s_nr_embedded_configs \
	-P "$SRC/cmake/embed.cmake"
COMMON="-std=gnu11 -fno-strict-aliasing -fvisibility=hidden -I$SRC/include -I$SRC/src"
# libFuzzer's coverage for the model only, as in the CMake fuzz presets.
case "$CFLAGS" in
*fuzzer-no-link*)
	COMMON="$COMMON -fsanitize-coverage-ignorelist=$SRC/tests/fuzz/coverage.ignore"
	;;
esac
objs=()
for f in "$SRC"/src/{core,lapic,vmx,fastpath,verify}/*.c "$WORK/x2sim_configs.c" \
	"$SRC/src/guest/loader.c"; do
	o="$WORK/obj/$(echo "${f#"$SRC"/}" | tr '/' '_').o"
	# shellcheck disable=SC2086
	$CC $CFLAGS $COMMON $(pkg-config --cflags libelf) -c "$f" -o "$o"
	objs+=("$o")
done
ar rcs "$WORK/libx2sim_fuzz.a" "${objs[@]}"

for t in fuzz_diff fuzz_icr fuzz_elf; do
	# shellcheck disable=SC2086
	$CC $CFLAGS $COMMON -I"$SRC/tests/fuzz" -c "$SRC/tests/fuzz/$t.c" \
		-o "$WORK/$t.o"
	# shellcheck disable=SC2086
	$CC $CFLAGS $LIB_FUZZING_ENGINE "$WORK/$t.o" "$WORK/libx2sim_fuzz.a" \
		$(pkg-config --libs libelf) -ldl -lpthread -o "$OUT/$t"
	(cd "$SRC/tests/fuzz/corpus/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
	cp "$SRC/tests/fuzz/x2sim.dict" "$OUT/$t.dict"
	if [ -f "$SRC/tests/fuzz/$t.options" ]; then
		cp "$SRC/tests/fuzz/$t.options" "$OUT/$t.options"
	fi
done
