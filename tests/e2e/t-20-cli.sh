# Part of tests/e2e/run.sh (sourced; uses its helpers).
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
