// SPDX-License-Identifier: GPL-2.0
/*
 * Keeps rewriting its memory while it is dumped (for snapshot dumps):
 * argv[1] MiB (default 64) of 8 KiB blocks.  Block i at generation g holds
 * g in its first and last word and words derived from (i, g) between;
 * `updates` counts every block rewrite and always equals the sum of the
 * generations but for the block being rewritten.  A dump that copied pages
 * at different moments shows torn blocks or a wrong sum after restore; a
 * snapshot is one moment, and the rewrite in flight completes when the
 * restored process resumes.  Also: a private file mapping's COW pages,
 * a MAP_SHARED page and no SIGCHLD or child process caused by the dump.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "progs.h"

#define BLOCK 8192
#define WORDS (BLOCK / 8)

static volatile sig_atomic_t chld;

static void on_chld(int sig)
{
	(void)sig;
	chld++;
}

static inline uint64_t word(uint64_t i, uint64_t g, uint64_t k)
{
	return (i * 0x9e3779b97f4a7c15ULL) ^ (g * 0xbf58476d1ce4e5b9ULL) ^ (k * 0x94d049bb133111ebULL);
}

static void rewrite(uint64_t *b, uint64_t i, uint64_t g)
{
	uint64_t k;

	b[0] = g;
	for (k = 1; k < WORDS - 1; k++)
		b[k] = word(i, g, k);
	b[WORDS - 1] = g;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64, n = (mib << 20) / BLOCK, i;
	uint64_t *mem, *shared, updates = 0, seed = 7, sum, k;
	volatile uint64_t *priv;
	char path[] = "/tmp/ckpt-memwriter.XXXXXX";
	int fd;

	prog_init();
	signal(SIGCHLD, on_chld);
	mem = mmap(NULL, n * BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	fd = mkstemp(path);
	if (mem == MAP_FAILED || shared == MAP_FAILED || fd < 0 || ftruncate(fd, 4096))
		return 2;
	priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (priv == MAP_FAILED)
		return 2;
	for (i = 0; i < n; i++)
		rewrite(mem + i * WORDS, i, 0);
	say("READY %d\n", getpid());
	while (!verify_req) {
		/* ~2000 block rewrites (16 MiB/s) between sleeps: busy during the dump. */
		for (k = 0; k < 200; k++) {
			i = xorshift(&seed) % n;
			rewrite(mem + i * WORDS, i, mem[i * WORDS] + 1);
			updates++;
			shared[0] = updates; /* shared memory follows too */
			priv[0] = updates;   /* a COW page of a private file mapping */
		}
		heartbeat();
		usleep(1000);
	}
	unlink(path);
	for (i = 0, sum = 0; i < n; i++) {
		const uint64_t *b = mem + i * WORDS;

		CHECK(b[0] == b[WORDS - 1], "block %zu torn: generations %llu and %llu", i,
		      (unsigned long long)b[0], (unsigned long long)b[WORDS - 1]);
		for (k = 1; k < WORDS - 1; k++)
			CHECK(b[k] == word(i, b[0], k), "block %zu word %llu differs", i,
			      (unsigned long long)k);
		sum += b[0];
	}
	CHECK(sum == updates, "generations add up to %llu, %llu rewrites counted",
	      (unsigned long long)sum, (unsigned long long)updates);
	CHECK(shared[0] == updates && priv[0] == updates, "shared %llu / private file page %llu, "
	      "not %llu", (unsigned long long)shared[0], (unsigned long long)priv[0],
	      (unsigned long long)updates);
	CHECK(!chld, "%d SIGCHLD received", (int)chld);
	CHECK(waitpid(-1, NULL, WNOHANG | __WALL) < 0, "a child process is there");
	say("PASS memory rewritten during the dump: %llu rewrites, every block whole\n",
	    (unsigned long long)updates);
	return 0;
}
