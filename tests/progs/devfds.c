// SPDX-License-Identifier: GPL-2.0
/* /dev/zero, /dev/full, /dev/urandom and eventfd counters (normal and semaphore, non-blocking). */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>

#include "progs.h"

int main(void)
{
	int zero, full, urnd, ev, sem, i;
	uint64_t v;
	char buf[64];

	prog_init();
	zero = open("/dev/zero", O_RDONLY);
	full = open("/dev/full", O_WRONLY);
	urnd = open("/dev/urandom", O_RDONLY | O_NONBLOCK);
	ev = eventfd(0, EFD_NONBLOCK);
	sem = eventfd(3, EFD_SEMAPHORE);
	v = 1234567890123ULL; /* more than 32 bits */
	if (zero < 0 || full < 0 || urnd < 0 || ev < 0 || sem < 0 || write(ev, &v, 8) != 8)
		return 2;
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	memset(buf, 1, sizeof(buf));
	CHECK(read(zero, buf, sizeof(buf)) == sizeof(buf), "/dev/zero unreadable");
	for (i = 0; i < (int)sizeof(buf); i++)
		CHECK(!buf[i], "/dev/zero gave a non-zero byte");
	CHECK(write(full, "x", 1) < 0 && errno == ENOSPC, "/dev/full is not /dev/full");
	CHECK(read(urnd, buf, 16) == 16, "/dev/urandom unreadable");
	CHECK(fcntl(urnd, F_GETFL) & O_NONBLOCK, "O_NONBLOCK lost");
	CHECK(read(ev, &v, 8) == 8 && v == 1234567890123ULL, "eventfd counter is %llu", (unsigned long long)v);
	CHECK(read(ev, &v, 8) < 0 && errno == EAGAIN, "eventfd not non-blocking or not drained");
	for (i = 0; i < 3; i++)
		CHECK(read(sem, &v, 8) == 8 && v == 1, "semaphore eventfd read %d gave %llu", i,
		      (unsigned long long)v);
	fcntl(sem, F_SETFL, O_NONBLOCK);
	CHECK(read(sem, &v, 8) < 0 && errno == EAGAIN, "semaphore eventfd not at zero");
	say("PASS /dev/zero, /dev/full, /dev/urandom, eventfd counters\n");
	return 0;
}
