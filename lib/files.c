// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fd-event.h"
#include "fd-inotify.h"
#include "fd-tty.h"
#include "file-remap.h"
#include "files.h"
#include "log.h"
#include "proc.h"
#include "sk.h"
#include "util.h"

/* Memory devices that can be opened again by their number: zero, full, random, urandom. */
static const char *memdev_path(dev_t rdev)
{
	static const char *const names[] = { [5] = "/dev/zero", [7] = "/dev/full",
					     [8] = "/dev/random", [9] = "/dev/urandom" };

	if (major(rdev) != 1 || minor(rdev) >= ARRAY_SIZE(names))
		return NULL;
	return names[minor(rdev)];
}

static bool is_tty_rdev(dev_t rdev)
{
	unsigned int maj = major(rdev), min = minor(rdev);

	return (maj >= 136 && maj <= 143) || maj == 4 || (maj == 5 && min <= 2);
}

const char *ckpt_fd_type_name(const char *link, mode_t mode, char *buf, size_t len)
{
	if (!strncmp(link, "anon_inode:", 11)) {
		const char *n = link + 11;
		size_t l = strlen(n);

		if (*n == '[' && l > 2)
			snprintf(buf, len, "%.*s", (int)(l - 2), n + 1);
		else
			snprintf(buf, len, "%s", n);
		return buf;
	}
	if (!strncmp(link, "/memfd:", 7))
		return "memfd";
	switch (mode & S_IFMT) {
	case S_IFIFO:
		return strncmp(link, "pipe:", 5) ? "fifo" : "pipe";
	case S_IFSOCK:
		return "socket";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	case S_IFDIR:
		return "directory";
	case S_IFREG:
		return "regular file";
	default:
		return "unknown";
	}
}

void ckpt_file_id_set(struct ckpt_file_id *id, const struct stat *st)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mode = st->st_mode;
}

int ckpt_fd_classify(pid_t pid, struct ckpt_fd *f, const char *link, const struct stat *st,
		     bool shell_job)
{
	char tbuf[64];
	struct stat pst;

	f->path = strdup(link);
	if (!f->path)
		return -ENOMEM;
	ckpt_file_id_set(&f->file, st);
	if (!strcmp(link, "anon_inode:[eventfd]")) {
		f->kind = CKPT_FD_EVENTFD; /* counter read from fdinfo by the caller */
		return 0;
	}
	/* State from fdinfo, read by the caller. */
	if (!strcmp(link, "anon_inode:[timerfd]")) {
		f->kind = CKPT_FD_TIMERFD;
		return 0;
	}
	if (!strcmp(link, "anon_inode:[signalfd]")) {
		f->kind = CKPT_FD_SIGNALFD;
		return 0;
	}
	if (!strcmp(link, "anon_inode:[eventpoll]")) {
		f->kind = CKPT_FD_EPOLL;
		return 0;
	}
	if (!strcmp(link, "anon_inode:inotify")) {
		f->kind = CKPT_FD_INOTIFY; /* watches read from fdinfo by the caller */
		return 0;
	}
	if (!strcmp(link, "anon_inode:[fanotify]")) {
		pr_err("pid %d fd %d: fanotify is not supported (its marks cannot be read back)", pid,
		       f->fd);
		return -EOPNOTSUPP;
	}
	if (!strncmp(link, "/memfd:", 7) && S_ISREG(st->st_mode)) {
		f->kind = CKPT_FD_MEMFD; /* contents and seals read by the caller */
		return 0;
	}
	if (!strncmp(link, "anon_inode:", 11) || !strncmp(link, "/memfd:", 7))
		goto unsupported;
	if ((f->flags & O_PATH) && link[0] == '/' && !S_ISSOCK(st->st_mode)) {
		/* Only a path: any kind of file (a symlink with O_NOFOLLOW too), opened again by it. */
		if (lstat(link, &pst) || pst.st_dev != st->st_dev || pst.st_ino != st->st_ino) {
			pr_err("pid %d fd %d: %s (O_PATH): the file was deleted, renamed or replaced "
			       "since it was opened", pid, f->fd, link);
			return -EOPNOTSUPP;
		}
		f->kind = CKPT_FD_REG;
		return 0;
	}
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
		if (link[0] != '/')
			goto unsupported;
		if (S_ISREG(st->st_mode) && st->st_nlink == 0 && strlen(link) > 10 &&
		    !strcmp(link + strlen(link) - 10, " (deleted)")) {
			/* Unlinked while open: its bytes are saved (read by the caller). */
			f->path[strlen(f->path) - 10] = '\0';
			f->kind = CKPT_FD_DELETED;
			return 0;
		}
		if (stat(link, &pst) || pst.st_dev != st->st_dev || pst.st_ino != st->st_ino) {
			pr_err("pid %d fd %d: %s: the file was renamed or replaced since it was opened "
			       "(its path names another file now)", pid, f->fd, link);
			return -EOPNOTSUPP;
		}
		f->kind = CKPT_FD_REG;
		return 0;
	case S_IFIFO:
		if (!strncmp(link, "pipe:[", 6)) {
			f->kind = CKPT_FD_PIPE; /* file.ino names the pipe */
			return 0;
		}
		if (link[0] != '/')
			break;
		if (stat(link, &pst) || pst.st_dev != st->st_dev || pst.st_ino != st->st_ino) {
			pr_err("pid %d fd %d: FIFO %s was deleted or replaced (not supported yet)",
			       pid, f->fd, link);
			return -EOPNOTSUPP;
		}
		f->kind = CKPT_FD_FIFO; /* its pipe is in pipes.img, by file.dev/ino */
		return 0;
	case S_IFCHR:
		f->rdev = st->st_rdev;
		if (st->st_rdev == makedev(1, 3)) {
			f->kind = CKPT_FD_DEVNULL;
			return 0;
		}
		if (memdev_path(st->st_rdev)) {
			f->kind = CKPT_FD_MEMDEV;
			return 0;
		}
		/* Pseudo-terminals: a slave without its master in the tree is decided later. */
		if (ckpt_pty_is_master_rdev(st->st_rdev) || ckpt_pty_is_slave_rdev(st->st_rdev)) {
			f->kind = ckpt_pty_is_master_rdev(st->st_rdev) ? CKPT_FD_PTMX : CKPT_FD_PTS;
			return 0;
		}
		if (is_tty_rdev(st->st_rdev)) {
			if (!shell_job) {
				pr_err("pid %d fd %d: terminal %s; use --shell-job to dump a shell job",
				       pid, f->fd, link);
				return -EOPNOTSUPP;
			}
			f->kind = CKPT_FD_TTY;
			return 0;
		}
		break;
	default:
		break;
	}
unsupported:
	pr_err("pid %d fd %d: unsupported type %s (%s)", pid, f->fd,
	       ckpt_fd_type_name(link, st->st_mode, tbuf, sizeof(tbuf)), link);
	return -EOPNOTSUPP;
}

#define MEMFD_MAX (32u << 20) /* kept inside one image record */

/*
 * A memfd's (or deleted file's) bytes and seals, through a new open of it
 * (the task's offset is untouched).
 */
static int read_memfd(pid_t pid, int procfd, struct ckpt_fd *f)
{
	char path[32];
	ssize_t n;
	int fd, seals, err = 0;

	if (f->file.size > MEMFD_MAX) {
		pr_err("pid %d fd %d: %s of %" PRIu64 " bytes; more than %u MiB is not supported yet",
		       pid, f->fd, f->kind == CKPT_FD_MEMFD ? "memfd" : "deleted file", f->file.size,
		       MEMFD_MAX >> 20);
		return -EOPNOTSUPP;
	}
	snprintf(path, sizeof(path), "fd/%d", f->fd);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_err("pid %d fd %d: cannot open its memfd: %s", pid, f->fd, strerror(-err));
		return err;
	}
	seals = fcntl(fd, F_GET_SEALS);
	f->seals = seals > 0 ? seals : 0;
	f->data = malloc(MAX(f->file.size, 1));
	n = f->data ? ckpt_pread_all(fd, f->data, f->file.size, 0) : -ENOMEM;
	if (n < 0 || (uint64_t)n != f->file.size) {
		err = n < 0 ? (int)n : -EIO;
		pr_err("pid %d fd %d: cannot read its memfd: %s", pid, f->fd, strerror(-err));
	} else {
		f->data_len = n;
	}
	close(fd);
	return err;
}

static int fd_cmp(const void *a, const void *b)
{
	return ((const struct ckpt_fd *)a)->fd - ((const struct ckpt_fd *)b)->fd;
}

static int collect_one(pid_t pid, int procfd, int fd, bool shell_job, struct ckpt_fd *f)
{
	char path[64], *link = NULL, *info = NULL;
	struct stat st;
	int err;

	f->fd = fd;
	snprintf(path, sizeof(path), "fd/%d", fd);
	err = ckpt_readlink(procfd, path, &link);
	if (err)
		goto fail;
	if (fstatat(procfd, path, &st, 0)) {
		err = -errno;
		goto fail;
	}
	snprintf(path, sizeof(path), "fdinfo/%d", fd);
	err = ckpt_read_file(procfd, path, &info, NULL);
	if (err)
		goto fail;
	err = ckpt_proc_parse_fdinfo(info, &f->pos, &f->flags);
	if (err)
		goto fail;
	f->fd_flags = (f->flags & O_CLOEXEC) ? FD_CLOEXEC : 0;
	f->flags &= ~O_CLOEXEC;
	if (S_ISSOCK(st.st_mode)) { /* sockets: lib/sk*.c */
		ckpt_file_id_set(&f->file, &st);
		f->path = strdup(link);
		err = f->path ? ckpt_sk_collect(pid, f) : -ENOMEM;
	} else {
		err = ckpt_fd_classify(pid, f, link, &st, shell_job);
	}
	if (!err && (f->kind == CKPT_FD_MEMFD || f->kind == CKPT_FD_DELETED))
		err = read_memfd(pid, procfd, f);
	if (!err) {
		err = ckpt_proc_parse_locks(info, &f->locks, &f->n_locks);
		if (err)
			pr_err("pid %d fd %d: holds a file lock ckpt cannot take again (%s)", pid, fd,
			       err == -EOPNOTSUPP ? "mandatory or a lease" : "unreadable fdinfo");
	}
	if (!err && f->kind == CKPT_FD_TIMERFD)
		err = ckpt_fdinfo_timerfd(pid, info, f);
	if (!err && f->kind == CKPT_FD_SIGNALFD)
		err = ckpt_fdinfo_signalfd(pid, info, f);
	if (!err && f->kind == CKPT_FD_EPOLL)
		err = ckpt_fdinfo_epoll(pid, info, f);
	if (!err && f->kind == CKPT_FD_INOTIFY)
		err = ckpt_fdinfo_inotify(pid, info, f);
	if (!err && (f->kind == CKPT_FD_PTMX || f->kind == CKPT_FD_PTS))
		err = ckpt_pty_collect(pid, info, f);
	if (!err && f->kind == CKPT_FD_EVENTFD) {
		const char *c = strstr(info, "eventfd-count:"), *sem = strstr(info, "eventfd-semaphore:");

		if (!c) {
			pr_err("pid %d fd %d: eventfd without a counter in fdinfo", pid, fd);
			err = -EINVAL;
		} else {
			f->eventfd_count = strtoull(c + 14, NULL, 16); /* printed in hex */
			f->eventfd_semaphore = sem && atoi(sem + 18);
		}
	}
	free(link);
	free(info);
	return err;
fail:
	if (err != -ENOENT) /* a racing close is fine only before the freeze */
		pr_err("pid %d fd %d: cannot read its state: %s", pid, fd, strerror(-err));
	free(link);
	free(info);
	return err;
}

bool ckpt_fd_same_description(pid_t a, const struct ckpt_fd *fa, pid_t b, const struct ckpt_fd *fb)
{
	/* The same file first: kcmp is a syscall. */
	return fa->file.ino == fb->file.ino && fa->file.dev == fb->file.dev &&
	       syscall(SYS_kcmp, a, b, 0 /* KCMP_FILE */, fa->fd, fb->fd) == 0;
}

/*
 * Open file descriptions are told apart without comparing every pair (10 000
 * fds would be 50M kcmp calls): fds are ordered by file (dev, ino), and
 * within one file by kcmp(KCMP_FILE)'s order of the descriptions, which is
 * a total order across processes too.  Equal neighbours share one.
 */
struct desc_key {
	pid_t pid;
	const struct ckpt_fd *f;
};

static int desc_order(pid_t pa, const struct ckpt_fd *a, pid_t pb, const struct ckpt_fd *b)
{
	long r;

	if (a->file.dev != b->file.dev)
		return a->file.dev < b->file.dev ? -1 : 1;
	if (a->file.ino != b->file.ino)
		return a->file.ino < b->file.ino ? -1 : 1;
	if (pa == pb && a->fd == b->fd)
		return 0;
	r = syscall(SYS_kcmp, pa, pb, 0 /* KCMP_FILE */, a->fd, b->fd);
	if (r == 1 || r == 2)
		return r == 1 ? -1 : 1;
	if (r == 0)
		return 0;
	/* kcmp failed (an fd closed under us before the freeze): keep some order */
	return a->fd < b->fd ? -1 : a->fd > b->fd;
}

static int desc_cmp_fd(const void *x, const void *y, void *arg)
{
	const struct ckpt_fd *a = *(const struct ckpt_fd *const *)x;
	const struct ckpt_fd *b = *(const struct ckpt_fd *const *)y;
	pid_t pid = *(const pid_t *)arg;
	int r = desc_order(pid, a, pid, b);

	return r ? r : (a->fd > b->fd) - (a->fd < b->fd);
}

int ckpt_fd_index_build(pid_t pid, const struct ckpt_task *t, struct ckpt_fd_index *ret)
{
	size_t i;

	ret->pid = pid;
	ret->n = 0;
	ret->v = malloc(MAX(t->n_fds, 1) * sizeof(*ret->v));
	if (!ret->v)
		return -ENOMEM;
	for (i = 0; i < t->n_fds; i++)
		if (t->fds[i].dup_of < 0)
			ret->v[ret->n++] = &t->fds[i];
	qsort_r(ret->v, ret->n, sizeof(*ret->v), desc_cmp_fd, &ret->pid);
	return 0;
}

const struct ckpt_fd *ckpt_fd_index_find(const struct ckpt_fd_index *x, pid_t pid,
					 const struct ckpt_fd *f)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = desc_order(x->pid, x->v[mid], pid, f);

		if (!r) {
			/* the lowest fd of that description */
			while (mid > 0 && !desc_order(x->pid, x->v[mid - 1], pid, f))
				mid--;
			return x->v[mid];
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void ckpt_fd_index_free(struct ckpt_fd_index *x)
{
	free(x->v);
	x->v = NULL;
	x->n = 0;
}

/* fds that share one open file description (dup, fork) are restored with dup. */
static int find_dups(pid_t pid, struct ckpt_task *t)
{
	const struct ckpt_fd **v;
	size_t i, first = 0;

	v = malloc(MAX(t->n_fds, 1) * sizeof(*v));
	if (!v) {
		pr_err("pid %d: out of memory", pid);
		return -ENOMEM;
	}
	for (i = 0; i < t->n_fds; i++) {
		t->fds[i].dup_of = -1;
		t->fds[i].parent_fd = -1;
		v[i] = &t->fds[i];
	}
	qsort_r(v, t->n_fds, sizeof(*v), desc_cmp_fd, &pid);
	/* Runs of one description, lowest fd first: the rest are its dups. */
	for (i = 1; i < t->n_fds; i++) {
		if (desc_order(pid, v[first], pid, v[i])) {
			first = i;
			continue;
		}
		((struct ckpt_fd *)v[i])->dup_of = v[first]->fd;
	}
	free(v);
	return 0;
}

int ckpt_files_collect(pid_t pid, int procfd, bool shell_job, struct ckpt_task *t)
{
	size_t cap = 0;
	struct dirent *de;
	int dfd, err = 0;
	DIR *d;

	dfd = openat(procfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		err = -errno;
		if (dfd >= 0)
			close(dfd);
		pr_err("pid %d: cannot list its fds: %s", pid, strerror(-err));
		return err;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		err = ckpt_grow((void **)&t->fds, &cap, t->n_fds + 1, sizeof(*t->fds));
		if (err)
			break;
		err = collect_one(pid, procfd, atoi(de->d_name), shell_job, &t->fds[t->n_fds]);
		t->n_fds++;
		if (err)
			break;
	}
	closedir(d);
	if (!err) {
		qsort(t->fds, t->n_fds, sizeof(*t->fds), fd_cmp);
		err = find_dups(pid, t);
		if (!err)
			err = ckpt_epoll_check(pid, t);
	}
	return err;
}

int ckpt_file_check(int fd, const char *what, const char *path, const struct ckpt_file_id *id,
		    bool may_grow)
{
	struct stat st;

	if (fstat(fd, &st)) {
		int err = -errno; /* before logging, which may change errno */

		pr_err("%s: %s: %s", what, path, strerror(-err));
		return err;
	}
	if ((st.st_mode & S_IFMT) != (id->mode & S_IFMT)) {
		pr_err("%s: %s is no longer the same kind of file", what, path);
		return -ESTALE;
	}
	if (id->ino && (st.st_ino != id->ino || st.st_dev != id->dev) && !ckpt_file_remapped(path)) {
		pr_err("%s: %s is not the file of the dump (inode %" PRIu64 " on %u:%u then, %llu on "
		       "%u:%u now); restore with --file-remap %s=PATH to accept another file", what,
		       path, id->ino, major(id->dev), minor(id->dev), (unsigned long long)st.st_ino,
		       major(st.st_dev), minor(st.st_dev), path);
		return -ESTALE;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size != id->size &&
	    !(may_grow && (uint64_t)st.st_size > id->size)) {
		pr_err("%s: %s changed size since the dump (was %" PRIu64 " bytes, now %lld)", what,
		       path, id->size, (long long)st.st_size);
		return -ESTALE;
	}
	return 0;
}

/* An end of a pipe ckpt recreated (and every task inherited), with the fd's file flags. */
static int pipe_end(const struct ckpt_fd *f, const struct ckpt_pipe_fds *pipes, size_t n)
{
	size_t i;
	int fd;

	for (i = 0; i < n; i++)
		if (pipes[i].ino == f->file.ino && (!pipes[i].dev || pipes[i].dev == f->file.dev))
			break;
	if (i == n) {
		errno = ENOENT; /* not in pipes.img: reported by the caller */
		return -1;
	}
	fd = fcntl((f->flags & O_ACCMODE) == O_WRONLY ? pipes[i].wfd : pipes[i].rfd, F_DUPFD_CLOEXEC, 0);
	if (fd >= 0 && fcntl(fd, F_SETFL, f->flags & (O_NONBLOCK | O_ASYNC | O_DIRECT))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A memfd again: same name, bytes, offset and seals. */
static int make_memfd(const struct ckpt_fd *f)
{
	char name[256];
	const char *n = f->path && !strncmp(f->path, "/memfd:", 7) ? f->path + 7 : "ckpt";
	size_t len = strcspn(n, " ");
	int fd;

	snprintf(name, sizeof(name), "%.*s", (int)MIN(len, 249), n);
	fd = memfd_create(name, MFD_CLOEXEC | (f->seals ? MFD_ALLOW_SEALING : 0));
	if (fd < 0)
		return -1;
	if ((f->data_len && ckpt_write_all(fd, f->data, f->data_len)) ||
	    lseek(fd, f->pos, SEEK_SET) < 0 ||
	    (f->seals && fcntl(fd, F_ADD_SEALS, f->seals & ~F_SEAL_SEAL) < 0) ||
	    ((f->seals & F_SEAL_SEAL) && fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) < 0)) {
		close(fd);
		errno = EIO;
		return -1;
	}
	return fd;
}

/* Give a made-again file its saved bytes and mode; on failure it is closed (errno kept). */
static int fill_deleted(int fd, const struct ckpt_fd *f)
{
	int e;

	if ((!f->data_len || !ckpt_write_all(fd, f->data, f->data_len)) &&
	    !fchmod(fd, f->file.mode & 07777))
		return fd;
	e = errno ? errno : EIO;
	close(fd);
	errno = e;
	return -1;
}

/* O_TMPFILE in the directory the file was in. */
static int open_tmpfile_beside(const struct ckpt_fd *f, int flags)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", f->path);
	*(strrchr(dir, '/') == dir ? dir + 1 : strrchr(dir, '/')) = '\0';
	return open(dir, flags | O_TMPFILE | O_CLOEXEC, f->file.mode & 07777);
}

/*
 * A file that was unlinked while open: made again with its bytes and mode,
 * unlinked again.  At its old path when that is free (so /proc shows the
 * same name), else as an O_TMPFILE in the same directory.  Another fd of
 * the task open on the same deleted file (restored before) is reopened.
 */
static int make_deleted(const struct ckpt_fd *f, int flags, const struct ckpt_task *t)
{
	char self[64];
	size_t i;
	int tmp, fd, e;

	for (i = 0; i < t->n_fds && t->fds[i].fd < f->fd; i++)
		if (t->fds[i].kind == CKPT_FD_DELETED && t->fds[i].file.ino == f->file.ino &&
		    t->fds[i].file.dev == f->file.dev) {
			snprintf(self, sizeof(self), "/proc/self/fd/%d", t->fds[i].fd);
			return open(self, (flags & ~O_TMPFILE) | O_CLOEXEC);
		}
	/* Made with O_TMPFILE: made so again, with its very flags. */
	if ((flags & O_TMPFILE) == O_TMPFILE) {
		fd = open_tmpfile_beside(f, flags);
		return fd < 0 ? -1 : fill_deleted(fd, f);
	}
	tmp = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, f->file.mode & 07777);
	if (tmp >= 0)
		unlink(f->path);
	else if (errno == EEXIST)
		tmp = open_tmpfile_beside(f, O_RDWR);
	if (tmp < 0 || fill_deleted(tmp, f) < 0)
		return -1;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", tmp);
	fd = open(self, flags | O_CLOEXEC);
	e = errno;
	close(tmp);
	errno = e;
	return fd;
}

static int open_one(const struct ckpt_fd *f, int tty_fd, const struct ckpt_pipe_fds *pipes,
		    size_t n_pipes, const struct ckpt_task *t)
{
	int flags = f->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_CLOEXEC);
	char what[32], remapped[PATH_MAX];
	const char *path;
	int fd, err;

	snprintf(what, sizeof(what), "fd %d", f->fd);
	if (f->dup_of >= 0 || f->parent_fd >= 0) {
		/* The same open file: a lower fd of ours, or (moved up) the parent's. */
		int from = f->dup_of >= 0 ? f->dup_of : f->parent_fd;

		if (dup3(from, f->fd, f->fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0) < 0) {
			err = -errno;
			pr_err("fd %d: cannot share fd %d's file: %s", f->fd, from, strerror(errno));
			return err;
		}
		return 0;
	}
	fd = ckpt_inherit_fd_find(f->path);
	if (fd >= 0) {
		/* --inherit-fd: the caller's file as it is (its own flags and offset). */
		if (dup3(fd, f->fd, f->fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0) < 0) {
			err = -errno;
			pr_err("fd %d: cannot use the inherited fd for %s: %s", f->fd, f->path,
			       strerror(-err));
			return err;
		}
		return 0;
	}
	if ((flags & O_TMPFILE) == O_TMPFILE && f->kind != CKPT_FD_DELETED)
		flags &= ~O_TMPFILE;
	switch (f->kind) {
	case CKPT_FD_DEVNULL:
		fd = open("/dev/null", flags);
		break;
	case CKPT_FD_MEMDEV:
		/* The path is chosen by the device number, never taken from the image. */
		if (!memdev_path(f->rdev)) {
			pr_err("fd %d: device %u:%u is not a memory device", f->fd, major(f->rdev),
			       minor(f->rdev));
			return -EINVAL;
		}
		fd = open(memdev_path(f->rdev), flags);
		break;
	case CKPT_FD_PIPE:
	case CKPT_FD_FIFO:
		fd = pipe_end(f, pipes, n_pipes);
		break;
	case CKPT_FD_MEMFD:
		fd = make_memfd(f);
		break;
	case CKPT_FD_TIMERFD:
	case CKPT_FD_SIGNALFD:
	case CKPT_FD_EPOLL:
		fd = ckpt_fd_event_open(f);
		break;
	case CKPT_FD_DELETED:
		fd = make_deleted(f, flags, t);
		break;
	case CKPT_FD_UNIX:
	case CKPT_FD_INET:
		fd = ckpt_sk_restore_fd(f);
		break;
	case CKPT_FD_INOTIFY:
		fd = ckpt_inotify_open(f);
		if (fd < 0)
			return fd; /* logged */
		break;
	case CKPT_FD_PTMX:
	case CKPT_FD_PTS:
		fd = ckpt_pty_open(f, flags);
		if (fd < 0)
			return fd; /* logged */
		break;
	case CKPT_FD_EVENTFD:
		fd = eventfd(0, (flags & O_NONBLOCK ? EFD_NONBLOCK : 0) |
				       (f->eventfd_semaphore ? EFD_SEMAPHORE : 0));
		if (fd >= 0 && f->eventfd_count) {
			if (f->eventfd_count >= UINT64_MAX - 1 ||
			    write(fd, &f->eventfd_count, sizeof(f->eventfd_count)) != 8) {
				pr_err("fd %d: cannot set the eventfd counter to %" PRIu64, f->fd,
				       f->eventfd_count);
				close(fd);
				return -EINVAL;
			}
		}
		break;
	case CKPT_FD_TTY:
		if (tty_fd < 0) {
			pr_err("fd %d: was a terminal; restore with --shell-job from a terminal", f->fd);
			return -ENOTTY;
		}
		fd = fcntl(tty_fd, F_DUPFD_CLOEXEC, 0);
		break;
	case CKPT_FD_REG:
		path = ckpt_file_remap(f->path, remapped, sizeof(remapped));
		if (!path) {
			pr_err("fd %d: %s: the remapped path is too long", f->fd, f->path);
			return -ENAMETOOLONG;
		}
		fd = open(path, flags | O_NOCTTY);
		break;
	default:
		pr_err("fd %d: unknown kind %u in the image", f->fd, f->kind);
		return -EINVAL;
	}
	if (fd < 0) {
		err = -errno;
		pr_err("fd %d: cannot open %s: %s", f->fd, f->path ? f->path : "", strerror(errno));
		return err;
	}
	if (f->kind == CKPT_FD_REG || f->kind == CKPT_FD_DELETED) {
		err = f->kind == CKPT_FD_REG ?
			      ckpt_file_check(fd, what, f->path, &f->file, f->flags & O_APPEND) : 0;
		if (err)
			goto fail;
		if (!(flags & O_PATH) && lseek(fd, f->pos, SEEK_SET) < 0 && S_ISREG(f->file.mode)) {
			err = -errno;
			pr_err("fd %d: cannot seek %s to %" PRIu64 ": %s", f->fd, f->path, f->pos,
			       strerror(errno));
			goto fail;
		}
	}
	if (fd != f->fd) {
		if (dup3(fd, f->fd, 0) < 0) {
			err = -errno;
			pr_err("fd %d: dup: %s", f->fd, strerror(errno));
			goto fail;
		}
		close(fd);
	}
	if (fcntl(f->fd, F_SETFD, f->fd_flags) < 0) {
		err = -errno;
		pr_err("fd %d: cannot set its fd flags: %s", f->fd, strerror(-err));
		return err;
	}
	return 0;
fail:
	close(fd);
	return err;
}

/*
 * Take f's flock and OFD locks again: they belong to the open file
 * description (taken once, by the fd that opened it).  POSIX locks belong
 * to the process and are dropped when it closes any fd of the file: the
 * restorer takes them last (restorer.c).
 */
static int take_locks(const struct ckpt_fd *f)
{
	bool shared = f->dup_of >= 0 || f->parent_fd >= 0;
	size_t i;

	for (i = 0; i < f->n_locks; i++) {
		const struct ckpt_lock *l = &f->locks[i];
		struct flock fl = {
			.l_type = l->write ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET,
			.l_start = (off_t)l->start,
			.l_len = l->end == UINT64_MAX ? 0 : (off_t)(l->end - l->start + 1),
		};
		int r;

		if (shared || l->kind == CKPT_LOCK_POSIX)
			continue;
		if (l->kind == CKPT_LOCK_FLOCK)
			r = flock(f->fd, (l->write ? LOCK_EX : LOCK_SH) | LOCK_NB);
		else
			r = fcntl(f->fd, l->kind == CKPT_LOCK_OFD ? F_OFD_SETLK : F_SETLK, &fl);
		if (r) {
			int err = -errno;

			pr_err("fd %d: cannot take its %s lock on %s again: %s", f->fd,
			       l->kind == CKPT_LOCK_FLOCK ? "flock" : l->kind == CKPT_LOCK_OFD ? "OFD" :
			       "POSIX", f->path ? f->path : "its file",
			       errno == EAGAIN || errno == EWOULDBLOCK ? "another process holds it" :
			       strerror(errno));
			return err;
		}
	}
	return 0;
}

int ckpt_files_restore(const struct ckpt_task *t, int tty_fd, const struct ckpt_pipe_fds *pipes,
		       size_t n_pipes)
{
	size_t i;
	int err;

	for (i = 0; i < t->n_fds; i++) {
		err = open_one(&t->fds[i], tty_fd, pipes, n_pipes, t);
		if (err)
			return err;
	}
	for (i = 0; i < t->n_fds; i++) {
		err = take_locks(&t->fds[i]);
		if (err)
			return err;
	}
	return ckpt_epoll_restore(t); /* its targets are all back now */
}

/* Inode numbers /proc/locks names (any holder): only their fds need their fdinfo read for locks. */
static int locked_inodes(uint64_t **ret, size_t *ret_n)
{
	char *buf, *line;
	size_t cap = 0;
	int err;

	*ret = NULL;
	*ret_n = 0;
	err = ckpt_read_file(AT_FDCWD, "/proc/locks", &buf, NULL);
	if (err)
		return err;
	for (line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		unsigned int maj, min;
		unsigned long long ino;

		/* "1: POSIX  ADVISORY  WRITE 412 08:01:1234 0 EOF"; "->" lines are waiters */
		if (sscanf(line, "%*d: %*s %*s %*s %*s %x:%x:%llu", &maj, &min, &ino) != 3)
			continue;
		err = ckpt_grow((void **)ret, &cap, *ret_n + 1, sizeof(**ret));
		if (err)
			break;
		(*ret)[(*ret_n)++] = ino;
	}
	free(buf);
	return err;
}

int ckpt_files_finish(pid_t pid, int procfd, struct ckpt_task *t)
{
	uint64_t *locked;
	size_t i, j, n_locked;
	int err;

	err = locked_inodes(&locked, &n_locked);
	if (err) {
		pr_err("pid %d: cannot read /proc/locks: %s", pid, strerror(-err));
		return err;
	}
	for (i = 0; !err && i < t->n_fds; i++) {
		struct ckpt_fd *f = &t->fds[i];
		bool need = f->kind == CKPT_FD_EVENTFD || f->kind == CKPT_FD_TIMERFD ||
			    f->kind == CKPT_FD_SIGNALFD || f->kind == CKPT_FD_EPOLL;
		char path[64], *info = NULL;

		for (j = 0; !need && j < n_locked; j++)
			need = locked[j] == f->file.ino;
		if (f->kind == CKPT_FD_MEMFD || f->kind == CKPT_FD_DELETED)
			err = read_memfd(pid, procfd, f);
		if (err || !need)
			continue;
		snprintf(path, sizeof(path), "fdinfo/%d", f->fd);
		err = ckpt_read_file(procfd, path, &info, NULL);
		if (err) {
			pr_err("pid %d fd %d: cannot read its fdinfo: %s", pid, f->fd, strerror(-err));
			break;
		}
		err = ckpt_proc_parse_locks(info, &f->locks, &f->n_locks);
		if (err)
			pr_err("pid %d fd %d: holds a file lock ckpt cannot take again (%s)", pid, f->fd,
			       err == -EOPNOTSUPP ? "mandatory or a lease" : "unreadable fdinfo");
		if (!err && f->kind == CKPT_FD_TIMERFD)
			err = ckpt_fdinfo_timerfd(pid, info, f);
		if (!err && f->kind == CKPT_FD_SIGNALFD)
			err = ckpt_fdinfo_signalfd(pid, info, f);
		if (!err && f->kind == CKPT_FD_EPOLL)
			err = ckpt_fdinfo_epoll(pid, info, f);
		if (!err && f->kind == CKPT_FD_EVENTFD) {
			const char *c = strstr(info, "eventfd-count:");
			const char *sem = strstr(info, "eventfd-semaphore:");

			if (!c) {
				pr_err("pid %d fd %d: eventfd without a counter in fdinfo", pid, f->fd);
				err = -EINVAL;
			} else {
				f->eventfd_count = strtoull(c + 14, NULL, 16);
				f->eventfd_semaphore = sem && atoi(sem + 18);
			}
		}
		free(info);
	}
	free(locked);
	if (!err) {
		qsort(t->fds, t->n_fds, sizeof(*t->fds), fd_cmp);
		find_dups(pid, t);
		err = ckpt_epoll_check(pid, t);
	}
	return err;
}
