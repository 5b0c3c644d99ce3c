// SPDX-License-Identifier: GPL-2.0
/*
 * Memory of every kind: N MiB (argv[1], default 256) of random data from a
 * seeded PRNG with its checksum, a 4 GiB sparse mapping with a few pages
 * touched at known offsets (the rest must stay unpopulated), a PROT_NONE
 * guard page holding data, an mprotect()ed read-only region, shared
 * anonymous memory, a page of zeros that was written (must come back as
 * zeros) and the brk heap.  Usage: mem256 [MiB]
 */
#include <fcntl.h>
#include <sys/mman.h>

#include "progs.h"

#define GiB (1ULL << 30)

/* Does the VMA starting at addr have these permissions?  (No malloc: brk must not move.) */
static int maps_has(void *addr, const char *perms)
{
	static char buf[1 << 16];
	char want[64], *line;
	int fd = open("/proc/self/maps", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	snprintf(want, sizeof(want), "\n%lx-", (unsigned long)addr);
	line = strstr(buf, want);
	return line && !strncmp(strchr(line, ' ') + 1, perms, 4);
}

/* Resident pages in [addr, addr + len), by mincore() in 64 MiB steps. */
static size_t resident(void *addr, size_t len)
{
	static unsigned char vec[16384];
	size_t n = 0, off, i, step = sizeof(vec) * 4096;

	for (off = 0; off < len; off += step) {
		size_t l = len - off < step ? len - off : step;

		if (mincore((char *)addr + off, l, vec))
			return ~(size_t)0;
		for (i = 0; i < (l + 4095) / 4096; i++)
			n += vec[i] & 1;
	}
	return n;
}

int main(int argc, char **argv)
{
	size_t size = (argc > 1 ? strtoull(argv[1], NULL, 0) : 256) << 20, i;
	uint64_t seed = 0x1234, sum, ro_sum, sh_sum, heap_sum, *big, *sparse, *ro, *sh, *zero, *heap;
	static const size_t sparse_off[] = { 0, 4096 * 7, 1ULL << 30, 3ULL << 30, 4 * GiB - 4096 };
	char *guard;
	void *brk0;

	prog_init();
	big = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sparse = mmap(NULL, 4 * GiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	guard = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sh = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	zero = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED || sparse == MAP_FAILED || guard == MAP_FAILED || ro == MAP_FAILED ||
	    sh == MAP_FAILED || zero == MAP_FAILED)
		return 2;
	for (i = 0; i < size / 8; i++)
		big[i] = xorshift(&seed);
	sum = sum64(big, size);
	for (i = 0; i < sizeof(sparse_off) / sizeof(sparse_off[0]); i++)
		sparse[sparse_off[i] / 8] = 0xabc0000 + i;
	/* The middle page of guard becomes PROT_NONE with data in it. */
	memset(guard + 4096, 0x5a, 4096);
	mprotect(guard + 4096, 4096, PROT_NONE);
	for (i = 0; i < 64 * 512; i++)
		ro[i] = xorshift(&seed);
	ro_sum = sum64(ro, 64 * 4096);
	mprotect(ro, 64 * 4096, PROT_READ);
	for (i = 0; i < 16 * 512; i++)
		sh[i] = xorshift(&seed);
	sh_sum = sum64(sh, 16 * 4096);
	memset(zero, 0, 4 * 4096);
	brk0 = sbrk(0);
	heap = sbrk(1 << 20);
	for (i = 0; i < (1 << 17); i++)
		heap[i] = xorshift(&seed);
	heap_sum = sum64(heap, 1 << 20);

	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	CHECK(sum64(big, size) == sum, "%zu MiB buffer checksum differs", size >> 20);
	/* Before anything reads it: a restore must not populate the sparse region
	 * (each touched page may have brought in a 2 MiB huge page). */
	i = resident(sparse, 4 * GiB);
	CHECK(i <= 4096, "%zu pages of the 4 GiB sparse mapping are resident", i);
	for (i = 0; i < sizeof(sparse_off) / sizeof(sparse_off[0]); i++)
		CHECK(sparse[sparse_off[i] / 8] == 0xabc0000 + i, "sparse page %zu lost", i);
	CHECK(sparse[4096] == 0, "untouched sparse memory is not zero");
	CHECK(maps_has(guard + 4096, "---p"), "PROT_NONE guard page is gone");
	mprotect(guard + 4096, 4096, PROT_READ);
	for (i = 0; i < 4096; i++)
		CHECK(guard[4096 + i] == 0x5a, "data under the PROT_NONE page differs");
	CHECK(maps_has(ro, "r--p"), "read-only region lost its protection");
	CHECK(sum64(ro, 64 * 4096) == ro_sum, "read-only region differs");
	CHECK(maps_has(sh, "rw-s"), "shared anonymous region is not shared");
	CHECK(sum64(sh, 16 * 4096) == sh_sum, "shared anonymous region differs");
	for (i = 0; i < 4 * 512; i++)
		CHECK(zero[i] == 0, "zero page is not zero");
	CHECK(sbrk(0) == (char *)brk0 + (1 << 20), "brk moved: %p, want %p", sbrk(0),
	      (void *)((char *)brk0 + (1 << 20)));
	CHECK(sum64(heap, 1 << 20) == heap_sum, "heap differs");
	say("PASS %zu MiB checksum %016llx, sparse, guard, ro, shared, zero, brk\n", size >> 20,
	    (unsigned long long)sum);
	return 0;
}
