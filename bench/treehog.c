// SPDX-License-Identifier: GPL-2.0
/* Benchmark target: a tree of P processes x T threads sharing M MiB of anonymous memory. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void threads(int n)
{
	pthread_t t;
	int i;

	for (i = 1; i < n; i++)
		pthread_create(&t, NULL, idle, NULL);
}

int main(int argc, char **argv)
{
	int procs = argc > 1 ? atoi(argv[1]) : 16, nthreads = argc > 2 ? atoi(argv[2]) : 4, i;
	size_t mib = argc > 3 ? strtoull(argv[3], NULL, 0) : 1024, k;
	uint64_t *shm, x = 88172645463325252ULL;

	syscall(SYS_close_range, 3, ~0U, 0);
	shm = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		return 1;
	for (k = 0; k < (mib << 20) / 8; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		shm[k] = x;
	}
	for (i = 1; i < procs; i++)
		if (fork() == 0) {
			threads(nthreads);
			idle(NULL);
		}
	threads(nthreads);
	usleep(200000);
	printf("READY %d\n", getpid());
	fflush(stdout);
	idle(NULL);
	return 0;
}
