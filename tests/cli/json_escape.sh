#!/bin/sh
# json_escape.sh X2SIM GUEST_DIR TMPDIR
# Every JSON x2sim writes escapes the same way (src/verify/json.c,
# json_write_string): '"' and '\' with a backslash, every control
# character, DEL (0x7f) included, as \u00XX.  Checked on the two writers
# that used to disagree: run --json (an image path) and verify --json (its
# argv).
set -u
x2sim=$1
gdir=$2
tmp=$3

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

rm -rf "$tmp"
mkdir -p "$tmp" || exit 2
# A name with DEL, a newline, a tab, a quote and a backslash in it.
odd=$(printf 'g\177\n\t"\\x')
ln -s "$gdir/selfipi.elf" "$tmp/$odd.elf" || exit 2
want='g\\u007f\\u000a\\u0009\\"\\\\x'

"$x2sim" run "$tmp/$odd.elf" --vcpus 1 --json "$tmp/run.json" \
	>"$tmp/out" 2>&1 || fail "run: status $?: $(cat "$tmp/out")"
grep -q "\"image\":\"$tmp/$want.elf\"" "$tmp/run.json" ||
	fail "run.json: $(head -c 200 "$tmp/run.json")"

"$x2sim" verify --fastpath upstream --reduced --configs x2apic-1 \
	--save "$tmp/$odd" --json "$tmp/verify.json" >"$tmp/out" 2>&1 ||
	fail "verify: status $?: $(cat "$tmp/out")"
grep -q "\"$tmp/$want\"" "$tmp/verify.json" ||
	fail "verify.json: $(grep -n argv -A12 "$tmp/verify.json")"
echo ok
