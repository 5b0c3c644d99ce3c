#!/usr/bin/env bash
# End-to-end tests: real processes are dumped and restored, and prove their
# own state afterwards (tests/progs/progs.h describes the protocol).
# Env: CKPT (the binary), PROGS (built test programs), CKPT_TIMEOUT (seconds
# one ckpt command may take, default 60), TMPDIR.  Each test prints
# "ok NAME", "FAIL NAME: reason" or "skip NAME: reason"; the last line is
# "N passed, N failed[, N skipped]"; the exit status is non-zero on a failure.
# E2E_ONLY=REGEX: only the test files tests/e2e/t-*.sh whose name matches.
set -u
CKPT=${CKPT:?} PROGS=${PROGS:?}
CKPT_TIMEOUT=${CKPT_TIMEOUT:-60} # seconds; a hung ckpt fails its test instead of the run
if [ "$(id -u)" -ne 0 ]; then # restoring a PID needs CAP_CHECKPOINT_RESTORE, and more
	echo "skip e2e: must run as root"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/ckpt-e2e.XXXXXX")
chmod 755 "$ROOT"
pass=0 fail=0 skipped=0
NS_EXEC= # "nsenter --net=...": start and ck run inside a test's network namespace
PIDS=() # every process the current test started (a restored one has the same PID)
kill_leftovers() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do dead "$p"; done
	PIDS=()
}
trap 'kill_leftovers; rm -rf "$ROOT"' EXIT

ok() { pass=$((pass + 1)); echo "ok $T"; }
bad() { fail=$((fail + 1)); echo "FAIL $T: $*"; [ -n "${LOG:-}" ] && [ -f "$LOG" ] && tail -n 3 "$LOG" | sed 's/^/    log: /'; }
skip() { skipped=$((skipped + 1)); echo "skip $T: $*"; }

# new_test NAME: the previous test's processes killed, a fresh directory D, log file LOG
new_test() {
	kill_leftovers
	T=$1 D=$ROOT/$1 LOG=$ROOT/$1/log ERR='' why=''
	mkdir -p "$D"
	chmod 755 "$D"
}

# start PROG ARGS...: run in its own session, stdout to $LOG; sets PID.
# Not to be called in a subshell: PIDS must see every process started.
start() {
	: >"$LOG"
	# O_APPEND: the log may grow between a --leave-running dump and a restore.
	if [ -n "${START_CGROUP:-}" ]; then # start it inside that cgroup
		setsid sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$START_CGROUP" \
			"$PROGS/$1" "${@:2}" >>"$LOG" 2>&1 </dev/null &
	else
		$NS_EXEC setsid "$PROGS/$1" "${@:2}" >>"$LOG" 2>&1 </dev/null &
	fi
	PIDS+=("$!")
	disown # killed later on purpose: no "Killed" job reports
	wait_for "^READY" 10 || { WHY="no READY from $1"; return 1; }
	PID=$(awk '$1 == "READY" {print $2; exit}' "$LOG")
	[ "$PID" = "$!" ] || PIDS+=("$PID")
	wait_hb 0 || { WHY="no heartbeat from $1"; return 1; }
}

wait_for() { # regex seconds
	local i
	for i in $(seq 1 $(($2 * 50))); do grep -q "$1" "$LOG" 2>/dev/null && return 0; sleep 0.02; done
	return 1
}
last_hb() { awk '$1 == "HB" {n = $2} END {print n + 0}' "$LOG"; }
wait_hb() { # wait until a heartbeat greater than $1 appears
	local i
	for i in $(seq 1 500); do [ "$(last_hb)" -gt "$1" ] && return 0; sleep 0.02; done
	return 1
}
state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; } # R S T Z ...
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' /proc/$1/stat 2>/dev/null)" != Z ]; }
dead() { # wait until pid is gone or a zombie (init may reap a restored one late)
	local i
	for i in $(seq 1 300); do alive "$1" || return 0; sleep 0.01; done
	return 1
}
gone() { # wait until pid is gone (reaped)
	local i
	for i in $(seq 1 300); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.01; done
	return 1
}

# verify: ask the process to check itself; PASS expected
verify() {
	kill -USR1 "$PID" 2>/dev/null || { echo "process $PID is gone"; return 1; }
	wait_for "^\(PASS\|FAIL\)" 20 || { echo "no verdict"; return 1; }
	grep -q "^PASS" "$LOG" || { grep "^FAIL" "$LOG" | head -1; return 1; }
}

# dump_restore: dump $PID into $D/img, check it is gone, restore detached,
# check the same PID runs and its heartbeat advances.
dump_restore() {
	local before out
	rm -rf "$D/img"
	out=$(ck dump "$PID" -D "$D/img" "$@" 2>&1) || { echo "dump failed: $out"; return 1; }
	before=$(last_hb)
	gone "$PID" || { echo "pid $PID still there after dump"; return 1; }
	[ -f "$D/img/inventory.img" ] || { echo "no inventory.img"; return 1; }
	out=$(ck restore -D "$D/img" --restore-detached 2>&1) || { echo "restore failed: $out"; return 1; }
	alive "$PID" || { echo "pid $PID not running after restore"; return 1; }
	wait_hb "$before" || { echo "heartbeat stuck at $(last_hb) (was $before)"; return 1; }
}

# cycle PROG ARGS: start, dump, restore, verify
cycle() {
	local why
	start "$@" || { bad "$WHY"; return; }
	why=$(dump_restore) || { bad "$why"; return; }
	why=$(verify) || { bad "$why"; return; }
	ok
}

# ck ARGS: run ckpt, killed if it hangs
ck() {
	local rc
	timeout -k 5 "$CKPT_TIMEOUT" $NS_EXEC "$CKPT" "$@"
	rc=$?
	[ $rc -ne 124 ] || echo "ckpt $1: timed out after ${CKPT_TIMEOUT}s" >&2
	return $rc
}

# expect_fail CMD...: exit status 1..127, stderr one line starting "ckpt:"
expect_fail() {
	local rc lines
	timeout -k 5 "$CKPT_TIMEOUT" "$@" >"$D/out" 2>"$D/err"
	rc=$?
	if [ $rc -eq 124 ]; then echo "timed out after ${CKPT_TIMEOUT}s: $*"; return 1; fi
	lines=$(wc -l <"$D/err")
	if [ $rc -eq 0 ] || [ $rc -ge 128 ]; then echo "exit status $rc"; return 1; fi
	if [ "$lines" -ne 1 ] || ! head -1 "$D/err" | grep -q '^ckpt: '; then
		echo "stderr is not one 'ckpt:' line: $(head -3 "$D/err" | tr '\n' '|')"
		return 1
	fi
	ERR=$(cat "$D/err")
}

# TCP tests run in a network namespace of their own (the network lock's
# rules must not touch the host), with ckpt in it too (nsenter: only the
# network namespace differs, so ckpt accepts the processes).
NETNS=ckpt-e2e-$$
netns_up() { # fails (the test is skipped) where the machine cannot do it
	command -v nft >/dev/null || { WHY="nft (nftables) is not installed"; return 1; }
	ip netns add "$NETNS" 2>/dev/null || { WHY="cannot create a network namespace"; return 1; }
	ip -n "$NETNS" link set lo up
	NS_EXEC="nsenter --net=/run/netns/$NETNS"
	if ! $NS_EXEC nft add table inet ckpt_probe '{ flags owner; }' 2>/dev/null; then
		WHY="nftables tables with the owner flag do not work here (kernel 5.12+ with nf_tables)"
		netns_down
		return 1
	fi
	$NS_EXEC nft delete table inet ckpt_probe 2>/dev/null
	return 0
}
netns_down() { NS_EXEC=; kill_leftovers; ip netns del "$NETNS" 2>/dev/null; }
trap 'netns_down; kill_leftovers; rm -rf "$ROOT"' EXIT
rules() { $NS_EXEC nft list ruleset 2>&1; }
no_rules() { # wait until the namespace has no nftables rule left
	local i
	for i in $(seq 1 100); do [ -z "$(rules)" ] && return 0; sleep 0.05; done
	echo "rules left behind: $(rules | tr '\n' ' ' | head -c 300)"; return 1
}

# The tests, one file per area (t-NN-AREA.sh, in name order).  E2E_ONLY=REGEX
# runs only the files whose name matches it, e.g. E2E_ONLY=sockets.
for part in "$(dirname "$0")"/t-*.sh; do
	[[ $(basename "$part") =~ ${E2E_ONLY:-.} ]] || continue
	# shellcheck source=/dev/null
	. "$part"
done
netns_down

echo
if [ $skipped -gt 0 ]; then
	echo "$pass passed, $fail failed, $skipped skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
