// SPDX-License-Identifier: GPL-2.0
/*
 * Demo program: a counter and a 1 MiB buffer of PRNG words.  Each tick it
 * checks the buffer against the checksum it keeps, then replaces one word
 * and updates the checksum.  On SIGUSR1 it replays every tick from the seed:
 * the buffer must be exactly what "counter" ticks produce.
 */
#include "progs.h"

#define WORDS ((1 << 20) / 8)
#define SEED 42

static uint64_t buf[WORDS], replay[WORDS];

/* The buffer after n ticks, computed from scratch. */
static void build(uint64_t *b, uint64_t n)
{
	uint64_t seed = SEED, i;

	for (i = 0; i < WORDS; i++)
		b[i] = xorshift(&seed);
	for (i = 0; i < n; i++)
		b[i % WORDS] = xorshift(&seed);
}

int main(void)
{
	uint64_t count = 0, seed = SEED, sum, i;

	prog_init();
	for (i = 0; i < WORDS; i++)
		buf[i] = xorshift(&seed);
	sum = sum64(buf, sizeof(buf));
	say("READY %d\n", getpid());
	while (!verify_req) {
		CHECK(sum64(buf, sizeof(buf)) == sum, "buffer checksum differs at tick %llu",
		      (unsigned long long)count);
		buf[count % WORDS] = xorshift(&seed);
		sum = sum64(buf, sizeof(buf));
		count++;
		heartbeat();
		usleep(20000);
	}
	CHECK(sum64(buf, sizeof(buf)) == sum, "buffer checksum mismatch after %llu ticks",
	      (unsigned long long)count);
	build(replay, count);
	CHECK(!memcmp(buf, replay, sizeof(buf)), "buffer is not what %llu ticks make",
	      (unsigned long long)count);
	say("PASS counter=%llu checksum=%016llx\n", (unsigned long long)count, (unsigned long long)sum);
	return 0;
}
