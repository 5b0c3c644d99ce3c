// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets across a dump: socket pairs (stream, datagram, seqpacket)
 * shared by a parent and its child, with messages queued both ways that
 * nobody reads before the dump (datagram boundaries must survive); a
 * stream pair shut down for writing; a listening socket bound to a path
 * (argv[1]/sock) and one to an abstract name (shared with the child), which
 * must still accept;
 * a bound datagram socket with datagrams queued; options (SO_PASSCRED,
 * SO_SNDBUF, O_NONBLOCK).
 * Verify: the parent reads its queues and checks them, tells the child
 * (SIGUSR1), which checks its own and answers on the stream pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "progs.h"

static const int types[3] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
static int pv[3], cv[3], shut_p, shut_c;

static void msg(char *buf, size_t len, const char *dir, int t, int k)
{
	/* lengths differ per message, so merged datagrams would show */
	int n = snprintf(buf, len, "%s-%d-%d-", dir, t, k);

	memset(buf + n, 'a' + k, 10 * (k + 1));
	buf[n + 10 * (k + 1)] = '\0';
}

/* Read the 3 messages `dir` sent on fd, type t; 0 if all came as sent. */
static int check_queue(int fd, int t, const char *dir)
{
	char want[128], got[512];
	int k;

	if (types[t] == SOCK_STREAM) {
		char all[512] = "";
		size_t len = 0, need;

		for (k = 0; k < 3; k++) {
			msg(want, sizeof(want), dir, t, k);
			strcat(all, want);
		}
		need = strlen(all);
		while (len < need) {
			ssize_t n = recv(fd, got + len, need - len, MSG_DONTWAIT);

			if (n <= 0)
				return say("FAIL stream %s: %zd after %zu of %zu bytes\n", dir, n, len, need), 1;
			len += n;
		}
		return memcmp(got, all, need) ? (say("FAIL stream %s: bytes differ\n", dir), 1) : 0;
	}
	for (k = 0; k < 3; k++) {
		ssize_t n = recv(fd, got, sizeof(got), MSG_DONTWAIT);

		msg(want, sizeof(want), dir, t, k);
		if (n != (ssize_t)strlen(want) || memcmp(got, want, n))
			return say("FAIL type %d %s: message %d: %zd bytes\n", types[t], dir, k, n), 1;
	}
	return 0;
}

static int accept_once(const struct sockaddr_un *a, socklen_t len, int lfd)
{
	int c = socket(AF_UNIX, SOCK_STREAM, 0), s;
	char b = 0;

	if (c < 0 || connect(c, (const struct sockaddr *)a, len))
		return say("FAIL connect to the listener: %s\n", strerror(errno)), 1;
	s = accept(lfd, NULL, NULL);
	if (s < 0 || write(c, "x", 1) != 1 || read(s, &b, 1) != 1 || b != 'x')
		return say("FAIL accept: %s\n", strerror(errno)), 1;
	close(c);
	close(s);
	return 0;
}

static void __attribute__((noreturn)) child(void)
{
	char want[128];
	int t, k, bad = 0;

	for (t = 0; t < 3; t++)
		for (k = 0; k < 3; k++) {
			msg(want, sizeof(want), "c2p", t, k);
			if (send(cv[t], want, strlen(want), 0) < 0)
				_exit(2);
		}
	while (!verify_req)
		usleep(10000);
	for (t = 0; t < 3; t++)
		bad |= check_queue(cv[t], t, "p2c");
	/* the parent shut its end down for writing after "bye" */
	{
		char b[8];
		ssize_t n = recv(shut_c, b, sizeof(b), 0), m = recv(shut_c, b, sizeof(b), 0);

		if (n != 3 || m != 0)
			say("FAIL shut down pair: %zd then %zd\n", n, m), bad = 1;
	}
	if (fcntl(cv[1], F_GETFL) & O_NONBLOCK) {
		int v = 0;
		socklen_t l = sizeof(v);

		if (getsockopt(cv[1], SOL_SOCKET, SO_PASSCRED, &v, &l) || !v)
			say("FAIL SO_PASSCRED lost\n"), bad = 1;
	} else {
		say("FAIL O_NONBLOCK lost\n"), bad = 1;
	}
	if (write(cv[0], bad ? "F" : "K", 1) != 1)
		_exit(2);
	_exit(bad);
}

int main(int argc, char **argv)
{
	struct sockaddr_un pa = { .sun_family = AF_UNIX }, aa = pa, da = pa;
	socklen_t alen;
	int t, k, sv[2], lp, la, dg, bad = 0, v, sb = 0;
	socklen_t l = sizeof(v);
	char want[128];
	pid_t c;

	prog_init();
	if (argc < 2)
		return 2;
	for (t = 0; t < 3; t++) {
		if (socketpair(AF_UNIX, types[t], 0, sv))
			return 2;
		pv[t] = sv[0];
		cv[t] = sv[1];
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 2;
	shut_p = sv[0];
	shut_c = sv[1];
	v = 1;
	setsockopt(cv[1], SOL_SOCKET, SO_PASSCRED, &v, sizeof(v));
	fcntl(cv[1], F_SETFL, O_NONBLOCK);
	v = 300000;
	setsockopt(pv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	getsockopt(pv[0], SOL_SOCKET, SO_SNDBUF, &sb, &l);
	/* the abstract listener is shared with the child (inherited) */
	snprintf(aa.sun_path + 1, sizeof(aa.sun_path) - 1, "ckpt-unixsk-%d", getpid());
	alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(aa.sun_path + 1);
	la = socket(AF_UNIX, SOCK_STREAM, 0);
	if (la < 0 || bind(la, (struct sockaddr *)&aa, alen) || listen(la, 8))
		return 2;
	c = fork();
	if (c == 0) {
		close(pv[0]), close(pv[1]), close(pv[2]), close(shut_p);
		child();
	}
	close(cv[0]), close(cv[1]), close(cv[2]), close(shut_c);
	for (t = 0; t < 3; t++)
		for (k = 0; k < 3; k++) {
			msg(want, sizeof(want), "p2c", t, k);
			if (send(pv[t], want, strlen(want), 0) < 0)
				return 2;
		}
	if (write(shut_p, "bye", 3) != 3 || shutdown(shut_p, SHUT_WR))
		return 2;
	/* listeners: a path and an abstract name */
	snprintf(pa.sun_path, sizeof(pa.sun_path), "%s/sock", argv[1]);
	unlink(pa.sun_path);
	lp = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lp < 0 || bind(lp, (struct sockaddr *)&pa, sizeof(pa)) || listen(lp, 8))
		return 2;
	/* a bound datagram socket with 2 datagrams waiting */
	snprintf(da.sun_path, sizeof(da.sun_path), "%s/dgram", argv[1]);
	unlink(da.sun_path);
	dg = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (dg < 0 || bind(dg, (struct sockaddr *)&da, sizeof(da)))
		return 2;
	{
		int tx = socket(AF_UNIX, SOCK_DGRAM, 0);

		if (sendto(tx, "one", 3, 0, (struct sockaddr *)&da, sizeof(da)) != 3 ||
		    sendto(tx, "two!", 4, 0, (struct sockaddr *)&da, sizeof(da)) != 4)
			return 2;
		close(tx);
	}
	usleep(50000); /* the child's messages are queued */
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	for (t = 0; t < 3; t++)
		bad |= check_queue(pv[t], t, "c2p");
	{
		char b[16];

		if (recv(dg, b, sizeof(b), MSG_DONTWAIT) != 3 || recv(dg, b, sizeof(b), MSG_DONTWAIT) != 4 ||
		    memcmp(b, "two!", 4))
			say("FAIL bound datagram socket queue\n"), bad = 1;
	}
	v = 0;
	l = sizeof(v);
	if (getsockopt(pv[0], SOL_SOCKET, SO_SNDBUF, &v, &l) || v != sb)
		say("FAIL SO_SNDBUF %d, was %d\n", v, sb), bad = 1;
	bad |= accept_once(&pa, sizeof(pa), lp);
	bad |= accept_once(&aa, alen, la);
	kill(c, SIGUSR1);
	{
		struct pollfd p = { pv[0], POLLIN, 0 };
		char r = 0;
		int st;

		if (poll(&p, 1, 5000) != 1 || read(pv[0], &r, 1) != 1 || r != 'K')
			say("FAIL the child's check\n"), bad = 1;
		waitpid(c, &st, 0);
	}
	finish(bad, "unix socket pairs, listeners and queues");
}
