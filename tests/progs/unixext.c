// SPDX-License-Identifier: GPL-2.0
/*
 * A unix socket connected outside the dumped tree.
 *   unixext listen PATH: a stream listener at PATH and a datagram socket at
 *     PATH.d (the "outside" process; never dumped);
 *   unixext stream PATH: connects a stream socket (fd 3) to PATH: a dump
 *     must refuse it, naming the peer;
 *   unixext dgram PATH: connects a datagram socket to PATH.d (fine with
 *     --ext-unix-sk); verify: a send on it still reaches that name;
 *   unixext rights PATH: a socket pair with an fd in flight (SCM_RIGHTS)
 *     on fd 4: a dump must refuse it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "progs.h"

int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX }, d = a;
	int fd;

	prog_init();
	if (argc < 3)
		return 2;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[2]);
	snprintf(d.sun_path, sizeof(d.sun_path), "%s.d", argv[2]);
	if (!strcmp(argv[1], "listen")) {
		int l = socket(AF_UNIX, SOCK_STREAM, 0), g = socket(AF_UNIX, SOCK_DGRAM, 0);

		unlink(a.sun_path);
		unlink(d.sun_path);
		if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4) ||
		    bind(g, (struct sockaddr *)&d, sizeof(d)))
			return 2;
		say("READY %d\n", getpid());
		for (;;) {
			char b[64];

			heartbeat();
			while (recv(g, b, sizeof(b), MSG_DONTWAIT) > 0)
				say("GOT %.4s\n", b);
			usleep(20000);
		}
	}
	if (!strcmp(argv[1], "rights")) {
		int sv[2], nul = open("/dev/null", O_RDONLY);
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { "f", 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || nul < 0)
			return 2;
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &nul, sizeof(int));
		if (sendmsg(sv[1], &mh, 0) != 1)
			return 2;
		say("READY %d\n", getpid());
		while (!verify_req) {
			heartbeat();
			usleep(20000);
		}
		finish(0, "fd in flight");
	}
	fd = socket(AF_UNIX, !strcmp(argv[1], "stream") ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)(!strcmp(argv[1], "stream") ? &a : &d),
			      sizeof(a)))
		return say("connect: %s\n", strerror(errno)), 2;
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	CHECK(send(fd, "ping", 4, 0) == 4, "send: %s", strerror(errno));
	finish(0, "unix socket connected outside the tree");
}
