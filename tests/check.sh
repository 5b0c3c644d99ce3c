#!/usr/bin/env bash
# make check: unit tests, the man page check (one test), end-to-end tests,
# the kernel module's tests in a QEMU guest (tests/kmod/run.sh).
# Usage: tests/check.sh BUILD_DIR.  The last line is the summary
# "N passed, N failed[, N skipped]"; exits non-zero if anything failed.
set -u
BUILD=$(realpath "${1:?usage: tests/check.sh BUILD_DIR}") || exit 2
cd "$(dirname "$0")/.." || exit 2
pass=0 fail=0 skipped=0
count() { # output of a runner -> add its summary line; none means it broke
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
	[ -n "$line" ] || { fail=$((fail + 1)); echo "FAIL $2: no summary line"; return; }
	pass=$((pass + $(echo "$line" | awk '{print $1}')))
	fail=$((fail + $(echo "$line" | awk '{print $3}')))
	skipped=$((skipped + $(echo "$line" | awk '{print ($5 == "" ? 0 : $5)}')))
}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "== unit tests"
mapfile -t units < <(find "$BUILD/unit" -maxdepth 1 -name 'test_*' -type f -perm -u+x 2>/dev/null | sort)
if [ ${#units[@]} -gt 0 ]; then
	tests/run-unit.sh "${units[@]}" | tee "$out"; count "$out" "unit tests"
else
	echo "FAIL unit tests: none built in $BUILD/unit"; fail=$((fail + 1))
fi

echo "== man pages"
if [ -x tests/man-check.sh ]; then
	if tests/man-check.sh "$BUILD/ckpt"; then
		echo "ok man-check"; pass=$((pass + 1))
	else
		echo "FAIL man-check"; fail=$((fail + 1))
	fi
else
	echo "skip man-check: tests/man-check.sh missing"; skipped=$((skipped + 1))
fi

echo "== end-to-end"
CKPT=$BUILD/ckpt PROGS=$BUILD/tests tests/e2e/run.sh | tee "$out"; count "$out" "end-to-end tests"

echo "== kernel module (QEMU guest)"
BUILD=$BUILD STATIC_BUILD=${STATIC_BUILD:-$(dirname "$BUILD")/build-static} tests/kmod/run.sh | tee "$out"
count "$out" "kernel module tests"

echo
if [ $skipped -gt 0 ]; then
	echo "$pass passed, $fail failed, $skipped skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
