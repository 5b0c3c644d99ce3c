// SPDX-License-Identifier: GPL-2.0
/*
 * File locks held by a parent and its child: flock(LOCK_EX) on DIR/f, a
 * POSIX write lock on bytes 10..29 of DIR/g and an OFD read lock from byte
 * 100 to the end; the child holds a POSIX lock on bytes 50..59 of DIR/g.
 * After restore a fresh process (forked at verification time) finds each
 * lock held, by the right process, and the child's still its own.
 */

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "progs.h"

static char fpath[4096], gpath[4096];

static int getlk(int fd, int cmd, short type, off_t start, off_t len, struct flock *out)
{
	*out = (struct flock){ .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, out);
}

/* In a new process: 0 when every lock is where it should be, else which one failed. */
static int check(pid_t parent, pid_t child)
{
	int f = open(fpath, O_RDWR), g = open(gpath, O_RDWR);
	struct flock l;

	if (f < 0 || g < 0)
		return 10;
	if (flock(f, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK)
		return 11;
	if (getlk(g, F_GETLK, F_WRLCK, 10, 20, &l) || l.l_type != F_WRLCK || l.l_pid != parent ||
	    l.l_start != 10 || l.l_len != 20)
		return 12;
	if (getlk(g, F_OFD_GETLK, F_WRLCK, 100, 0, &l) || l.l_type != F_RDLCK || l.l_start != 100 ||
	    l.l_len != 0)
		return 13;
	if (getlk(g, F_GETLK, F_WRLCK, 50, 10, &l) || l.l_type != F_WRLCK || l.l_pid != child)
		return 14;
	if (getlk(g, F_GETLK, F_WRLCK, 40, 5, &l) || l.l_type != F_UNLCK)
		return 15; /* nothing between the locks */
	return 0;
}

int main(int argc, char **argv)
{
	struct flock w = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 20 };
	struct flock r = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 0 };
	struct flock c = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 10 };
	pid_t parent = getpid(), child, checker;
	int f, g, status;

	prog_init();
	if (argc < 2)
		return 2;
	snprintf(fpath, sizeof(fpath), "%s/f", argv[1]);
	snprintf(gpath, sizeof(gpath), "%s/g", argv[1]);
	f = open(fpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	g = open(gpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (f < 0 || g < 0 || flock(f, LOCK_EX) || fcntl(g, F_SETLK, &w) || fcntl(g, F_OFD_SETLK, &r))
		return 2;
	child = fork();
	if (child < 0)
		return 2;
	if (!child) {
		if (fcntl(g, F_SETLK, &c))
			_exit(3);
		while (getppid() == parent)
			usleep(10000);
		_exit(0);
	}
	usleep(100000);
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	checker = fork();
	if (!checker)
		_exit(check(parent, child));
	CHECK(waitpid(checker, &status, 0) == checker && WIFEXITED(status),
	      "checker did not finish");
	CHECK(WEXITSTATUS(status) == 0, "lock check %d failed (11 flock, 12 POSIX, 13 OFD, 14 child's)",
	      WEXITSTATUS(status));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	say("PASS flock, POSIX and OFD locks held by the right processes\n");
	return 0;
}
