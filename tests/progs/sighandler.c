// SPDX-License-Identifier: GPL-2.0
/*
 * Spends most of its time inside a SIGALRM handler running on an alternate
 * signal stack, so a dump usually lands in the handler: after restore the
 * handler must finish and return (sigreturn) into the interrupted code.
 */
#include <sys/time.h>

#include "progs.h"

static volatile uint64_t in_handler, handled, main_work, work_sum;
static uint8_t altstack[64 * 1024];

static void on_alrm(int sig)
{
	volatile uint64_t acc = 0;
	uint64_t i;
	int local = sig;

	in_handler = 1;
	for (i = 0; i < 15 * 1000 * 1000; i++)
		acc += i ^ (acc >> 3);
	/* Our frame must be on the alternate stack. */
	if ((uint8_t *)&local < altstack || (uint8_t *)&local >= altstack + sizeof(altstack))
		say("FAIL handler not on the alternate stack\n"), _exit(1);
	work_sum += acc & 0xff;
	handled++;
	in_handler = 0;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alrm, .sa_flags = SA_ONSTACK | SA_RESTART };
	struct itimerval it = { { 0, 100000 }, { 0, 100000 } };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) }, cur;
	uint64_t check = 0, seen = 0;

	prog_init();
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
			say("HB %llu\n", (unsigned long long)handled);
		}
	}
	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	sigaltstack(NULL, &cur);
	CHECK(cur.ss_sp == altstack && cur.ss_size == sizeof(altstack), "sigaltstack lost");
	CHECK(handled > 0 && check == main_work * 3, "handled %llu", (unsigned long long)handled);
	say("PASS %llu handler runs, main flow intact\n", (unsigned long long)handled);
	return 0;
}
