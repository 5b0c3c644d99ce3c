// SPDX-License-Identifier: GPL-2.0
/* lib/util.c: full-length I/O, whole-file reads, readlink, array growth. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"
#include "util.h"

static char *dir;
static int dirfd_ = -1;

static int dir_setup(void **state)
{
	(void)state;
	dir = unit_tmpdir();
	if (!dir)
		return -1;
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dirfd_ < 0 ? -1 : 0;
}

static int dir_teardown(void **state)
{
	(void)state;
	close(dirfd_);
	dirfd_ = -1;
	unit_rm_rf(dir);
	free(dir);
	dir = NULL;
	return 0;
}

/* A file of len bytes, byte i = i * 7 + 1 (never NUL). */
static void make_file(const char *name, size_t len)
{
	char *buf = malloc(len + 1);
	size_t i;
	int fd;

	assert_non_null(buf);
	for (i = 0; i < len; i++)
		buf[i] = (char)((i * 7) % 255 + 1);
	fd = openat(dirfd_, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ckpt_write_all(fd, buf, len), 0);
	close(fd);
	free(buf);
}

static void check_pattern(const char *buf, size_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != (char)(((off + i) * 7) % 255 + 1))
			fail_msg("byte %zu differs", off + i);
}

/* ---- ckpt_read_all ---- */

static void test_read_all_pipe_short_at_eof(void **state)
{
	char buf[100];
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], "hello", 5), 5);
	assert_int_equal(write(p[1], " world", 6), 6);
	close(p[1]);
	assert_int_equal(ckpt_read_all(p[0], buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "hello world", 11);
	assert_int_equal(ckpt_read_all(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
}

static void test_read_all_exact_leaves_rest(void **state)
{
	char buf[4];
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], "abcdefg", 7), 7);
	assert_int_equal(ckpt_read_all(p[0], buf, 4), 4);
	assert_memory_equal(buf, "abcd", 4);
	close(p[1]);
	assert_int_equal(ckpt_read_all(p[0], buf, 4), 3);
	assert_memory_equal(buf, "efg", 3);
	close(p[0]);
}

/* A SEQPACKET socket returns one record per read(): read_all must loop. */
static void test_read_all_joins_short_reads(void **state)
{
	char buf[64];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(write(sv[1], "one", 3), 3);
	assert_int_equal(write(sv[1], "two", 3), 3);
	assert_int_equal(write(sv[1], "three", 5), 5);
	assert_int_equal(ckpt_read_all(sv[0], buf, 8), 8);
	assert_memory_equal(buf, "onetwoth", 8);
	close(sv[1]);
	assert_int_equal(ckpt_read_all(sv[0], buf, sizeof(buf)), 0); /* "ree" was truncated away */
	close(sv[0]);
}

static void test_read_all_zero_len(void **state)
{
	char c;

	(void)state;
	assert_int_equal(ckpt_read_all(-1, &c, 0), 0);
}

static void test_read_all_bad_fd(void **state)
{
	char buf[8];
	int fd;

	(void)state;
	assert_int_equal(ckpt_read_all(-1, buf, sizeof(buf)), -EBADF);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ckpt_read_all(fd, buf, sizeof(buf)), -EBADF);
	close(fd);
}

static void test_read_all_directory(void **state)
{
	char buf[8];
	int fd;

	(void)state;
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ckpt_read_all(fd, buf, sizeof(buf)), -EISDIR);
	close(fd);
}

static void on_signal(int sig)
{
	(void)sig;
}

struct late_writer {
	pthread_t reader;
	int fd;
};

static void *late_writer(void *arg)
{
	struct late_writer *w = arg;

	unit_sleep_ms(20);
	pthread_kill(w->reader, SIGUSR1); /* interrupts the blocked read with EINTR */
	unit_sleep_ms(20);
	if (write(w->fd, "late", 4) != 4)
		return (void *)1;
	close(w->fd);
	return NULL;
}

/* A signal without SA_RESTART during the read: it retries. */
static void test_read_all_retries_eintr(void **state)
{
	struct sigaction sa = { .sa_handler = on_signal }, old;
	struct late_writer w;
	pthread_t th;
	char buf[16];
	void *ret;
	int p[2];

	(void)state;
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	w.reader = pthread_self();
	w.fd = p[1];
	assert_int_equal(pthread_create(&th, NULL, late_writer, &w), 0);
	assert_int_equal(ckpt_read_all(p[0], buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "late", 4);
	assert_int_equal(pthread_join(th, &ret), 0);
	assert_null(ret);
	close(p[0]);
	sigaction(SIGUSR1, &old, NULL);
}

static void test_read_all_file(void **state)
{
	char buf[5000];
	int fd;

	(void)state;
	make_file("f", 3000);
	fd = openat(dirfd_, "f", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ckpt_read_all(fd, buf, 1000), 1000);
	check_pattern(buf, 0, 1000);
	assert_int_equal(ckpt_read_all(fd, buf, sizeof(buf)), 2000);
	check_pattern(buf, 1000, 2000);
	close(fd);
}

/* ---- ckpt_pread_all ---- */

static void test_pread_all_offsets(void **state)
{
	char buf[3000];
	int fd;

	(void)state;
	make_file("f", 10000);
	fd = openat(dirfd_, "f", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ckpt_pread_all(fd, buf, 3000, 4000), 3000);
	check_pattern(buf, 4000, 3000);
	assert_int_equal(ckpt_pread_all(fd, buf, 3000, 9000), 1000); /* short at EOF */
	check_pattern(buf, 9000, 1000);
	assert_int_equal(ckpt_pread_all(fd, buf, 3000, 10000), 0);
	assert_int_equal(ckpt_pread_all(fd, buf, 3000, 1 << 30), 0);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 0); /* the file offset is untouched */
	close(fd);
}

static void test_pread_all_errors(void **state)
{
	char buf[8];
	int p[2], fd;

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(ckpt_pread_all(p[0], buf, sizeof(buf), 0), -ESPIPE);
	close(p[0]);
	close(p[1]);
	assert_int_equal(ckpt_pread_all(-1, buf, sizeof(buf), 0), -EBADF);
	make_file("f", 10);
	fd = openat(dirfd_, "f", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ckpt_pread_all(fd, buf, sizeof(buf), -1), -EINVAL);
	assert_int_equal(ckpt_pread_all(fd, buf, 0, 0), 0);
	close(fd);
}

/* ---- ckpt_write_all ---- */

static void test_write_all_pipe(void **state)
{
	char buf[16];
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(ckpt_write_all(p[1], "0123456789", 10), 0);
	assert_int_equal(ckpt_write_all(p[1], "x", 0), 0);
	close(p[1]);
	assert_int_equal(ckpt_read_all(p[0], buf, sizeof(buf)), 10);
	assert_memory_equal(buf, "0123456789", 10);
	close(p[0]);
}

struct drain {
	int fd;
	size_t got;
	int bad;
};

static void *drain(void *arg)
{
	struct drain *d = arg;
	char buf[7000];
	ssize_t n;

	while ((n = read(d->fd, buf, sizeof(buf))) > 0) {
		ssize_t i;

		for (i = 0; i < n; i++)
			if (buf[i] != (char)(((d->got + i) * 7) % 255 + 1))
				d->bad++;
		d->got += n;
	}
	return NULL;
}

/* More than a socket buffer holds: the write completes while a reader drains. */
static void test_write_all_large_socket(void **state)
{
	size_t len = 4 << 20, i;
	struct drain d = { 0 };
	pthread_t th;
	char *buf;
	int sv[2];

	(void)state;
	buf = malloc(len);
	assert_non_null(buf);
	for (i = 0; i < len; i++)
		buf[i] = (char)((i * 7) % 255 + 1);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	d.fd = sv[0];
	assert_int_equal(pthread_create(&th, NULL, drain, &d), 0);
	assert_int_equal(ckpt_write_all(sv[1], buf, len), 0);
	close(sv[1]);
	assert_int_equal(pthread_join(th, NULL), 0);
	close(sv[0]);
	free(buf);
	assert_int_equal(d.got, len);
	assert_int_equal(d.bad, 0);
}

static void test_write_all_file(void **state)
{
	char buf[20000];
	size_t i;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)((i * 7) % 255 + 1);
	fd = openat(dirfd_, "w", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ckpt_write_all(fd, buf, sizeof(buf)), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ckpt_pread_all(fd, buf, sizeof(buf), 0), sizeof(buf));
	check_pattern(buf, 0, sizeof(buf));
	close(fd);
}

static void test_write_all_errors(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int p[2], fd;

	(void)state;
	assert_int_equal(ckpt_write_all(-1, "x", 1), -EBADF);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ckpt_write_all(fd, "x", 1), -EBADF);
	close(fd);
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		assert_int_equal(ckpt_write_all(fd, "x", 1), -ENOSPC);
		close(fd);
	}
	assert_int_equal(sigaction(SIGPIPE, &ign, &old), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	assert_int_equal(ckpt_write_all(p[1], "x", 1), -EPIPE);
	close(p[1]);
	sigaction(SIGPIPE, &old, NULL);
}

static void test_write_all_nonblocking_full(void **state)
{
	char buf[4096] = { 0 };
	int p[2], i, err = 0;

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	for (i = 0; i < 1024 && !err; i++)
		err = ckpt_write_all(p[1], buf, sizeof(buf));
	assert_int_equal(err, -EAGAIN);
	close(p[0]);
	close(p[1]);
}

/* ---- ckpt_read_file ---- */

static void test_read_file_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 8191, 8192, 8193, 100000 };
	size_t i, len;
	char *buf;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		make_file("r", sizes[i]);
		len = 12345;
		assert_int_equal(ckpt_read_file(dirfd_, "r", &buf, &len), 0);
		assert_int_equal(len, sizes[i]);
		assert_int_equal(buf[len], '\0');
		assert_int_equal(strlen(buf), len);
		check_pattern(buf, 0, len);
		free(buf);
	}
}

static void test_read_file_proc_large(void **state)
{
	size_t len;
	char *buf;

	(void)state;
	assert_int_equal(ckpt_read_file(AT_FDCWD, "/proc/self/smaps", &buf, &len), 0);
	assert_true(len > 4096);
	assert_int_equal(strlen(buf), len);
	assert_non_null(strstr(buf, "VmFlags:"));
	free(buf);
}

static void test_read_file_len_optional(void **state)
{
	char *buf;

	(void)state;
	make_file("r", 10);
	assert_int_equal(ckpt_read_file(dirfd_, "r", &buf, NULL), 0);
	assert_int_equal(strlen(buf), 10);
	free(buf);
}

static void test_read_file_errors(void **state)
{
	char *buf = (char *)"untouched";
	size_t len = 77;

	(void)state;
	assert_int_equal(ckpt_read_file(dirfd_, "missing", &buf, &len), -ENOENT);
	assert_int_equal(ckpt_read_file(AT_FDCWD, "/nonexistent/file", &buf, &len), -ENOENT);
	assert_int_equal(mkdirat(dirfd_, "sub", 0700), 0);
	assert_int_equal(ckpt_read_file(dirfd_, "sub", &buf, &len), -EISDIR);
	assert_int_equal(ckpt_read_file(-1, "relative", &buf, &len), -EBADF);
	assert_string_equal(buf, "untouched");
	assert_int_equal(len, 77);
}

/* ---- ckpt_readlink ---- */

static void test_readlink(void **state)
{
	char *s;

	(void)state;
	assert_int_equal(symlinkat("/some/where else", dirfd_, "l"), 0);
	assert_int_equal(ckpt_readlink(dirfd_, "l", &s), 0);
	assert_string_equal(s, "/some/where else");
	free(s);
	assert_int_equal(ckpt_readlink(AT_FDCWD, "/proc/self/exe", &s), 0);
	assert_non_null(strstr(s, "test_util"));
	free(s);
}

static void test_readlink_longest_target(void **state)
{
	char target[PATH_MAX], *s;

	(void)state;
	memset(target, 'x', PATH_MAX - 1);
	target[PATH_MAX - 1] = '\0';
	assert_int_equal(symlinkat(target, dirfd_, "long"), 0);
	assert_int_equal(ckpt_readlink(dirfd_, "long", &s), 0);
	assert_int_equal(strlen(s), PATH_MAX - 1);
	assert_string_equal(s, target);
	free(s);
}

static void test_readlink_errors(void **state)
{
	char *s = (char *)"untouched";

	(void)state;
	assert_int_equal(ckpt_readlink(dirfd_, "missing", &s), -ENOENT);
	make_file("plain", 1);
	assert_int_equal(ckpt_readlink(dirfd_, "plain", &s), -EINVAL);
	assert_string_equal(s, "untouched");
}

/* ---- ckpt_grow ---- */

static void test_grow_from_empty(void **state)
{
	uint64_t *a = NULL;
	size_t cap = 0, i;

	(void)state;
	assert_int_equal(ckpt_grow((void **)&a, &cap, 1, sizeof(*a)), 0);
	assert_non_null(a);
	assert_int_equal(cap, 16);
	for (i = 0; i < cap; i++)
		assert_int_equal(a[i], 0);
	free(a);
}

static void test_grow_enough_is_noop(void **state)
{
	uint64_t *a = NULL, *before;
	size_t cap = 0;

	(void)state;
	assert_int_equal(ckpt_grow((void **)&a, &cap, 10, sizeof(*a)), 0);
	before = a;
	a[3] = 42;
	assert_int_equal(ckpt_grow((void **)&a, &cap, 16, sizeof(*a)), 0);
	assert_ptr_equal(a, before);
	assert_int_equal(cap, 16);
	assert_int_equal(ckpt_grow((void **)&a, &cap, 0, sizeof(*a)), 0);
	assert_int_equal(cap, 16);
	assert_int_equal(a[3], 42);
	free(a);
}

static void test_grow_keeps_and_zeroes(void **state)
{
	struct item {
		uint64_t a;
		char b[13];
	} *a = NULL;
	size_t cap = 0, i;

	(void)state;
	assert_int_equal(ckpt_grow((void **)&a, &cap, 16, sizeof(*a)), 0);
	for (i = 0; i < cap; i++) {
		a[i].a = i + 1;
		memset(a[i].b, 0x5a, sizeof(a[i].b));
	}
	assert_int_equal(ckpt_grow((void **)&a, &cap, 17, sizeof(*a)), 0);
	assert_int_equal(cap, 32);
	assert_int_equal(ckpt_grow((void **)&a, &cap, 100, sizeof(*a)), 0);
	assert_int_equal(cap, 128);
	for (i = 0; i < 16; i++) {
		assert_int_equal(a[i].a, i + 1);
		assert_int_equal(a[i].b[12], 0x5a);
	}
	for (i = 16; i < cap; i++) {
		static const char zero[13];

		assert_int_equal(a[i].a, 0);
		assert_memory_equal(a[i].b, zero, sizeof(zero));
	}
	free(a);
}

static void test_grow_odd_capacity(void **state)
{
	int *a = calloc(3, sizeof(int));
	size_t cap = 3, i;

	(void)state;
	assert_non_null(a);
	a[0] = a[1] = a[2] = -1;
	assert_int_equal(ckpt_grow((void **)&a, &cap, 4, sizeof(*a)), 0);
	assert_int_equal(cap, 6);
	for (i = 0; i < 3; i++)
		assert_int_equal(a[i], -1);
	for (i = 3; i < cap; i++)
		assert_int_equal(a[i], 0);
	free(a);
}

static void test_grow_one_at_a_time(void **state)
{
	size_t cap = 0, n;
	int *a = NULL;

	(void)state;
	for (n = 0; n < 1000; n++) {
		assert_int_equal(ckpt_grow((void **)&a, &cap, n + 1, sizeof(*a)), 0);
		assert_true(cap > n);
		assert_int_equal(a[n], 0);
		a[n] = (int)n;
	}
	for (n = 0; n < 1000; n++)
		assert_int_equal(a[n], (int)n);
	free(a);
}

/* ---- ckpt_strdup ---- */

static void test_strdup(void **state)
{
	const char *src = "a string";
	char *s;

	(void)state;
	assert_null(ckpt_strdup(NULL));
	s = ckpt_strdup(src);
	assert_non_null(s);
	assert_ptr_not_equal(s, src);
	assert_string_equal(s, src);
	free(s);
	s = ckpt_strdup("");
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_all_pipe_short_at_eof),
		cmocka_unit_test(test_read_all_exact_leaves_rest),
		cmocka_unit_test(test_read_all_joins_short_reads),
		cmocka_unit_test(test_read_all_zero_len),
		cmocka_unit_test(test_read_all_bad_fd),
		cmocka_unit_test(test_read_all_directory),
		cmocka_unit_test(test_read_all_retries_eintr),
		cmocka_unit_test_setup_teardown(test_read_all_file, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_pread_all_offsets, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_pread_all_errors, dir_setup, dir_teardown),
		cmocka_unit_test(test_write_all_pipe),
		cmocka_unit_test(test_write_all_large_socket),
		cmocka_unit_test_setup_teardown(test_write_all_file, dir_setup, dir_teardown),
		cmocka_unit_test(test_write_all_errors),
		cmocka_unit_test(test_write_all_nonblocking_full),
		cmocka_unit_test_setup_teardown(test_read_file_sizes, dir_setup, dir_teardown),
		cmocka_unit_test(test_read_file_proc_large),
		cmocka_unit_test_setup_teardown(test_read_file_len_optional, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_read_file_errors, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_readlink, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_readlink_longest_target, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_readlink_errors, dir_setup, dir_teardown),
		cmocka_unit_test(test_grow_from_empty),
		cmocka_unit_test(test_grow_enough_is_noop),
		cmocka_unit_test(test_grow_keeps_and_zeroes),
		cmocka_unit_test(test_grow_odd_capacity),
		cmocka_unit_test(test_grow_one_at_a_time),
		cmocka_unit_test(test_strdup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
