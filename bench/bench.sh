#!/usr/bin/env bash
# make bench: dump/restore throughput and freeze time of ckpt, side by side
# with the reference CRIU build when it is there.  Not a test: it prints a
# table.  Sizes and repetitions: BENCH_SIZES="64 1024 4096" BENCH_REPS=5.
set -u
CKPT=${CKPT:?} MEMHOG=${MEMHOG:?}
CRIU=${CRIU:-$(cd "$(dirname "$0")/../.." && pwd)/shared/reference/criu}
# A size in MiB, "tree": 16 processes x 4 threads sharing 1 GiB (TREEHOG), or
# "fds": one process holding 10 000 fds of mixed kinds (FDHOG, tests/progs/manyfds.c).
SIZES=${BENCH_SIZES:-64 1024 4096 tree fds}
REPS=${BENCH_REPS:-5}
WORK=${BENCH_DIR:-/dev/shm/ckpt-bench.$$}

have_criu=0
if [ -x "$CRIU" ] && "$CRIU" check >/dev/null 2>&1; then
	have_criu=1
else
	echo "bench: CRIU reference not usable at $CRIU: comparing with CRIU skipped"
fi
mkdir -p "$WORK" || exit 1
trap 'rm -rf "$WORK"' EXIT

now() { date +%s%N; }

start_hog() { # size -> pid
	local log=$WORK/hog.log
	: >"$log"
	if [ "$1" = tree ]; then
		setsid "${TREEHOG:?}" 16 4 1024 >"$log" 2>&1 </dev/null &
	elif [ "$1" = fds ]; then
		rm -rf "$WORK/fdfiles" && mkdir -p "$WORK/fdfiles"
		setsid "${FDHOG:?}" 10000 "$WORK/fdfiles" >"$log" 2>&1 </dev/null &
	else
		setsid "$MEMHOG" "$1" >"$log" 2>&1 </dev/null &
	fi
	local i
	for i in $(seq 1 600); do
		grep -q READY "$log" && break
		sleep 0.05
	done
	awk '/READY/ {print $2}' "$log"
}

wait_gone() {
	local i
	for i in $(seq 1 400); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.01; done
	return 1
}

# raw tmpfs write bandwidth for size MiB (s)
raw_write() {
	local t0 t1
	t0=$(now)
	dd if=/dev/zero of="$WORK/raw" bs=4M count=$(($1 / 4 > 0 ? $1 / 4 : 1)) 2>/dev/null
	t1=$(now)
	rm -f "$WORK/raw"
	echo $((t1 - t0))
}

# tool size -> "dump_ns frozen_ns restore_ns" or "fail"
run_one() {
	local tool=$1 size=$2 pid dir=$WORK/img t0 t1 t2 frozen out
	rm -rf "$dir"
	pid=$(start_hog "$size")
	[ -n "$pid" ] || { echo fail; return; }
	members=$(ps -o pid= -s "$pid")
	if [ "$tool" = ckpt ]; then
		t0=$(now)
		out=$("$CKPT" dump "$pid" -D "$dir" --display-stats 2>&1) || { echo "$out" >&2; kill -9 "$pid"; echo fail; return; }
		t1=$(now)
		frozen=$(echo "$out" | awk -F'[: ]+' '/frozen_ms/ {printf "%.0f", $2 * 1000000}')
	else
		mkdir -p "$dir"
		t0=$(now)
		out=$("$CRIU" dump -t "$pid" -D "$dir" --display-stats 2>&1) || { echo "$out" | tail -3 >&2; kill -9 "$pid"; echo fail; return; }
		t1=$(now)
		frozen=$(echo "$out" | awk '/Frozen time/ {printf "%.0f", $3 * 1000}')
	fi
	[ -n "$frozen" ] || { echo "no freeze time in: $out" >&2; echo fail; return; }
	for p in $members; do wait_gone "$p"; done
	wait_gone "$pid"
	t1b=$(now)
	if [ "$tool" = ckpt ]; then
		"$CKPT" restore -D "$dir" --restore-detached >/dev/null 2>&1 || { echo fail; return; }
	else
		"$CRIU" restore -D "$dir" -d >/dev/null 2>&1 || { echo fail; return; }
	fi
	t2=$(now)
	kill -0 "$pid" 2>/dev/null || { echo fail; return; }
	kill -9 -- -"$pid" 2>/dev/null || kill -9 "$pid"
	for p in $members; do wait_gone "$p"; done
	rm -rf "$dir"
	echo "$((t1 - t0)) ${frozen%.*} $((t2 - t1b))"
}

# tool size -> frozen ns of a second --leave-running dump of one process, or
# "fail".  The first dump writes into memory the machine has not touched for
# a while, which costs far more here than the copy itself (the host backs
# guest pages lazily); the second reuses the pages the first image freed, so
# it shows the tool's own copy path.
run_warm() {
	local tool=$1 size=$2 pid dir=$WORK/warm out frozen="" i
	pid=$(start_hog "$size")
	[ -n "$pid" ] || { echo fail; return; }
	for i in 1 2; do
		rm -rf "$dir"
		if [ "$tool" = ckpt ]; then
			out=$("$CKPT" dump "$pid" -D "$dir" --leave-running --display-stats 2>&1) || break
			frozen=$(echo "$out" | awk -F'[: ]+' '/frozen_ms/ {printf "%.0f", $2 * 1000000}')
		else
			mkdir -p "$dir"
			out=$("$CRIU" dump -t "$pid" -D "$dir" --leave-running --display-stats 2>&1) || break
			frozen=$(echo "$out" | awk '/Frozen time/ {printf "%.0f", $3 * 1000}')
		fi
	done
	rm -rf "$dir"
	kill -9 -- -"$pid" 2>/dev/null || kill -9 "$pid"
	wait_gone "$pid"
	[ "$i" = 2 ] && [ -n "$frozen" ] && echo "$frozen" || echo fail
}

min() { sort -n | head -1; }

printf '%-8s %-5s %9s %9s %9s %9s %8s %8s %9s %15s\n' size tool frozen_s dump_s restore_s warm_frz_s \
	dump_GBs rest_GBs dump/raw vs_criu
for size in $SIZES; do
	declare -A best=()
	for rep in $(seq 1 "$REPS"); do
		r=$(raw_write "$(case $size in tree) echo 1024 ;; fds) echo 4 ;; *) echo "$size" ;; esac)")
		best[raw]=$(printf '%s\n%s\n' "${best[raw]:-$r}" "$r" | min)
		for tool in ckpt criu; do
			[ "$tool" = criu ] && [ $have_criu = 0 ] && continue
			res=$(run_one "$tool" "$size")
			[ "$res" = fail ] && { echo "bench: $tool $size MiB rep $rep failed" >&2; continue; }
			set -- $res
			w=$(run_warm "$tool" "$size")
			[ "$w" = fail ] && { echo "bench: $tool $size MiB rep $rep: warm dump failed" >&2; w=""; }
			for k in dump:$1 frozen:$2 restore:$3 ${w:+warm:$w}; do
				key=$tool.${k%%:*} v=${k#*:}
				best[$key]=$(printf '%s\n%s\n' "${best[$key]:-$v}" "$v" | min)
			done
		done
	done
	for tool in ckpt criu; do
		[ -n "${best[$tool.dump]:-}" ] || continue
		mib=$size label=${size}M
		[ "$size" = tree ] && mib=1024 label=tree16x4
		[ "$size" = fds ] && mib=0 label=fds10k # the bandwidth columns mean nothing there
		awk -v s="$mib" -v label="$label" -v t=$tool -v d="${best[$tool.dump]}" -v f="${best[$tool.frozen]}" \
		    -v r="${best[$tool.restore]}" -v raw="${best[raw]}" \
		    -v cd="${best[criu.dump]:-0}" -v cr="${best[criu.restore]:-0}" \
		    -v w="${best[$tool.warm]:-0}" -v cw="${best[criu.warm]:-0}" 'BEGIN {
			gb = s / 1024 * 1.073741824
			vs = (t == "ckpt" && cd > 0) ? sprintf("%.2fx/%.2fx", cd / d, cr / r) : "-"
			if (t == "ckpt" && cw > 0 && w > 0)
				vs = vs sprintf("/%.2fx", cw / w)
			if (s == 0) {
				printf "%-8s %-5s %9.3f %9.3f %9.3f %9.3f %8s %8s %9s %15s\n", label, t, f / 1e9,
					d / 1e9, r / 1e9, w / 1e9, "-", "-", "-", vs
				exit
			}
			printf "%-8s %-5s %9.3f %9.3f %9.3f %9.3f %8.2f %8.2f %9.2f %15s\n", label, t, f / 1e9,
				d / 1e9, r / 1e9, w / 1e9, gb / (d / 1e9), gb / (r / 1e9),
				(gb / (d / 1e9)) / (gb / (raw / 1e9)), vs
		}'
	done
	unset best
done
echo "frozen/dump/restore: minimum of $REPS interleaved runs, images on $(dirname "$WORK") (tmpfs)"
echo "dump/raw: dump bandwidth / raw tmpfs write bandwidth (dd) in the same run"
echo "warm_frz_s: time frozen by a second --leave-running dump of one process (image pages reused)"
echo "vs_criu: CRIU time / ckpt time for dump/restore/warm freeze (>1: ckpt is faster)"
