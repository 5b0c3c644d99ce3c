// SPDX-License-Identifier: GPL-2.0
/* Dump orchestration: check, freeze, collect, write, then kill or resume. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ckpt.h"
#include "img.h"
#include "imgdir.h"
#include "log.h"
#include "mem.h"
#include "proc.h"
#include "ptrace.h"
#include "source.h"
#include "util.h"

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * What a restore would silently lose must be refused: namespaces other
 * than ckpt's, and seccomp (a restored task would run without its filter).
 */
static int check_isolation(pid_t pid, int procfd)
{
	static const char *const ns[] = { "mnt", "pid", "net", "ipc", "uts", "user", "cgroup", "time" };
	char *status, *p, path[32];
	struct stat a, b;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ns); i++) {
		snprintf(path, sizeof(path), "ns/%s", ns[i]);
		if (fstatat(procfd, path, &a, 0))
			continue; /* no such namespace in this kernel */
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		if (!stat(path, &b) && a.st_ino != b.st_ino) {
			pr_err("pid %d: runs in another %s namespace than ckpt; namespaces are not "
			       "supported yet", pid, ns[i]);
			return -EOPNOTSUPP;
		}
	}
	if (ckpt_read_file(procfd, "status", &status, NULL))
		return 0;
	p = strstr(status, "\nSeccomp:");
	i = p ? strtoul(p + 9, NULL, 10) : 0;
	free(status);
	if (i) {
		pr_err("pid %d: has a seccomp %s; restoring it is not supported yet", pid,
		       i == 1 ? "strict mode" : "filter");
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * Refuse what this version cannot dump, before touching the task.  Kernel
 * threads and zombies are told first; what needs ptrace access to matter
 * (threads, children) only once the caller proved it may trace the task.
 */
static int check_target(pid_t pid, int procfd, bool traced)
{
	struct ckpt_proc_stat st;
	int err, n;

	err = ckpt_proc_stat(procfd, &st);
	if (err) {
		pr_err("pid %d: %s", pid, strerror(-err));
		return err;
	}
	if (st.flags & PF_KTHREAD) {
		pr_err("pid %d: is a kernel thread (%s), which cannot be checkpointed", pid, st.comm);
		return -EPERM;
	}
	if (st.state == 'Z' || st.state == 'X') {
		pr_err("pid %d: is a zombie", pid);
		return -ESRCH;
	}
	if (!traced)
		return 0;
	err = check_isolation(pid, procfd);
	if (err)
		return err;
	n = ckpt_proc_nr_children(procfd, pid);
	if (n > 0) {
		pr_err("pid %d: has %d child process%s; process trees are not supported yet", pid, n,
		       n > 1 ? "es" : "");
		return -EOPNOTSUPP;
	}
	return 0;
}

static pid_t tracer_of(int procfd)
{
	char *buf, *p;
	pid_t t = 0;

	if (ckpt_read_file(procfd, "status", &buf, NULL))
		return 0;
	p = strstr(buf, "TracerPid:");
	if (p)
		t = atoi(p + 10);
	free(buf);
	return t;
}

/* Stopped by SIGSTOP & co (state T), as opposed to running or traced (t). */
static bool is_stopped(int procfd)
{
	struct ckpt_proc_stat st;

	return !ckpt_proc_stat(procfd, &st) && st.state == 'T';
}

static int seize(pid_t pid, int procfd)
{
	int err = ckpt_ptrace_seize(pid, false);
	pid_t tracer;

	if (err == -EPERM && (tracer = tracer_of(procfd)) > 0)
		pr_err("pid %d: is already traced by pid %d", pid, tracer);
	else if (err == -EPERM)
		pr_err("pid %d: cannot attach with ptrace: Operation not permitted "
		       "(need the same user and a dumpable process, or CAP_SYS_PTRACE)", pid);
	else if (err == -ESRCH)
		pr_err("pid %d: No such process", pid);
	else if (err)
		pr_err("pid %d: cannot attach with ptrace: %s", pid, strerror(-err));
	return err;
}

static int write_pages(struct ckpt_source *src, struct ckpt_task *t, int dirfd)
{
	char name[64];
	int fd, err;

	snprintf(name, sizeof(name), "pages-%d.img", t->pid);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		pr_err("%s: cannot create: %s", name, strerror(errno));
		return err;
	}
	err = ckpt_img_pages_hdr_write(fd);
	if (!err)
		err = ckpt_mem_dump(src, &t->mm, fd);
	if (!err && fdatasync(fd)) {
		err = -errno;
		pr_err("%s: %s", name, strerror(errno));
	}
	close(fd);
	return err;
}

static int collect(struct ckpt_source *src, struct ckpt_task *t, const pid_t *tids, size_t n)
{
	size_t i;
	int err = 0;

	t->threads = calloc(n, sizeof(*t->threads));
	if (!t->threads)
		return -ENOMEM;
	t->n_threads = n;
	/* Registers first: the parasite below runs on the threads' own. */
	for (i = 0; i < n && !err; i++)
		err = src->ops->thread(src, tids[i], &t->threads[i]);
	if (!err)
		err = src->ops->fds(src, t);
	if (!err)
		err = src->ops->task(src, t);
	if (!err)
		err = src->ops->mm(src, &t->mm);
	return err;
}

static void finish_task(pid_t pid, bool leave_running, bool stopped, const pid_t *tids, size_t n)
{
	size_t i;
	int status;

	if (leave_running) {
		if (stopped)
			kill(pid, SIGSTOP); /* taken as soon as it is let go */
		ckpt_ptrace_detach_all(tids, n);
		return;
	}
	kill(pid, SIGKILL);
	/*
	 * As their tracer we collect every thread's death (the others first:
	 * the group leader is reported only when they are gone); its parent
	 * reaps the process.
	 */
	for (i = n; i-- > 0;)
		while (waitpid(tids[i], &status, __WALL) >= 0 && !WIFEXITED(status) &&
		       !WIFSIGNALED(status))
			;
}

int ckpt_dump(const struct ckpt_dump_opts *o)
{
	struct ckpt_source src = { .ops = &ckpt_src_ptrace, .pid = o->pid, .shell_job = o->shell_job };
	struct ckpt_inventory inv = { .img_version = CKPT_IMG_VERSION };
	struct ckpt_task task = { 0 };
	pid_t *tids = NULL;
	size_t n_tids = 0;
	struct ckpt_imgdir dir;
	uint64_t t_start = now_ns(CLOCK_MONOTONIC), t_freeze, t_end, t_mem;
	struct utsname un;
	int pidfd, err;

	if (o->pid == getpid()) {
		pr_err("pid %d: is ckpt itself", o->pid);
		return -EINVAL;
	}
	/* A pidfd pins the process: a recycled PID cannot redirect us. */
	pidfd = syscall(SYS_pidfd_open, o->pid, 0);
	if (pidfd < 0) {
		err = -errno;
		pr_err("pid %d: %s", o->pid, strerror(errno));
		return err;
	}
	err = ckpt_proc_open(o->pid, &src.procfd);
	if (err) {
		pr_err("pid %d: %s", o->pid, strerror(-err));
		goto out_pidfd;
	}
	err = check_target(o->pid, src.procfd, false);
	if (err)
		goto out_procfd;
	task.stopped = is_stopped(src.procfd);
	err = seize(o->pid, src.procfd);
	if (err)
		goto out_procfd;
	/* A stopped task runs no code; wake it (SIGCONT is swallowed) and stop it again at the end. */
	if (task.stopped)
		kill(o->pid, SIGCONT);
	err = check_target(o->pid, src.procfd, true);
	if (err)
		goto out_detach;
	t_freeze = now_ns(CLOCK_MONOTONIC);
	err = ckpt_ptrace_freeze_group(o->pid, src.procfd, &tids, &n_tids);
	if (err) {
		pr_err("pid %d: cannot stop it: %s", o->pid, strerror(-err));
		goto out_detach;
	}
	/* Re-check now that it cannot change under us. */
	err = check_target(o->pid, src.procfd, true);
	if (err)
		goto out_detach;
	err = src.ops->open(&src);
	if (err)
		goto out_detach;
	err = collect(&src, &task, tids, n_tids);
	if (err)
		goto out_close;
	err = ckpt_imgdir_begin(o->dir, &dir);
	if (err)
		goto out_close;
	t_mem = now_ns(CLOCK_MONOTONIC);
	err = write_pages(&src, &task, dir.dirfd);
	if (err)
		goto out_abort;
	t_mem = now_ns(CLOCK_MONOTONIC) - t_mem;
	err = ckpt_img_write_task(dir.dirfd, &task);
	if (err)
		goto out_abort;
	uname(&un);
	inv.tool_version = CKPT_VERSION;
	inv.kernel = un.release;
	inv.arch = un.machine;
	inv.root_pid = o->pid;
	inv.n_tasks = 1;
	inv.dump_time_ns = now_ns(CLOCK_REALTIME);
	inv.shell_job = o->shell_job;
	err = ckpt_img_write_inventory(dir.dirfd, &inv);
	if (err)
		goto out_abort;
	err = ckpt_imgdir_commit(&dir);
	if (err)
		goto out_abort;
	src.ops->close(&src);
	t_end = now_ns(CLOCK_MONOTONIC);
	finish_task(o->pid, o->leave_running, task.stopped, tids, n_tids);
	if (o->stats) {
		o->stats->frozen_ns = t_end - t_freeze;
		o->stats->mem_ns = t_mem;
		o->stats->pages = task.mm.nr_pages;
		o->stats->total_ns = now_ns(CLOCK_MONOTONIC) - t_start;
	}
	pr_info("pid %d: dumped %" PRIu64 " pages in %zu runs; frozen for %.1f ms", o->pid,
		task.mm.nr_pages, task.mm.n_pagemap, (t_end - t_freeze) / 1e6);
	goto out_free;

out_abort:
	ckpt_imgdir_abort(&dir);
out_close:
	src.ops->close(&src);
out_detach:
	/* Nothing was changed: let it run on as it was. */
	if (task.stopped)
		kill(o->pid, SIGSTOP);
	if (tids)
		ckpt_ptrace_detach_all(tids, n_tids);
	else
		ckpt_ptrace_detach(o->pid);
out_free:
	free(tids);
	ckpt_task_free(&task);
out_procfd:
	close(src.procfd);
out_pidfd:
	close(pidfd);
	return err;
}
