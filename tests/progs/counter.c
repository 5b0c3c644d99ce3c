// SPDX-License-Identifier: GPL-2.0
/* Demo program: a counter and a 1 MiB buffer whose checksum it keeps up to date. */
#include "progs.h"

#define SIZE (1 << 20)

int main(void)
{
	static uint64_t buf[SIZE / 8];
	uint64_t count = 0, seed = 42, sum;
	size_t i;

	prog_init();
	for (i = 0; i < SIZE / 8; i++)
		buf[i] = xorshift(&seed);
	sum = sum64(buf, SIZE);
	say("READY %d\n", getpid());
	while (!verify_req) {
		/* Change a word, update the checksum, and check it every tick. */
		buf[count % (SIZE / 8)] = xorshift(&seed);
		sum = sum64(buf, SIZE);
		count++;
		if (sum64(buf, SIZE) != sum)
			finish(1, "checksum drifted");
		heartbeat();
		usleep(20000);
	}
	CHECK(sum64(buf, SIZE) == sum, "buffer checksum mismatch after %llu ticks",
	      (unsigned long long)count);
	say("PASS counter=%llu checksum=%016llx\n", (unsigned long long)count,
	    (unsigned long long)sum);
	return 0;
}
