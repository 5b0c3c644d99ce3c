// SPDX-License-Identifier: GPL-2.0
/*
 * File mappings: MAP_SHARED (writes reach the file) and MAP_PRIVATE
 * (copy-on-write pages differ from the file) of FILE, plus brk heap.
 * Usage: mapfile FILE   (FILE is created, 64 KiB)
 */
#include <fcntl.h>
#include <sys/mman.h>

#include "progs.h"

#define LEN (64 * 1024)

int main(int argc, char **argv)
{
	uint8_t *shared, *priv, file[LEN];
	uint64_t seed = 99, heap_sum;
	char *heap, *brk0;
	int fd, i;

	if (argc < 2)
		return 2;
	prog_init();
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	for (i = 0; i < LEN; i++)
		file[i] = i * 7;
	if (fd < 0 || write(fd, file, LEN) != LEN)
		return 2;
	shared = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	priv = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (shared == MAP_FAILED || priv == MAP_FAILED)
		return 2;
	memset(shared + 4096, 0xAB, 100);      /* reaches the file */
	memset(priv + 8192, 0xCD, 100);        /* private copy only */
	brk0 = sbrk(0);
	heap = sbrk(256 * 1024);
	for (i = 0; i < 256 * 1024; i++)
		heap[i] = xorshift(&seed);
	heap_sum = sum64(heap, 256 * 1024);
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	CHECK(sbrk(0) == brk0 + 256 * 1024, "brk differs");
	CHECK(sum64(heap, 256 * 1024) == heap_sum, "heap contents differ");
	for (i = 0; i < 100; i++) {
		CHECK(shared[4096 + i] == 0xAB, "shared mapping lost a write");
		CHECK(priv[8192 + i] == 0xCD, "private copy-on-write page lost");
	}
	CHECK(priv[4096] == 0xAB, "private mapping does not see the file's change");
	CHECK(shared[8192] == (uint8_t)(8192 * 7), "shared mapping sees a private write");
	/* The shared mapping is still the file itself. */
	shared[100] = 0x42;
	fd = open(argv[1], O_RDONLY);
	CHECK(fd >= 0 && pread(fd, file, LEN, 0) == LEN, "cannot read the file");
	CHECK(file[100] == 0x42 && file[4096] == 0xAB, "shared mapping is not backed by the file");
	CHECK(file[8192] == (uint8_t)(8192 * 7), "private write reached the file");
	say("PASS shared and private file mappings, brk heap\n");
	return 0;
}
