// SPDX-License-Identifier: GPL-2.0
/*
 * Spends its life blocked in sleeps, so a dump interrupts a syscall in
 * progress.  Two kinds, restarted differently by the kernel: a relative
 * nanosleep() (restart_syscall with the remaining time) and an absolute
 * clock_nanosleep(TIMER_ABSTIME) (issued again as it was).  After restore
 * no sleep may fail with EINTR or return before its time, and the loop
 * goes on.  A heartbeat follows each pair of sleeps (about 600 ms).
 */
#include <errno.h>

#include "progs.h"

#define SLEEP_NS 300000000LL

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void)
{
	unsigned long eintr = 0, early = 0, loops = 0;
	struct timespec ts;
	int64_t t0, deadline;
	int rc;

	prog_init();
	say("READY %d\n", getpid());
	while (!verify_req) {
		ts.tv_sec = 0;
		ts.tv_nsec = SLEEP_NS;
		t0 = mono_ns();
		rc = nanosleep(&ts, NULL);
		if (verify_req)
			break; /* SIGUSR1 legitimately cuts the sleep short */
		if (rc && errno == EINTR)
			eintr++;
		else if (mono_ns() - t0 < SLEEP_NS)
			early++;

		deadline = mono_ns() + SLEEP_NS;
		ts.tv_sec = deadline / 1000000000LL;
		ts.tv_nsec = deadline % 1000000000LL;
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (verify_req)
			break;
		if (rc == EINTR)
			eintr++;
		else if (mono_ns() < deadline)
			early++;
		say("HB %lu\n", ++loops);
	}
	CHECK(eintr == 0, "%lu sleeps failed with EINTR", eintr);
	CHECK(early == 0, "%lu sleeps returned before their time", early);
	say("PASS %lu loops of relative and absolute sleeps, no EINTR, none short\n", loops);
	return 0;
}
