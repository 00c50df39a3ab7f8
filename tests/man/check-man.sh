#!/bin/sh
# check-man.sh X2SIM MANPAGE COMPLETION: the man page renders with man -l
# without a warning, and every option in each command's getopt_long table
# (printed by the hidden 'x2sim --list-options', straight from the tables
# cli_getopt() parses) is in the man page, in that command's bash
# completion and in its --help; every command of the table has an entry.
# An option added to a table and to nothing else fails here.
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

"$x2sim" --list-options >"$tmp/options.txt"
# A table per command, each with --help: an empty list means the hidden
# command broke, not that every page is in step.
commands=$(awk '{ print $1 }' "$tmp/options.txt" | uniq)
[ "$(echo "$commands" | wc -l)" -ge 11 ] ||
	{ echo "check-man: --list-options lists too few commands" >&2; exit 1; }
# The completion's own list of commands, and the man page's entries.
# shellcheck disable=SC2016
bash -c '. "$1"; COMP_WORDS=(x2sim ""); COMP_CWORD=1; _x2sim;
	printf "%s\n" "${COMPREPLY[@]}"' sh "$completion" >"$tmp/commands.txt"

missing=0
for cmd in $commands; do
	grep -qx -- "$cmd" "$tmp/commands.txt" ||
		{ echo "check-man: the completion has no command '$cmd'" >&2
		  missing=1; }
	grep -q "^ *$cmd" "$tmp/man.txt" ||
		{ echo "check-man: the man page has no entry for '$cmd'" >&2
		  missing=1; }
	args=$cmd
	[ "$cmd" = bench ] && args="bench ipi"
	# shellcheck disable=SC2086
	"$x2sim" $args --help >"$tmp/help.txt" 2>&1 ||
		{ echo "check-man: '$args --help' fails" >&2; missing=1; }
	# shellcheck disable=SC2016
	bash -c '. "$1"; COMP_WORDS=(x2sim "$2" -); COMP_CWORD=2; _x2sim;
		printf "%s\n" "${COMPREPLY[@]}"' sh "$completion" "$cmd" \
		>"$tmp/complete.txt"
	for opt in $(awk -v c="$cmd" '$1 == c { print $2 }' "$tmp/options.txt")
	do
		# -h and --help are every command's, described once.
		case $opt in -h) continue ;; esac
		if ! grep -q -- "$opt\\b" "$tmp/man.txt"; then
			echo "check-man: '$cmd' has $opt, the man page does not" >&2
			missing=1
		fi
		if ! grep -qx -- "$opt" "$tmp/complete.txt"; then
			echo "check-man: '$cmd' has $opt, its completion does not" >&2
			missing=1
		fi
		[ "$opt" = --help ] && continue
		if ! grep -q -- "$opt\\b" "$tmp/help.txt"; then
			echo "check-man: '$cmd' has $opt, its --help does not" >&2
			missing=1
		fi
	done
	# The other way: an option --help names that the table lacks.
	# Options of other commands quoted in prose ('x2sim verify --save')
	# are theirs, not this command's.
	sed -e "s/'x2sim [^']*'//g" -e 's/(x2sim [^)]*)//g' "$tmp/help.txt" \
		>"$tmp/own.txt"
	for opt in $(grep -o -- '--[a-z][a-z0-9-]*' "$tmp/own.txt" | sort -u); do
		grep -qx -- "$cmd $opt" "$tmp/options.txt" ||
			{ echo "check-man: '$cmd --help' names $opt, its table does not" >&2
			  missing=1; }
	done
done
[ "$missing" -eq 0 ]
echo "check-man: the man page renders; it, the completion and --help name every option of every table"
