// SPDX-License-Identifier: GPL-2.0
/*
 * Timers: a periodic POSIX timer signalling with a value, a one-shot one an
 * hour away (SIGEV_NONE), one aimed at the main thread (SIGEV_THREAD_ID),
 * and alarm().  After restore the same timer IDs work, keep their period,
 * value and remaining time.
 */
#include <errno.h>
#include <sys/syscall.h>

#include "progs.h"

static volatile int ticks, bad_value, thread_ticks;

static void on_tick(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	if (si->si_value.sival_int != 77)
		bad_value = 1;
	ticks++;
}

static void on_thread_tick(int sig)
{
	(void)sig;
	thread_ticks++;
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_tick, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 1 };
	struct itimerspec per = { { 0, 50000000 }, { 0, 50000000 } }, hour = { { 0, 0 }, { 3600, 0 } };
	struct itimerspec cur;
	timer_t t1, t2, t3;
	int before, tb, left;

	prog_init();
	sigaction(SIGRTMIN + 1, &sa, NULL);
	signal(SIGRTMIN + 2, on_thread_tick);
	sev.sigev_value.sival_int = 77;
	if (timer_create(CLOCK_MONOTONIC, &sev, &t1))
		return 2;
	sev.sigev_notify = SIGEV_NONE;
	if (timer_create(CLOCK_REALTIME, &sev, &t2))
		return 2;
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGRTMIN + 2;
	sev._sigev_un._tid = syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &t3))
		return 2;
	timer_settime(t1, 0, &per, NULL);
	timer_settime(t2, 0, &hour, NULL);
	timer_settime(t3, 0, &per, NULL);
	alarm(1000);
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	before = ticks;
	tb = thread_ticks;
	for (uint64_t end = now_ms() + 300; now_ms() < end;)
		usleep(10000); /* signals cut sleeps short */
	CHECK(ticks > before + 2, "periodic POSIX timer stopped (%d -> %d)", before, ticks);
	CHECK(thread_ticks > tb + 2, "thread-directed timer stopped");
	CHECK(!bad_value, "timer signal lost its sigev_value");
	CHECK(!timer_gettime(t1, &cur) && cur.it_interval.tv_nsec == 50000000, "timer 1 lost its period");
	CHECK(!timer_gettime(t2, &cur) && cur.it_value.tv_sec > 3000 && cur.it_value.tv_sec < 3600,
	      "one-shot timer has %lds left", (long)cur.it_value.tv_sec);
	left = alarm(0);
	CHECK(left > 900 && left <= 1000, "alarm has %d s left", left);
	say("PASS POSIX timers (ids, period, value, thread target, remaining) and alarm\n");
	return 0;
}
