#!/bin/sh
# misbehave.sh X2SIM PLUGIN_DIR GUEST TMPDIR KIND
# Plugin isolation (docs/plugins.md, "When a plugin misbehaves") with the
# plugins of tests/plugins/misbehave_*.c.  KIND:
#   segv, abort, exit, loop: verify --json --save with the plugin ends
#     with status 1 (a finding; 0 with --findings-exit-status 0), one line
#     on stderr naming what happened and the case, as an `x2sim case`
#     command, within a few seconds (loop: --case-timeout 1); the case is
#     saved with "plugin_failure" and the JSON report is whole and records
#     the failure as a finding, no temporary left; the command it prints
#     does the same again, and so does `case` itself; replay --plugin of
#     the saved case fails the same way, status 1.
#   run: x2sim run with the crashing and the looping plugin on a guest.
#   replay: a case file that names a plugin (misbehave_ctor.so, whose
#     constructor creates a marker file) is refused without loading it;
#     --plugin on the command line loads the plugin given there.
#   ctor: plugins whose ELF constructor segfaults, aborts or calls
#     exit(0) (misbehave_ctor_*.c) fail while being loaded, before any
#     case: verify, case and replay end with status 1 (a finding; 0 with
#     verify --findings-exit-status 0) and one line saying so, verify's
#     JSON report is whole and records the failure, nothing is saved (no
#     case ran); run ends with status 2, its --json not written.
#   good: a well-behaved plugin still verifies as before: status 0 with a
#     whole report and JSON, status 1 with its mismatches, saved cases
#     named after the plugin's file name and never hidden.
set -u
x2sim=$1
pdir=$2
guest=$3
tmp=$4
kind=$5

fail() {
	echo "FAIL ($kind): $*" >&2
	[ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" >&2
	[ -f "$tmp/out" ] && tail -n 5 "$tmp/out" | sed 's/^/  stdout: /' >&2
	exit 1
}

now() {
	date +%s
}

# expect STATUS COMMAND...: runs it, stdout in $tmp/out, stderr in $tmp/err.
expect() {
	want=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "exit status $rc, not $want: $*"
}

one_line() {
	[ "$(wc -l <"$tmp/err")" -eq 1 ] ||
		fail "stderr has $(wc -l <"$tmp/err") lines, not one"
}

has() {
	grep -q -- "$1" "$tmp/$2" || fail "$2 does not match '$1'"
}

hasnt() {
	if grep -q -- "$1" "$tmp/$2"; then
		fail "$2 matches '$1'"
	fi
}

rm -rf "$tmp"
mkdir -p "$tmp" || exit 2

case $kind in
segv | abort | exit | loop)
	case $kind in
	segv) what='the plugin crashed (SIGSEGV)' ;;
	abort) what='the plugin aborted (SIGABRT)' ;;
	exit) what='the plugin ended the process with exit(0) before the report was complete' ;;
	loop) what='the plugin did not return within 1 s (--case-timeout)' ;;
	esac
	so=$pdir/misbehave_$kind.so
	where="in case: config x2apic-2, sender [01], WRMSR ECX 0x830, EDX:EAX 0x0000000[01]00004031; reproduce with: x2sim case --config x2apic-2 --sender [01] --exit wrmsr:0x830=0x[01]*4031 --plugin $so --case-timeout 1\$"

	case $kind in
	segv) failure=SIGSEGV ;;
	abort) failure=abort ;;
	exit) failure='exit(0)' ;;
	loop) failure=timeout ;;
	esac
	saved=$tmp/saved/misbehave_$kind.so-failure.json

	start=$(now)
	expect 1 "$x2sim" verify --plugin "$so" --configs x2apic-2 --reduced \
		--threads 2 --case-timeout 1 --json "$tmp/r.json" \
		--save "$tmp/saved"
	[ $(($(now) - start)) -le 8 ] || fail "verify took $(($(now) - start)) s"
	one_line
	has "^x2sim verify: $what $where" err
	again=$(sed -n 's/.*; reproduce with: x2sim //p' "$tmp/err")
	hasnt "no mismatches" out
	hasnt "cases/s" out
	has "^saved: $saved " out
	# The case file records the failure; the report is whole.
	has "\"plugin_failure\": \"$failure\"" "saved/misbehave_$kind.so-failure.json"
	has '"x2sim_case": 1' "saved/misbehave_$kind.so-failure.json"
	has '"data": "0x0000000[01]00004031"' "saved/misbehave_$kind.so-failure.json"
	if ls "$tmp"/r.json.* >/dev/null 2>&1; then
		fail "left behind: $(ls "$tmp"/r.json.*)"
	fi
	[ "$(tail -c 2 "$tmp/r.json")" = "}" ] || fail "r.json is cut short"
	has '"x2sim_verify": 2' r.json
	has '"cases": null' r.json
	has "\"verdict\": \"plugin failure\", \"plugin_failure\": \"$failure\"" r.json
	has "\"case_file\": \"$saved\"" r.json
	has '"finding_classes": 1' r.json
	# The JSON reads back: merge takes it and reports the same failure.
	expect 1 "$x2sim" merge "$tmp/r.json"
	has "PLUGIN FAILURE ($failure)" out

	# A scheduler may ask for status 0 when the findings were written.
	expect 0 "$x2sim" verify --plugin "$so" --configs x2apic-2 --reduced \
		--threads 2 --case-timeout 1 --json "$tmp/r0.json" \
		--findings-exit-status 0
	has "\"plugin_failure\": \"$failure\"" r0.json

	# replay --plugin of the saved case: the same failure, status 1.
	start=$(now)
	expect 1 "$x2sim" replay "$saved" --plugin "$so" --case-timeout 1
	[ $(($(now) - start)) -le 8 ] || fail "replay took $(($(now) - start)) s"
	one_line
	has "^x2sim replay: $what in case: config x2apic-2, sender [01], WRMSR ECX 0x830, EDX:EAX 0x0000000[01]00004031; reproduce with: x2sim replay $saved --plugin $so --case-timeout 1\$" err
	has "recorded: the fastpath code failed in this case ($failure)" out

	# The command verify named reproduces it.
	[ -n "$again" ] || fail "no command to reproduce"
	start=$(now)
	# shellcheck disable=SC2086 # the plugin path has no blanks here
	expect 1 "$x2sim" $again
	[ $(($(now) - start)) -le 8 ] || fail "case took $(($(now) - start)) s"
	one_line
	has "^x2sim case: $what $where" err
	hasnt "verdict" out
	;;
run)
	for k in segv loop; do
		start=$(now)
		expect 2 env X2SIM_TEST_MISBEHAVE_ALWAYS=1 "$x2sim" run "$guest" \
			--vcpus 2 --plugin "$pdir/misbehave_$k.so" \
			--timeout-ms 300 --json "$tmp/run.json"
		[ $(($(now) - start)) -le 8 ] ||
			fail "run took $(($(now) - start)) s"
		one_line
		case $k in
		segv) has '^x2sim run: the plugin crashed (SIGSEGV) in the guest.s vcpu [01] at rip 0x[0-9a-f]*, in the fastpath of its MSR_WRITE exit$' err ;;
		loop) has "^x2sim run: the plugin did not return within the guest's time budget of 300 ms (--timeout-ms; .*) in the guest's vcpu [01] at rip 0x[0-9a-f]*, in the fastpath of its MSR_WRITE exit\$" err ;;
		esac
		if ls "$tmp"/run.json* >/dev/null 2>&1; then
			fail "left behind: $(ls "$tmp"/run.json*)"
		fi
	done
	# Without the trigger the same plugin runs the guest to its end.
	expect 0 "$x2sim" run "$guest" --vcpus 2 \
		--plugin "$pdir/misbehave_loop.so" --json "$tmp/run.json"
	has '"fastpath"' run.json
	;;
replay)
	so=$pdir/misbehave_ctor.so
	marker=$tmp/marker
	src=$(dirname "$0")/../cases/v5.6-merged-1.json
	# The constructor works: loading the plugin creates the marker.
	expect 0 env X2SIM_TEST_MARKER="$marker" "$x2sim" case --config x2apic-2 \
		--sender 0 --wrmsr 0x830=0x31 --plugin "$so"
	[ -e "$marker" ] || fail "the constructor did not run with --plugin"
	rm -f "$marker"
	# A case file that names the plugin: refused, nothing loaded.
	sed "s|\"fastpath\": \"v5.6-merged\"|\"fastpath\": \"$so\"|" "$src" \
		>"$tmp/crafted.json"
	grep -q "misbehave_ctor" "$tmp/crafted.json" || fail "no crafted file"
	expect 2 env X2SIM_TEST_MARKER="$marker" "$x2sim" replay "$tmp/crafted.json"
	one_line
	has "^x2sim replay: $tmp/crafted.json names the plugin '$so', and a case file never loads one .*: give it with --plugin PATH\$" err
	[ ! -e "$marker" ] || fail "replay loaded the plugin the case file names"
	# Another fastpath given: the case runs with it, the plugin unloaded.
	expect 1 env X2SIM_TEST_MARKER="$marker" "$x2sim" replay \
		"$tmp/crafted.json" --fastpath v5.6-merged
	has "fastpath v5.6-merged" out
	[ ! -e "$marker" ] || fail "replay --fastpath loaded the plugin"
	# The plugin given with --plugin is loaded, as the user asked.
	expect 0 env X2SIM_TEST_MARKER="$marker" "$x2sim" replay \
		"$tmp/crafted.json" --plugin "$so"
	[ -e "$marker" ] || fail "replay --plugin did not load the plugin"
	# Control characters in the name are not sent to the terminal.
	sed "s|\"fastpath\": \"v5.6-merged\"|\"fastpath\": \"x\\\\u001b[2Jy.so\"|" \
		"$src" >"$tmp/escape.json"
	expect 2 "$x2sim" replay "$tmp/escape.json"
	one_line
	has "names the plugin 'x\\\\x1b\\[2Jy.so'" err
	;;
ctor)
	case1=$(dirname "$0")/../cases/v5.6-merged-1.json
	for k in segv abort exit; do
		so=$pdir/misbehave_ctor_$k.so
		case $k in
		segv)
			what='the plugin crashed (SIGSEGV)'
			failure=SIGSEGV
			;;
		abort)
			what='the plugin aborted (SIGABRT)'
			failure=abort
			;;
		exit)
			what='the plugin ended the process with exit(0) before the report was complete'
			failure='exit(0)'
			;;
		esac
		where='while it was being loaded (in an ELF constructor)$'

		rm -rf "$tmp/saved" "$tmp/r.json"
		start=$(now)
		expect 1 "$x2sim" verify --plugin "$so" --configs x2apic-2 \
			--reduced --threads 2 --json "$tmp/r.json" \
			--save "$tmp/saved"
		[ $(($(now) - start)) -le 8 ] ||
			fail "verify took $(($(now) - start)) s"
		one_line
		has "^x2sim verify: $what $where" err
		hasnt "no mismatches" out
		[ -z "$(ls -A "$tmp/saved")" ] ||
			fail "saved: $(ls -A "$tmp/saved")"
		[ "$(tail -c 2 "$tmp/r.json")" = "}" ] ||
			fail "r.json is cut short"
		has '"cases": null' r.json
		has "\"verdict\": \"plugin failure\", \"plugin_failure\": \"$failure\"" r.json
		hasnt '"case_file"' r.json
		if ls "$tmp"/r.json.* >/dev/null 2>&1; then
			fail "left behind: $(ls "$tmp"/r.json.*)"
		fi
		expect 0 "$x2sim" verify --plugin "$so" --configs x2apic-2 \
			--reduced --json "$tmp/r0.json" --findings-exit-status 0
		has "\"plugin_failure\": \"$failure\"" r0.json

		expect 1 "$x2sim" case --config x2apic-2 --sender 0 \
			--wrmsr 0x830=0x31 --plugin "$so"
		one_line
		has "^x2sim case: $what $where" err
		hasnt "verdict" out

		expect 1 "$x2sim" replay "$case1" --plugin "$so"
		one_line
		has "^x2sim replay: $what $where" err

		rm -f "$tmp/run.json"
		expect 2 "$x2sim" run "$guest" --vcpus 2 --plugin "$so" \
			--json "$tmp/run.json"
		one_line
		has "^x2sim run: $what $where" err
		if ls "$tmp"/run.json* >/dev/null 2>&1; then
			fail "left behind: $(ls "$tmp"/run.json*)"
		fi
	done
	;;
good)
	expect 0 "$x2sim" verify --plugin "$pdir/my_fastpath.so" --reduced \
		--threads 2 --configs x2apic-2,singlestep --json "$tmp/g.json"
	[ ! -s "$tmp/err" ] || fail "stderr not empty"
	has "^x2sim verify: sweep icr,exits (reduced), 2 configurations" out
	has "^fastpath  *cases  *handled" out
	has "my_fastpath.so: no mismatches" out
	has '"x2sim_verify": 2' g.json
	[ "$(tail -c 2 "$tmp/g.json")" = "}" ] || fail "g.json is cut short"
	if ls "$tmp"/g.json.* >/dev/null 2>&1; then
		fail "left behind: $(ls "$tmp"/g.json.*)"
	fi
	# A mismatching plugin given as ./FILE: status 1, its findings, the
	# saved case named FILE-1.json (not ._FILE-1.json).
	(cd "$pdir" && expect 1 "$x2sim" verify --plugin ./sound_memset_tpr.so \
		--reduced --configs x2apic-2 --max-counterexamples 1 \
		--save "$tmp/saved" --json "$tmp/m.json") || exit 1
	has "MISMATCH" out
	has "saved: $tmp/saved/sound_memset_tpr.so-1.json" out
	[ "$(ls -A "$tmp/saved")" = "sound_memset_tpr.so-1.json" ] ||
		fail "saved: $(ls -A "$tmp/saved")"
	[ "$(tail -c 2 "$tmp/m.json")" = "}" ] || fail "m.json is cut short"
	expect 2 "$x2sim" replay "$tmp/saved/sound_memset_tpr.so-1.json"
	has "names the plugin './sound_memset_tpr.so'" err
	(cd "$pdir" && expect 1 "$x2sim" replay \
		"$tmp/saved/sound_memset_tpr.so-1.json" \
		--plugin ./sound_memset_tpr.so) || exit 1
	has "verdict: MISMATCH" out
	;;
*)
	echo "misbehave.sh: unknown kind $kind" >&2
	exit 2
	;;
esac
echo "ok: $kind"
