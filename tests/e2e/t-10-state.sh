# Part of tests/e2e/run.sh (sourced; uses its helpers).
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

# Orphans under a subreaper whose session / group leaders exited: the session
# and the group are made again (a helper task with the leader's PID), the
# orphans are the root's children again; ps is identical, the root reaps them.
new_test orphans_dead_leaders
orphan_ps() { ps -o pid=,ppid=,pgid=,sid=,comm= --ppid "$1" | sort -n; }
if start orphans; then
	PIDS+=($(awk '$1 == "MEMBER" {print $3}' "$LOG"))
	before_ps=$(orphan_ps "$PID")
	if [ "$(echo "$before_ps" | awk '{print $3 "/" $4}' | sort -u | wc -l)" -ne 2 ]; then bad "not set up: $before_ps"
	elif ! why=$(dump_restore); then bad "$why"
	elif [ "$(orphan_ps "$PID")" != "$before_ps" ]; then bad "ps differs: $(orphan_ps "$PID" | tr '\n' '|') (was $(echo "$before_ps" | tr '\n' '|'))"
	elif [ "$(ps -o pid= --ppid "$PID" | wc -l)" -ne 2 ]; then bad "a helper is left: $(ps -o pid=,comm= --ppid "$PID" | tr '\n' ' ')"
	elif why=$(verify); then ok; else bad "$why"; fi
else bad "$WHY"; fi

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

# A stopped multi-threaded process: no thread runs a single loop iteration
# during the dump (the counters live in a file the test reads), nor after
# restore until SIGCONT.
new_test stopped_threads
counts() { od -An -tx8 -N64 "$D/counts" | tr -s ' \n' ' '; }
if start threads "$D/counts"; then
	kill -STOP "$PID"; sleep 0.1
	c0=$(counts)
	if ! out=$(ck dump "$PID" -D "$D/img" --leave-running 2>&1); then bad "dump: $out"
	elif sleep 0.1 && [ "$(counts)" != "$c0" ]; then bad "threads ran during the dump: $c0 -> $(counts)"
	elif [ "$(state "$PID")" != T ]; then bad "not stopped after --leave-running ($(state "$PID"))"
	else
		kill -9 "$PID"; gone "$PID"
		if ! out=$(ck restore -D "$D/img" -d 2>&1); then bad "restore: $out"
		elif sleep 0.3 && [ "$(state "$PID")" != T ] || [ "$(counts)" != "$c0" ]; then bad "restored threads run (state $(state "$PID"))"
		elif ! kill -CONT "$PID" || ! wait_hb "$(last_hb)"; then bad "does not run on after SIGCONT"
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
