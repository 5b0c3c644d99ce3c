// SPDX-License-Identifier: GPL-2.0
/* Exits with the status given in argv[1] when asked (SIGUSR1): restore returns it. */
#include "progs.h"

int main(int argc, char **argv)
{
	int code = argc > 1 ? atoi(argv[1]) : 0;

	prog_init();
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	say("PASS exiting with %d\n", code);
	return code;
}
