#!/bin/bash
# Fuzzing throughput (docs/fuzzing.md): every libFuzzer target, in the
# required build (ASan + UBSan, preset fuzz) and the throughput build (no
# sanitizers, preset fuzz-fast), for SECONDS each from its seed corpus with
# a fixed seed, into a scratch corpus (the committed one is not written).
# Prints execs/s as libFuzzer counts them (wall clock) and per CPU second
# (user + sys: steadier on a shared machine), and fuzz_floor, a target that
# does nothing: libFuzzer's own cost, measured first in each build and
# printed next to every target (its execs/s and the target's share of them
# per CPU second: the ceiling the harness leaves).  Run from anywhere:
#   make bench-fuzz [BENCH_FUZZ_SECONDS=N]   or   bench/fuzz/run.sh [SECONDS]
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-20}
out=build/fuzz-bench.txt
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Flags from OSS-Fuzz's <target>.options (fuzz_icr: max_len 14); the floor
# gets fuzz_icr's.
flags() {
	sed -n 's/^\([a-z_]*\)[[:space:]]*=[[:space:]]*\(.*\)$/-\1=\2/p' \
		"tests/fuzz/${1/fuzz_floor/fuzz_icr}.options" 2>/dev/null || true
}

printf '%-12s %-14s %9s %9s %9s %11s %11s %8s\n' build target runs \
	"execs/s" "floor/s" "execs/CPU-s" "floor/CPU-s" "of floor" | tee "$out"
for preset in fuzz fuzz-fast; do
	case $preset in
	fuzz) dir=build/fuzz-libfuzzer label=asan+ubsan ;;
	*) dir=build/fuzz-fast label=no-sanitizer ;;
	esac
	floor=0 floor_eps=0
	# fuzz_diff/none: X2SIM_FUZZ_FASTPATH=none, the slow path alone, the
	# ceiling of fuzz_diff's harness without its differential part.
	for row in fuzz_floor fuzz_icr fuzz_diff fuzz_diff/none fuzz_elf; do
		t=${row%/*} fp=
		[ "$row" = "$t" ] || fp=${row#*/}
		bin=$dir/tests/fuzz/$t
		corpus=tests/fuzz/corpus/$t
		[ -d "$corpus" ] || corpus=
		rm -rf "$scratch/c" && mkdir "$scratch/c"
		TIMEFORMAT='%U %S'
		status=0
		# shellcheck disable=SC2046,SC2086 # flags split into words
		{ time X2SIM_FUZZ_FASTPATH=$fp ASAN_OPTIONS=detect_leaks=0 \
			"$bin" -seed=1 \
			-max_total_time="$secs" -print_final_stats=1 \
			$(flags "$t") "$scratch/c" $corpus \
			>"$scratch/log" 2>&1 || status=$?; } 2>"$scratch/time"
		if [ "$status" != 0 ]; then
			# A finding (docs/fuzzing.md): the figures stop there.
			log=build/fuzz-bench-$label-${row/\//-}.log
			cp "$scratch/log" "$log"
			echo "$label $row: exit $status, see $log" >&2
		fi
		runs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' \
			"$scratch/log")
		eps=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' \
			"$scratch/log")
		cpu=$(awk '{ print $1 + $2 }' "$scratch/time")
		cps=$(awk -v r="${runs:-0}" -v c="$cpu" \
			'BEGIN { printf "%d", (c > 0 ? r / c : 0) }')
		if [ "$t" = fuzz_floor ]; then
			floor=$cps floor_eps=${eps:-0}
		fi
		share=$(awk -v c="$cps" -v f="$floor" \
			'BEGIN { printf "%.1f%%", (f > 0 ? 100 * c / f : 0) }')
		printf '%-12s %-14s %9s %9s %9s %11s %11s %8s\n' "$label" "$row" \
			"${runs:-?}" "${eps:-?}" "$floor_eps" "$cps" "$floor" \
			"$share" | tee -a "$out"
	done
done
