#!/bin/sh
# The guest side of tests/kmod/run.sh: busybox sh as root on Debian's 6.1
# kernel, one boot for every test.  Prints "ok NAME", "FAIL NAME: why",
# "skip NAME: why" and finally "N passed, N failed[, N skipped]".
# MODE=bench runs the benchmark instead.
pass=0 fail=0 skipped=0
ROOT=/tmp/k
mkdir -p $ROOT && chmod 755 $ROOT
PIDS=""
KT=/t/ktool

ok() {
	pass=$((pass + 1)); echo "ok $T"
	if [ -n "${KMOD_TIMES:-}" ]; then echo "    at $(cut -d' ' -f1 /proc/uptime) s"; fi
	return 0
}
bad() {
	fail=$((fail + 1)); echo "FAIL $T: $*"
	[ -f "$LOG" ] && tail -n 3 "$LOG" | sed 's/^/    log: /'
}
skip() { skipped=$((skipped + 1)); echo "skip $T: $*"; }
kill_leftovers() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	PIDS=""
}
new_test() {
	kill_leftovers
	T=$1 D=$ROOT/$1 LOG=$ROOT/$1/log
	mkdir -p "$D" && chmod 755 "$D"
}
wait_for() { # regex seconds [file]
	i=0
	while [ $i -lt $(($2 * 20)) ]; do
		grep -q "$1" "${3:-$LOG}" 2>/dev/null && return 0
		sleep 0.05; i=$((i + 1))
	done
	return 1
}
last_hb() { awk '$1 == "HB" {n = $2} END {print n + 0}' "$LOG"; }
wait_hb() {
	i=0
	while [ $i -lt 400 ]; do
		[ "$(last_hb)" -gt "$1" ] && return 0
		sleep 0.05; i=$((i + 1))
	done
	return 1
}
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' /proc/$1/stat 2>/dev/null)" != Z ]; }
gone() {
	i=0
	while [ $i -lt 200 ]; do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; i=$((i + 1)); done
	return 1
}
# start [runas UID GID] PROG ARGS: stdout to $LOG, sets PID (from "READY PID")
start() {
	: >"$LOG"
	setsid "$@" >>"$LOG" 2>&1 </dev/null &
	PIDS="$PIDS $!"
	wait_for "^READY" 30 || { WHY="no READY from $*"; return 1; }
	PID=$(awk '$1 == "READY" {print $2; exit}' "$LOG")
	PIDS="$PIDS $PID"
	return 0
}
ck() { timeout 120 ckpt "$@"; }
verify() {
	kill -USR1 "$PID" 2>/dev/null || { echo "process $PID is gone"; return 1; }
	wait_for "^\(PASS\|FAIL\)" 60 || { echo "no verdict"; return 1; }
	grep -q "^PASS" "$LOG" || { grep "^FAIL" "$LOG" | head -1; return 1; }
}
# cycle BACKEND PROG ARGS: start, dump with BACKEND, restore, verify
cycle() {
	b=$1; shift
	start "$@" || { bad "$WHY"; return; }
	wait_hb 0 || { bad "no heartbeat"; return; }
	rm -rf "$D/img"
	out=$(ck dump --backend "$b" "$PID" -D "$D/img" 2>&1) || { bad "dump failed: $out"; return; }
	before=$(last_hb)
	gone "$PID" || { bad "pid $PID still there after dump"; return; }
	out=$(ck restore -D "$D/img" --restore-detached 2>&1) || { bad "restore failed: $out"; return; }
	alive "$PID" || { bad "pid $PID not running after restore"; return; }
	wait_hb "$before" || { bad "heartbeat stuck at $(last_hb)"; return; }
	why=$(verify) || { bad "$why"; return; }
	ok
}
dmesg_clean() { ! dmesg | grep -qE 'WARNING:|BUG:|Oops|Call Trace|general protection'; }

if [ "${MODE:-}" = bench ]; then
	insmod /ckpt.ko || { echo "FAIL bench: insmod"; echo "0 passed, 1 failed"; exit; }
	T=bench; D=$ROOT/bench; LOG=$D/log; mkdir -p $D/files
	start $KT many 10000 10000 $D/files || { bad "$WHY"; echo "$pass passed, $fail failed"; exit; }
	# State = the whole freeze minus reading and writing pages (--display-stats).
	for b in ptrace kmod ptrace kmod; do
		rm -rf $D/img-$b
		out=$(ck dump --backend $b --leave-running --display-stats "$PID" -D $D/img-$b 2>&1) ||
			{ bad "dump $b: $out"; break; }
		fr=$(echo "$out" | awk '$1 == "frozen_ms:" {print $2}')
		mem=$(echo "$out" | awk '$1 == "memdump_ms:" {print $2}')
		st=$(echo "$fr $mem" | awk '{printf "%.0f", $1 - $2}')
		echo "bench $b: state ${st} ms, pages ${mem} ms, frozen ${fr} ms"
		eval "s_$b=$st f_$b=$fr"
	done
	echo "bench ratio ptrace/kmod (second run of each, 10000 VMAs + 10000 fds, TCG guest): state $(echo "$s_ptrace $s_kmod" | awk '{printf "%.2f", $1 / $2}'), whole freeze $(echo "$f_ptrace $f_kmod" | awk '{printf "%.2f", $1 / $2}')"
	T=bench; ok
	kill_leftovers
	echo "$pass passed, $fail failed"
	exit
fi

# ---- load, check ----
T=insmod
if insmod /ckpt.ko 2>$ROOT/insmod.err; then ok; else bad "$(cat $ROOT/insmod.err)"; fi
T=check_reports_module
out=$(ckpt check 2>&1)
echo "$out" | grep -q "^kernel_module  *yes  *loaded, protocol version 1" && ok ||
	bad "ckpt check: $(echo "$out" | grep kernel_module)"

# ---- dump with the module, restore, the process checks itself ----
new_test kmod_counter; cycle kmod /progs/counter
new_test kmod_threads; cycle kmod /progs/threads
new_test kmod_fileoff; mkdir -p $D/files; cycle kmod /progs/fileoff $D/files
new_test kmod_mem64; cycle kmod /progs/mem256 64
new_test kmod_registers; cycle kmod /progs/regs
new_test kmod_signals; mkdir -p $D/sig; cycle kmod /progs/signals $D/sig
# devfds: 6.1's fdinfo has no eventfd-semaphore (added later), so neither backend keeps it.
new_test kmod_mapfile; cycle kmod /progs/mapfile $D/mapped
new_test ptrace_counter_6_1; cycle ptrace /progs/counter

# ---- differential: the same stopped process through both backends ----
# A first (warm-up) dump lets a sleep interrupted by the stop settle into
# its restart state; after it the process stays exactly as it is.
for prog in counter sleeper mapfile; do
	new_test "diff_$prog"
	arg=""; [ $prog = mapfile ] && arg=$D/mapped
	if start /progs/$prog $arg && wait_hb 0; then
		kill -STOP "$PID"; sleep 0.2
		o1=$(ck dump --backend kmod --leave-running "$PID" -D $D/w 2>&1) &&
		o1=$(ck dump --backend kmod --leave-running "$PID" -D $D/a 2>&1) &&
		o2=$(ck dump --backend ptrace --leave-running "$PID" -D $D/b 2>&1)
		if [ $? -ne 0 ]; then
			bad "dump failed: $o1 $o2"
		else
			# Documented differences: the image directory and the dump time.
			for x in a b; do
				ckpt show --json $D/$x | tr ',' '\n' |
					grep -v -e '"dump_time_ns"' -e '^{"dir"' >$D/$x.json
			done
			if [ ! -s $D/a.json ]; then
				bad "no ckpt show output"
			elif cmp -s $D/a.json $D/b.json; then
				ok
			else
				bad "show --json differs (kmod < > ptrace): $(diff $D/a.json $D/b.json | grep '^[-+][^-+]' | head -6 | tr '\n' ' ')"
			fi
		fi
	else
		bad "${WHY:-no heartbeat}"
	fi
done

# ---- access control (module level, then through ckpt) ----
new_test access_other_user
start $KT sleep && root_pid=$PID
out=$($KT runas 1000 1000 $KT q task $root_pid 2>&1)
case "$out" in "err 1 permission denied: target runs as another user") ok ;; *) bad "got: $out" ;; esac
new_test access_own_process
start $KT runas 1000 1000 $KT sleep
out=""
for q in task mm vmas fds "pages"; do
	if [ "$q" = pages ]; then
		o=$($KT runas 1000 1000 $KT q pages $PID 0x1000 0x7ffffffff000 2>&1)
	else
		o=$($KT runas 1000 1000 $KT q $q $PID 2>&1)
	fi
	case "$o" in ok*) ;; *) out="$out $q: $o" ;; esac
done
[ -z "$out" ] && ok || bad "$out"
new_test access_undumpable
start $KT runas 1000 1000 $KT undumpable
out=$($KT runas 1000 1000 $KT q task $PID 2>&1)
case "$out" in "err 1 permission denied: target is not dumpable") ok ;; *) bad "got: $out" ;; esac
new_test access_setuid
cp $KT $D/ktool-suid && chmod 4755 $D/ktool-suid
start $KT runas 1000 1000 $D/ktool-suid sleep
out=$($KT runas 1000 1000 $KT q task $PID 2>&1)
case "$out" in "err 1 permission denied: target runs as another user") ok ;; *) bad "got: $out" ;; esac
new_test access_kernel_thread
out=$($KT q task 2 2>&1)
case "$out" in "err 1 target is a kernel thread") ok ;; *) bad "got: $out" ;; esac
new_test access_root_reads_undumpable
start $KT runas 1000 1000 $KT undumpable
out=$($KT q vmas $PID 2>&1)
case "$out" in ok*) ok ;; *) bad "root (CAP_SYS_PTRACE) refused: $out" ;; esac
new_test ckpt_dump_refused_for_other_user
start $KT sleep
out=$($KT runas 1000 1000 /bin/ckpt dump --backend kmod --leave-running $PID -D /tmp/k/x 2>&1)
[ $? -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && alive $PID && ok || bad "got: $out"

# ---- malformed requests ----
new_test bad_requests
start $KT sleep
out=""
o=$($KT q task 999999 2>&1); [ "$o" = "err 3 no such process" ] || out="$out unknown pid: $o;"
o=$($KT q regs $PID 2>&1); case "$o" in "err 22 "*) ;; *) out="$out missing tid: $o;" ;; esac
o=$($KT q regs $PID $PID 2>&1); case "$o" in "err 16 thread is running"*) ;; *) out="$out running: $o;" ;; esac
o=$($KT q regs $PID 1 2>&1); case "$o" in "err 3 no such thread"*) ;; *) out="$out foreign tid: $o;" ;; esac
o=$($KT q pages $PID 0x1001 0x2000 2>&1); case "$o" in "err 22 bad range"*) ;; *) out="$out unaligned: $o;" ;; esac
o=$($KT q pages $PID 2>&1); case "$o" in "err 22 missing attribute"*) ;; *) out="$out no range: $o;" ;; esac
o=$($KT q sock $PID 0 2>&1); case "$o" in "err 88 fd is not a socket") ;; *) out="$out not a socket: $o;" ;; esac
o=$($KT q sock $PID 12345 2>&1); case "$o" in "err 9 no such fd") ;; *) out="$out no fd: $o;" ;; esac
for k in short long nested unknown none; do
	o=$($KT bad $k $PID 2>&1)
	case "$o" in "err 22 "?*) ;; *) out="$out $k pid attribute: $o;" ;; esac
done
[ -z "$out" ] && ok || bad "$out"
new_test fuzz_no_crash
start $KT sleep
out=$($KT fuzz 3000 0x$(date +%s) $PID 2>&1)
case "$out" in "ok fuzz"*) dmesg_clean && ok || bad "dmesg: $(dmesg | grep -E 'WARNING:|BUG:|Oops' | head -2)" ;; *) bad "$out" ;; esac
echo "    $out"

# ---- 100 000 mappings and 100 000 fds, each in one dump ----
new_test dumps_100k
sysctl -qw vm.max_map_count=300000
if start $KT many 50000 100000 -; then
	t0=$(cut -d' ' -f1 /proc/uptime)
	v=$($KT q vmas $PID 2>&1); f=$($KT q fds $PID 2>&1)
	t1=$(cut -d' ' -f1 /proc/uptime)
	nv=$(grep -c . /proc/$PID/maps); nf=$(ls /proc/$PID/fd | wc -l)
	[ "$v" = "ok $nv" ] && [ "$f" = "ok $nf" ] && [ "$nv" -ge 100000 ] && [ "$nf" -ge 100000 ] && ok ||
		bad "vmas: $v (maps: $nv), fds: $f (fd: $nf)"
	echo "    $nv VMAs + $nf fds listed in $(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}') s"
else
	bad "$WHY"
fi
kill_leftovers

# ---- a socket: family, type, state, TCP sequence numbers ----
new_test sock_tcp
ip link set lo up 2>/dev/null
if start $KT tcp; then
	fd=$(awk '$1 == "READY" {print $3; exit}' "$LOG")
	out=$($KT q sock $PID $fd 2>&1)
	# AF_INET, SOCK_STREAM, IPPROTO_TCP, TCP_ESTABLISHED, 5 bytes sent and acked
	case "$out" in "family 2 type 1 proto 6 state 1 tcp unacked 0 sent 0"*"ok 1") ok ;;
	*) bad "got: $(echo $out)" ;; esac
else
	bad "$WHY"
fi

# ---- page presence of a 64 GiB mapping ----
new_test pages_64g
if start $KT bigmap 64; then
	set -- $(awk '$1 == "READY" {print $3, $4; exit}' "$LOG")
	t0=$(cut -d' ' -f1 /proc/uptime)
	out=$($KT q pages $PID $1 $2 2>&1)
	t1=$(cut -d' ' -f1 /proc/uptime)
	case "$out" in ok*) ok; echo "    64 GiB scanned in $(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}') s ($out messages)" ;;
	*) bad "$out" ;; esac
else
	bad "$WHY"
fi

# ---- the module goes away cleanly ----
new_test rmmod_busy_during_dump
mkdir -p $D/f
start $KT many 3000 0 $D/f
$KT hold $PID 3 >$D/hold 2>&1 &
hp=$!
if wait_for HOLDING 20 $D/hold; then
	if rmmod ckpt 2>/dev/null; then
		bad "rmmod succeeded with a dump in progress"; insmod /ckpt.ko
	else
		wait $hp
		rmmod ckpt && ok || bad "rmmod after the dump ended failed"
		insmod /ckpt.ko
	fi
else
	bad "no first part: $(cat $D/hold)"
fi
new_test rmmod_idle_reinsmod
if rmmod ckpt && ! ckpt check | grep -q "kernel_module  *yes" && insmod /ckpt.ko &&
	ckpt check | grep -q "kernel_module  *yes"; then ok; else bad "rmmod/insmod cycle"; fi
new_test kmod_after_reload; cycle kmod /progs/counter
new_test backend_kmod_absent
rmmod ckpt
start /progs/counter
out=$(ck dump --backend kmod "$PID" -D $D/img 2>&1)
[ $? -ne 0 ] && alive "$PID" && echo "$out" | grep -q "module is not loaded" && ok || bad "got: $out"
insmod /ckpt.ko
new_test version_mismatch_refused
rmmod ckpt
insmod /ckpt.ko protocol_version=99
c=$(ckpt check 2>&1 | grep kernel_module)
start /progs/counter
out=$(ck dump --backend kmod "$PID" -D $D/img 2>&1)
rc=$?
echo "$c" | grep -q "no  *loaded, protocol version 99 (this ckpt needs 1)" && [ $rc -ne 0 ] &&
	[ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q "protocol version 99" &&
	alive "$PID" && ok || bad "check: $c; dump: $out"
new_test version_mismatch_auto_uses_ptrace
start /progs/counter
out=$(ck dump --leave-running "$PID" -D $D/img 2>&1)
[ $? -eq 0 ] && echo "$out" | grep -q "using the ptrace backend" && alive "$PID" && ok || bad "got: $out"
rmmod ckpt; insmod /ckpt.ko
new_test dmesg_clean
dmesg_clean && ok || bad "$(dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace' | head -3 | tr '\n' ' ')"

kill_leftovers
if [ $skipped -gt 0 ]; then
	echo "$pass passed, $fail failed, $skipped skipped"
else
	echo "$pass passed, $fail failed"
fi
