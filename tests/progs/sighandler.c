// SPDX-License-Identifier: GPL-2.0
/*
 * Spends most of its time inside a SIGALRM handler running on an alternate
 * signal stack, so a dump usually lands in the handler: after restore the
 * handler must finish its computation with the same result as every other
 * run and return (sigreturn) into the interrupted main flow, whose own
 * state must be intact.  The main flow re-arms a 20 ms one-shot timer after
 * each handler run, so it always gets its turn however slow the machine.
 * A handler run that finds the process CPU clock behind where it started
 * was restored in the middle (a new process starts that clock from zero):
 * the main flow then prints "ACROSS <n>".
 */
#include <sys/time.h>

#include "progs.h"

#define ITERATIONS (50 * 1000 * 1000) /* about 60 ms */

static volatile uint64_t handled, across, main_work;
static volatile int wrong_result, wrong_stack;
static uint64_t expect;
static uint8_t altstack[64 * 1024];

static uint64_t compute(void)
{
	volatile uint64_t acc = 0;
	uint64_t i;

	for (i = 0; i < ITERATIONS; i++)
		acc += i ^ (acc >> 3);
	return acc;
}

static uint64_t cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static void on_alrm(int sig)
{
	uint64_t t0 = cpu_us();
	int local = sig;

	if (compute() != expect)
		wrong_result = 1;
	if ((uint8_t *)&local < altstack || (uint8_t *)&local >= altstack + sizeof(altstack))
		wrong_stack = 1;
	if (cpu_us() < t0)
		across++;
	handled++;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alrm, .sa_flags = SA_ONSTACK | SA_RESTART };
	struct itimerval it = { { 0, 0 }, { 0, 20000 } }, off = { { 0, 0 }, { 0, 0 } };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) }, cur;
	uint64_t check = 0, seen = 0, seen_across = 0;

	prog_init();
	expect = compute();
	/* Used enough CPU time that a restored run cannot catch up with it. */
	CHECK(compute() == expect, "the computation is not deterministic");
	sigaltstack(&ss, NULL);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	say("READY %d\n", getpid());
	while (!verify_req) {
		main_work++;
		check += 3;
		if (check != main_work * 3)
			finish(1, "main flow state corrupted");
		if (handled != seen) {
			seen = handled;
			if (across != seen_across)
				say("ACROSS %llu\n", (unsigned long long)(seen_across = across));
			heartbeat();
			setitimer(ITIMER_REAL, &it, NULL);
		}
	}
	setitimer(ITIMER_REAL, &off, NULL);
	sigaltstack(NULL, &cur);
	CHECK(!wrong_result, "a handler run computed a wrong result");
	CHECK(!wrong_stack, "a handler ran off the alternate stack");
	CHECK(cur.ss_sp == altstack && cur.ss_size == sizeof(altstack), "sigaltstack lost");
	CHECK(handled > 0 && check == main_work * 3, "main flow: %llu, want %llu after %llu handler runs",
	      (unsigned long long)check, (unsigned long long)main_work * 3, (unsigned long long)handled);
	say("PASS %llu handler runs (%llu restored inside), main flow intact\n", (unsigned long long)handled,
	    (unsigned long long)across);
	return 0;
}
