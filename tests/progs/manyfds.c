// SPDX-License-Identifier: GPL-2.0
/*
 * Many fds of mixed kinds (also the fd benchmark's process).  Usage:
 * manyfds N DIR.  Of every 10 fds: 3 regular files (100 files in DIR, each
 * fd at its own offset), a directory, /dev/null, an eventfd holding its
 * index, both ends of a pipe holding one byte, a memfd holding its index,
 * and a dup of the first file fd of the group.  After restore every fd is
 * checked: type and inode, offsets (dups still share one), counters, pipe
 * bytes, memfd contents.
 */
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "progs.h"

enum { K_REG, K_DIR, K_NULL, K_EVENT, K_PIPE_R, K_PIPE_W, K_MEMFD, K_DUP };

struct rec {
	int fd, kind, of;
	ino_t ino;
	uint64_t val;
};

static struct rec *r;
static int n;

static void add(int fd, int kind, uint64_t val, int of)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st)) {
		say("FAIL setup fd %d kind %d\n", n, kind);
		exit(2);
	}
	r[n++] = (struct rec){ .fd = fd, .kind = kind, .ino = st.st_ino, .val = val, .of = of };
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	char path[4096], buf[4096];
	int want, i, fd, p[2];

	if (argc < 3)
		return 2;
	prog_init();
	want = atoi(argv[1]);
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < (rlim_t)want + 16) {
		say("FAIL RLIMIT_NOFILE %lu is below %d\n", (unsigned long)rl.rlim_max, want + 16);
		return 2;
	}
	r = calloc(want + 16, sizeof(*r));
	memset(buf, 'q', sizeof(buf));
	for (i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "%s/f%d", argv[2], i);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf) || close(fd))
			return 2;
		snprintf(path, sizeof(path), "%s/d%d", argv[2], i);
		if (mkdir(path, 0755))
			return 2;
	}
	for (i = 0; n < want; i++) {
		int g = i % 10, first = n - g;
		uint64_t v = n;

		switch (g) {
		case 0: case 1: case 2:
			snprintf(path, sizeof(path), "%s/f%d", argv[2], (n / 3) % 100);
			fd = open(path, O_RDWR);
			if (fd < 0 || lseek(fd, n % 4096, SEEK_SET) < 0)
				return 2;
			add(fd, K_REG, n % 4096, -1);
			break;
		case 3:
			snprintf(path, sizeof(path), "%s/d%d", argv[2], n % 100);
			add(open(path, O_RDONLY | O_DIRECTORY), K_DIR, 0, -1);
			break;
		case 4:
			add(open("/dev/null", O_RDWR), K_NULL, 0, -1);
			break;
		case 5:
			add(eventfd(v, EFD_NONBLOCK), K_EVENT, v, -1);
			break;
		case 6:
			if (n + 2 > want || pipe2(p, O_NONBLOCK) || write(p[1], &(char){ (char)v }, 1) != 1)
				continue;
			add(p[0], K_PIPE_R, v & 0xff, -1);
			add(p[1], K_PIPE_W, 0, n - 1);
			i++; /* two fds */
			break;
		case 8:
			fd = memfd_create("manyfds", MFD_CLOEXEC);
			if (fd < 0 || pwrite(fd, &v, 8, 0) != 8)
				return 2;
			add(fd, K_MEMFD, v, -1);
			break;
		case 9:
			add(dup(r[first].fd), K_DUP, 0, first);
			break;
		}
	}
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	for (i = 0; i < n; i++) {
		struct rec *e = &r[i];
		struct stat st;
		uint64_t got = 0;
		char c;

		CHECK(!fstat(e->fd, &st), "fd %d is gone", e->fd);
		if (e->kind != K_MEMFD && e->kind != K_PIPE_R && e->kind != K_PIPE_W) /* new objects */
			CHECK(st.st_ino == e->ino, "fd %d (kind %d): another file", e->fd, e->kind);
		switch (e->kind) {
		case K_REG:
			CHECK(lseek(e->fd, 0, SEEK_CUR) == (off_t)e->val, "fd %d: offset %ld, not %lu",
			      e->fd, (long)lseek(e->fd, 0, SEEK_CUR), (unsigned long)e->val);
			break;
		case K_DUP:
			CHECK(lseek(e->fd, 7, SEEK_SET) == 7 && lseek(r[e->of].fd, 0, SEEK_CUR) == 7,
			      "fd %d no longer shares fd %d's offset", e->fd, r[e->of].fd);
			lseek(e->fd, r[e->of].val, SEEK_SET);
			break;
		case K_EVENT:
			CHECK(read(e->fd, &got, 8) == 8 && got == e->val, "eventfd %d: %lu", e->fd,
			      (unsigned long)got);
			break;
		case K_PIPE_R:
			CHECK(read(e->fd, &c, 1) == 1 && (uint8_t)c == e->val, "pipe fd %d", e->fd);
			break;
		case K_PIPE_W:
			CHECK(write(e->fd, "z", 1) == 1 && read(r[e->of].fd, &c, 1) == 1 && c == 'z',
			      "pipe fd %d does not lead to fd %d", e->fd, r[e->of].fd);
			break;
		case K_MEMFD:
			CHECK(pread(e->fd, &got, 8, 0) == 8 && got == e->val, "memfd %d", e->fd);
			break;
		case K_NULL:
			CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3), "fd %d is not /dev/null",
			      e->fd);
			break;
		}
	}
	say("PASS %d fds\n", n);
	return 0;
}
