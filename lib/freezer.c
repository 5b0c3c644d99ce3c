// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "freezer.h"
#include "log.h"
#include "util.h"

#define FREEZE_TIMEOUT_MS 10000

/*
 * While a cgroup is frozen, a signal that ends ckpt thaws it first (the
 * state file is opened in advance: open and write are async-signal-safe).
 * SIGKILL cannot be caught; the frozen window is kept to the seizing.
 */
static const int thaw_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM };
static struct sigaction old_actions[sizeof(thaw_signals) / sizeof(thaw_signals[0])];
static volatile int thaw_fd = -1;
static const char *volatile thaw_val;

static void thaw_and_die(int sig)
{
	if (thaw_fd >= 0 && write(thaw_fd, thaw_val, strlen(thaw_val)) < 0)
		thaw_fd = -1;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void guard(struct ckpt_freezer *f, bool on)
{
	struct sigaction sa = { .sa_handler = thaw_and_die };
	size_t i;

	if (on) {
		thaw_val = f->v2 ? "0" : "THAWED";
		thaw_fd = openat(f->dirfd, f->v2 ? "cgroup.freeze" : "freezer.state",
				 O_WRONLY | O_CLOEXEC);
		for (i = 0; i < ARRAY_SIZE(thaw_signals); i++)
			sigaction(thaw_signals[i], &sa, &old_actions[i]);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(thaw_signals); i++)
		sigaction(thaw_signals[i], &old_actions[i], NULL);
	if (thaw_fd >= 0)
		close(thaw_fd);
	thaw_fd = -1;
}

static bool has_pid(const char *list, pid_t pid)
{
	const char *p = list;
	char *end;

	while (*p) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (v == pid)
			return true;
		p = end;
	}
	return false;
}

int ckpt_freezer_open(const char *path, pid_t pid, struct ckpt_freezer *ret)
{
	struct ckpt_freezer f = { .path = path };
	char *procs;
	int err;

	f.dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f.dirfd < 0) {
		err = -errno;
		pr_err("freezer cgroup %s: %s", path, strerror(errno));
		return err;
	}
	f.v2 = !faccessat(f.dirfd, "cgroup.freeze", W_OK, 0);
	if (!f.v2 && faccessat(f.dirfd, "freezer.state", W_OK, 0)) {
		pr_err("%s: neither a cgroup v1 freezer (freezer.state) nor a cgroup v2 "
		       "(cgroup.freeze) directory", path);
		close(f.dirfd);
		return -ENOTSUP;
	}
	err = ckpt_read_file(f.dirfd, "cgroup.procs", &procs, NULL);
	if (err) {
		pr_err("%s/cgroup.procs: %s", path, strerror(-err));
		close(f.dirfd);
		return err;
	}
	if (!has_pid(procs, pid)) {
		pr_err("pid %d: is not in the freezer cgroup %s", pid, path);
		free(procs);
		close(f.dirfd);
		return -ESRCH;
	}
	free(procs);
	*ret = f;
	return 0;
}

static int write_state(struct ckpt_freezer *f, bool frozen)
{
	const char *file = f->v2 ? "cgroup.freeze" : "freezer.state";
	const char *val = f->v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
	int fd = openat(f->dirfd, file, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (err)
		pr_err("%s/%s: cannot write %s: %s", f->path, file, val, strerror(-err));
	return err;
}

static bool is_frozen(struct ckpt_freezer *f)
{
	char *buf;
	bool yes;

	if (ckpt_read_file(f->dirfd, f->v2 ? "cgroup.events" : "freezer.state", &buf, NULL))
		return false;
	yes = f->v2 ? strstr(buf, "frozen 1") != NULL : !strncmp(buf, "FROZEN", 6);
	free(buf);
	return yes;
}

int ckpt_freezer_freeze(struct ckpt_freezer *f)
{
	struct timespec ts = { 0, 1000000 };
	int ms, err;

	guard(f, true);
	err = write_state(f, true);
	if (err) {
		guard(f, false);
		return err;
	}
	for (ms = 0; ms < FREEZE_TIMEOUT_MS; ms++) {
		if (is_frozen(f))
			return 0;
		nanosleep(&ts, NULL);
	}
	pr_err("%s: not frozen after %d s", f->path, FREEZE_TIMEOUT_MS / 1000);
	write_state(f, false);
	guard(f, false);
	return -ETIMEDOUT;
}

int ckpt_freezer_thaw(struct ckpt_freezer *f)
{
	int err = write_state(f, false);

	guard(f, false);
	return err;
}

void ckpt_freezer_close(struct ckpt_freezer *f)
{
	if (f->dirfd >= 0)
		close(f->dirfd);
	f->dirfd = -1;
}
