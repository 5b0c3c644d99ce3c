/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the cmocka unit tests: capturing lib/'s log, temporary
 * directories, and helper processes.
 *
 * A helper process that the test inspects from the outside (ptrace, /proc)
 * is the test binary itself, re-executed in a "child mode": under valgrind
 * a plain fork() would leave valgrind in the child, whose fds, signal state
 * and registers are not the ones the test set up.  The child reports the
 * addresses the parent needs on a pipe and closes it when ready.
 */
#ifndef CKPT_TEST_UNIT_H
#define CKPT_TEST_UNIT_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#define UNIT_UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
/* The kernel wrote it through a syscall valgrind does not model. */
#define UNIT_MARK_DEFINED(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED(p, n))
#else
#define UNIT_UNDER_VALGRIND() false
#define UNIT_MARK_DEFINED(p, n) ((void)(p), (void)(n))
#endif

#define UNIT_CHILD_ARG "--unit-child"

/* ---- log capture ---- */

static struct {
	int n[CKPT_LOG_DEBUG + 1];
	char last_err[1024];
} unit_log;

static inline void unit_log_fn(enum ckpt_log_level level, const char *file, int line,
			       const char *msg)
{
	(void)file;
	(void)line;
	unit_log.n[level]++;
	if (level == CKPT_LOG_ERROR)
		snprintf(unit_log.last_err, sizeof(unit_log.last_err), "%s", msg);
	if (getenv("UNIT_LOG"))
		fprintf(stderr, "log %d: %s\n", level, msg);
}

/* Route lib/'s messages here, all levels, and forget earlier ones. */
static inline void unit_log_reset(void)
{
	memset(&unit_log, 0, sizeof(unit_log));
	ckpt_log_set_fn(unit_log_fn);
	ckpt_log_set_level(CKPT_LOG_DEBUG);
}

static inline int unit_log_errors(void)
{
	return unit_log.n[CKPT_LOG_ERROR];
}

/* ---- temporary directories ---- */

/* mkdtemp under $TMPDIR or /tmp; returns a malloc'd path or NULL. */
static inline char *unit_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&p, "%s/ckpt-unit-XXXXXX", base) < 0)
		return NULL;
	if (!mkdtemp(p)) {
		free(p);
		return NULL;
	}
	return p;
}

static inline int unit_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* rm -rf, for test scratch directories only. */
static inline void unit_rm_rf(const char *path)
{
	if (path && nftw(path, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS) && errno != ENOENT)
		fprintf(stderr, "cannot remove %s: %s\n", path, strerror(errno));
}

/* ---- helper processes ---- */

static inline void unit_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Start this test binary as "--unit-child MODE ARG READYFD" and wait until it
 * has written exactly len bytes of info and closed READYFD.  Returns the pid,
 * or -1 (with the child reaped) if it failed to get ready.
 */
static inline pid_t unit_child_start(const char *mode, const char *arg, void *info, size_t len)
{
	char exe[PATH_MAX], fdstr[16];
	size_t got = 0;
	int p[2], st;
	ssize_t n;
	pid_t pid;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0 || pipe2(p, O_CLOEXEC))
		return -1;
	exe[n] = '\0';
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		fcntl(p[1], F_SETFD, 0);
		snprintf(fdstr, sizeof(fdstr), "%d", p[1]);
		execl(exe, exe, UNIT_CHILD_ARG, mode, arg ? arg : "", fdstr, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (got < len) {
		n = read(p[0], (char *)info + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	/* Ready means the pipe is gone from the child, too. */
	while (got == len && (n = read(p[0], exe, 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		got = 0;
	}
	close(p[0]);
	if (got != len) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, __WALL);
		return -1;
	}
	return pid;
}

/* In the child: report info and drop the pipe. */
static inline void unit_child_ready(int fd, const void *info, size_t len)
{
	if (write(fd, info, len) != (ssize_t)len)
		_exit(126);
	close(fd);
}

/* Kill and reap a helper that is still there (teardown; any state). */
static inline void unit_child_kill(pid_t *pid)
{
	int st;

	if (*pid <= 0)
		return;
	kill(*pid, SIGKILL);
	while (waitpid(*pid, &st, __WALL) < 0 && errno == EINTR)
		;
	*pid = 0;
}

/*
 * Wait up to timeout_ms for the helper to end; returns its wait status, or
 * -1 on timeout (the helper is left for unit_child_kill()).
 */
static inline int unit_child_wait(pid_t *pid, long timeout_ms)
{
	int st;
	long i;

	for (i = 0; i <= timeout_ms; i++) {
		pid_t r = waitpid(*pid, &st, WNOHANG | __WALL);

		if (r == *pid && (WIFEXITED(st) || WIFSIGNALED(st))) {
			*pid = 0;
			return st;
		}
		unit_sleep_ms(1);
	}
	return -1;
}

/* Store a word in the helper's memory (to release it from its loop). */
static inline int unit_child_poke(pid_t pid, unsigned long addr, long val)
{
	struct iovec l = { &val, sizeof(val) }, r = { (void *)addr, sizeof(val) };

	return process_vm_writev(pid, &l, 1, &r, 1, 0) == sizeof(val) ? 0 : -errno;
}

static inline long unit_child_peek(pid_t pid, unsigned long addr)
{
	struct iovec l, r = { (void *)addr, sizeof(long) };
	long val = -1;

	l.iov_base = &val;
	l.iov_len = sizeof(val);
	if (process_vm_readv(pid, &l, 1, &r, 1, 0) != sizeof(val))
		return -1;
	return val;
}

#endif
