// SPDX-License-Identifier: GPL-2.0
/* Spends its life in nanosleep: an interrupted sleep must be restarted, not fail with EINTR. */
#include <errno.h>

#include "progs.h"

int main(void)
{
	unsigned long eintr = 0, loops = 0;

	prog_init();
	say("READY %d\n", getpid());
	while (!verify_req) {
		struct timespec ts = { 0, 150 * 1000 * 1000 };

		if (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL) == EINTR && !verify_req)
			eintr++;
		if (nanosleep(&ts, NULL) && errno == EINTR && !verify_req)
			eintr++;
		loops++;
		say("HB %lu\n", loops);
	}
	CHECK(eintr == 0, "%lu sleeps failed with EINTR", eintr);
	say("PASS loops=%lu\n", loops);
	return 0;
}
