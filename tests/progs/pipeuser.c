// SPDX-License-Identifier: GPL-2.0
/* Holds a pipe: a kind of fd this version refuses to dump. */
#include "progs.h"

int main(void)
{
	int p[2];

	prog_init();
	if (pipe(p))
		return 2;
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	say("PASS pipe fds %d %d\n", p[0], p[1]);
	return 0;
}
