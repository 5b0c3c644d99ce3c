// SPDX-License-Identifier: GPL-2.0
/* Holds a socket pair: a kind of fd this version refuses to dump. */
#include <sys/socket.h>

#include "progs.h"

int main(void)
{
	int sv[2];

	prog_init();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 2;
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	say("PASS socket fds %d %d\n", sv[0], sv[1]);
	return 0;
}
