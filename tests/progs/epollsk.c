// SPDX-License-Identifier: GPL-2.0
/*
 * An epoll echo server with 100 clients: 50 over a unix stream listener
 * (abstract name) and 50 over TCP (ADDR PORT), the clients in a child.
 * The server serves every accepted connection from one epoll set; the
 * child sends a number on each connection in turn and checks each echo.
 *   epollsk ADDR PORT
 * Verify: the child must finish 20 more rounds (2000 echoes) in 10 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "progs.h"

#define N 50

static void __attribute__((noreturn)) clients(const struct sockaddr_un *ua, socklen_t ul,
					      const struct sockaddr_in *ta)
{
	int fds[2 * N], i;
	uint32_t round = 0, want = 0;
	uint64_t deadline = 0;
	struct timeval tv = { 5, 0 };

	for (i = 0; i < 2 * N; i++) {
		fds[i] = socket(i < N ? AF_UNIX : AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], i < N ? (const struct sockaddr *)ua :
					  (const struct sockaddr *)ta, i < N ? ul : sizeof(*ta)))
			_exit(2);
		setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	for (;; round++) {
		if (verify_req && !deadline) {
			want = round + 20;
			deadline = now_ms() + 10000;
		}
		if (deadline && round >= want)
			_exit(0);
		CHECK(!deadline || now_ms() < deadline, "clients: round %u of %u", round, want);
		for (i = 0; i < 2 * N; i++) {
			uint32_t v = round * 1000 + i;
			ssize_t n;

			/* a dump interrupts a call with a timeout (EINTR despite SA_RESTART) */
			while ((n = write(fds[i], &v, 4)) < 0 && errno == EINTR)
				;
			CHECK(n == 4, "client %d: write: %s", i, strerror(errno));
		}
		for (i = 0; i < 2 * N; i++) {
			uint32_t v = 0;
			ssize_t n;

			while ((n = read(fds[i], &v, 4)) < 0 && errno == EINTR)
				;
			CHECK(n == 4 && v == round * 1000 + i,
			      "client %d: echo %u, expected %u (%s)", i, v, round * 1000 + i,
			      strerror(errno));
		}
		usleep(5000);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un ua = { .sun_family = AF_UNIX };
	struct sockaddr_in ta = { .sin_family = AF_INET };
	socklen_t ul;
	int lu, lt, ep, i, one = 1, st;
	pid_t c;
	bool asked = false;

	prog_init();
	if (argc < 3)
		return 2;
	snprintf(ua.sun_path + 1, sizeof(ua.sun_path) - 1, "ckpt-epollsk-%d", getpid());
	ul = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(ua.sun_path + 1);
	inet_pton(AF_INET, argv[1], &ta.sin_addr);
	ta.sin_port = htons(atoi(argv[2]));
	lu = socket(AF_UNIX, SOCK_STREAM, 0);
	lt = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lt, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lu < 0 || lt < 0 || bind(lu, (struct sockaddr *)&ua, ul) || listen(lu, 128) ||
	    bind(lt, (struct sockaddr *)&ta, sizeof(ta)) || listen(lt, 128))
		return say("listen: %s\n", strerror(errno)), 2;
	c = fork();
	if (c == 0) {
		close(lu);
		close(lt);
		clients(&ua, ul, &ta);
	}
	ep = epoll_create1(0);
	for (i = 0; i < 2 * N; i++) {
		int s = accept(i < N ? lu : lt, NULL, NULL);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = s };

		if (s < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev))
			return 2;
	}
	say("READY %d\n", getpid());
	for (;;) {
		struct epoll_event evs[64];
		int n;

		heartbeat();
		if (verify_req && !asked) {
			asked = true;
			kill(c, SIGUSR1);
		}
		if (waitpid(c, &st, WNOHANG) == c)
			finish(!WIFEXITED(st) || WEXITSTATUS(st), "epoll server with 100 clients");
		n = epoll_wait(ep, evs, 64, 20);
		if (n < 0 && errno != EINTR)
			return 2;
		for (i = 0; i < n; i++) {
			uint8_t buf[256];
			ssize_t r = read(evs[i].data.fd, buf, sizeof(buf));

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0 && asked && waitpid(c, &st, 0) == c) /* the clients are done */
				finish(!WIFEXITED(st) || WEXITSTATUS(st), "epoll server with 100 clients");
			CHECK(r > 0, "server: read fd %d: %zd %s", evs[i].data.fd, r, strerror(errno));
			CHECK(write(evs[i].data.fd, buf, r) == r, "server: write: %s", strerror(errno));
		}
	}
}
