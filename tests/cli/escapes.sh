#!/bin/sh
# escapes.sh X2SIM GUEST TMPDIR: a control character in what a message
# repeats (a command name, a file name, an option's value, a key read from
# a JSON file) reaches stderr as \xNN, on every path that reports one:
# each message is one line, has no raw control character and shows \x1b.
set -u
x2sim=$1
guest=$2
tmp=$3
rm -rf "$tmp"
mkdir -p "$tmp"
esc=$(printf '\033')
cr=$(printf '\r')
fail=0

check() {
	name=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	# Every byte below 0x20 but the newline, and DEL.
	if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$tmp/err"; then
		echo "escapes: $name: a raw control character on stderr:" >&2
		od -c "$tmp/err" | head -5 >&2
		fail=1
	elif ! grep -q 'x1b' "$tmp/err"; then
		echo "escapes: $name: no \\x1b in:" >&2
		cat "$tmp/err" >&2
		fail=1
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		echo "escapes: $name: not one line:" >&2
		cat "$tmp/err" >&2
		fail=1
	fi
}

printf '{"x\\u001b[2J": 1}\n' >"$tmp/key.json"
printf '{"x": 1}\n' >"$tmp/r${esc}.json"
check "unknown command" "$x2sim" "frob${esc}[2J${cr}"
check "option value" "$x2sim" verify --configs "a${esc}b"
check "unknown option" "$x2sim" verify "--frob${esc}"
check "operand" "$x2sim" version "x${esc}"
check "merge, missing file" "$x2sim" merge "$tmp/no${esc}.json"
check "merge, not a report" "$x2sim" merge "$tmp/r${esc}.json"
check "merge --json" "$x2sim" merge "$tmp/r${esc}.json" \
	--json "$tmp/no-dir/m${esc}.json"
check "replay, JSON key" "$x2sim" replay "$tmp/key.json"
check "case, config key" "$x2sim" case --config "$tmp/key.json" --sender 0 \
	--wrmsr 0x830=1
check "run, image" "$x2sim" run "$tmp/x${esc}.elf" --vcpus 1
check "run --console" "$x2sim" run "$guest" --vcpus 2 \
	--console "$tmp/no-dir${esc}/c"
check "run --dump" "$x2sim" run "$guest" --vcpus 2 --dump "s${esc}"
check "verify --json" "$x2sim" verify --reduced --configs x2apic-1 \
	--fastpath upstream --json "$tmp/no-dir${esc}/v.json"
check "verify --save" "$x2sim" verify --reduced --configs x2apic-1 \
	--fastpath upstream --save "$tmp/r${esc}.json"
check "bench --image" "$x2sim" bench ipi --image "$tmp/x${esc}.elf"
[ "$fail" -eq 0 ] || exit 1
echo "escapes: every message shows the control character as \\x1b"
