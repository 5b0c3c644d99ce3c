#!/usr/bin/env bash
# End-to-end tests: real processes are dumped and restored, and prove their
# own state afterwards (tests/progs/progs.h describes the protocol).
# Env: CKPT (the binary), PROGS (built test programs), CKPT_TIMEOUT (seconds
# one ckpt command may take, default 60), TMPDIR.  Each test prints
# "ok NAME", "FAIL NAME: reason" or "skip NAME: reason"; the last line is
# "N passed, N failed[, N skipped]"; the exit status is non-zero on a failure.
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

# ---------------------------------------------------------------- state
new_test counter; cycle counter
new_test memory_256M; cycle mem256 256
new_test registers_avx; cycle regs
new_test file_offsets; mkdir -p "$D/files"; cycle fileoff "$D/files"
new_test device_and_eventfd_fds; cycle devfds
new_test pipe_with_data; cycle pipeuser
new_test named_fifo_with_data; cycle fifo "$ROOT/named_fifo_with_data.fifo"

# SysV segments shared by a parent and child: the keyed one outlives the
# dump and is attached again; the IPC_RMID'ed one is recreated from the image.
shm_key() { printf '0x5eed%04x' $(($1 & 0xffff)); }
new_test sysv_shm_tree; cycle sysvshm
ipcrm -M "$(shm_key "$PID")" 2>/dev/null
# The same with the keyed segment removed after the dump: recreated with its
# id, key, owner, mode and bytes.
new_test sysv_shm_recreated
if start sysvshm; then
	key=$(shm_key "$PID")
	rm -rf "$D/img"
	if ! out=$(ck dump "$PID" -D "$D/img" 2>&1) || ! gone "$PID"; then bad "dump: $out"
	elif ! ipcrm -M "$key"; then bad "segment $key not there after the dump"
	elif ! out=$(ck restore -D "$D/img" -d 2>&1); then bad "restore: $out"
	elif why=$(verify); then ok; else bad "$why"; fi
	ipcrm -M "$key" 2>/dev/null
else bad "$WHY"; fi
new_test memfd; cycle memfdp
new_test memfd_mapped_tree; cycle memfdmap
new_test event_loop_fds; cycle evloop
new_test deleted_files; mkdir -p "$ROOT/deleted_files/dir"; cycle delfile "$ROOT/deleted_files/dir"
new_test inotify_watches; mkdir -p "$D/dir"; cycle inotify "$D/dir"
# A watch on a file unlinked since (still open): no path, the dump fails and the process runs on.
new_test err_inotify_no_path
mkdir -p "$D/dir"
if start inotify "$D/dir" deleted; then
	if ! expect_fail "$CKPT" dump "$PID" -D "$D/img" || [[ $ERR != *"inotify watch 1 on inode"*"no path to it"* ]]; then bad "${ERR:-dump did not fail}"
	elif ! alive "$PID" || [ -e "$D/img" ]; then bad "process gone or image left"
	elif why=$(verify); then ok; else bad "$why"; fi
else bad "$WHY"; fi
# O_APPEND, O_DIRECT, O_PATH (file, dir, symlink), O_NOATIME, O_SYNC, O_DSYNC, O_TMPFILE, tmpfs: F_GETFL as it was.
new_test file_flags; mkdir -p "$D/dir" /dev/shm/ckpt-e2e-$$
cycle fileflags "$D/dir" /dev/shm/ckpt-e2e-$$
rm -rf /dev/shm/ckpt-e2e-$$
# A file replaced after the dump (another inode, same bytes): refused naming fd and
# path, nothing left running; accepted with --file-remap PATH=PATH.  A renamed one:
# found at its new name with --file-remap OLD=NEW.
new_test file_replaced_remap
mkdir -p "$D/files"
if start fileoff "$D/files"; then
	rm -rf "$D/img"
	if ! out=$(ck dump "$PID" -D "$D/img" 2>&1) || ! gone "$PID"; then bad "dump: $out"
	elif ! cp "$D/files/data" "$D/files/data.new" || ! mv "$D/files/data.new" "$D/files/data"; then bad "cannot replace"
	elif ! expect_fail "$CKPT" restore -D "$D/img" -d || [[ $ERR != *"fd 3: $D/files/data is not the file of the dump"*"--file-remap"* ]] ||
		kill -0 "$PID" 2>/dev/null; then bad "replaced file not refused: ${ERR:-}"
	elif ! out=$(ck restore -D "$D/img" -d --file-remap "$D/files/data=$D/files/data" 2>&1); then bad "restore --file-remap: $out"
	elif ! why=$(verify); then bad "$why"
	else
		mkdir -p "$D/r"
		rm -rf "$D/img"
		if ! start fileoff "$D/r"; then bad "$WHY"
		elif ! out=$(ck dump "$PID" -D "$D/img" 2>&1) || ! gone "$PID"; then bad "dump 2: $out"
		elif ! mv "$D/r" "$D/moved"; then bad "mv"
		elif ! expect_fail "$CKPT" restore -D "$D/img" -d || [[ $ERR != *"$D/r"* ]]; then bad "renamed dir not refused: ${ERR:-}"
		elif ! out=$(ck restore -D "$D/img" -d --file-remap "$D/r=$D/moved" 2>&1); then bad "restore renamed: $out"
		elif ! readlink "/proc/$PID/fd/3" | grep -q "^$D/moved/data$"; then bad "fd 3 is $(readlink /proc/$PID/fd/3)"
		elif why=$(verify); then ok; else bad "$why"; fi
	fi
else bad "$WHY"; fi
# --inherit-fd fd[N]:RES: the restored process writes its output into ckpt's fd 5.
new_test inherit_fd
if start counter; then
	rm -rf "$D/img"
	if ! out=$(ck dump "$PID" -D "$D/img" 2>&1) || ! gone "$PID"; then bad "dump: $out"
	elif ! out=$(ck restore -D "$D/img" -d --inherit-fd "fd[5]:$LOG" 5>"$D/new.log" 2>&1); then bad "restore: $out"
	elif ! readlink "/proc/$PID/fd/1" | grep -q "new.log$"; then bad "fd 1 is $(readlink /proc/$PID/fd/1)"
	else
		LOG=$D/new.log
		if ! wait_hb 0; then bad "no heartbeat in the inherited file"
		elif why=$(verify); then ok; else bad "$why"; fi
	fi
else bad "$WHY"; fi
# -o LOG (CRIU's): the log in the image directory, debug lines with -v4; a later dump into it works.
new_test log_file
if start counter; then
	rm -rf "$D/img"
	if ! out=$(ck dump "$PID" -D "$D/img" -v4 -o dump.log --leave-running 2>&1); then bad "dump: $out"
	elif ! grep -q "debug: " "$D/img/dump.log" || ! grep -q "dumped 1 process" "$D/img/dump.log"; then bad "dump.log: $(head -2 "$D/img/dump.log" 2>&1)"
	elif ! out=$(ck dump "$PID" -D "$D/img" -o dump.log 2>&1) || ! gone "$PID"; then bad "second dump: $out"
	elif ! out=$(ck restore -D "$D/img" -d -v3 -o restore.log 2>&1) || [ ! -s "$D/img/restore.log" ]; then bad "restore: $out"
	elif ! expect_fail "$CKPT" dump "$PID" -D "$D/img2" --lazy-pages || [[ $ERR != "ckpt: dump: option --lazy-pages is not supported yet" ]]; then bad "--lazy-pages: $ERR"
	elif why=$(verify); then ok; else bad "$why"; fi
else bad "$WHY"; fi
# 10 000 fds of mixed kinds (files at their own offsets, dirs, /dev/null, eventfds,
# pipes with a byte each, memfds, dups), every one checked after restore.
new_test ten_thousand_fds
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt 10100 ]; then
	skip "RLIMIT_NOFILE hard limit $(ulimit -Hn) is below 10100"
else
	mkdir -p "$D/files"; cycle manyfds 10000 "$D/files"
fi
# A pty pair of the tree: raw mode, custom c_cc, window size; data both ways after restore.
new_test pty_pair_tree; cycle ptypair
# The same with the pair's old /dev/pts number taken at restore: a new number, same behaviour.
new_test pty_pair_renumbered
if start ptypair; then
	rm -rf "$D/img"
	if ! out=$(ck dump "$PID" -D "$D/img" 2>&1) || ! gone "$PID"; then bad "dump: $out"
	else
		old=$(ck show "$D/img" | awk '$2 == "pts" {print $3; exit}')
		sleep 60 3<>/dev/ptmx 4<>/dev/ptmx 5<>/dev/ptmx 6<>/dev/ptmx 7<>/dev/ptmx 8<>/dev/ptmx &
		holder=$!
		PIDS+=("$holder")
		sleep 0.2
		taken=0
		for l in /proc/$holder/fdinfo/[345678]; do
			[ "/dev/pts/$(awk '/tty-index/ {print $2}' "$l")" = "$old" ] && taken=1
		done
		if ! out=$(ck restore -D "$D/img" -d -v 2>&1); then bad "restore: $out"
		elif child=$(cat "/proc/$PID/task/$PID/children" | awk '{print $1}') && now=$(readlink "/proc/$child/fd/3") &&
			[ $taken = 1 ] && [ "$now" = "$old" ]; then bad "slave is still $old, which was taken"
		elif [ $taken = 1 ] && [[ $out != *"$old is /dev/pts/"*" now"* ]]; then bad "no note of the new number: $out"
		elif why=$(verify); then ok; else bad "$why"; fi
	fi
else bad "$WHY"; fi

# File locks: taken along with --file-locks; without it the dump is refused
# (as with CRIU), naming the fd, and the tree runs on with its locks.
new_test file_locks
mkdir -p "$ROOT/file_locks/files"
if start locks "$ROOT/file_locks/files"; then
	if ! why=$(dump_restore --file-locks); then bad "$why"
	elif why=$(verify); then ok; else bad "$why"; fi
else bad "$WHY"; fi
new_test err_file_locks_without_option
mkdir -p "$D/files"
if start locks "$D/files"; then
	if expect_fail "$CKPT" dump "$PID" -D "$D/img" && [[ $ERR == *"--file-locks"* ]] &&
		alive "$PID" && wait_hb "$(last_hb)" && [ ! -e "$D/img" ] && why=$(verify); then ok
	else bad "${ERR:-} ${why:-}"; fi
else bad "$WHY"; fi
new_test fd_shared_by_siblings; cycle sharedfd "$ROOT/fd_shared_by_siblings.data"
new_test signals_creds_limits; cycle signals "$ROOT/signals_creds_limits"
new_test file_mappings_brk; cycle mapfile "$ROOT/file_mappings_brk/mapped"
new_test in_nanosleep; cycle sleeper

# Dumped while its SIGALRM handler runs (SIGALRM blocked), retried until the
# program reports a handler run restored in the middle ("ACROSS").
new_test in_signal_handler
in_handler() { # is SIGALRM blocked, that is, is its handler running?
	local blk
	blk=$(awk '$1 == "SigBlk:" {print $2}' "/proc/$1/status" 2>/dev/null)
	[ -n "$blk" ] && [ $((0x$blk & 0x2000)) -ne 0 ]
}
if start sighandler; then
	for try in 1 2 3 4 5; do
		for i in $(seq 1 200); do in_handler "$PID" && break; sleep 0.005; done
		why=$(dump_restore) || break
		grep -q "^ACROSS" "$LOG" && break
	done
	if [ -n "$why" ]; then bad "$why"
	elif ! grep -q "^ACROSS" "$LOG"; then bad "not restored inside the handler in $try tries"
	elif why=$(verify); then ok; else bad "$why"; fi
else bad "$WHY"; fi

new_test posix_timers_alarm; cycle timers

# A process tree: same PIDs, parents, process groups and session; members check themselves.
# The root's own parent differs (restored detached: init); everything else must not.
tree_ps() { ps -o pid=,ppid=,pgid=,sid=,comm= -s "$1" | sort -n | awk -v r="$1" '$1 == r {$2 = "-"} {print}'; }
# tree_test NAME [ARG]: "pgrp" puts A into the group of its child A1 (created after A).
tree_test() {
	new_test "$1"
	if start tree ${2:+"$2"}; then
		before_ps=$(tree_ps "$PID")
		members=$(awk '$1 == "MEMBER" {print $3}' "$LOG")
		PIDS+=($members)
		if [ "$(echo "$before_ps" | wc -l)" -ne 4 ]; then bad "tree not started: $before_ps"
		elif [ -n "${2:-}" ] && [ "$(echo "$before_ps" | awk '{print $3}' | sort -u | wc -l)" -ne 3 ]; then
			bad "A is not in A1's group: $(echo "$before_ps" | tr '\n' '|')"
		elif ! why=$(dump_restore); then bad "$why"
		elif [ "$(tree_ps "$PID")" != "$before_ps" ]; then bad "ps differs: $(tree_ps "$PID" | tr '\n' '|')"
		elif why=$(verify); then ok; else bad "$why"; fi
	else bad "$WHY"; fi
}
tree_test process_tree
tree_test process_group_led_by_child pgrp

# Threads: same TIDs and names after restore; the program checks the rest.
new_test threads
if start threads; then
	tids=$(ls /proc/$PID/task | sort -n | tr '\n' ' ')
	names=$(cat /proc/$PID/task/*/comm | sort | tr '\n' ' ')
	if ! why=$(dump_restore); then bad "$why"
	elif [ "$(ls /proc/$PID/task | sort -n | tr '\n' ' ')" != "$tids" ]; then bad "TIDs $tids became $(ls /proc/$PID/task | tr '\n' ' ')"
	elif [ "$(cat /proc/$PID/task/*/comm | sort | tr '\n' ' ')" != "$names" ]; then bad "thread names changed"
	elif why=$(verify); then ok; else bad "$why"; fi
else bad "$WHY"; fi

new_test leave_running
if start counter; then
	if ! out=$(ck dump "$PID" -D "$D/img" --leave-running 2>&1); then bad "dump: $out"
	elif ! alive "$PID" || ! wait_hb "$(last_hb)"; then bad "not running on after --leave-running"
	else
		kill -9 "$PID"; gone "$PID"
		if ! out=$(ck restore -D "$D/img" -d 2>&1); then bad "restore: $out"
		elif why=$(verify); then ok; else bad "$why"; fi
	fi
else bad "$WHY"; fi

# Snapshot dumps: the process runs on (rewriting its memory) while its pages
# are written; no child, zombie or SIGCHLD stays; the image is one moment:
# the original and the restored process both find every block whole.
children_of() { cat /proc/"$1"/task/*/children 2>/dev/null | tr -d ' \n'; }
snapshot_test() { # NAME PROG ARGS...
	new_test "$1"
	if ! start "${@:2}"; then bad "$WHY"; return; fi
	members=$(awk '$1 == "MEMBER" {print $3}' "$LOG")
	PIDS+=($members)
	local kids before out
	kids=$(for p in $PID $members; do echo "$p:$(children_of "$p")"; done)
	if ! out=$(ck dump "$PID" -D "$D/img" --leave-running --snapshot 2>&1); then bad "dump: $out"; return; fi
	before=$(last_hb)
	if [ "$(for p in $PID $members; do echo "$p:$(children_of "$p")"; done)" != "$kids" ]; then
		bad "children changed: $kids -> $(for p in $PID $members; do echo "$p:$(children_of "$p")"; done)"
	elif ! wait_hb "$before"; then bad "not running on after the snapshot dump"
	else
		kill -9 "$PID" $members; gone "$PID"
		if ! out=$(ck restore -D "$D/img" -d 2>&1); then bad "restore: $out"
		elif ! wait_hb "$(last_hb)"; then bad "no heartbeat after restore"
		elif why=$(verify); then ok; else bad "$why"; fi
	fi
}
snapshot_test snapshot_memory_rewritten memwriter 64
snapshot_test snapshot_tree tree

# A snapshot dump that fails once the process runs again (image on a full
# filesystem): the helper is gone, no zombie, the process verifies itself.
new_test snapshot_fails_enospc
mkdir -p "$D/small"
if ! mount -t tmpfs -o size=8m ckpt-e2e "$D/small" 2>/dev/null; then skip "cannot mount a small tmpfs"
elif start memwriter 64; then
	expect_fail "$CKPT" dump "$PID" -D "$D/small/img" --leave-running --snapshot
	why=$?
	if [ $why -ne 0 ]; then bad "dump did not fail cleanly: $(head -3 "$D/err" | tr '\n' '|')"
	elif [[ $ERR != *"No space left"* ]]; then bad "unexpected error: $ERR"
	elif [ -n "$(children_of "$PID")" ]; then bad "a child is left: $(children_of "$PID")"
	elif [ -e "$D/small/img" ] || ls "$D/small" | grep -q tmp; then bad "image left: $(ls "$D/small")"
	elif why=$(verify); then ok; else bad "$why"; fi
	umount "$D/small"
else bad "$WHY"; umount "$D/small"; fi
new_test snapshot_needs_leave_running
if start counter; then
	"$CKPT" dump "$PID" -D "$D/img" --snapshot >/dev/null 2>"$D/err"
	rc=$?
	if [ $rc -ne 2 ]; then bad "exit status $rc, not 2"
	elif ! grep -q "needs --leave-running" "$D/err"; then bad "error: $(head -1 "$D/err")"
	elif ! alive "$PID"; then bad "the process is gone"
	else ok; fi
else bad "$WHY"; fi

# Lazy restore: the process runs before its memory is in; the pages come on
# fault and in the background from a ckpt-lazy server, which follows fork,
# madvise, mremap and munmap, and exits once every page is in.
lazy_test() { # NAME PROG ARGS...
	new_test "$1"
	if ! start "${@:2}"; then bad "$WHY"; return; fi
	local out before
	rm -rf "$D/img"
	if ! out=$(ck dump "$PID" -D "$D/img" 2>&1); then bad "dump: $out"; return; fi
	before=$(last_hb)
	gone "$PID"
	if ! out=$(ck restore -D "$D/img" -d --lazy-pages 2>&1); then bad "restore: $out"; return; fi
	if ! why=$(verify); then bad "$why"; return; fi
	for i in $(seq 1 500); do pgrep -x ckpt-lazy >/dev/null || break; sleep 0.02; done
	if pgrep -x ckpt-lazy >/dev/null; then bad "the lazy pages server is still there"; else ok; fi
}
lazy_test lazy_restore_memory mem256 256
lazy_test lazy_restore_fork_madvise_mremap lazymem 256
lazy_test lazy_restore_threads threads

new_test twice
if start mem256 64; then
	if ! why=$(dump_restore); then bad "first: $why"
	elif ! why=$(dump_restore); then bad "second: $why"
	elif why=$(verify); then ok; else bad "$why"; fi
else bad "$WHY"; fi

# ckpt restore without -d waits and returns the process's exit status
for code in 0 3; do
	new_test restore_waits_exit_$code
	if start exiter $code; then
		ck dump "$PID" -D "$D/img" >/dev/null 2>&1 && gone "$PID"
		ck restore -D "$D/img" >/dev/null 2>&1 &
		rpid=$!
		for i in $(seq 1 200); do alive "$PID" && break; sleep 0.02; done
		b=$(last_hb); wait_hb "$b"; kill -USR1 "$PID"
		wait $rpid
		rc=$?
		if [ $rc -eq "$code" ] && grep -q "^PASS exiting with $code" "$LOG"; then ok
		else bad "ckpt restore exited $rc, want $code"; fi
	else bad "$WHY"; fi
done

# Stopped by SIGSTOP: stays stopped through --leave-running and restore, runs on after SIGCONT.
new_test stopped_task
state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }
if start counter; then
	kill -STOP "$PID"; sleep 0.1
	if ! out=$(ck dump "$PID" -D "$D/img" --leave-running 2>&1); then bad "dump: $out"
	elif [ "$(state "$PID")" != T ]; then bad "not stopped after --leave-running ($(state "$PID"))"
	else
		kill -9 "$PID"; gone "$PID"
		hb=$(last_hb)
		if ! out=$(ck restore -D "$D/img" -d 2>&1); then bad "restore: $out"
		elif sleep 0.3 && [ "$(state "$PID")" != T ] || [ "$(last_hb)" != "$hb" ]; then bad "restored task runs (state $(state "$PID"))"
		elif ! kill -CONT "$PID" || ! wait_hb "$hb"; then bad "does not run on after SIGCONT"
		elif why=$(verify); then ok; else bad "$why"; fi
	fi
else bad "$WHY"; fi

# A job with a terminal: refused without --shell-job, restored onto ckpt's terminal with it.
new_test shell_job
if ! command -v script >/dev/null; then
	skip "script(1) missing"
else
	: >"$LOG"
	script -qfec "exec $PROGS/counter >>$LOG 2>&1" /dev/null </dev/null >/dev/null 2>&1 &
	if wait_for "^READY" 10 && PID=$(awk '$1 == "READY" {print $2}' "$LOG") && PIDS+=("$PID") &&
		wait_hb 0; then
		if ! expect_fail "$CKPT" dump "$PID" -D "$D/img" || [[ $ERR != *"fd 0: terminal"*"--shell-job"* ]] ||
			! alive "$PID"; then bad "dump without --shell-job: ${ERR:-}"
		elif ! out=$(ck dump "$PID" -D "$D/img" --shell-job 2>&1) || ! gone "$PID" ||
			! before=$(last_hb); then bad "dump: $out"
		elif ! script -qfec "$CKPT restore -D $D/img --shell-job -d" /dev/null </dev/null >"$D/restore.out" 2>&1 ||
			! alive "$PID"; then bad "restore: $(cat "$D/restore.out")"
		elif ! readlink "/proc/$PID/fd/0" | grep -q '^/dev/pts/'; then bad "fd 0 is not a terminal"
		elif ! wait_hb "$before"; then bad "heartbeat stuck after restore"
		elif why=$(verify); then ok
		else bad "$why"; fi
	else bad "no READY from counter under script"; fi
fi

# ---------------------------------------------------------------- show
new_test show
if start counter; then
	ck dump "$PID" -D "$D/img" --leave-running >/dev/null 2>&1
	kill -9 "$PID"
	if ! ck show "$D/img" >"$D/show.txt" 2>&1 || ! grep -q "pid: $PID" "$D/show.txt"; then bad "text"
	elif ! ck show "$D/img" --json >"$D/show.json" || ! python3 -m json.tool "$D/show.json" >/dev/null; then bad "json invalid"
	elif ! python3 -c "import json,sys; d=json.load(open(sys.argv[1])); t=d['tasks'][0]; assert t['pid']==$PID and t['comm']=='counter' and len(t['mm']['vmas'])>5 and t['threads'][0]['xsave_size']>512" "$D/show.json"; then bad "json content"
	else ok; fi
else bad "$WHY"; fi

# ---------------------------------------------------------------- bad input
new_test err_unknown_pid
pid=$(($(cat /proc/sys/kernel/pid_max) - 1)); while kill -0 $pid 2>/dev/null; do pid=$((pid - 1)); done
if expect_fail "$CKPT" dump $pid -D "$D/img" && [[ $ERR == *"No such process"* ]] && [ ! -e "$D/img" ]; then ok; else bad "${ERR:-}"; fi

new_test err_kernel_thread
if expect_fail "$CKPT" dump 2 -D "$D/img" && [[ $ERR == *"kernel thread"* ]]; then ok; else bad "${ERR:-}"; fi

new_test err_self
if expect_fail sh -c 'exec "$0" dump $$ -D "$1"' "$CKPT" "$D/img" && [[ $ERR == *"ckpt itself"* ]]; then ok; else bad "${ERR:-}"; fi

new_test err_usage
ck dump --no-such-option 1 >/dev/null 2>&1; rc1=$?
ck dump 12abc >/dev/null 2>&1; rc2=$?
ck restore >/dev/null 2>&1; rc3=$?
if [ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] && [ $rc3 -eq 2 ]; then ok; else bad "usage errors exit $rc1 $rc2 $rc3, want 2"; fi

new_test err_no_permission
if ! id ckpt-test >/dev/null 2>&1 && ! useradd -M -r -s /usr/sbin/nologin ckpt-test 2>/dev/null; then
	skip "cannot create the unprivileged user ckpt-test"
elif ! command -v setpriv >/dev/null; then
	skip "setpriv missing"
elif start counter; then
	if expect_fail setpriv --reuid ckpt-test --regid ckpt-test --clear-groups --inh-caps=-all \
		"$CKPT" dump "$PID" -D "$D/img" && [[ $ERR == *"Operation not permitted"* ]] &&
		alive "$PID" && wait_hb "$(last_hb)" && [ ! -e "$D/img/inventory.img" ]; then ok
	else bad "${ERR:-} (process alive: $(alive "$PID" && echo yes || echo no))"; fi
	kill -9 "$PID"
else bad "$WHY"; fi

new_test err_unsupported_fd
if start sockuser; then
	if expect_fail "$CKPT" dump "$PID" -D "$D/img" && [[ $ERR == *"fd 3"* && $ERR == *socket* ]] &&
		alive "$PID" && wait_hb "$(last_hb)" && [ ! -e "$D/img/inventory.img" ] &&
		! ls -d "$D"/img.tmp-* >/dev/null 2>&1 && why=$(verify); then ok
	else bad "${ERR:-} ${why:-}"; fi
else bad "$WHY"; fi

new_test err_pipe_to_outside
: >"$LOG"
setsid "$PROGS/counter" 2>&1 </dev/null | cat >>"$LOG" &
if wait_for "^READY" 10 && PID=$(awk '$1 == "READY" {print $2}' "$LOG") && PIDS+=("$PID") &&
	expect_fail "$CKPT" dump "$PID" -D "$D/img" && [[ $ERR == *"outside the process tree"* ]] &&
	alive "$PID" && wait_hb "$(last_hb)" && [ ! -e "$D/img" ] && why=$(verify); then ok
else bad "${ERR:-} ${why:-}"; fi

# A numbered stream through a 3-level pipe chain, both pipes full at the dump.
new_test pipe_chain_stream; cycle pipechain

# A stopped grandchild stays stopped through dump and restore; the rest runs.
new_test tree_stopped_child
if start tree; then
	a1=$(awk '$1 == "MEMBER" && $2 == "A1" {print $3}' "$LOG")
	PIDS+=($(awk '$1 == "MEMBER" {print $3}' "$LOG"))
	kill -STOP "$a1"; sleep 0.1
	if ! why=$(dump_restore); then bad "$why"
	elif [ "$(state "$a1")" != T ]; then bad "A1 is not stopped after restore ($(state "$a1"))"
	elif ! kill -CONT "$a1" || ! why=$(verify); then bad "$why"
	else ok; fi
else bad "$WHY"; fi

# --freeze-cgroup, with the v1 freezer and with cgroup v2: a tree with a
# stopped grandchild comes back whole (A1 still stopped); the cgroup is
# thawed after the dump; a failing dump (a socket in the tree) leaves the
# cgroup thawed and the whole tree running.
freezer_test() { # NAME CGROUP-DIR FROZEN-FILE
	local cg=$2/ckpt-e2e.$$
	new_test "tree_freeze_cgroup_$1"
	if [ -z "$2" ] || [ ! -d "$2" ] || [ ! -w "$2" ]; then
		skip "no writable $1 cgroup hierarchy${2:+ at $2}"; return
	fi
	if ! mkdir -p "$cg" || [ ! -e "$cg/$3" ]; then skip "cannot create a $1 cgroup under $2"; return; fi
	if START_CGROUP=$cg start tree; then
		a1=$(awk '$1 == "MEMBER" && $2 == "A1" {print $3}' "$LOG")
		PIDS+=($(awk '$1 == "MEMBER" {print $3}' "$LOG"))
		kill -STOP "$a1"; sleep 0.1
		if ! why=$(dump_restore --freeze-cgroup "$cg"); then bad "$why"
		elif grep -q "FROZEN\|frozen 1" "$cg/$3"; then bad "$cg left frozen"
		elif [ "$(state "$a1")" != T ]; then bad "A1 is not stopped after restore ($(state "$a1"))"
		elif ! kill -CONT "$a1" || ! why=$(verify); then bad "$why"
		else ok; fi
	else bad "$WHY"; fi
	new_test "err_freeze_cgroup_$1"
	if START_CGROUP=$cg start tree socket; then
		PIDS+=($(awk '$1 == "MEMBER" {print $3}' "$LOG"))
		if expect_fail "$CKPT" dump "$PID" -D "$D/img" --freeze-cgroup "$cg" &&
			[[ $ERR == *socket* ]] && ! grep -q "FROZEN\|frozen 1" "$cg/$3" &&
			alive "$PID" && wait_hb "$(last_hb)" && [ ! -e "$D/img" ] && why=$(verify); then ok
		else bad "${ERR:-} ${why:-}"; fi
	else bad "$WHY"; fi
	kill_leftovers
	for i in $(seq 1 100); do rmdir "$cg" 2>/dev/null && break; sleep 0.02; done
}
freezer_test v1 /sys/fs/cgroup/freezer freezer.state
freezer_test v2 "$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)" cgroup.events

new_test err_freeze_cgroup_not_member
if start counter; then
	if expect_fail "$CKPT" dump "$PID" -D "$D/img" --freeze-cgroup /sys/fs/cgroup/freezer &&
		[[ $ERR == *"not in the freezer cgroup"* || $ERR == *"neither"* || $ERR == *"freezer cgroup"* ]] &&
		alive "$PID" && wait_hb "$(last_hb)" && [ ! -e "$D/img" ]; then ok
	else bad "${ERR:-}"; fi
else bad "$WHY"; fi

# One unsupported fd anywhere in the tree: the dump fails and every member runs on.
new_test err_tree_unsupported_fd
if start tree socket; then
	member_b=$(awk '$1 == "MEMBER" && $2 == "B" {print $3}' "$LOG")
	PIDS+=($(awk '$1 == "MEMBER" {print $3}' "$LOG"))
	if expect_fail "$CKPT" dump "$PID" -D "$D/img" && [[ $ERR == *"pid $member_b fd"*socket* ]] &&
		alive "$PID" && wait_hb "$(last_hb)" && [ ! -e "$D/img" ] && why=$(verify); then ok
	else bad "${ERR:-} ${why:-}"; fi
else bad "$WHY"; fi

# A zombie child comes back a zombie: its parent reaps it with exit status 7.
new_test zombie_child; cycle zombie

new_test err_seccomp
if start seccomp; then
	if expect_fail "$CKPT" dump "$PID" -D "$D/img" && [[ $ERR == *seccomp* ]] && alive "$PID" &&
		wait_hb "$(last_hb)" && [ ! -e "$D/img" ] && why=$(verify); then ok
	else bad "${ERR:-} ${why:-}"; fi
else bad "$WHY"; fi

new_test err_other_namespace
if ! command -v unshare >/dev/null; then
	skip "unshare(1) missing"
else
	: >"$LOG"
	setsid unshare -u "$PROGS/counter" >>"$LOG" 2>&1 </dev/null &
	PIDS+=($!)
	if wait_for "^READY" 10 && PID=$(awk '$1 == "READY" {print $2}' "$LOG") && PIDS+=("$PID") &&
		expect_fail "$CKPT" dump "$PID" -D "$D/img" && [[ $ERR == *"uts namespace"* ]] &&
		alive "$PID" && why=$(verify); then ok
	else bad "${ERR:-} ${why:-}"; fi
fi

new_test err_missing_dir
if expect_fail "$CKPT" restore -D "$D/nonexistent" && [[ $ERR == *"$D/nonexistent"*"No such file"* ]]; then ok
else bad "${ERR:-}"; fi

# One good image, then damaged copies of it.
new_test images
if start counter; then
	IPID=$PID
	ck dump "$IPID" -D "$ROOT/good" >/dev/null 2>&1 && gone "$IPID"
	[ -f "$ROOT/good/inventory.img" ] && ok || bad "no good image"
else bad "$WHY"; fi

damaged() { # NAME FILE ACTION: copy the good image, damage FILE, restore must fail cleanly
	new_test "err_image_$1"
	rm -rf "$D/img"; cp -a "${GOOD:-$ROOT/good}" "$D/img"
	local f="$D/img/$2"
	case $3 in
	missing) rm -f "$f" ;;
	truncate) truncate -s $(($(stat -c %s "$f") / 2)) "$f" ;;
	empty) : >"$f" ;;
	flip) # flip 8 bytes in the middle of the records
		local off=$(( ($(stat -c %s "$f") + 16) / 2 ))
		printf '\xff\x7f\x00\xfe\x81\x42\x13\x99' | dd of="$f" bs=1 seek=$off conv=notrunc 2>/dev/null ;;
	version) printf '\x07\x00\x00\x00' | dd of="$f" bs=1 seek=4 conv=notrunc 2>/dev/null ;;
	magic) printf 'XXXX' | dd of="$f" bs=1 seek=0 conv=notrunc 2>/dev/null ;;
	esac
	ERR=
	if expect_fail "$CKPT" restore -D "$D/img" -d && [[ $ERR == *"$4"* ]] && ! alive "$IPID"; then ok
	else bad "${ERR:-} (want '$4'; pid alive: $(alive "$IPID" && echo yes || echo no))"; fi
	kill -9 "$IPID" 2>/dev/null; gone "$IPID"
}
if [ -n "${IPID:-}" ] && [ -f "$ROOT/good/inventory.img" ]; then
	for f in inventory pipes core-$IPID mm-$IPID files-$IPID pagemap-$IPID pages-$IPID; do
		damaged "missing_$f" "$f.img" missing "$f.img"
	done
	for f in inventory pipes core-$IPID mm-$IPID files-$IPID pagemap-$IPID; do
		damaged "truncated_$f" "$f.img" truncate "$f.img"
		damaged "version_$f" "$f.img" version "version 7"
		damaged "magic_$f" "$f.img" magic "$f.img"
	done
	damaged truncated_pages "pages-$IPID.img" truncate "pages-$IPID.img"
	damaged version_pages "pages-$IPID.img" version "version 7"
	damaged empty_core "core-$IPID.img" empty "core-$IPID.img"
	damaged flipped_core "core-$IPID.img" flip "core-$IPID.img"
	damaged flipped_mm "mm-$IPID.img" flip "mm-$IPID.img"
fi

# A task with more than one chunk of memory has its pages in several files
# (one per dump thread, when there are 2+ CPUs): each part is checked.
new_test images_parts
if [ "$(nproc)" -lt 2 ]; then skip "one CPU: a dump writes one pages file"
elif start mem256 64; then
	IPID=$PID
	ck dump "$IPID" -D "$ROOT/good2" >/dev/null 2>&1 && gone "$IPID"
	if [ -f "$ROOT/good2/pages-$IPID.1.img" ]; then ok
	else bad "no second pages file: $(ls "$ROOT/good2" 2>&1 | tr '\n' ' ')"; fi
	if [ -f "$ROOT/good2/pages-$IPID.1.img" ]; then
		GOOD=$ROOT/good2
		damaged missing_pages_part1 "pages-$IPID.1.img" missing "pages-$IPID.1.img"
		damaged truncated_pages_part1 "pages-$IPID.1.img" truncate "pages-$IPID.1.img"
		damaged version_pages_part1 "pages-$IPID.1.img" version "version 7"
		unset GOOD
	fi
else bad "$WHY"; fi

new_test err_pid_in_use
if start counter; then
	ck dump "$PID" -D "$D/img" --leave-running >/dev/null 2>&1
	if expect_fail "$CKPT" restore -D "$D/img" -d && [[ $ERR == *"in use"* ]] && alive "$PID" &&
		wait_hb "$(last_hb)" && why=$(verify); then ok
	else bad "${ERR:-} ${why:-}"; fi
else bad "$WHY"; fi

# The same image restored twice: the second finds its PID taken by the first.
new_test err_pid_in_use_restored
if start counter; then
	if ! why=$(dump_restore); then bad "$why"
	elif expect_fail "$CKPT" restore -D "$D/img" -d && [[ $ERR == *"in use"* ]] && alive "$PID" &&
		wait_hb "$(last_hb)" && why=$(verify); then ok
	else bad "${ERR:-} ${why:-}"; fi
else bad "$WHY"; fi

new_test err_mapped_file_changed
if start mapfile "$D/mapped"; then
	ck dump "$PID" -D "$D/img" >/dev/null 2>&1 && gone "$PID"
	echo more >>"$D/mapped"
	if expect_fail "$CKPT" restore -D "$D/img" -d && [[ $ERR == *"changed size"* ]] && ! alive "$PID"; then ok
	else bad "${ERR:-}"; fi
else bad "$WHY"; fi

new_test err_dir_not_empty
mkdir -p "$D/full"; echo x >"$D/full/keep"
if start counter; then
	if expect_fail "$CKPT" dump "$PID" -D "$D/full" && [[ $ERR == *"not empty"* ]] && [ -f "$D/full/keep" ] &&
		alive "$PID" && why=$(verify); then ok
	else bad "${ERR:-} ${why:-}"; fi
else bad "$WHY"; fi

# ---------------------------------------------------------------- sockets
# Unix socket pairs across two processes with queued messages both ways,
# listeners on a path (its stale file removed at restore) and an abstract name.
new_test unix_sockets; mkdir -p "$D/s"; cycle unixsk "$D/s"

# A unix stream socket connected to a process outside the tree: refused
# naming it, and both keep running.
new_test err_unix_external
if start unixext listen "$D/l" && outside=$PID && start unixext stream "$D/l"; then
	if expect_fail "$CKPT" dump "$PID" -D "$D/img" && [[ $ERR == *"pid $PID fd 3"*"$D/l"*"outside the process tree"* ]] &&
		alive "$PID" && alive "$outside" && wait_hb "$(last_hb)" && why=$(verify); then ok
	else bad "${ERR:-} ${why:-}"; fi
else bad "$WHY"; fi

# A unix datagram socket connected outside: --ext-unix-sk connects it to the name again.
new_test unix_external_dgram
if start unixext listen "$D/l" && outside=$PID && outlog=$LOG && LOG=$D/log2 && start unixext dgram "$D/l"; then
	if expect_fail "$CKPT" dump "$PID" -D "$D/img" && [[ $ERR == *"--ext-unix-sk"* ]] &&
		why=$(dump_restore --ext-unix-sk) && why=$(verify) &&
		LOG=$outlog wait_for "^GOT ping" 5; then ok
	else bad "${ERR:-} ${why:-}"; fi
else bad "$WHY"; fi

# A file descriptor in flight (SCM_RIGHTS) is refused, naming the socket.
new_test err_unix_scm_rights
if start unixext rights "$D/x"; then
	if expect_fail "$CKPT" dump "$PID" -D "$D/img" && [[ $ERR == *"pid $PID fd "*"SCM_RIGHTS"* ]] &&
		alive "$PID" && wait_hb "$(last_hb)" && why=$(verify); then ok
	else bad "${ERR:-} ${why:-}"; fi
else bad "$WHY"; fi

# UDP: a bound socket and one connected to it keep exchanging datagrams.
new_test udp_ipv4; cycle udpsk 127.0.0.1
new_test udp_ipv6; cycle udpsk ::1

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
# tcp_pair ADDR PORT: server and client in separate trees; SPID/SLOG, CPID/CLOG
tcp_pair() {
	LOG=$D/server.log; start tcpstream server "$1" "$2" "${3:-}" || return 1
	SPID=$PID SLOG=$LOG
	LOG=$D/client.log; start tcpstream client "$1" "$2" || return 1
	CPID=$PID CLOG=$LOG
	PID=$SPID LOG=$SLOG wait_hb 3 && PID=$CPID LOG=$CLOG wait_hb 3
}
verify_pair() { # the server first: a client that passes exits, which resets the server
	PID=$SPID LOG=$SLOG verify && PID=$CPID LOG=$CLOG verify
}

# The server of a numbered stream is dumped with bytes in flight and restored:
# the stream continues without loss, duplication or reset.  Without
# --tcp-established the dump is refused, naming the connection.
new_test tcp_established_server
if ! netns_up; then skip "$WHY"
elif tcp_pair 127.0.0.1 7101; then
	if ! expect_fail $NS_EXEC "$CKPT" dump "$SPID" -D "$D/img0" ||
		[[ $ERR != *"pid $SPID fd 4: established TCP connection 127.0.0.1:7101 -> 127.0.0.1:"*"--tcp-established"* ]] ||
		! alive "$SPID"; then bad "no clear refusal: ${ERR:-}"
	elif ! why=$(PID=$SPID LOG=$SLOG dump_restore --tcp-established); then bad "$why"
	elif ! why=$(no_rules); then bad "$why"
	elif ! why=$(verify_pair); then bad "$why"
	else ok; fi
else bad "$WHY"; fi
netns_down

# The same with the client dumped (IPv6).
new_test tcp_established_client_ipv6
if ! netns_up; then skip "$WHY"
elif tcp_pair ::1 7102; then
	if ! why=$(PID=$CPID LOG=$CLOG dump_restore --tcp-established); then bad "$why"
	elif ! why=$(no_rules); then bad "$why"
	elif ! why=$(verify_pair); then bad "$why"
	else ok; fi
else bad "$WHY"; fi
netns_down

# The server dumped over IPv6 (its listener too).
new_test tcp_established_server_ipv6
if ! netns_up; then skip "$WHY"
elif tcp_pair ::1 7107; then
	if ! why=$(PID=$SPID LOG=$SLOG dump_restore --tcp-established); then bad "$why"
	elif ! why=$(no_rules); then bad "$why"
	elif ! why=$(verify_pair); then bad "$why"
	else ok; fi
else bad "$WHY"; fi
netns_down

# --tcp-close: the connection is not kept, no lock is taken; the restored fd
# is an unconnected socket: the server's next read or write fails (ENOTCONN, EPIPE).
new_test tcp_close
if ! netns_up; then skip "$WHY"
elif tcp_pair 127.0.0.1 7108; then
	if ! why=$(ck dump "$SPID" -D "$D/img" --tcp-close 2>&1) || ! gone "$SPID"; then bad "dump: $why"
	elif [ -e "$D/img/netlock.img" ] || [ -n "$(rules)" ]; then bad "a lock was taken"
	elif ! why=$(ck restore -D "$D/img" -d 2>&1); then bad "restore: $why"
	elif ! LOG=$SLOG wait_for "^FAIL \(read\|write\) at [0-9]*: \(Transport endpoint is not connected\|Broken pipe\)" 5; then
		bad "server: $(grep FAIL "$SLOG")"
	elif [ -n "$($NS_EXEC ss -Htn state established '( sport = :7108 )')" ]; then bad "$($NS_EXEC ss -tan)"
	else ok; fi
else bad "$WHY"; fi
netns_down

# A dump that fails after the lock was taken (the image directory is not
# empty) leaves no rule and the stream running.
new_test err_tcp_dump_failed_no_rules
if ! netns_up; then skip "$WHY"
elif tcp_pair 127.0.0.1 7103; then
	mkdir -p "$D/full"; echo x >"$D/full/keep"
	if expect_fail $NS_EXEC "$CKPT" dump "$SPID" -D "$D/full" --tcp-established && [[ $ERR == *"not empty"* ]] &&
		why=$(no_rules) && why=$(verify_pair); then ok
	else bad "${ERR:-} ${why:-}"; fi
else bad "$WHY"; fi
netns_down

# ckpt killed with SIGKILL in the middle of a dump (writing 400 MiB), while
# the lock holds: its rules go with it, and the stream goes on.
new_test err_tcp_dump_killed_no_rules
if ! netns_up; then skip "$WHY"
elif tcp_pair 127.0.0.1 7104 400; then
	$NS_EXEC "$CKPT" dump "$SPID" -D "$D/img" --tcp-established >/dev/null 2>&1 &
	ckpid=$!
	for i in $(seq 1 500); do rules | grep -q ckpt_lock && break; sleep 0.01; done
	kill -STOP $ckpid
	if ! rules | grep -q ckpt_lock; then bad "never saw the lock's table"; kill -9 $ckpid
	elif [ -e "$D/img/inventory.img" ]; then bad "the dump ended before it could be killed"; kill -9 $ckpid
	else
		kill -9 $ckpid; wait $ckpid 2>/dev/null
		if ! why=$(no_rules); then bad "$why"
		elif ! alive "$SPID"; then bad "the server died"
		elif ! why=$(verify_pair); then bad "$why"
		else ok; fi
	fi
else bad "$WHY"; fi
netns_down

# A restore that fails after taking the lock over (the listening port is
# taken) leaves no rule.
new_test err_tcp_restore_failed_no_rules
if ! netns_up; then skip "$WHY"
elif tcp_pair 127.0.0.1 7105; then
	if ! why=$(ck dump "$SPID" -D "$D/img" --tcp-established 2>&1) || ! gone "$SPID"; then bad "dump: $why"
	elif ! rules | grep -q ckpt_lock; then bad "no lock between the dump and the restore"
	else
		LOG=$D/squat.log; start tcpstream server 127.0.0.1 7105
		if expect_fail $NS_EXEC "$CKPT" restore -D "$D/img" -d && [[ $ERR == *"7105"* ]] &&
			! alive "$SPID" && why=$(no_rules); then ok
		else bad "${ERR:-} ${why:-}"; fi
	fi
else bad "$WHY"; fi
netns_down

# ckpt restore killed with SIGKILL while it holds the lock: no rule is left.
new_test err_tcp_restore_killed_no_rules
if ! netns_up; then skip "$WHY"
elif tcp_pair 127.0.0.1 7109 400; then
	if ! why=$(ck dump "$SPID" -D "$D/img" --tcp-established 2>&1) || ! gone "$SPID"; then bad "dump: $why"
	else
		$NS_EXEC "$CKPT" restore -D "$D/img" -d >/dev/null 2>&1 &
		ckpid=$!
		for i in $(seq 1 500); do rules | grep -q "ckpt_lock_$ckpid" && break; sleep 0.01; done
		if ! rules | grep -q "ckpt_lock_$ckpid"; then bad "never saw the restore's lock"; kill -9 $ckpid
		else
			kill -9 $ckpid; wait $ckpid 2>/dev/null
			if why=$(no_rules); then ok; else bad "$why"; fi
		fi
	fi
else bad "$WHY"; fi
netns_down

# An epoll server with 50 unix and 50 TCP clients (in its tree) keeps serving.
new_test epoll_server_100_clients
if ! netns_up; then skip "$WHY"
elif start epollsk 127.0.0.1 7106 && why=$(dump_restore --tcp-established) && why=$(no_rules) &&
	why=$(verify); then ok
else bad "${WHY:-} ${why:-}"; fi
netns_down

echo
if [ $skipped -gt 0 ]; then
	echo "$pass passed, $fail failed, $skipped skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
