// SPDX-License-Identifier: GPL-2.0
/*
 * UDP across a dump: socket A bound to ADDR (any port), socket B connected
 * to A.  Every 10 ms B sends a numbered datagram, A answers it to the
 * sender's address, B checks the answer.  Datagrams may be lost while the
 * process is frozen, but never reordered, repeated or changed.
 *   udpsk ADDR   (127.0.0.1 or ::1)
 * Verify: 30 more answers within 5 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "progs.h"

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 }, from;
	socklen_t len, fl;
	int fam, a, b;
	uint32_t next = 1, last_a = 0, last_b = 0, got = 0, want = 0;
	uint64_t deadline = 0, last_send = 0;

	prog_init();
	if (argc < 2)
		return 2;
	if (inet_pton(AF_INET, argv[1], &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		fam = AF_INET;
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[1], &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		fam = AF_INET6;
		len = sizeof(struct sockaddr_in6);
	} else {
		return 2;
	}
	ss.ss_family = fam;
	a = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	b = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (a < 0 || b < 0 || bind(a, (struct sockaddr *)&ss, len) ||
	    getsockname(a, (struct sockaddr *)&ss, &len) || connect(b, (struct sockaddr *)&ss, len))
		return say("setup: %s\n", strerror(errno)), 2;
	say("READY %d\n", getpid());
	for (;;) {
		uint32_t v;

		heartbeat();
		if (verify_req && !deadline) {
			want = got + 30;
			deadline = now_ms() + 5000;
		}
		if (deadline && got >= want)
			break;
		CHECK(!deadline || now_ms() < deadline, "only %u answers (wanted %u)", got, want);
		if (now_ms() - last_send >= 10) {
			last_send = now_ms();
			CHECK(send(b, &next, 4, 0) == 4 || errno == EAGAIN || errno == ECONNREFUSED,
			      "send: %s", strerror(errno));
			next++;
		}
		fl = sizeof(from);
		while (recvfrom(a, &v, 4, 0, (struct sockaddr *)&from, &fl) == 4) {
			CHECK(v > last_a, "A got %u after %u", v, last_a);
			last_a = v;
			sendto(a, &v, 4, 0, (struct sockaddr *)&from, fl);
			fl = sizeof(from);
		}
		while (recv(b, &v, 4, 0) == 4) {
			CHECK(v > last_b && v < next, "B got %u after %u", v, last_b);
			last_b = v;
			got++;
		}
		usleep(2000);
	}
	finish(0, "UDP bound and connected sockets");
}
