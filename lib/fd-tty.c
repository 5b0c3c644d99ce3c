// SPDX-License-Identifier: GPL-2.0
/*
 * Pseudo-terminal pairs of the tree: a master (/dev/ptmx) held by a task of
 * the tree, and the slaves (/dev/pts/N) of that pair.  At dump each such fd
 * keeps the pair's index, termios, window size, packet mode and lock, read
 * through a copy of the task's fd (pidfd_getfd).  At restore ckpt makes one
 * new pair per saved pair before the first task exists (all tasks inherit
 * it), trying for the same index, and sets it up; a master fd is that
 * master, a slave fd a new open of its slave (TIOCGPTPEER).  Bytes queued in
 * the pair are not saved.  A slave whose master is outside the tree is
 * ckpt's terminal at restore (--shell-job), as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "fd-tty.h"
#include "log.h"
#include "util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#define MAX_PTY_TRIES 64 /* pairs opened in the hope of getting the old index */

bool ckpt_pty_is_slave_rdev(dev_t rdev)
{
	return major(rdev) >= 136 && major(rdev) <= 143;
}

bool ckpt_pty_is_master_rdev(dev_t rdev)
{
	return rdev == makedev(5, 2);
}

static int task_fd_copy(pid_t pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), got = -1, e;

	if (pidfd < 0)
		return -errno;
	got = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	e = errno;
	close(pidfd);
	return got < 0 ? -e : got;
}

/* Session leader whose controlling terminal is rdev? (from /proc/PID/stat) */
static bool is_ctty_of(pid_t pid, dev_t rdev)
{
	char path[64], *buf = NULL, *p;
	int sid = 0, tty = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (ckpt_read_file(AT_FDCWD, path, &buf, NULL))
		return false;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %d %d", &sid, &tty) != 2)
		sid = 0;
	free(buf);
	/* tty_nr: minor in bits 0-7 and 20-31, major in 8-19 */
	return sid == pid && makedev((tty >> 8) & 0xfff, (tty & 0xff) | ((tty >> 12) & 0xfff00)) == rdev;
}

int ckpt_pty_collect(pid_t pid, const char *info, struct ckpt_fd *f)
{
	struct ckpt_pty *p = &f->pty;
	struct winsize ws;
	struct termios tio;
	int fd, n, q = 0;

	(void)info;
	fd = task_fd_copy(pid, f->fd);
	if (fd < 0) {
		pr_err("pid %d fd %d: cannot reach its terminal: %s", pid, f->fd, strerror(-fd));
		return fd;
	}
	if (f->kind == CKPT_FD_PTMX) {
		if (ioctl(fd, TIOCGPTN, &n) || n < 0)
			goto fail;
		p->index = n;
		n = 0;
		p->packet = !ioctl(fd, TIOCGPKT, &n) && n;
		n = 0;
		p->locked = !ioctl(fd, TIOCGPTLCK, &n) && n;
		if (!ioctl(fd, FIONREAD, &q) && q)
			pr_warn("pid %d fd %d: %d bytes the pseudo-terminal's slave wrote are not read; "
				"they are not saved", pid, f->fd, q);
	} else {
		p->index = (major(f->rdev) - 136) * 256 + minor(f->rdev);
		p->ctty = is_ctty_of(pid, f->rdev);
		if (!ioctl(fd, TIOCINQ, &q) && q)
			pr_warn("pid %d fd %d: %d bytes of terminal input are not read; they are not "
				"saved", pid, f->fd, q);
	}
	if (tcgetattr(fd, &tio) || ioctl(fd, TIOCGWINSZ, &ws))
		goto fail;
	p->iflag = tio.c_iflag;
	p->oflag = tio.c_oflag;
	p->cflag = tio.c_cflag;
	p->lflag = tio.c_lflag;
	p->line = tio.c_line;
	memcpy(p->cc, tio.c_cc, MIN(sizeof(tio.c_cc), sizeof(p->cc)));
	p->ispeed = cfgetispeed(&tio);
	p->ospeed = cfgetospeed(&tio);
	p->rows = ws.ws_row;
	p->cols = ws.ws_col;
	p->xpixel = ws.ws_xpixel;
	p->ypixel = ws.ws_ypixel;
	close(fd);
	return 0;
fail:
	n = -errno;
	pr_err("pid %d fd %d: cannot read its terminal's settings: %s", pid, f->fd, strerror(-n));
	close(fd);
	return n;
}

int ckpt_pty_resolve(struct ckpt_task *const *tasks, size_t n, bool shell_job)
{
	size_t i, j, a, b;

	for (i = 0; i < n; i++)
		for (j = 0; j < tasks[i]->n_fds; j++) {
			struct ckpt_fd *f = &tasks[i]->fds[j];
			bool found = false;

			if (f->kind != CKPT_FD_PTS)
				continue;
			for (a = 0; a < n && !found; a++)
				for (b = 0; b < tasks[a]->n_fds && !found; b++)
					found = tasks[a]->fds[b].kind == CKPT_FD_PTMX &&
						tasks[a]->fds[b].pty.index == f->pty.index;
			if (found)
				continue;
			if (!shell_job) {
				pr_err("pid %d fd %d: terminal %s; use --shell-job to dump a shell job",
				       tasks[i]->pid, f->fd, f->path);
				return -EOPNOTSUPP;
			}
			f->kind = CKPT_FD_TTY; /* the master is outside: ckpt's own terminal */
		}
	return 0;
}

/* ---- restore ------------------------------------------------------------ */

struct rpty {
	uint32_t old_index;
	const struct ckpt_pty *st;
	bool has_slaves;
	int master;
	int slave; /* held until the end, so the settings stay */
};

/* ckpt's pairs: made before the first task is forked, inherited by every task. */
static struct rpty *ptys;
static size_t n_ptys;

static struct rpty *find_pty(uint32_t index)
{
	size_t i;

	for (i = 0; i < n_ptys; i++)
		if (ptys[i].old_index == index)
			return &ptys[i];
	return NULL;
}

int ckpt_pty_note(const struct ckpt_task *t)
{
	size_t i;

	for (i = 0; i < t->n_fds; i++) {
		const struct ckpt_fd *f = &t->fds[i];
		struct rpty *p, *grown;

		if (f->kind != CKPT_FD_PTMX && f->kind != CKPT_FD_PTS)
			continue;
		p = find_pty(f->pty.index);
		if (!p) {
			grown = realloc(ptys, (n_ptys + 1) * sizeof(*ptys));
			if (!grown) {
				pr_err("pid %d fd %d: out of memory", t->pid, f->fd);
				return -ENOMEM;
			}
			ptys = grown;
			p = &ptys[n_ptys++];
			*p = (struct rpty){ .old_index = f->pty.index, .st = &f->pty, .master = -1,
					    .slave = -1 };
		}
		if (f->kind == CKPT_FD_PTMX)
			p->st = &f->pty; /* the master's view wins */
		else
			p->has_slaves = true;
	}
	return 0;
}

static int by_index(const void *a, const void *b)
{
	const struct rpty *x = a, *y = b;

	return (x->old_index > y->old_index) - (x->old_index < y->old_index);
}

/* A new pair, with the old index if it is free and nothing lower is. */
static int open_pair(struct rpty *p, int base, int *ret_index)
{
	int aside[MAX_PTY_TRIES], n_aside = 0, m = -1, idx = -1, err = 0, k;

	for (k = 0; k < MAX_PTY_TRIES; k++) {
		m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (m < 0 || ioctl(m, TIOCGPTN, &idx)) {
			err = -errno;
			break;
		}
		if ((uint32_t)idx >= p->old_index || k == MAX_PTY_TRIES - 1)
			break;
		aside[n_aside++] = m; /* a lower free index: keep it taken, try again */
		m = -1;
	}
	while (n_aside)
		close(aside[--n_aside]);
	if (err) {
		if (m >= 0)
			close(m);
		return err;
	}
	p->master = fcntl(m, F_DUPFD_CLOEXEC, base);
	err = p->master < 0 ? -errno : 0;
	close(m);
	*ret_index = idx;
	return err;
}

static int setup_pair(struct rpty *p)
{
	const struct ckpt_pty *s = p->st;
	struct winsize ws = { .ws_row = s->rows, .ws_col = s->cols, .ws_xpixel = s->xpixel,
			      .ws_ypixel = s->ypixel };
	struct termios tio;
	int zero = 0, one = 1, sfd;

	if (ioctl(p->master, TIOCSPTLCK, &zero))
		return -errno;
	sfd = ioctl(p->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (sfd < 0)
		return -errno;
	p->slave = fcntl(sfd, F_DUPFD_CLOEXEC, p->master);
	close(sfd);
	if (p->slave < 0 || tcgetattr(p->slave, &tio))
		return -errno;
	tio.c_iflag = s->iflag;
	tio.c_oflag = s->oflag;
	tio.c_cflag = s->cflag;
	tio.c_lflag = s->lflag;
	tio.c_line = s->line;
	memcpy(tio.c_cc, s->cc, MIN(sizeof(tio.c_cc), sizeof(s->cc)));
	if ((s->ispeed && cfsetispeed(&tio, s->ispeed)) || (s->ospeed && cfsetospeed(&tio, s->ospeed)))
		return -EINVAL;
	if (tcsetattr(p->slave, TCSANOW, &tio) || ioctl(p->master, TIOCSWINSZ, &ws) ||
	    (s->packet && ioctl(p->master, TIOCPKT, &one)))
		return -errno;
	/* A locked slave no task had open: lock it again. */
	if (s->locked && !p->has_slaves && ioctl(p->master, TIOCSPTLCK, &one))
		return -errno;
	return 0;
}

int ckpt_pty_make(int base)
{
	size_t i;
	int err, idx;

	qsort(ptys, n_ptys, sizeof(*ptys), by_index);
	for (i = 0; i < n_ptys; i++) {
		struct rpty *p = &ptys[i];

		err = open_pair(p, base, &idx);
		if (!err)
			err = setup_pair(p);
		if (err) {
			pr_err("pseudo-terminal %u: cannot make it again: %s", p->old_index,
			       strerror(-err));
			return err;
		}
		if ((uint32_t)idx != p->old_index)
			pr_info("pseudo-terminal /dev/pts/%u is /dev/pts/%d now (the old number is "
				"taken)", p->old_index, idx);
	}
	return 0;
}

void ckpt_pty_release(void)
{
	size_t i;

	for (i = 0; i < n_ptys; i++) {
		if (ptys[i].master >= 0)
			close(ptys[i].master);
		if (ptys[i].slave >= 0)
			close(ptys[i].slave);
	}
	free(ptys);
	ptys = NULL;
	n_ptys = 0;
}

int ckpt_pty_open(const struct ckpt_fd *f, int flags)
{
	struct rpty *p = find_pty(f->pty.index);
	int fd, err;

	if (!p || p->master < 0) {
		pr_err("fd %d: pseudo-terminal %u was not made again", f->fd, f->pty.index);
		return -ENOENT;
	}
	if (f->kind == CKPT_FD_PTMX) {
		fd = fcntl(p->master, F_DUPFD_CLOEXEC, 0);
		if (fd >= 0 && fcntl(fd, F_SETFL, flags & (O_NONBLOCK | O_ASYNC)))
			goto fail_close;
	} else {
		fd = ioctl(p->master, TIOCGPTPEER,
			   (flags & (O_ACCMODE | O_NONBLOCK)) | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0 && f->pty.ctty && ioctl(fd, TIOCSCTTY, 0))
			goto fail_close;
	}
	if (fd < 0)
		goto fail;
	return fd;
fail_close:
	err = -errno;
	close(fd);
	errno = -err;
fail:
	err = -errno;
	pr_err("fd %d: cannot open the %s of pseudo-terminal %u: %s", f->fd,
	       f->kind == CKPT_FD_PTMX ? "master" : "slave", f->pty.index, strerror(-err));
	return err;
}
