#!/bin/sh
# run_status.sh STATUS CMD...: run CMD, print its output, and end with
# "status ok" when CMD exited with STATUS (ctest matches the output).
want=$1
shift
"$@"
st=$?
if [ "$st" -eq "$want" ]; then
	echo "status ok"
else
	echo "exit status $st, expected $want"
fi
