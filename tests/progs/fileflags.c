// SPDX-License-Identifier: GPL-2.0
/*
 * Regular-file variants: in DIR (on disk) and TMPDIR2 (tmpfs, optional),
 * fds opened with O_APPEND, O_DIRECT, O_PATH (a file, a directory, a
 * symlink with O_NOFOLLOW), O_NOATIME, O_SYNC, O_DSYNC|O_NONBLOCK, an
 * O_TMPFILE, and a tmpfs file at an offset.  After restore every fd's
 * F_GETFL, F_GETFD, offset and inode are what they were.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "progs.h"

#define MAX 16

static struct {
	int fd;
	int fl, fdfl;
	off_t pos;
	ino_t ino;
	const char *what;
} fds[MAX];
static int n;

static void add(int fd, const char *what)
{
	struct stat st;

	if (fd < 0) {
		say("# %s: not available here, skipped\n", what);
		return;
	}
	fstat(fd, &st);
	fds[n].fd = fd;
	fds[n].fl = fcntl(fd, F_GETFL);
	fds[n].fdfl = fcntl(fd, F_GETFD);
	fds[n].pos = lseek(fd, 0, SEEK_CUR);
	fds[n].ino = st.st_ino;
	fds[n].what = what;
	n++;
}

static char *in(const char *dir, const char *name)
{
	static char buf[8][4096];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

int main(int argc, char **argv)
{
	const char *d, *t;
	int fd, i;

	if (argc < 2)
		return 2;
	prog_init();
	d = argv[1];
	t = argc > 2 ? argv[2] : NULL;
	fd = open(in(d, "append"), O_RDWR | O_CREAT | O_APPEND, 0644);
	if (fd < 0 || write(fd, "abc", 3) != 3)
		return 2;
	add(fd, "O_APPEND");
	fd = open(in(d, "direct"), O_RDWR | O_CREAT | O_DIRECT, 0644);
	add(fd, "O_DIRECT");
	add(open(in(d, "append"), O_PATH), "O_PATH file");
	add(open(d, O_PATH | O_DIRECTORY | O_CLOEXEC), "O_PATH directory");
	if (symlink("append", in(d, "link")))
		return 2;
	add(open(in(d, "link"), O_PATH | O_NOFOLLOW), "O_PATH symlink");
	add(open(in(d, "append"), O_RDONLY | O_NOATIME), "O_NOATIME");
	fd = open(in(d, "sync"), O_WRONLY | O_CREAT | O_SYNC, 0644);
	if (fd < 0 || write(fd, "12345", 5) != 5)
		return 2;
	add(fd, "O_SYNC");
	add(open(in(d, "sync"), O_RDONLY | O_DSYNC | O_NONBLOCK), "O_DSYNC|O_NONBLOCK");
	fd = open(d, O_TMPFILE | O_RDWR, 0600);
	if (fd >= 0 && write(fd, "tmpfile", 7) != 7)
		return 2;
	add(fd, "O_TMPFILE");
	if (t) {
		fd = open(in(t, "shm"), O_RDWR | O_CREAT, 0600);
		if (fd < 0 || write(fd, "0123456789", 10) != 10 || lseek(fd, 4, SEEK_SET) != 4)
			return 2;
		add(fd, "tmpfs file");
		add(open(in(t, "shm"), O_WRONLY | O_DIRECT), "tmpfs O_DIRECT");
	}
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(10000);
	}
	for (i = 0; i < n; i++) {
		struct stat st;

		CHECK(fcntl(fds[i].fd, F_GETFL) == fds[i].fl, "%s: F_GETFL 0%o, was 0%o", fds[i].what,
		      fcntl(fds[i].fd, F_GETFL), fds[i].fl);
		CHECK(fcntl(fds[i].fd, F_GETFD) == fds[i].fdfl, "%s: F_GETFD", fds[i].what);
		/* an O_TMPFILE is made again: a new inode */
		CHECK(!fstat(fds[i].fd, &st) && ((fds[i].fl & O_TMPFILE) == O_TMPFILE ||
						 st.st_ino == fds[i].ino), "%s: another inode", fds[i].what);
		if (!(fds[i].fl & O_PATH))
			CHECK(lseek(fds[i].fd, 0, SEEK_CUR) == fds[i].pos, "%s: offset", fds[i].what);
	}
	CHECK(write(fds[0].fd, "d", 1) == 1 && lseek(fds[0].fd, 0, SEEK_CUR) == 4, "append");
	finish(0, "file flags");
	return 0;
}
