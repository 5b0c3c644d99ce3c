#!/usr/bin/env bash
# make check: unit tests, man page checks, end-to-end tests.  The last line
# is the summary "N passed, N failed[, N skipped]".
set -u
BUILD=${1:?build dir}
cd "$(dirname "$0")/.."
pass=0 fail=0 skipped=0
count() { # output of a runner -> add its summary line
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
	[ -n "$line" ] || { fail=$((fail + 1)); return; }
	pass=$((pass + $(echo "$line" | awk '{print $1}')))
	fail=$((fail + $(echo "$line" | awk '{print $3}')))
	skipped=$((skipped + $(echo "$line" | awk '{print ($5 == "" ? 0 : $5)}')))
}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "== unit tests"
tests/run-unit.sh "$BUILD"/unit/test_* | tee "$out"; count "$out"
echo "== man pages"
tests/man-check.sh "$BUILD/ckpt" | tee "$out"; count "$out"
echo "== end-to-end"
CKPT=$BUILD/ckpt PROGS=$BUILD/tests tests/e2e/run.sh | tee "$out"; count "$out"

echo
if [ $skipped -gt 0 ]; then
	echo "$pass passed, $fail failed, $skipped skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
