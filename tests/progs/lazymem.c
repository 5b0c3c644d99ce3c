// SPDX-License-Identifier: GPL-2.0
/*
 * For lazy restore: argv[1] MiB (default 256) of random data in four
 * parts, each with its checksum.  On SIGUSR1, as soon as it is restored
 * (pages still arriving), it changes its layout the ways a lazy pages
 * server must follow, then checks everything:
 *  - part 0: forks; the child checksums it (its pages come through the
 *    child's own userfaultfd) while the parent writes part 0 afterwards;
 *  - part 1: MADV_DONTNEED on its first half, which must read as zeros
 *    (never the image's bytes), the second half intact;
 *  - part 2: mremap()ed elsewhere: its bytes move with it;
 *  - part 3: munmap()ed half, mapped again fresh: zeros there.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "progs.h"

static int all_zero(const uint64_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (p[i])
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	size_t size = (argc > 1 ? strtoull(argv[1], NULL, 0) : 256) << 20, part = size / 4, i;
	uint64_t seed = 99, sum[4], sum1b, sum3b, *mem, *moved, *p3;
	pid_t kid;
	int st;

	prog_init();
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 2;
	for (i = 0; i < size / 8; i++)
		mem[i] = xorshift(&seed);
	for (i = 0; i < 4; i++)
		sum[i] = sum64((char *)mem + i * part, part);
	sum1b = sum64((char *)mem + part + part / 2, part / 2);
	sum3b = sum64((char *)mem + 3 * part + part / 2, part / 2);
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	kid = fork();
	if (kid == 0)
		_exit(sum64(mem, part) == sum[0] ? 0 : 1);
	CHECK(kid > 0, "fork");
	memset(mem, 0x77, 4096); /* the parent's write, after the fork */
	CHECK(!madvise((char *)mem + part, part / 2, MADV_DONTNEED), "madvise");
	moved = mmap(NULL, part, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(moved != MAP_FAILED, "mmap");
	moved = mremap((char *)mem + 2 * part, part, part, MREMAP_MAYMOVE | MREMAP_FIXED, moved);
	CHECK(moved != MAP_FAILED, "mremap");
	p3 = (uint64_t *)((char *)mem + 3 * part);
	CHECK(!munmap(p3, part / 2) &&
	      mmap(p3, part / 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		   -1, 0) == p3, "munmap/mmap");
	CHECK(waitpid(kid, &st, 0) == kid && WIFEXITED(st) && !WEXITSTATUS(st),
	      "the forked child saw other bytes in part 0 (status 0x%x)", st);
	CHECK(all_zero((uint64_t *)((char *)mem + part), part / 2),
	      "MADV_DONTNEED memory is not zero");
	CHECK(sum64((char *)mem + part + part / 2, part / 2) == sum1b,
	      "the half of part 1 kept differs");
	CHECK(sum64(moved, part) == sum[2], "mremap()ed memory differs");
	CHECK(all_zero(p3, part / 2), "memory mapped again is not zero");
	CHECK(sum64((char *)p3 + part / 2, part / 2) == sum3b, "the half of part 3 kept differs");
	CHECK(mem[0] == 0x7777777777777777ULL, "the parent's own write is lost");
	say("PASS lazy: fork, MADV_DONTNEED, mremap, munmap while pages arrive; %zu MiB\n",
	    size >> 20);
	return 0;
}
