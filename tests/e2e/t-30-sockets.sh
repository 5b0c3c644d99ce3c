# Part of tests/e2e/run.sh (sourced; uses its helpers).
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
