// SPDX-License-Identifier: GPL-2.0
/*
 * A numbered stream over TCP, checked at both ends.
 *   tcpstream server ADDR PORT: listens (kept open), accepts one client,
 *     reads slowly (so bytes wait in the queues) and echoes everything back;
 *     (a 4th argument: MiB of memory to fill, for a longer dump);
 *   tcpstream client ADDR PORT: sends consecutive 32-bit numbers, at most
 *     256 KiB ahead of the echoes, and checks the echoes.
 * Each end checks that the numbers it receives are consecutive: a lost,
 * repeated or reordered byte, a reset or an end of file is a FAIL at once.
 * Verify (SIGUSR1): 20000 more numbers must arrive within 10 s; PASS is
 * printed and the stream goes on (an exit would reset the other end).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "progs.h"

static int parse_addr(const char *a, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	return -1;
}

static uint32_t next_in; /* the next number expected */
static uint8_t part[4];
static size_t n_part;

static void check_in(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		part[n_part++] = p[i];
		if (n_part == 4) {
			uint32_t v;

			memcpy(&v, part, 4);
			CHECK(v == next_in, "stream broken: got %u, expected %u", v, next_in);
			next_in++;
			n_part = 0;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam, lfd = -1, fd, server, one = 1;
	static uint8_t out[1 << 20];
	size_t out_len = 0;
	uint32_t next_out = 0, want = 0;
	uint64_t deadline = 0;

	prog_init();
	signal(SIGPIPE, SIG_IGN); /* a write to a closed connection fails with EPIPE */
	if (argc < 4 || (fam = parse_addr(argv[2], atoi(argv[3]), &ss, &len)) < 0)
		return 2;
	server = !strcmp(argv[1], "server");
	if (argc > 4 && atoi(argv[4]) > 0) { /* MiB of memory, for a longer dump */
		size_t mb = atoi(argv[4]);
		char *m = malloc(mb << 20);

		if (!m)
			return 2;
		memset(m, 1, mb << 20);
	}
	if (server) {
		lfd = socket(fam, SOCK_STREAM, 0);
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 4))
			return say("server: %s\n", strerror(errno)), 2;
		say("READY %d\n", getpid());
		for (fd = -1; fd < 0;) { /* heartbeats while no client came */
			struct pollfd p = { lfd, POLLIN, 0 };

			heartbeat();
			if (poll(&p, 1, 20) == 1)
				fd = accept(lfd, NULL, NULL);
		}
	} else {
		fd = socket(fam, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len))
			return say("client: %s\n", strerror(errno)), 2;
		say("READY %d\n", getpid());
	}
	if (fd < 0)
		return 2;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		uint8_t buf[65536];
		ssize_t n;

		heartbeat();
		if (verify_req && !deadline) {
			want = next_in + 20000;
			deadline = now_ms() + 10000;
		}
		if (deadline && (int32_t)(next_in - want) >= 0) {
			/* keep going: the other end may still be checking */
			say("PASS %s: %u numbers in order\n", server ? "server" : "client", next_in);
			deadline = 0;
			verify_req = 0;
			continue;
		}
		CHECK(!deadline || now_ms() < deadline, "stream stalled at %u (wanted %u)", next_in,
		      want);
		if (!server && out_len == 0 && next_out - next_in < 65536) {
			for (; out_len < 16384; out_len += 4, next_out++)
				memcpy(out + out_len, &next_out, 4);
		}
		if (out_len)
			p.events |= POLLOUT;
		if (poll(&p, 1, server ? 2 : 10) < 0 && errno != EINTR)
			return 2;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, buf, server ? 1024 : sizeof(buf));
			CHECK(n != 0, "end of file at %u", next_in);
			CHECK(n > 0 || errno == EAGAIN || errno == EINTR, "read at %u: %s", next_in,
			      strerror(errno));
			if (n > 0) {
				check_in(buf, n);
				if (server) {
					memcpy(out + out_len, buf, n);
					out_len += n;
				}
			}
		}
		if (out_len && (p.revents & POLLOUT)) {
			n = write(fd, out, out_len);
			CHECK(n > 0 || errno == EAGAIN || errno == EINTR, "write at %u: %s", next_out,
			      strerror(errno));
			if (n > 0) {
				memmove(out, out + n, out_len - n);
				out_len -= n;
			}
		}
		if (server && out_len > sizeof(out) - sizeof(buf)) {
			/* the client reads everything: wait for room */
			p = (struct pollfd){ fd, POLLOUT, 0 };
			poll(&p, 1, 100);
		}
	}
}
