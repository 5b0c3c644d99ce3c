/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the end-to-end test programs.  Protocol (tests/e2e/run.sh):
 * the program sets up its state, prints "READY <pid>", then prints
 * "HB <n>" about every 100 ms while it works.  On SIGUSR1 it checks its
 * whole state and prints "PASS ..." (exit 0) or "FAIL <what>" (exit 1).
 * Output goes through write(2) so nothing buffered is printed twice.
 */
#ifndef CKPT_PROGS_H
#define CKPT_PROGS_H

#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t verify_req;

static inline void on_usr1(int sig)
{
	(void)sig;
	verify_req = 1;
}

static inline __attribute__((format(printf, 1, 2))) void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (write(1, buf, n) < 0)
		_exit(3);
}

/* Close inherited fds (the runner's), install the SIGUSR1 verifier. */
static inline void prog_init(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };

	syscall(SYS_close_range, 3, ~0U, 0);
	sigaction(SIGUSR1, &sa, NULL);
}

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Print "HB n" at most every 100 ms. */
static inline void heartbeat(void)
{
	static uint64_t n, last;
	uint64_t t = now_ms();

	if (t - last >= 100) {
		last = t;
		say("HB %llu\n", (unsigned long long)++n);
	}
}

/* Fast checksum for large buffers, FNV-like over 64-bit words (len: a multiple of 8). */
static inline uint64_t sum64(const void *p, size_t len)
{
	const uint64_t *w = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	size_t i;

	for (i = 0; i < len / 8; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL + (h >> 29);
	return h;
}

static inline uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static inline void finish(int failures, const char *what)
{
	if (failures) {
		say("FAIL %s\n", what);
		exit(1);
	}
	say("PASS %s\n", what);
	exit(0);
}

#define CHECK(cond, ...)                                   \
	do {                                               \
		if (!(cond)) {                             \
			char m_[256];                      \
			snprintf(m_, sizeof(m_), __VA_ARGS__); \
			finish(1, m_);                     \
		}                                          \
	} while (0)

#endif
