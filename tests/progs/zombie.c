// SPDX-License-Identifier: GPL-2.0
/* Has a child that exited and was not reaped: a zombie, which a dump refuses. */
#include <sys/wait.h>

#include "progs.h"

int main(void)
{
	pid_t child;
	int status;

	prog_init();
	child = fork();
	if (child == 0)
		_exit(7);
	usleep(50000);
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	CHECK(waitpid(child, &status, 0) == child && WEXITSTATUS(status) == 7, "zombie child lost");
	say("PASS zombie child %d reaped with status 7\n", child);
	return 0;
}
