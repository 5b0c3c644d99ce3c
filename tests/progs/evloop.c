// SPDX-License-Identifier: GPL-2.0
/*
 * An event loop: epoll A waits on a periodic timerfd (20 ms); epoll B
 * watches an eventfd holding 5 and a signalfd for SIGUSR2 (blocked), each
 * with its own data tag.  After restore: the timer still ticks at its
 * interval, B reports the eventfd (count 5) by its tag, a SIGUSR2 arrives
 * through the signalfd by its tag, and flags are as they were.
 */
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "progs.h"

#define TAG_TIMER 0x71
#define TAG_EFD 0xe0e0e0e0e0ULL
#define TAG_SIG 0x5151

static int epa, tfd;
static uint64_t ticks;

static void pump(int ms)
{
	struct epoll_event ev;
	uint64_t n;

	if (epoll_wait(epa, &ev, 1, ms) == 1 && ev.data.u64 == TAG_TIMER &&
	    read(tfd, &n, 8) == 8)
		ticks += n;
}

int main(void)
{
	struct itimerspec its = { .it_interval = { 0, 20000000 }, .it_value = { 0, 20000000 } }, cur;
	struct epoll_event ev, out[2];
	struct signalfd_siginfo si;
	uint64_t v = 5, t0;
	int epb, efd, sfd, n, i, got_efd = 0;
	sigset_t set;

	prog_init();
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	efd = eventfd(0, EFD_NONBLOCK);
	epa = epoll_create1(EPOLL_CLOEXEC);
	epb = epoll_create1(0);
	if (tfd < 0 || sfd < 0 || efd < 0 || epa < 0 || epb < 0 || timerfd_settime(tfd, 0, &its, NULL) ||
	    write(efd, &v, 8) != 8)
		return 2;
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = TAG_TIMER };
	if (epoll_ctl(epa, EPOLL_CTL_ADD, tfd, &ev))
		return 2;
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = TAG_EFD };
	if (epoll_ctl(epb, EPOLL_CTL_ADD, efd, &ev))
		return 2;
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = TAG_SIG };
	if (epoll_ctl(epb, EPOLL_CTL_ADD, sfd, &ev))
		return 2;
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		pump(50);
	}
	t0 = ticks;
	for (i = 0; i < 20; i++)
		pump(50);
	CHECK(ticks - t0 >= 5, "the timerfd no longer ticks (%llu in ~400 ms)",
	      (unsigned long long)(ticks - t0));
	CHECK(!timerfd_gettime(tfd, &cur) && cur.it_interval.tv_sec == 0 &&
	      cur.it_interval.tv_nsec == 20000000, "timerfd interval changed");
	CHECK(fcntl(tfd, F_GETFL) & O_NONBLOCK, "timerfd lost O_NONBLOCK");
	n = epoll_wait(epb, out, 2, 0);
	for (i = 0; i < n; i++)
		got_efd |= out[i].data.u64 == TAG_EFD;
	CHECK(n == 1 && got_efd, "epoll B: %d events, eventfd tag %sseen", n, got_efd ? "" : "not ");
	CHECK(read(efd, &v, 8) == 8 && v == 5, "eventfd count %llu", (unsigned long long)v);
	CHECK(epoll_wait(epb, out, 2, 0) == 0, "epoll B reports a drained eventfd");
	kill(getpid(), SIGUSR2);
	n = epoll_wait(epb, out, 2, 1000);
	CHECK(n == 1 && out[0].data.u64 == TAG_SIG, "SIGUSR2 not reported through the signalfd tag");
	CHECK(read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR2,
	      "signalfd gave signal %u", si.ssi_signo);
	say("PASS timerfd ticks, epoll tags, eventfd count and signalfd mask kept\n");
	return 0;
}
