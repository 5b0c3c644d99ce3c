// SPDX-License-Identifier: GPL-2.0
/* Test-only fault injection: see fault.h. */
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "fault.h"
#include "log.h"

bool ckpt_fault_on;

static unsigned long step_no, fail_at;
static int fail_err; /* 0: the step's default; -1: kill the task */
static pid_t owner;
static const char *count_path;

static const struct {
	const char *name;
	int err;
} names[] = {
	{ "EIO", EIO },	      { "ENOSPC", ENOSPC }, { "ENOMEM", ENOMEM }, { "EPERM", EPERM },
	{ "EACCES", EACCES }, { "EINTR", EINTR },   { "EAGAIN", EAGAIN }, { "ESRCH", ESRCH },
	{ "EFAULT", EFAULT }, { "EBADF", EBADF },   { "EINVAL", EINVAL }, { "EMFILE", EMFILE },
};

static void write_count(void)
{
	FILE *f;

	if (getpid() != owner)
		return;
	f = fopen(count_path, "we");
	if (!f)
		return;
	fprintf(f, "%lu\n", step_no);
	fclose(f);
}

static int parse_err(const char *s)
{
	char *end;
	long v;
	size_t i;

	if (!strcmp(s, "kill"))
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].err;
	v = strtol(s, &end, 10);
	return (*end || v <= 0 || v >= 4096) ? 0 : (int)v;
}

void ckpt_fault_setup(void)
{
	const char *spec = getenv("CKPT_FAULT"), *cnt = getenv("CKPT_FAULT_COUNT");
	char *end;

	if (getauxval(AT_SECURE) || (!spec && !cnt))
		return;
	owner = getpid();
	if (spec) {
		fail_at = strtoul(spec, &end, 10);
		if (*end == ':')
			fail_err = parse_err(end + 1);
	}
	if (cnt) {
		count_path = cnt;
		atexit(write_count);
	}
	ckpt_fault_on = true;
}

int ckpt_fault_task(const char *step, int dflt, pid_t pid)
{
	int err;

	if (getpid() != owner || __atomic_add_fetch(&step_no, 1, __ATOMIC_RELAXED) != fail_at)
		return 0;
	if (fail_err < 0 && pid > 0) {
		pr_warn("fault injection: step %lu (%s): pid %d killed", step_no, step, pid);
		kill(pid, SIGKILL);
		return 0;
	}
	err = fail_err < 0 ? EIO : fail_err ? fail_err : dflt;
	pr_warn("fault injection: step %lu (%s) fails: %s", step_no, step, strerror(err));
	if (getenv("CKPT_FAULT_TRACE")) { /* where it was: addr2line -e ckpt ADDR... */
		void *bt[16];

		backtrace_symbols_fd(bt, backtrace(bt, 16), 2);
	}
	return -err;
}
