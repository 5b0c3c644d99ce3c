#!/usr/bin/env bash
# Man pages: groff finds nothing to complain about, and every long option of
# every command's --help is documented in ckpt(8).
set -u
CKPT=${1:?ckpt binary}
cd "$(dirname "$0")/.."
pass=0 fail=0
for m in man/*.[0-9]; do
	w=$(groff -man -ww -z "$m" 2>&1)
	if [ -z "$w" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL groff $m: $w"; fi
done
missing=
for cmd in dump restore show check; do
	for opt in $("$CKPT" help $cmd | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		esc=$(printf '%s' "$opt" | sed 's/-/\\-/g') # groff spells - as \-
		grep -qF -- "$esc" man/ckpt.8 || missing="$missing $cmd:$opt"
	done
done
if [ -z "$missing" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL options missing from man/ckpt.8:$missing"; fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
