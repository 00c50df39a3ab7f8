#!/bin/sh
# Run every libFuzzer target (built by the fuzz preset) for N seconds from
# its seed corpus; print each one's execs/s and coverage (libFuzzer's final
# stats) and record them in build/fuzz-libfuzzer/fuzz-bench.txt.  Exit 1
# when a target crashed (the input is left as crash-* in the work dir).
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
# FUZZ_SEED=S and FUZZ_RUNS=N (environment) make a run reproducible: the
# same seed and number of inputs give the same inputs on any machine (CI
# uses them, so that its verdict does not depend on how fast it ran).
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-fuzz_diff fuzz_icr fuzz_elf}
bin=build/fuzz-libfuzzer/tests/fuzz
work=build/fuzz-libfuzzer/fuzz-work
bench=build/fuzz-libfuzzer/fuzz-bench.txt
mkdir -p "$work"
: >"$bench"
status=0
for t in $targets; do
	mkdir -p "$work/$t"
	log="$work/$t.log"
	echo "== $t: $secs s"
	# OSS-Fuzz's <target>.options: libFuzzer flags, e.g. max_len.
	opts=$(sed -n 's/^\([a-z_]*\)[[:space:]]*=[[:space:]]*\(.*\)$/-\1=\2/p' \
		"tests/fuzz/$t.options" 2>/dev/null || true)
	# shellcheck disable=SC2086
	if (cd "$work" && ASAN_OPTIONS=detect_leaks=1 \
	    "../tests/fuzz/$t" -max_total_time="$secs" -print_final_stats=1 $opts \
	    ${FUZZ_SEED:+-seed="$FUZZ_SEED"} ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} \
	    -dict=../../../tests/fuzz/x2sim.dict -artifact_prefix="$t-" \
	    "$t" "../../../tests/fuzz/corpus/$t") >"$log" 2>&1; then
		:
	else
		echo "$t: CRASH (see $log and $work/$t-crash-*)"
		grep -E "^fuzz_|SUMMARY" "$log" | head -5
		status=1
	fi
	done_line=$(grep -E "^#[0-9]+[[:space:]]+DONE" "$log" | tail -1 || true)
	eps=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log")
	runs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log")
	echo "$t: ${eps:-?} execs/s, ${runs:-?} runs; ${done_line:-no DONE line}"
	echo "$t execs_per_sec=${eps:-?} runs=${runs:-?} seconds=$secs" >>"$bench"
done
exit $status
