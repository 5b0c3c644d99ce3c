// SPDX-License-Identifier: GPL-2.0
/*
 * Threads: four workers, each with its own TLS value, name, blocked mask,
 * ymm register pattern and counter, checked on every iteration.  After
 * restore the main thread stops them and pthread_join()s them, which needs
 * each thread's clear_child_tid to be back.
 * threads [FILE]: the counters live in FILE (MAP_SHARED), which the test
 * reads to see whether a thread ran while the process should not have.
 */
#include <pthread.h>
#include <immintrin.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "progs.h"

#define N 8

static __thread uint64_t tls_id;
static volatile int stop;
static volatile uint64_t counts_mem[N], *counts = counts_mem;
static volatile int broken[N];
static uint64_t shared_count; /* every thread adds to it atomically */

static void *worker(void *arg)
{
	uint64_t id = (uintptr_t)arg, i = 0;
	__m256i pat = _mm256_set1_epi64x(0x1111111111111111ULL * (id + 1));
	char name[16];
	sigset_t set;

	tls_id = 1000 + id;
	snprintf(name, sizeof(name), "worker-%llu", (unsigned long long)id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + (int)id);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!stop) {
		__m256i cmp;

		__asm__ volatile("" : "+x"(pat));
		cmp = _mm256_cmpeq_epi64(pat, _mm256_set1_epi64x(0x1111111111111111ULL * (id + 1)));
		if (_mm256_movemask_epi8(cmp) != -1 || tls_id != 1000 + id)
			broken[id] = 1;
		counts[id] = ++i;
		__atomic_fetch_add(&shared_count, 1, __ATOMIC_RELAXED);
		if (!(i & 0xffff))
			usleep(1000);
	}
	pthread_sigmask(SIG_BLOCK, NULL, &set);
	if (!sigismember(&set, SIGRTMIN + (int)id) || sigismember(&set, SIGRTMIN + (int)((id + 1) % N)))
		broken[id] = 2;
	return (void *)(uintptr_t)(tls_id == 1000 + id ? 0 : 1);
}

int main(int argc, char **argv)
{
	pthread_t th[N];
	uint64_t before[N];
	char path[64], comm[32];
	int i;

	prog_init();
	if (argc > 1) {
		int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
		void *p;

		if (fd < 0 || ftruncate(fd, 4096) ||
		    (p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
			CHECK(0, "%s: %s", argv[1], strerror(errno));
		counts = p;
		close(fd);
	}
	for (i = 0; i < N; i++)
		pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i);
	usleep(50000);
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	for (i = 0; i < N; i++)
		before[i] = counts[i];
	{
		uint64_t shared_before = __atomic_load_n(&shared_count, __ATOMIC_RELAXED), total = 0;

		/* Then up to 2 s more: an emulated (QEMU TCG) CPU may leave a thread waiting. */
		usleep(100000);
		for (i = 0; i < N; i++) {
			int waited;

			for (waited = 0; counts[i] <= before[i] && waited < 200; waited++)
				usleep(10000);
			CHECK(counts[i] > before[i], "thread %d does not run", i);
		}
		for (i = 0; i < N; i++)
			total += counts[i];
		CHECK(__atomic_load_n(&shared_count, __ATOMIC_RELAXED) > shared_before,
		      "the shared counter stopped");
		(void)total;
	}
	for (i = 0; i < N; i++) {
		pthread_getname_np(th[i], comm, sizeof(comm));
		snprintf(path, sizeof(path), "worker-%d", i);
		CHECK(!strcmp(comm, path), "thread %d is named %s", i, comm);
	}
	stop = 1; /* after the names: a finished thread has none */
	for (i = 0; i < N; i++) {
		void *ret;

		CHECK(!pthread_join(th[i], &ret), "pthread_join %d failed", i);
		CHECK(!ret, "thread %d lost its TLS", i);
		CHECK(!broken[i], "thread %d state broken (%d)", i, broken[i]);
	}
	say("PASS %d threads ran on, kept TLS, names, masks, ymm; joined\n", N);
	return 0;
}
