#!/bin/sh
# check-man.sh X2SIM MANPAGE COMPLETION: the man page renders with man -l
# without a warning, and every long option each command's --help names is
# in it and in the bash completion of that command.
set -eu
x2sim=$1
page=$2
completion=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

MANWIDTH=80 man --warnings -E ascii -l "$page" >"$tmp/man.txt" 2>"$tmp/man.err"
if [ -s "$tmp/man.err" ]; then
	cat "$tmp/man.err" >&2
	echo "check-man: $page renders with warnings" >&2
	exit 1
fi
grep -q "EXIT STATUS" "$tmp/man.txt"
missing=0
for cmd in verify merge case replay run demo decode extract fastpaths version \
	"bench ipi"; do
	# shellcheck disable=SC2086
	"$x2sim" $cmd --help >"$tmp/help.txt" 2>&1 || true
	first=${cmd%% *}
	# shellcheck disable=SC2016
	bash -c '. "$1"; COMP_WORDS=(x2sim "$2" --); COMP_CWORD=2; _x2sim;
		printf "%s\n" "${COMPREPLY[@]}"' sh "$completion" "$first" \
		>"$tmp/complete.txt"
	# Options of other commands quoted in prose ('x2sim verify --save')
	# are theirs, not this command's.
	sed -e "s/'x2sim [^']*'//g" -e 's/(x2sim [^)]*)//g' "$tmp/help.txt" \
		>"$tmp/own.txt"
	for opt in $(grep -o -- '--[a-z][a-z0-9-]*' "$tmp/own.txt" | sort -u); do
		[ "$opt" = "--help" ] && continue
		if ! grep -q -- "$opt" "$tmp/man.txt"; then
			echo "check-man: '$cmd' has $opt, the man page does not" >&2
			missing=1
		fi
		if ! grep -qx -- "$opt" "$tmp/complete.txt"; then
			echo "check-man: '$cmd' has $opt, its completion does not" >&2
			missing=1
		fi
	done
	# Every command is described.
	grep -q "^ *$first" "$tmp/man.txt" ||
		{ echo "check-man: no entry for '$cmd'" >&2; missing=1; }
done
[ "$missing" -eq 0 ]
echo "check-man: the man page renders; it and the completion name every option"
