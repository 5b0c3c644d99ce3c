// SPDX-License-Identifier: GPL-2.0
/* Benchmark target: N MiB of touched, incompressible memory, then idle. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t n = (argc > 1 ? strtoull(argv[1], NULL, 0) : 64) << 20, i;
	uint64_t x = 88172645463325252ULL, *p;

	syscall(SYS_close_range, 3, ~0U, 0);
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (i = 0; i < n / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
	printf("READY %d\n", getpid());
	fflush(stdout);
	for (;;)
		pause();
}
