// SPDX-License-Identifier: GPL-2.0
/*
 * lib/files.c: fd type names, classification of real fds, the file check,
 * collecting the fd table of a helper process and restoring one in a
 * forked child.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fd-event.h"
#include "fd-inotify.h"
#include "fd-tty.h"
#include "files.h"
#include "proc.h"
#include "state.h"
#include "unit.h"
#include "util.h"

#define DATA_LEN 100
#define REPORT_FD 900 /* the restore child reports here; no image fd is this high */
#define TTY_FD 901
#define NFDS 16

static char *dir, *data; /* scratch dir, and a DATA_LEN-byte file in it */

static int setup(void **state)
{
	char buf[DATA_LEN];
	int fd;

	(void)state;
	unit_log_reset();
	dir = unit_tmpdir();
	if (!dir || asprintf(&data, "%s/data file", dir) < 0)
		return -1;
	memset(buf, 'd', sizeof(buf));
	fd = open(data, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf))
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unit_rm_rf(dir);
	free(dir);
	free(data);
	dir = data = NULL;
	return 0;
}

static char *path_in_dir(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

/* Classify our own fd as collect would see it. */
static int classify(int fd, bool shell_job, struct ckpt_fd *f)
{
	char link[64], *text;
	struct stat st;
	int err;

	memset(f, 0, sizeof(*f));
	f->fd = fd;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	assert_int_equal(ckpt_readlink(AT_FDCWD, link, &text), 0);
	assert_int_equal(fstat(fd, &st), 0);
	err = ckpt_fd_classify(getpid(), f, text, &st, shell_job);
	free(text);
	return err;
}

static const char *type_of(int fd, char *buf, size_t len)
{
	char link[64], *text;
	struct stat st;
	const char *r;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	assert_int_equal(ckpt_readlink(AT_FDCWD, link, &text), 0);
	assert_int_equal(fstat(fd, &st), 0);
	r = ckpt_fd_type_name(text, st.st_mode, buf, len);
	/* The name may live in buf: copy it out before text goes. */
	if (r != buf) {
		snprintf(buf, len, "%s", r);
		r = buf;
	}
	free(text);
	return r;
}

static bool open_pty(int *ret_master, int *ret_slave)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), s;

	if (m < 0)
		return false;
	if (grantpt(m) || unlockpt(m) || !ptsname(m) ||
	    (s = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		close(m);
		return false;
	}
	*ret_master = m;
	*ret_slave = s;
	return true;
}

/* ---- ckpt_fd_type_name ---- */

static void test_type_name_from_link(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(ckpt_fd_type_name("pipe:[123]", S_IFIFO, b, sizeof(b)), "pipe");
	assert_string_equal(ckpt_fd_type_name("/tmp/a fifo", S_IFIFO, b, sizeof(b)), "fifo");
	assert_string_equal(ckpt_fd_type_name("socket:[5]", S_IFSOCK, b, sizeof(b)), "socket");
	assert_string_equal(ckpt_fd_type_name("anon_inode:[eventfd]", 0, b, sizeof(b)), "eventfd");
	assert_string_equal(ckpt_fd_type_name("anon_inode:inotify", 0, b, sizeof(b)), "inotify");
	assert_string_equal(ckpt_fd_type_name("anon_inode:[timerfd]", S_IFREG, b, sizeof(b)), "timerfd");
	assert_string_equal(ckpt_fd_type_name("anon_inode:[]", 0, b, sizeof(b)), "[]");
	assert_string_equal(ckpt_fd_type_name("/memfd:x (deleted)", S_IFREG, b, sizeof(b)), "memfd");
}

static void test_type_name_from_mode(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(ckpt_fd_type_name("/dev/zero", S_IFCHR | 0666, b, sizeof(b)),
			    "character device");
	assert_string_equal(ckpt_fd_type_name("/dev/sda", S_IFBLK, b, sizeof(b)), "block device");
	assert_string_equal(ckpt_fd_type_name("/tmp", S_IFDIR | 0755, b, sizeof(b)), "directory");
	assert_string_equal(ckpt_fd_type_name("/etc/passwd", S_IFREG | 0644, b, sizeof(b)),
			    "regular file");
	assert_string_equal(ckpt_fd_type_name("/x", 0, b, sizeof(b)), "unknown");
	assert_string_equal(ckpt_fd_type_name("/x", S_IFLNK, b, sizeof(b)), "unknown");
}

static void test_type_name_small_buffer(void **state)
{
	char b[4];

	(void)state;
	assert_string_equal(ckpt_fd_type_name("anon_inode:[eventfd]", 0, b, sizeof(b)), "eve");
	assert_string_equal(ckpt_fd_type_name("anon_inode:inotify", 0, b, sizeof(b)), "ino");
}

static void test_type_name_real_fds(void **state)
{
	char b[64];
	int fd, p[2], sv[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_string_equal(type_of(p[0], b, sizeof(b)), "pipe");
	close(p[0]);
	close(p[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_string_equal(type_of(sv[0], b, sizeof(b)), "socket");
	close(sv[0]);
	close(sv[1]);
	fd = eventfd(0, EFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_string_equal(type_of(fd, b, sizeof(b)), "eventfd");
	close(fd);
	fd = inotify_init1(IN_CLOEXEC);
	assert_true(fd >= 0);
	assert_string_equal(type_of(fd, b, sizeof(b)), "inotify");
	close(fd);
	fd = memfd_create("x", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_string_equal(type_of(fd, b, sizeof(b)), "memfd");
	close(fd);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_string_equal(type_of(fd, b, sizeof(b)), "character device");
	close(fd);
}

static void test_type_name_real_fifo(void **state)
{
	char *fifo = path_in_dir("a fifo"), b[32];
	int fd;

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	fd = open(fifo, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_string_equal(type_of(fd, b, sizeof(b)), "fifo");
	close(fd);
	free(fifo);
}

/* ---- ckpt_fd_classify ---- */

static void test_classify_regular_file(void **state)
{
	struct ckpt_fd f;
	struct stat st;
	int fd;

	(void)state;
	fd = open(data, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(classify(fd, false, &f), 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	assert_int_equal(f.kind, CKPT_FD_REG);
	assert_string_equal(f.path, data);
	assert_int_equal(f.file.size, DATA_LEN);
	assert_int_equal(f.file.ino, st.st_ino);
	assert_int_equal(f.file.dev, st.st_dev);
	assert_int_equal(f.file.mode, st.st_mode);
	assert_true(S_ISREG(f.file.mode));
	free(f.path);
	assert_int_equal(unit_log_errors(), 0);
}

static void test_classify_directory(void **state)
{
	struct ckpt_fd f;
	int fd;

	(void)state;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(classify(fd, false, &f), 0);
	close(fd);
	assert_int_equal(f.kind, CKPT_FD_REG);
	assert_true(S_ISDIR(f.file.mode));
	assert_string_equal(f.path, dir);
	free(f.path);
}

static void test_classify_devnull(void **state)
{
	struct ckpt_fd f;
	int fd;

	(void)state;
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(classify(fd, false, &f), 0);
	close(fd);
	assert_int_equal(f.kind, CKPT_FD_DEVNULL);
	assert_int_equal(f.rdev, makedev(1, 3));
	assert_string_equal(f.path, "/dev/null");
	free(f.path);
}

/* Fails with -EOPNOTSUPP and exactly one error naming pid, fd and what. */
static void expect_unsupported(int fd, bool shell_job, const char *what)
{
	char want[64];
	struct ckpt_fd f;

	unit_log_reset();
	assert_int_equal(classify(fd, shell_job, &f), -EOPNOTSUPP);
	free(f.path);
	assert_int_equal(unit_log_errors(), 1);
	snprintf(want, sizeof(want), "pid %d fd %d", getpid(), fd);
	assert_non_null(strstr(unit_log.last_err, want));
	if (!strstr(unit_log.last_err, what))
		fail_msg("\"%s\" does not mention \"%s\"", unit_log.last_err, what);
}

static void test_classify_pipe(void **state)
{
	struct ckpt_fd f;
	struct stat st;
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(fstat(p[0], &st), 0);
	assert_int_equal(classify(p[1], false, &f), 0);
	assert_int_equal(f.kind, CKPT_FD_PIPE);
	assert_int_equal(f.file.ino, st.st_ino); /* names the pipe */
	free(f.path);
	close(p[0]);
	close(p[1]);
}

static void test_classify_socket_eventfd_memfd(void **state)
{
	int sv[2], fd;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	expect_unsupported(sv[0], false, "socket");
	close(sv[0]);
	close(sv[1]);
	fd = inotify_init1(IN_CLOEXEC);
	assert_true(fd >= 0);
	{
		struct ckpt_fd f;

		assert_int_equal(classify(fd, false, &f), 0); /* supported: watches read by collect */
		assert_int_equal(f.kind, CKPT_FD_INOTIFY);
		free(f.path);
	}
	close(fd);
	fd = memfd_create("unit", MFD_CLOEXEC);
	assert_true(fd >= 0);
	{
		struct ckpt_fd f;

		assert_int_equal(classify(fd, false, &f), 0); /* supported: contents read by collect */
		assert_int_equal(f.kind, CKPT_FD_MEMFD);
		free(f.path);
	}
	close(fd);
}

static char *fdinfo(int fd)
{
	char path[64], *text;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	assert_int_equal(ckpt_read_file(AT_FDCWD, path, &text, NULL), 0);
	return text;
}

/*
 * timerfd, signalfd and epoll: classified, their state read from fdinfo,
 * recreated from it (the new ones behave the same), and an epoll target
 * replaced after it was added refused.
 */
static void test_event_fds(void **state)
{
	struct itimerspec its = { .it_interval = { 3, 0 }, .it_value = { 0, 500000000 } }, got;
	struct ckpt_task t = { 0 };
	struct ckpt_fd f[4];
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 0x1234567890ULL }, out;
	sigset_t set;
	uint64_t one = 1;
	int fds[4], nfd[4], i;
	char *info;

	(void)state;
	fds[0] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	assert_int_equal(timerfd_settime(fds[0], 0, &its, NULL), 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN + 1);
	fds[1] = signalfd(-1, &set, SFD_CLOEXEC);
	fds[2] = eventfd(0, EFD_CLOEXEC);
	fds[3] = epoll_create1(EPOLL_CLOEXEC);
	assert_int_equal(epoll_ctl(fds[3], EPOLL_CTL_ADD, fds[2], &ev), 0);
	for (i = 0; i < 4; i++) {
		assert_true(fds[i] >= 0);
		assert_int_equal(classify(fds[i], false, &f[i]), 0);
		info = fdinfo(fds[i]);
		assert_int_equal(ckpt_proc_parse_fdinfo(info, &f[i].pos, &f[i].flags), 0);
		if (i == 0)
			assert_int_equal(ckpt_fdinfo_timerfd(getpid(), info, &f[i]), 0);
		if (i == 1)
			assert_int_equal(ckpt_fdinfo_signalfd(getpid(), info, &f[i]), 0);
		if (i == 3)
			assert_int_equal(ckpt_fdinfo_epoll(getpid(), info, &f[i]), 0);
		free(info);
	}
	assert_int_equal(f[0].kind, CKPT_FD_TIMERFD);
	assert_int_equal(f[0].tfd_clock, CLOCK_MONOTONIC);
	assert_int_equal(f[0].tfd_interval_ns, 3000000000ULL);
	assert_true(f[0].tfd_value_ns > 0 && f[0].tfd_value_ns <= 500000000ULL);
	assert_int_equal(f[1].kind, CKPT_FD_SIGNALFD);
	assert_int_equal(f[1].sigmask, (1ULL << (SIGUSR2 - 1)) | (1ULL << (SIGRTMIN + 1 - 1)));
	assert_int_equal(f[3].kind, CKPT_FD_EPOLL);
	assert_int_equal(f[3].n_epoll, 1);
	assert_int_equal(f[3].epoll[0].tfd, fds[2]);
	assert_int_equal(f[3].epoll[0].events & ~(EPOLLERR | EPOLLHUP), EPOLLIN | EPOLLET); /* those two always */
	assert_int_equal(f[3].epoll[0].data, 0x1234567890ULL);
	assert_int_equal(f[3].epoll[0].ino, f[2].file.ino);
	assert_int_equal(f[3].epoll[0].dev, f[2].file.dev);
	t.fds = f;
	t.n_fds = 4;
	assert_int_equal(ckpt_epoll_check(getpid(), &t), 0);

	/* recreated: same clock/interval, same mask, the epoll reports the same data */
	for (i = 0; i < 4; i++) {
		nfd[i] = i == 2 ? fds[2] : ckpt_fd_event_open(&f[i]);
		assert_true(nfd[i] >= 0);
	}
	assert_int_equal(timerfd_gettime(nfd[0], &got), 0);
	assert_int_equal(got.it_interval.tv_sec, 3);
	assert_true(got.it_value.tv_sec == 0 && got.it_value.tv_nsec > 0);
	assert_true(fcntl(nfd[0], F_GETFL) & O_NONBLOCK);
	f[3].fd = nfd[3]; /* the new epoll fd; its target is fds[2] itself */
	f[3].dup_of = f[3].parent_fd = -1;
	t.fds = &f[3];
	t.n_fds = 1;
	assert_int_equal(ckpt_epoll_restore(&t), 0);
	assert_int_equal(write(fds[2], &one, 8), 8);
	assert_int_equal(epoll_wait(nfd[3], &out, 1, 1000), 1);
	assert_int_equal(out.data.u64, 0x1234567890ULL);

	/* the watched fd now names another file: refused, naming both fds */
	f[2].file.ino++;
	t.fds = f;
	t.n_fds = 4;
	unit_log_reset();
	assert_int_equal(ckpt_epoll_check(getpid(), &t), -EOPNOTSUPP);
	assert_int_equal(unit_log_errors(), 1);
	for (i = 0; i < 4; i++) {
		close(fds[i]);
		if (i != 2)
			close(nfd[i]);
		free(f[i].path);
	}
	free(f[3].epoll);
}

static void test_classify_other_char_device(void **state)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_CLOEXEC); /* 1:11, not one ckpt can reopen */

	(void)state;
	assert_true(fd >= 0);
	expect_unsupported(fd, true, "character device");
	close(fd);
}

/* A named FIFO by path and inode; a deleted one is refused, naming it. */
static void test_classify_fifo(void **state)
{
	char *fifo = path_in_dir("fifo");
	struct ckpt_fd f;
	struct stat st;
	int fd;

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	fd = open(fifo, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(classify(fd, false, &f), 0);
	assert_int_equal(stat(fifo, &st), 0);
	assert_int_equal(f.kind, CKPT_FD_FIFO);
	assert_string_equal(f.path, fifo);
	assert_int_equal(f.file.ino, st.st_ino);
	assert_int_equal(f.file.dev, st.st_dev);
	free(f.path);
	assert_int_equal(unlink(fifo), 0);
	expect_unsupported(fd, false, "FIFO");
	close(fd);
	free(fifo);
}

/* Unlinked while open: its own kind, with the path it had; a deleted directory is refused. */
static void test_classify_deleted_file(void **state)
{
	char *p = path_in_dir("doomed");
	struct ckpt_fd f;
	int fd;

	(void)state;
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(classify(fd, false, &f), 0);
	assert_int_equal(f.kind, CKPT_FD_DELETED);
	assert_string_equal(f.path, p);
	free(f.path);
	close(fd);
	assert_int_equal(mkdir(p, 0700), 0);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(rmdir(p), 0);
	expect_unsupported(fd, false, "deleted");
	close(fd);
	free(p);
}

static void test_classify_replaced_file(void **state)
{
	char *p = path_in_dir("other");
	struct ckpt_fd f = { .fd = 3 };
	struct stat st;

	(void)state;
	/* The link names data, the stat is of another file. */
	assert_int_equal(close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(ckpt_fd_classify(getpid(), &f, data, &st, false), -EOPNOTSUPP);
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "replaced"));
	free(f.path);
	free(p);
}

static void test_classify_relative_link(void **state)
{
	struct ckpt_fd f = { .fd = 4 };
	struct stat st;

	(void)state;
	assert_int_equal(stat(data, &st), 0);
	assert_int_equal(ckpt_fd_classify(getpid(), &f, "relative/path", &st, false), -EOPNOTSUPP);
	assert_int_equal(unit_log_errors(), 1);
	free(f.path);
}

static void test_classify_tty(void **state)
{
	struct ckpt_fd f;
	struct stat st;
	int m, s;

	(void)state;
	if (!open_pty(&m, &s)) {
		print_message("no pseudo-terminals here: %s\n", strerror(errno));
		skip();
	}
	unit_log_reset();
	assert_int_equal(classify(s, false, &f), 0);
	assert_int_equal(f.kind, CKPT_FD_PTS); /* decided once the tree is known */
	assert_int_equal(fstat(s, &st), 0);
	assert_int_equal(f.rdev, st.st_rdev);
	assert_non_null(strstr(f.path, "/dev/pts/"));
	assert_int_equal(unit_log_errors(), 0);
	{
		struct ckpt_fd fds[2] = { f, { .fd = m, .kind = CKPT_FD_PTMX } };
		struct ckpt_task t = { .pid = getpid(), .fds = fds, .n_fds = 1 };
		struct ckpt_task *tp = &t;
		int idx = -1;

		assert_int_equal(ioctl(m, TIOCGPTN, &idx), 0);
		fds[0].pty.index = (major(st.st_rdev) - 136) * 256 + minor(st.st_rdev);
		assert_int_equal(fds[0].pty.index, idx);
		/* The master outside the tree: the outer terminal, only with --shell-job. */
		assert_int_equal(ckpt_pty_resolve(&tp, 1, false), -EOPNOTSUPP);
		assert_int_equal(unit_log_errors(), 1);
		assert_non_null(strstr(unit_log.last_err, "--shell-job"));
		assert_int_equal(ckpt_pty_resolve(&tp, 1, true), 0);
		assert_int_equal(fds[0].kind, CKPT_FD_TTY);
		/* The master in the tree: a pair of the tree. */
		fds[0].kind = CKPT_FD_PTS;
		fds[1].pty.index = idx;
		t.n_fds = 2;
		assert_int_equal(ckpt_pty_resolve(&tp, 1, false), 0);
		assert_int_equal(fds[0].kind, CKPT_FD_PTS);
	}
	free(f.path);
	close(s);
	close(m);
}

/* inotify fdinfo lines: wd, mask, device in the kernel's encoding, the handle; sorted by wd. */
static void test_inotify_parse(void **state)
{
	const char *info = "pos:\t0\nflags:\t04000\n"
		"inotify wd:4 ino:bf5d sdev:14 mask:fff ignored_mask:0 fhandle-bytes:c "
		"fhandle-type:81 f_handle:5dbf00000000000000000000\n"
		"inotify wd:2 ino:64004 sdev:fe00003 mask:2 ignored_mask:0 fhandle-bytes:8 "
		"fhandle-type:1 f_handle:04400600d9a7d988\n";
	struct ckpt_inotify_watch *w = NULL;
	struct ckpt_inotify_handle *h = NULL;
	size_t n = 0;
	int fd;

	(void)state;
	assert_int_equal(ckpt_inotify_parse(info, &w, &n, &h), 0);
	assert_int_equal(n, 2);
	assert_int_equal(w[0].wd, 2);
	assert_int_equal(w[0].mask, 2);
	assert_int_equal(w[0].ino, 0x64004);
	assert_int_equal(w[0].dev, makedev(254, 3));
	assert_int_equal(h[0].bytes, 8);
	assert_int_equal(h[0].type, 1);
	assert_int_equal(h[0].handle[0], 0x04);
	assert_int_equal(h[0].handle[7], 0x88);
	assert_int_equal(w[1].wd, 4);
	assert_int_equal(w[1].dev, makedev(0, 0x14));
	assert_int_equal(h[1].bytes, 12);
	free(w);
	free(h);
	assert_int_equal(ckpt_inotify_parse("inotify wd:zz\n", &w, &n, &h), -EINVAL);
	assert_int_equal(ckpt_inotify_parse("inotify wd:1 ino:1 sdev:1 mask:1 ignored_mask:0 "
					    "fhandle-bytes:4 fhandle-type:1 f_handle:01\n"
					    "inotify wd:1 ino:1 sdev:1 mask:1 ignored_mask:0 "
					    "fhandle-bytes:1 fhandle-type:1 f_handle:01\n", &w, &n, &h),
			 -EINVAL); /* a short handle, then a repeated wd */
	/* A real one: its watch's path comes back through the handle. */
	fd = inotify_init1(IN_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(inotify_add_watch(fd, dir, IN_CREATE), 1);
	{
		struct ckpt_fd f = { .fd = fd };
		char *text = fdinfo(fd);
		int r;

		unit_log_reset();
		assert_int_equal(ckpt_fdinfo_inotify(getpid(), text, &f), 0);
		assert_int_equal(f.n_watches, 1);
		assert_string_equal(f.watches[0].path, dir);
		assert_int_equal(f.watches[0].mask, IN_CREATE);
		r = ckpt_inotify_open(&f);
		assert_true(r >= 0);
		assert_int_equal(inotify_add_watch(r, dir, IN_CREATE), 1); /* the same wd again */
		close(r);
		free(f.watches[0].path);
		free(f.watches);
		free(text);
	}
	close(fd);
}

/* Descriptions found by (dev, ino) and kcmp's order: a dup finds the lowest fd of its description. */
static void test_fd_index(void **state)
{
	struct ckpt_fd fds[6];
	struct ckpt_task t = { .fds = fds, .n_fds = 6 };
	struct ckpt_fd_index x;
	int raw[6], i;

	(void)state;
	raw[0] = open(data, O_RDONLY | O_CLOEXEC);
	raw[1] = open(data, O_RDONLY | O_CLOEXEC);
	raw[2] = fcntl(raw[0], F_DUPFD_CLOEXEC, 0);
	raw[3] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	raw[4] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	raw[5] = fcntl(raw[4], F_DUPFD_CLOEXEC, 0);
	for (i = 0; i < 6; i++) {
		struct stat st;

		assert_true(raw[i] >= 0);
		assert_int_equal(fstat(raw[i], &st), 0);
		fds[i] = (struct ckpt_fd){ .fd = raw[i], .dup_of = -1 };
		ckpt_file_id_set(&fds[i].file, &st);
	}
	assert_int_equal(ckpt_fd_index_build(getpid(), &t, &x), 0);
	assert_int_equal(x.n, 6);
	assert_ptr_equal(ckpt_fd_index_find(&x, getpid(), &fds[2]), &fds[0]);
	assert_ptr_equal(ckpt_fd_index_find(&x, getpid(), &fds[1]), &fds[1]);
	assert_ptr_equal(ckpt_fd_index_find(&x, getpid(), &fds[5]), &fds[4]);
	assert_ptr_equal(ckpt_fd_index_find(&x, getpid(), &fds[3]), &fds[3]);
	{
		struct ckpt_fd other = fds[1];

		other.file.ino++; /* no such file in the index */
		assert_null(ckpt_fd_index_find(&x, getpid(), &other));
	}
	ckpt_fd_index_free(&x);
	for (i = 0; i < 6; i++)
		close(raw[i]);
}

/* fanotify is refused by name. */
static void test_classify_fanotify(void **state)
{
	int fd;

	(void)state;
	fd = syscall(SYS_fanotify_init, 0, O_RDONLY);
	if (fd < 0) {
		print_message("no fanotify here: %s\n", strerror(errno));
		skip();
	}
	expect_unsupported(fd, false, "fanotify");
	close(fd);
}

/* ---- ckpt_file_check ---- */

static struct ckpt_file_id id_of(const char *path)
{
	struct ckpt_file_id id;
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	id.dev = st.st_dev;
	id.ino = st.st_ino;
	id.size = st.st_size;
	id.mode = st.st_mode;
	return id;
}

static void test_check_same_size(void **state)
{
	struct ckpt_file_id id = id_of(data);
	int fd = open(data, O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ckpt_file_check(fd, "fd 3", data, &id, false), 0);
	assert_int_equal(ckpt_file_check(fd, "fd 3", data, &id, true), 0);
	close(fd);
	assert_int_equal(unit_log_errors(), 0);
}

static void test_check_changed_size(void **state)
{
	struct ckpt_file_id id = id_of(data);
	int fd = open(data, O_RDWR | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, DATA_LEN + 1), 0);
	assert_int_equal(ckpt_file_check(fd, "fd 3", data, &id, false), -ESTALE);
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "fd 3"));
	assert_non_null(strstr(unit_log.last_err, "changed size"));
	/* Larger is fine when it may grow; smaller never is. */
	assert_int_equal(ckpt_file_check(fd, "fd 3", data, &id, true), 0);
	assert_int_equal(ftruncate(fd, DATA_LEN - 1), 0);
	assert_int_equal(ckpt_file_check(fd, "fd 3", data, &id, true), -ESTALE);
	assert_int_equal(ckpt_file_check(fd, "fd 3", data, &id, false), -ESTALE);
	close(fd);
	assert_int_equal(unit_log_errors(), 3);
}

static void test_check_different_type(void **state)
{
	struct ckpt_file_id id = id_of(data);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ckpt_file_check(fd, "exe", data, &id, true), -ESTALE);
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "no longer the same kind"));
	close(fd);
}

static void test_check_directory_size_ignored(void **state)
{
	struct ckpt_file_id id = id_of(dir);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	id.size += 4096;
	assert_int_equal(ckpt_file_check(fd, "cwd", dir, &id, false), 0);
	close(fd);
}

static void errno_clobbering_log(enum ckpt_log_level level, const char *file, int line,
				 const char *msg)
{
	unit_log_fn(level, file, line, msg);
	errno = ENOENT; /* e.g. a logger that opened a file on the way */
}

static void test_check_bad_fd(void **state)
{
	struct ckpt_file_id id = id_of(data);

	(void)state;
	assert_int_equal(ckpt_file_check(-1, "fd 3", data, &id, false), -EBADF);
	assert_int_equal(unit_log_errors(), 1);
	/* The error is the fstat's, whatever the logger does to errno. */
	ckpt_log_set_fn(errno_clobbering_log);
	assert_int_equal(ckpt_file_check(-1, "fd 3", data, &id, false), -EBADF);
	assert_int_equal(unit_log_errors(), 2);
}

/* ---- ckpt_files_collect on a helper process ---- */

static void child_at(int fd, int want)
{
	if (fd < 0)
		_exit(10 + want);
	if (fd != want) {
		if (dup2(fd, want) != want)
			_exit(30 + want);
		close(fd);
	}
}

/*
 * "files": fds 0 /dev/null r, 1 /dev/null w, 2 = dup of 1, 3 the data file
 * O_RDWR|O_APPEND at 40, 4 the data file O_RDONLY|O_CLOEXEC at 7, 5 the
 * directory, 7 = dup of 4 (no FD_CLOEXEC).  "pipe" and "deleted" add
 * fd 3 of that kind to 0..2.
 */
static int child_files(const char *kind, const char *d, int ready)
{
	char *path;

	if (asprintf(&path, "%s/data file", d) < 0)
		_exit(2);
	child_at(fcntl(ready, F_DUPFD_CLOEXEC, 100), 100);
	ready = 100;
	close_range(0, 99, 0);
	close_range(101, ~0U, 0);
	child_at(open("/dev/null", O_RDONLY), 0);
	child_at(open("/dev/null", O_WRONLY), 1);
	child_at(dup(1), 2);
	if (!strcmp(kind, "pipe")) {
		int p[2];

		if (pipe(p))
			_exit(3);
		child_at(p[0], 3);
		child_at(p[1], 4);
	} else if (!strcmp(kind, "deleted")) {
		char *gone;

		if (asprintf(&gone, "%s/gone", d) < 0)
			_exit(2);
		child_at(open(gone, O_RDWR | O_CREAT, 0600), 3);
		if (write(3, "bytes", 5) != 5)
			_exit(6);
		unlink(gone);
	} else {
		child_at(open(path, O_RDWR | O_APPEND), 3);
		if (lseek(3, 40, SEEK_SET) != 40)
			_exit(4);
		child_at(open(path, O_RDONLY | O_CLOEXEC), 4);
		if (lseek(4, 7, SEEK_SET) != 7)
			_exit(5);
		child_at(open(d, O_RDONLY | O_DIRECTORY), 5);
		child_at(fcntl(4, F_DUPFD, 7), 7);
	}
	unit_child_ready(ready, "k", 1);
	for (;;)
		pause();
}

static pid_t kid;
static int kid_procfd = -1;

static int collect_setup(void **state)
{
	kid = 0;
	kid_procfd = -1;
	return setup(state);
}

static int collect_teardown(void **state)
{
	if (kid_procfd >= 0)
		close(kid_procfd);
	unit_child_kill(&kid);
	return teardown(state);
}

static void start_kid(const char *kind)
{
	char k;

	kid = unit_child_start(kind, dir, &k, 1);
	assert_true(kid > 0);
	assert_int_equal(ckpt_proc_open(kid, &kid_procfd), 0);
}

static void test_collect_files(void **state)
{
	struct ckpt_task t = { 0 };
	struct stat st;
	size_t i;

	(void)state;
	start_kid("files");
	assert_int_equal(stat(data, &st), 0);
	assert_int_equal(ckpt_files_collect(kid, kid_procfd, false, &t), 0);
	assert_int_equal(unit_log_errors(), 0);
	assert_int_equal(t.n_fds, 7);
	for (i = 1; i < t.n_fds; i++)
		assert_true(t.fds[i - 1].fd < t.fds[i].fd);
	assert_int_equal(t.fds[0].fd, 0);
	assert_int_equal(t.fds[0].kind, CKPT_FD_DEVNULL);
	assert_int_equal(t.fds[0].flags & O_ACCMODE, O_RDONLY);
	assert_int_equal(t.fds[0].dup_of, -1);
	assert_int_equal(t.fds[1].fd, 1);
	assert_int_equal(t.fds[1].kind, CKPT_FD_DEVNULL);
	assert_int_equal(t.fds[1].flags & O_ACCMODE, O_WRONLY);
	assert_int_equal(t.fds[1].dup_of, -1);
	assert_int_equal(t.fds[2].fd, 2);
	assert_int_equal(t.fds[2].dup_of, 1);

	assert_int_equal(t.fds[3].fd, 3);
	assert_int_equal(t.fds[3].kind, CKPT_FD_REG);
	assert_string_equal(t.fds[3].path, data);
	assert_int_equal(t.fds[3].pos, 40);
	assert_int_equal(t.fds[3].flags & O_ACCMODE, O_RDWR);
	assert_true(t.fds[3].flags & O_APPEND);
	assert_false(t.fds[3].flags & O_CLOEXEC);
	assert_int_equal(t.fds[3].fd_flags, 0);
	assert_int_equal(t.fds[3].file.size, DATA_LEN);
	assert_int_equal(t.fds[3].file.ino, st.st_ino);
	assert_int_equal(t.fds[3].file.dev, st.st_dev);
	assert_int_equal(t.fds[3].dup_of, -1);

	assert_int_equal(t.fds[4].fd, 4);
	assert_int_equal(t.fds[4].pos, 7);
	assert_int_equal(t.fds[4].flags & O_ACCMODE, O_RDONLY);
	assert_false(t.fds[4].flags & O_APPEND);
	assert_false(t.fds[4].flags & O_CLOEXEC); /* moved to fd_flags */
	assert_int_equal(t.fds[4].fd_flags, FD_CLOEXEC);
	assert_int_equal(t.fds[4].dup_of, -1); /* same file as 3, another open */

	assert_int_equal(t.fds[5].fd, 5);
	assert_int_equal(t.fds[5].kind, CKPT_FD_REG);
	assert_string_equal(t.fds[5].path, dir);
	assert_true(S_ISDIR(t.fds[5].file.mode));
	assert_true(t.fds[5].flags & O_DIRECTORY);

	assert_int_equal(t.fds[6].fd, 7);
	assert_int_equal(t.fds[6].dup_of, 4);
	assert_int_equal(t.fds[6].pos, 7);
	assert_int_equal(t.fds[6].fd_flags, 0);
	ckpt_task_free(&t);
}

static void test_collect_pipe_unsupported(void **state)
{
	struct ckpt_task t = { 0 };
	size_t i;

	(void)state;
	start_kid("pipe"); /* pipes are collected now; the tree-level check is in dump.c */
	assert_int_equal(ckpt_files_collect(kid, kid_procfd, true, &t), 0);
	assert_int_equal(unit_log_errors(), 0);
	for (i = 0; i < t.n_fds && t.fds[i].fd != 3; i++)
		;
	assert_true(i < t.n_fds);
	assert_int_equal(t.fds[i].kind, CKPT_FD_PIPE);
	ckpt_task_free(&t);
}

static void test_collect_deleted(void **state)
{
	struct ckpt_task t = { 0 };

	(void)state;
	start_kid("deleted");
	assert_int_equal(ckpt_files_collect(kid, kid_procfd, false, &t), 0);
	assert_int_equal(unit_log_errors(), 0);
	assert_int_equal(t.n_fds, 4);
	assert_int_equal(t.fds[3].kind, CKPT_FD_DELETED);
	assert_non_null(strstr(t.fds[3].path, "/gone"));
	assert_int_equal(t.fds[3].data_len, 5);
	assert_memory_equal(t.fds[3].data, "bytes", 5);
	ckpt_task_free(&t);
}

static void test_collect_no_fd_dir(void **state)
{
	struct ckpt_task t = { 0 };
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ckpt_files_collect(4242, fd, false, &t), -ENOENT);
	close(fd);
	assert_int_equal(t.n_fds, 0);
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "pid 4242"));
}

/* ---- ckpt_files_restore in a forked child ---- */

struct fd_report {
	int open;
	int fd_flags;
	int flags;
	int shares_with; /* lowest fd with the same open file description, or -1 */
	int64_t pos;
	uint64_t ino, dev, rdev;
	int64_t size;
};

struct report {
	int err;
	int n_errors;
	char last_err[sizeof(unit_log.last_err)];
	struct fd_report fd[NFDS];
};

static bool same_description(int a, int b)
{
	return syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, a, b) == 0;
}

static void report_fds(struct report *r)
{
	int i, j;

	for (i = 0; i < NFDS; i++) {
		struct fd_report *f = &r->fd[i];
		struct stat st;

		f->shares_with = -1;
		f->fd_flags = fcntl(i, F_GETFD);
		f->open = f->fd_flags >= 0;
		if (!f->open)
			continue;
		f->flags = fcntl(i, F_GETFL);
		f->pos = lseek(i, 0, SEEK_CUR);
		if (!fstat(i, &st)) {
			f->ino = st.st_ino;
			f->dev = st.st_dev;
			f->rdev = st.st_rdev;
			f->size = st.st_size;
		}
		for (j = 0; j < i && f->shares_with < 0; j++)
			if (r->fd[j].open && same_description(i, j))
				f->shares_with = j;
	}
}

/*
 * Fork; in the child, close fds 0..NFDS-1, put /dev/zero on each fd of
 * preopen (ending with -1), restore t and report the fd table.
 */
static void restore_in_child(const struct ckpt_task *t, int tty_fd, const int *preopen,
			     struct report *r)
{
	int p[2], st;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct report rep;
		int i;

		memset(&rep, 0, sizeof(rep));
		if (dup3(p[1], REPORT_FD, O_CLOEXEC) != REPORT_FD)
			_exit(2);
		if (tty_fd >= 0 && dup3(tty_fd, TTY_FD, O_CLOEXEC) != TTY_FD)
			_exit(3);
		for (i = 0; i < NFDS; i++)
			close(i);
		for (i = 0; preopen && preopen[i] >= 0; i++)
			child_at(open("/dev/zero", O_RDONLY), preopen[i]);
		unit_log_reset();
		rep.err = ckpt_files_restore(t, tty_fd >= 0 ? TTY_FD : -1, NULL, 0);
		rep.n_errors = unit_log_errors();
		snprintf(rep.last_err, sizeof(rep.last_err), "%s", unit_log.last_err);
		report_fds(&rep);
		_exit(write(REPORT_FD, &rep, sizeof(rep)) == sizeof(rep) ? 0 : 4);
	}
	close(p[1]);
	memset(r, 0, sizeof(*r));
	n = ckpt_read_all(p[0], r, sizeof(*r));
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(n, sizeof(*r));
}

static struct ckpt_fd reg_fd(int fd, const char *path, uint32_t flags, uint64_t pos)
{
	struct ckpt_fd f = { .fd = fd, .kind = CKPT_FD_REG, .flags = flags, .pos = pos,
			     .dup_of = -1, .parent_fd = -1 };

	f.path = (char *)path;
	f.file = id_of(path);
	return f;
}

static struct ckpt_fd null_fd(int fd, uint32_t flags)
{
	struct ckpt_fd f = { .fd = fd, .kind = CKPT_FD_DEVNULL, .flags = flags, .dup_of = -1, .parent_fd = -1 };

	f.path = (char *)"/dev/null";
	return f;
}

static void test_restore_fds(void **state)
{
	struct ckpt_fd fds[6];
	struct ckpt_task t = { .fds = fds, .n_fds = ARRAY_SIZE(fds) };
	static const int preopen[] = { 5, 9, -1 };
	struct ckpt_file_id id = id_of(data);
	struct stat null;
	struct report r;

	(void)state;
	assert_int_equal(stat("/dev/null", &null), 0);
	fds[0] = null_fd(0, O_RDONLY);
	fds[1] = null_fd(1, O_WRONLY);
	fds[1].fd_flags = FD_CLOEXEC;
	fds[2] = reg_fd(3, data, O_RDWR | O_APPEND, 5);
	fds[3] = reg_fd(5, data, O_RDONLY, 42);
	fds[3].fd_flags = FD_CLOEXEC;
	fds[4] = reg_fd(6, data, O_RDONLY, 42);
	fds[4].dup_of = 5;
	/* Creation flags from the image must not truncate or fail. */
	fds[5] = reg_fd(9, data, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY, 0);
	restore_in_child(&t, -1, preopen, &r);

	assert_int_equal(r.err, 0);
	assert_int_equal(r.n_errors, 0);
	assert_true(r.fd[0].open);
	assert_int_equal(r.fd[0].flags & O_ACCMODE, O_RDONLY);
	assert_int_equal(r.fd[0].rdev, null.st_rdev);
	assert_int_equal(r.fd[0].fd_flags, 0);
	assert_true(r.fd[1].open);
	assert_int_equal(r.fd[1].flags & O_ACCMODE, O_WRONLY);
	assert_int_equal(r.fd[1].fd_flags, FD_CLOEXEC);
	assert_int_equal(r.fd[1].shares_with, -1);
	assert_false(r.fd[2].open);

	assert_true(r.fd[3].open);
	assert_int_equal(r.fd[3].ino, id.ino);
	assert_int_equal(r.fd[3].dev, id.dev);
	assert_int_equal(r.fd[3].pos, 5);
	assert_int_equal(r.fd[3].flags & O_ACCMODE, O_RDWR);
	assert_true(r.fd[3].flags & O_APPEND);
	assert_int_equal(r.fd[3].fd_flags, 0);
	assert_false(r.fd[4].open);

	/* fd 5 held /dev/zero before: now the file. */
	assert_true(r.fd[5].open);
	assert_int_equal(r.fd[5].ino, id.ino);
	assert_int_equal(r.fd[5].pos, 42);
	assert_int_equal(r.fd[5].fd_flags, FD_CLOEXEC);
	assert_int_equal(r.fd[5].shares_with, -1);
	assert_true(r.fd[6].open);
	assert_int_equal(r.fd[6].shares_with, 5);
	assert_int_equal(r.fd[6].fd_flags, 0);
	assert_int_equal(r.fd[6].pos, 42);

	assert_true(r.fd[9].open);
	assert_int_equal(r.fd[9].ino, id.ino);
	assert_int_equal(r.fd[9].flags & O_ACCMODE, O_WRONLY);
	assert_int_equal(r.fd[9].size, DATA_LEN);
	assert_int_equal(r.fd[9].shares_with, -1);
	assert_false(r.fd[7].open);
	assert_false(r.fd[8].open);
	assert_int_equal(id_of(data).size, DATA_LEN);
}

static void expect_restore_error(struct ckpt_task *t, int tty_fd, int err, const char *what)
{
	struct report r;

	restore_in_child(t, tty_fd, NULL, &r);
	assert_int_equal(r.err, err);
	assert_int_equal(r.n_errors, 1);
	if (!strstr(r.last_err, what))
		fail_msg("\"%s\" does not mention \"%s\"", r.last_err, what);
}

static void test_restore_missing_file(void **state)
{
	char *gone = path_in_dir("gone");
	struct ckpt_fd fds[2];
	struct ckpt_task t = { .fds = fds, .n_fds = 2 };
	struct report r;

	(void)state;
	fds[0] = null_fd(0, O_RDONLY);
	fds[1] = reg_fd(4, data, O_RDONLY, 0);
	fds[1].path = gone;
	expect_restore_error(&t, -1, -ENOENT, "fd 4");
	restore_in_child(&t, -1, NULL, &r);
	assert_true(r.fd[0].open); /* fds before the failing one are there */
	assert_false(r.fd[4].open);
	free(gone);
}

static void test_restore_changed_size(void **state)
{
	struct ckpt_fd fds[1];
	struct ckpt_task t = { .fds = fds, .n_fds = 1 };
	struct report r;

	(void)state;
	fds[0] = reg_fd(3, data, O_RDONLY, 0);
	fds[0].file.size = DATA_LEN + 1;
	expect_restore_error(&t, -1, -ESTALE, "changed size");
	/* A file that grew is fine for an O_APPEND fd only. */
	fds[0].file.size = DATA_LEN - 1;
	expect_restore_error(&t, -1, -ESTALE, "changed size");
	fds[0].flags = O_WRONLY | O_APPEND;
	restore_in_child(&t, -1, NULL, &r);
	assert_int_equal(r.err, 0);
	assert_true(r.fd[3].open);
}

static void test_restore_changed_type(void **state)
{
	struct ckpt_fd fds[1];
	struct ckpt_task t = { .fds = fds, .n_fds = 1 };

	(void)state;
	fds[0] = reg_fd(3, data, O_RDONLY, 0);
	fds[0].path = dir; /* a directory where the image had a file */
	expect_restore_error(&t, -1, -ESTALE, "same kind");
}

static void test_restore_unknown_kind(void **state)
{
	struct ckpt_fd fds[1];
	struct ckpt_task t = { .fds = fds, .n_fds = 1 };

	(void)state;
	fds[0] = null_fd(2, O_RDONLY);
	fds[0].kind = 99;
	expect_restore_error(&t, -1, -EINVAL, "unknown kind");
}

static void test_restore_bad_dup(void **state)
{
	struct ckpt_fd fds[1];
	struct ckpt_task t = { .fds = fds, .n_fds = 1 };

	(void)state;
	fds[0] = reg_fd(6, data, O_RDONLY, 0);
	fds[0].dup_of = 5; /* not open */
	expect_restore_error(&t, -1, -EBADF, "fd 6");
}

static void test_restore_fd_too_high(void **state)
{
	struct ckpt_fd fds[1];
	struct ckpt_task t = { .fds = fds, .n_fds = 1 };

	(void)state;
	fds[0] = null_fd(INT_MAX, O_RDONLY);
	expect_restore_error(&t, -1, -EBADF, "dup");
}

static void test_restore_tty(void **state)
{
	struct ckpt_fd fds[2];
	struct ckpt_task t = { .fds = fds, .n_fds = 2 };
	struct report r;
	struct stat st;
	int m, s;

	(void)state;
	fds[0] = null_fd(0, O_RDONLY);
	fds[1] = null_fd(2, O_RDWR);
	fds[1].kind = CKPT_FD_TTY;
	fds[1].path = (char *)"/dev/pts/77";
	expect_restore_error(&t, -1, -ENOTTY, "--shell-job");
	if (!open_pty(&m, &s)) {
		print_message("no pseudo-terminals here: %s\n", strerror(errno));
		skip();
	}
	assert_int_equal(fstat(s, &st), 0);
	restore_in_child(&t, s, NULL, &r);
	close(s);
	close(m);
	assert_int_equal(r.err, 0);
	assert_true(r.fd[2].open);
	assert_int_equal(r.fd[2].rdev, st.st_rdev);
	assert_int_equal(r.fd[2].fd_flags, 0);
	assert_false(r.fd[1].open); /* the temporary dup is gone */
}

/* What collect saw in one process, restore rebuilds in another. */
static void test_collect_then_restore(void **state)
{
	struct ckpt_task t = { 0 };
	struct report r;
	size_t i;

	(void)state;
	start_kid("files");
	assert_int_equal(ckpt_files_collect(kid, kid_procfd, false, &t), 0);
	restore_in_child(&t, -1, NULL, &r);
	assert_int_equal(r.err, 0);
	for (i = 0; i < t.n_fds; i++) {
		const struct ckpt_fd *f = &t.fds[i];
		const struct fd_report *g = &r.fd[f->fd];

		assert_true(g->open);
		assert_int_equal(g->fd_flags, f->fd_flags);
		assert_int_equal(g->flags & (O_ACCMODE | O_APPEND | O_DIRECTORY),
				 f->flags & (O_ACCMODE | O_APPEND | O_DIRECTORY));
		assert_int_equal(g->shares_with, f->dup_of);
		if (f->kind == CKPT_FD_REG) {
			assert_int_equal(g->ino, f->file.ino);
			assert_int_equal(g->pos, f->pos);
		}
	}
	assert_false(r.fd[6].open);
	ckpt_task_free(&t);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_name_from_link),
		cmocka_unit_test(test_type_name_from_mode),
		cmocka_unit_test(test_type_name_small_buffer),
		cmocka_unit_test(test_type_name_real_fds),
		cmocka_unit_test_setup_teardown(test_type_name_real_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_regular_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_devnull, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_pipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_socket_eventfd_memfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_other_char_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_deleted_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_replaced_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_relative_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_tty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inotify_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_fanotify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_same_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_changed_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_different_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_directory_size_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_bad_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collect_files, collect_setup, collect_teardown),
		cmocka_unit_test_setup_teardown(test_collect_pipe_unsupported, collect_setup,
						collect_teardown),
		cmocka_unit_test_setup_teardown(test_collect_deleted, collect_setup,
						collect_teardown),
		cmocka_unit_test_setup_teardown(test_collect_no_fd_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_changed_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_changed_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_unknown_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_bad_dup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_fd_too_high, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_tty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collect_then_restore, collect_setup,
						collect_teardown),
	};

	if (argc == 5 && !strcmp(argv[1], UNIT_CHILD_ARG))
		return child_files(argv[2], argv[3], atoi(argv[4]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
