// SPDX-License-Identifier: GPL-2.0
/*
 * Mapped memfds shared by a parent and its child: M1 ("ckpt-m1", 20000
 * bytes: not a page multiple) stays open as fd and mapped; M2 ("ckpt-m2",
 * 1 MiB) is mapped, its fd closed, and mapped again at an offset.  The child
 * keeps incrementing a counter in each.  After restore the parent checks
 * the bytes, that M1's fd and mapping are one object (a write through the
 * mapping is read back through the fd), that M2's two mappings are one
 * object, the names in /proc/self/maps, and that both counters still move:
 * parent and child share the objects.
 */

#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "progs.h"

#define M1_SIZE 20000
#define M2_SIZE (1024 * 1024)

static uint8_t pat(size_t i, unsigned int seed)
{
	return (uint8_t)((i * 13 + seed) ^ (i >> 10));
}

static int maps_has(const char *what)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return n;
}

int main(void)
{
	uint8_t *m1, *m2, *m2b, b;
	pid_t parent = getpid(), child;
	uint64_t a0, a1, b0, b1;
	int fd1, fd2;
	size_t i;

	prog_init();
	fd1 = memfd_create("ckpt-m1", MFD_CLOEXEC);
	fd2 = memfd_create("ckpt-m2", 0);
	if (fd1 < 0 || fd2 < 0 || ftruncate(fd1, M1_SIZE) || ftruncate(fd2, M2_SIZE))
		return 2;
	m1 = mmap(NULL, 8192 * 3, PROT_READ | PROT_WRITE, MAP_SHARED, fd1, 0);
	m2 = mmap(NULL, M2_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	m2b = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd2, 65536);
	if (m1 == MAP_FAILED || m2 == MAP_FAILED || m2b == MAP_FAILED)
		return 2;
	close(fd2);
	for (i = 8; i < M1_SIZE; i++)
		m1[i] = pat(i, 1);
	for (i = 8; i < M2_SIZE; i += 7)
		m2[i] = pat(i, 2);
	child = fork();
	if (child < 0)
		return 2;
	if (!child) {
		while (getppid() == parent) {
			atomic_fetch_add((_Atomic uint64_t *)m1, 1);
			atomic_fetch_add((_Atomic uint64_t *)m2, 1);
			usleep(10000);
		}
		_exit(0);
	}
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	for (i = 8; i < M1_SIZE && m1[i] == pat(i, 1); i++)
		;
	CHECK(i == M1_SIZE, "memfd 1 differs at byte %zu", i);
	for (i = 8; i < M2_SIZE && (i % 7 != 1 || m2[i] == pat(i, 2)); i++)
		;
	CHECK(i == M2_SIZE, "memfd 2 differs at byte %zu", i);
	m1[100] = 0xa5;
	CHECK(pread(fd1, &b, 1, 100) == 1 && b == 0xa5, "memfd 1: fd and mapping are two objects");
	CHECK(lseek(fd1, 0, SEEK_END) == M1_SIZE, "memfd 1 changed size");
	m2[65536 + 5] = 0x5a;
	CHECK(m2b[5] == 0x5a, "memfd 2: its two mappings are two objects");
	CHECK(maps_has("/memfd:ckpt-m1 (deleted)") == 1 && maps_has("/memfd:ckpt-m2 (deleted)") == 2,
	      "memfd names in /proc/self/maps changed");
	a0 = atomic_load((_Atomic uint64_t *)m1);
	b0 = atomic_load((_Atomic uint64_t *)m2);
	usleep(200000);
	a1 = atomic_load((_Atomic uint64_t *)m1);
	b1 = atomic_load((_Atomic uint64_t *)m2);
	CHECK(a1 > a0 && b1 > b0, "the child no longer writes the parent's memfds (%llu %llu)",
	      (unsigned long long)a1, (unsigned long long)b1);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	say("PASS mapped memfds: bytes, fd and mappings one object, shared with the child\n");
	return 0;
}
