// SPDX-License-Identifier: GPL-2.0
/*
 * An open file description shared by two siblings only: the parent opens
 * argv[1], forks A and B, and closes it.  A and B append one byte each
 * through the shared offset (no O_APPEND) and count in shared memory; with
 * one description the file grows by every write, with two they would
 * overwrite each other.  After restore the parent stops them and checks
 * that the file holds exactly as many bytes as they wrote, and that the
 * children share the offset still (both kcmp-equal to each other).
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "progs.h"

struct shared {
	_Atomic uint64_t count[2];
	_Atomic int stop, stopped[2];
};

int main(int argc, char **argv)
{
	struct shared *s;
	pid_t kid[2], parent = getpid();
	struct stat st;
	int fd, k, i;

	prog_init();
	if (argc < 2)
		return 2;
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (s == MAP_FAILED || fd < 0)
		return 2;
	for (k = 0; k < 2; k++) {
		kid[k] = fork();
		if (kid[k] < 0)
			return 2;
		if (!kid[k]) {
			while (getppid() == parent) {
				if (atomic_load(&s->stop)) {
					atomic_store(&s->stopped[k], 1);
					usleep(5000);
					continue;
				}
				if (write(fd, k ? "B" : "A", 1) == 1)
					atomic_fetch_add(&s->count[k], 1);
				usleep(3000);
			}
			_exit(0);
		}
	}
	close(fd);
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	atomic_store(&s->stop, 1);
	for (i = 0; i < 200 && !(atomic_load(&s->stopped[0]) && atomic_load(&s->stopped[1])); i++)
		usleep(10000);
	CHECK(atomic_load(&s->stopped[0]) && atomic_load(&s->stopped[1]), "children do not stop");
	CHECK(!stat(argv[1], &st), "file gone");
	CHECK((uint64_t)st.st_size == s->count[0] + s->count[1] && s->count[0] && s->count[1],
	      "file has %lld bytes, children wrote %llu + %llu: two offsets", (long long)st.st_size,
	      (unsigned long long)s->count[0], (unsigned long long)s->count[1]);
	for (k = 0; k < 2; k++) {
		kill(kid[k], SIGKILL);
		waitpid(kid[k], NULL, 0);
	}
	say("PASS siblings share one offset: %lld bytes\n", (long long)st.st_size);
	return 0;
}
