#!/usr/bin/env bash
# Run cmocka unit test binaries: one line per binary, then one combined
# "N passed, N failed" line.  Counts come from cmocka's summaries
# ("[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s), listed below:"),
# added up over every group a binary runs.  A binary that exits non-zero
# without reporting a failure (it crashed, or could not be run) counts as
# one failed test.
set -u
export CMOCKA_MESSAGE_OUTPUT=stdout # not XML or TAP, whatever the caller's environment says
pass=0 fail=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	p=$(echo "$out" | awk '/^\[  PASSED  \] [0-9]+ test/ {n += $4} END {print n + 0}')
	f=$(echo "$out" | awk '/^\[  FAILED  \] [0-9]+ test/ {n += $4} END {print n + 0}')
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		[ -z "$out" ] || echo "$out" | tail -5
		echo "unit $(basename "$t"): exit status $rc without a failed test"
	fi
	[ "$f" -ne 0 ] && echo "$out" | grep -E '^\[  (FAILED|ERROR) |[Ee]rror' | head -20
	echo "unit $(basename "$t"): $p passed, $f failed"
	pass=$((pass + p)) fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
