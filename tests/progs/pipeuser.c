// SPDX-License-Identifier: GPL-2.0
/* A pipe with bytes in flight: after restore they are still there, in order, and it still works. */
#include <fcntl.h>

#include "progs.h"

int main(void)
{
	static const char first[] = "in flight across the checkpoint";
	char buf[128];
	int p[2];

	prog_init();
	if (pipe2(p, O_NONBLOCK) || write(p[1], first, sizeof(first)) != sizeof(first))
		return 2;
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	CHECK(read(p[0], buf, sizeof(buf)) == sizeof(first) && !memcmp(buf, first, sizeof(first)),
	      "bytes in flight lost");
	CHECK(read(p[0], buf, 1) < 0, "more bytes than were written, or read end blocking");
	CHECK(write(p[1], "again", 5) == 5 && read(p[0], buf, 5) == 5 && !memcmp(buf, "again", 5),
	      "the pipe does not carry new data");
	CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK, "O_NONBLOCK lost");
	say("PASS pipe kept its bytes in flight and works\n");
	return 0;
}
