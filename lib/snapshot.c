// SPDX-License-Identifier: GPL-2.0
/*
 * Copy-on-write snapshots of a frozen task's memory (dump --snapshot).
 *
 * The frozen task is made to fork (an injected raw clone) a helper that
 * never runs: clone with exit signal 0 (no SIGCHLD, invisible to wait()
 * without __WALL), CLONE_FILES (the helper holds no extra references to
 * the task's files, so its exit closes nothing: no EOF, no lock is
 * dropped), traced by ckpt from its first instruction (PTRACE_O_TRACECLONE)
 * and killed at the end.  Its private memory is the task's at the moment
 * of the fork, copied by the kernel only where the task writes later, so
 * ckpt reads the pages from the helper while the task runs on.
 *
 * The helper's zombie belongs to the task (its parent); ckpt reaps it with
 * a wait4() injected into the task, stopped for that one call.
 */
#include <errno.h>
#include <stdbool.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "log.h"
#include "parasite.h"
#include "snapshot.h"

int ckpt_snapshot_take(pid_t pid, int procfd, pid_t *ret_helper)
{
	long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE, child = 0;
	struct ckpt_parasite p;
	int err, status;

	if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)opts)) {
		err = -errno;
		pr_err("pid %d: cannot set ptrace options: %s", pid, strerror(errno));
		return err;
	}
	err = ckpt_parasite_start(&p, pid, procfd);
	if (err)
		goto out_opts;
	/* x86-64 clone(flags, newsp, parent_tid, child_tid, tls): flags carry exit signal 0. */
	err = ckpt_parasite_syscall(&p, SYS_clone, CLONE_FILES, 0, 0, 0, &child);
	err = ckpt_parasite_stop(&p, err);
	if (!err && child <= 0)
		err = child < 0 ? (int)child : -ECHILD;
	if (err) {
		pr_err("pid %d: cannot fork a snapshot of its memory: %s", pid, strerror(-err));
		if (child > 0)
			kill(child, SIGKILL);
		goto out_opts;
	}
	/* Attached by the kernel, it stops before running any code. */
	err = ckpt_ptrace_wait(child, &status);
	if (err) {
		pr_err("pid %d: snapshot helper %ld lost: %s", pid, child, strerror(-err));
		kill(child, SIGKILL);
		goto out_opts;
	}
	*ret_helper = child;
out_opts:
	opts = PTRACE_O_TRACESYSGOOD;
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)opts);
	return err;
}

void ckpt_snapshot_drop(pid_t pid, int procfd, pid_t helper, bool frozen, bool stopped)
{
	struct ckpt_parasite p;
	long r = 0;
	int status;

	/* As its tracer we see it die; then it is its parent's zombie. */
	kill(helper, SIGKILL);
	while (!ckpt_ptrace_wait(helper, &status))
		;
	if (!frozen && ckpt_ptrace_seize(pid, false)) {
		/* Gone, or traced by someone else: a reaper collects the zombie with it. */
		pr_warn("pid %d: cannot stop it to reap snapshot helper %d: a zombie child "
			"remains", pid, helper);
		return;
	}
	if (!frozen && stopped)
		kill(pid, SIGCONT); /* swallowed: it is stopped again below */
	if ((!frozen && ckpt_ptrace_freeze(pid)) || ckpt_parasite_start(&p, pid, procfd)) {
		r = -EIO;
	} else {
		if (ckpt_parasite_syscall(&p, SYS_wait4, helper, 0, __WALL | WNOHANG, 0, &r))
			r = -EIO;
		ckpt_parasite_stop(&p, r == helper ? 0 : -EIO);
	}
	if (r != helper)
		pr_warn("pid %d: snapshot helper %d not reaped (%ld): a zombie child remains", pid,
			helper, r);
	if (frozen)
		return;
	if (stopped)
		kill(pid, SIGSTOP);
	ckpt_ptrace_detach(pid);
}
