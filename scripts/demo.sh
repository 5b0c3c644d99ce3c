#!/usr/bin/env bash
# make demo: start a real program, dump it, show the image, restore it, and
# show it carrying on from where it was.
set -u
CKPT=${CKPT:?} PROGS=${PROGS:?}
work=$(mktemp -d "${TMPDIR:-/tmp}/ckpt-demo.XXXXXX")
log=$work/counter.log img=$work/img
cleanup() { [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "demo: $*" >&2; exit 1; }

wait_for() { # pattern file seconds
	local i
	for i in $(seq 1 $(($3 * 20))); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
last_hb() { awk '$1 == "HB" {n = $2} END {print n + 0}' "$log"; }

step "start a counter that keeps a checksummed 1 MiB buffer"
setsid "$PROGS/counter" >"$log" 2>&1 </dev/null &
wait_for READY "$log" 10 || fail "counter did not start"
pid=$(awk '$1 == "READY" {print $2}' "$log")
sleep 1
echo "pid $pid, heartbeat $(last_hb)"; tail -n 2 "$log"

step "ckpt dump $pid -D $img"
"$CKPT" dump "$pid" -D "$img" -v || fail "dump failed"
before=$(last_hb)
kill -0 "$pid" 2>/dev/null && fail "pid $pid still runs after the dump"
echo "the counter is gone; last heartbeat $before; image:"
ls -l "$img"

step "ckpt show $img"
"$CKPT" show "$img" | awk '/threads:/ {skip = 1} /fds:/ {skip = 0} /vmas:/ {n = 0} !skip && n++ < 60' 

step "ckpt restore -D $img --restore-detached"
sleep 1
"$CKPT" restore -D "$img" --restore-detached || fail "restore failed"
kill -0 "$pid" 2>/dev/null || fail "pid $pid is not running after the restore"
for i in $(seq 1 100); do [ "$(last_hb)" -gt "$before" ] && break; sleep 0.05; done
[ "$(last_hb)" -gt "$before" ] || fail "heartbeat did not advance after the restore"
sleep 1
echo "pid $pid runs again; heartbeat $before -> $(last_hb)"; tail -n 2 "$log"

step "ask it to verify its buffer (SIGUSR1)"
kill -USR1 "$pid"
wait_for '^\(PASS\|FAIL\)' "$log" 10 || fail "no verdict from the counter"
grep -E '^(PASS|FAIL)' "$log" | tail -n 1
grep -q '^PASS' "$log" || fail "the restored counter found its state damaged"
pid=
echo; echo "demo: dump and restore worked"
