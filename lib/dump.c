// SPDX-License-Identifier: GPL-2.0
/* Dump orchestration: check, freeze, collect, write, then kill or resume. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ckpt.h"
#include "img.h"
#include "fd-tty.h"
#include "files.h"
#include "freezer.h"
#include "imgdir.h"
#include "log.h"
#include "mem.h"
#include "proc.h"
#include "ptrace.h"
#include "sk.h"
#include "snapshot.h"
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
	int err;

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
	err = ckpt_read_file(procfd, "status", &status, NULL);
	if (err) {
		pr_err("pid %d: cannot read its status: %s", pid, strerror(-err));
		return err;
	}
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
	int err;

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
		pr_err("pid %d: is a zombie (child of %d); zombies are not supported yet", pid, st.ppid);
		return -EOPNOTSUPP;
	}
	if (!traced)
		return 0;
	err = check_isolation(pid, procfd);
	if (err)
		return err;
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

/* 1 if stopped by SIGSTOP & co (state T), as opposed to running or traced (t). */
static int is_stopped(pid_t pid, int procfd)
{
	struct ckpt_proc_stat st;
	int err = ckpt_proc_stat(procfd, &st);

	if (err) {
		pr_err("pid %d: cannot read its state: %s", pid, strerror(-err));
		return err;
	}
	return st.state == 'T';
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

/* One process of the tree being dumped. */
struct dtask {
	struct ckpt_source src;
	struct ckpt_task task;
	pid_t *tids;
	size_t n_tids;
	bool seized, opened;
	struct ckpt_mem_dump *mem; /* --snapshot: the page copy in progress */
	pid_t helper;              /* --snapshot: the helper holding its memory, or 0 */
};

/* A task seized while its cgroup was frozen (--freeze-cgroup), stopped since. */
struct prefrozen {
	pid_t pid;
	pid_t *tids;
	size_t n_tids;
	bool stopped;  /* was stopped by a signal (SIGCONT sent, stopped again at the end) */
	bool taken;    /* became a dtask, which owns tids */
};

struct dtree {
	const struct ckpt_source_ops *ops; /* --backend */
	struct dtask *t; /* t[0] is the root; parents come before their children */
	size_t n, cap;
	struct prefrozen *pre;
	size_t n_pre, cap_pre;
};

static struct dtask *find_task(struct dtree *tr, pid_t pid)
{
	size_t i;

	for (i = 0; i < tr->n; i++)
		if (tr->t[i].src.pid == pid)
			return &tr->t[i];
	return NULL;
}

static int add_task(struct dtree *tr, pid_t pid, bool shell_job)
{
	struct dtask *d;
	int err;

	err = ckpt_grow((void **)&tr->t, &tr->cap, tr->n + 1, sizeof(*tr->t));
	if (err)
		return err;
	d = &tr->t[tr->n];
	memset(d, 0, sizeof(*d));
	d->src.ops = tr->ops;
	d->src.pid = pid;
	d->src.shell_job = shell_job;
	d->src.procfd = -1;
	err = ckpt_proc_open(pid, &d->src.procfd);
	if (err) {
		pr_err("pid %d: %s", pid, strerror(-err));
		return err;
	}
	tr->n++;
	return 0;
}

/* A child that exited and was not reaped: keep its ids and exit status. 1 if it is one. */
static int add_zombie(struct dtask *d)
{
	struct ckpt_proc_stat st;
	int err = ckpt_proc_stat(d->src.procfd, &st);

	if (err) {
		pr_err("pid %d: cannot read its state: %s", d->src.pid, strerror(-err));
		return err;
	}
	if (st.state != 'Z')
		return 0;
	d->task.zombie = true;
	d->task.pid = d->src.pid;
	d->task.ppid = st.ppid;
	d->task.pgid = st.pgid;
	d->task.sid = st.sid;
	d->task.exit_status = st.exit_code;
	memcpy(d->task.comm, st.comm, sizeof(d->task.comm));
	return 1;
}

static struct prefrozen *find_pre(struct dtree *tr, pid_t pid)
{
	size_t i;

	for (i = 0; i < tr->n_pre; i++)
		if (tr->pre[i].pid == pid)
			return &tr->pre[i];
	return NULL;
}

/* Seize and stop every thread of d; refuse what cannot be dumped. */
static int freeze_task(struct dtree *tr, struct dtask *d)
{
	struct prefrozen *pre = find_pre(tr, d->src.pid);
	pid_t pid = d->src.pid;
	int procfd = d->src.procfd, err;

	if (pre && !pre->taken) {
		/* Seized and stopped already, while its cgroup was frozen. */
		pre->taken = d->seized = true;
		d->task.stopped = pre->stopped;
		d->tids = pre->tids;
		d->n_tids = pre->n_tids;
		pre->tids = NULL;
		return check_target(pid, procfd, true);
	}
	err = check_target(pid, procfd, false);
	if (err)
		return err;
	err = is_stopped(pid, procfd);
	if (err < 0)
		return err;
	d->task.stopped = err;
	err = seize(pid, procfd);
	if (err)
		return err;
	d->seized = true;
	err = check_target(pid, procfd, true);
	if (err)
		return err;
	/* A stopped task is woken (SIGCONT is swallowed) once all its threads are seized; stopped again at the end. */
	err = ckpt_ptrace_freeze_group(pid, procfd, d->task.stopped, &d->tids, &d->n_tids);
	if (err) {
		pr_err("pid %d: cannot stop it: %s", pid, strerror(-err));
		return err;
	}
	/* Re-check now that it cannot change under us. */
	return check_target(pid, procfd, true);
}

/* Add the children of every thread of tr->t[i]; a frozen task cannot fork any more. */
static int add_children(struct dtree *tr, size_t i, bool shell_job)
{
	size_t k;
	int err;

	for (k = 0; k < tr->t[i].n_tids; k++) {
		char path[64], *buf, *p, *end;

		snprintf(path, sizeof(path), "task/%d/children", tr->t[i].tids[k]);
		err = ckpt_read_file(tr->t[i].src.procfd, path, &buf, NULL);
		if (err) {
			pr_err("pid %d: cannot list the children of thread %d: %s", tr->t[i].src.pid,
			       tr->t[i].tids[k], strerror(-err));
			return err;
		}
		for (p = buf;; p = end) {
			long child = strtol(p, &end, 10);

			if (end == p)
				break;
			if (find_task(tr, child))
				continue;
			err = add_task(tr, child, shell_job);
			if (!err)
				err = add_zombie(&tr->t[tr->n - 1]);
			if (err > 0)
				continue;
			if (!err)
				err = freeze_task(tr, &tr->t[tr->n - 1]); /* it says why not */
			if (err) {
				free(buf);
				return err;
			}
		}
		free(buf);
	}
	return 0;
}

/*
 * Descriptors a task shares with an earlier task of the tree (one open file
 * description) are restored by taking that task's: its parent's (inherited
 * across fork) when it has it, else any earlier task's (siblings that kept
 * what their parent closed, an fd passed with SCM_RIGHTS, ...).
 */
static int find_inherited(struct dtree *tr)
{
	struct ckpt_fd_index *x;
	size_t i, j, a;
	int err = 0;

	if (tr->n < 2)
		return 0;
	x = calloc(tr->n, sizeof(*x));
	for (i = 0; x && i < tr->n && !err; i++)
		if (!tr->t[i].task.zombie)
			err = ckpt_fd_index_build(tr->t[i].src.pid, &tr->t[i].task, &x[i]);
	if (!x || err) {
		pr_err("pid %d: out of memory", tr->t[0].src.pid);
		err = -ENOMEM;
	}
	for (i = 1; i < tr->n && !err; i++) {
		struct ckpt_task *c = &tr->t[i].task;
		struct dtask *pd = find_task(tr, c->ppid);
		size_t pi = pd ? (size_t)(pd - tr->t) : tr->n;

		for (j = 0; j < c->n_fds; j++) {
			struct ckpt_fd *f = &c->fds[j];
			const struct ckpt_fd *g = NULL;

			f->parent_fd = -1;
			f->peer_pid = 0;
			if (f->dup_of >= 0)
				continue;
			if (pi < tr->n)
				g = ckpt_fd_index_find(&x[pi], c->pid, f);
			for (a = 0; !g && a < i; a++) {
				g = a == pi ? NULL : ckpt_fd_index_find(&x[a], c->pid, f);
				if (g)
					f->peer_pid = tr->t[a].src.pid;
			}
			if (g)
				f->parent_fd = g->fd;
		}
	}
	for (i = 0; x && i < tr->n; i++)
		ckpt_fd_index_free(&x[i]);
	free(x);
	return err;
}

/* Pseudo-terminal slaves whose master is in the tree, or the outer terminal. */
static int link_ptys(struct dtree *tr, bool shell_job)
{
	struct ckpt_task **ts = calloc(MAX(tr->n, 1), sizeof(*ts));
	size_t i, n = 0;
	int err;

	if (!ts) {
		pr_err("pid %d: out of memory", tr->t[0].src.pid);
		return -ENOMEM;
	}
	for (i = 0; i < tr->n; i++)
		if (!tr->t[i].task.zombie)
			ts[n++] = &tr->t[i].task;
	err = ckpt_pty_resolve(ts, n, shell_job);
	free(ts);
	return err;
}

/*
 * Shared anonymous memory several processes map (inherited across fork) is
 * one object: the first task (in tree order) that maps it keeps its pages,
 * the others refer to that mapping.  The same for a SysV segment, and for
 * a mapped memfd that the task holds no fd of (see link_memfds()).
 */
/* Without --file-locks (as with CRIU) a lock is not taken along silently: refused. */
static int check_no_locks(struct dtree *tr)
{
	static const char *const kinds[] = { "", "flock", "POSIX", "OFD" };
	size_t i, j;

	for (i = 0; i < tr->n; i++)
		for (j = 0; j < tr->t[i].task.n_fds; j++) {
			const struct ckpt_fd *f = &tr->t[i].task.fds[j];

			if (!f->n_locks)
				continue;
			pr_err("pid %d fd %d: holds a %s lock on %s; dump with --file-locks to take it "
			       "along", tr->t[i].src.pid, f->fd, kinds[f->locks[0].kind % 4],
			       f->path ? f->path : "a file");
			return -EOPNOTSUPP;
		}
	return 0;
}

/* A mapped memfd the task also holds an fd of is mapped from that fd again. */
static void link_memfds(struct dtree *tr)
{
	size_t i, j, k;

	for (i = 0; i < tr->n; i++) {
		struct ckpt_task *t = &tr->t[i].task;

		for (j = 0; j < t->mm.n_vmas; j++) {
			struct ckpt_vma *v = &t->mm.vmas[j];

			if (v->kind != CKPT_VMA_MEMFD)
				continue;
			v->memfd_fd = -1;
			for (k = 0; k < t->n_fds; k++)
				if (t->fds[k].kind == CKPT_FD_MEMFD && t->fds[k].file.ino == v->file.ino &&
				    t->fds[k].file.dev == v->file.dev) {
					v->memfd_fd = t->fds[k].fd;
					break;
				}
		}
	}
}

static bool window_covers(const struct ckpt_vma *v, const struct ckpt_vma *w)
{
	return v->pgoff <= w->pgoff && w->pgoff + (w->end - w->start) <= v->pgoff + (v->end - v->start);
}

static int link_shared_memory(struct dtree *tr)
{
	size_t a, b, i, j;

	for (b = 0; b < tr->n; b++)
		for (j = 0; j < tr->t[b].task.mm.n_vmas; j++) {
			struct ckpt_vma *w = &tr->t[b].task.mm.vmas[j];
			bool seen = false;

			if ((w->kind != CKPT_VMA_SHANON && w->kind != CKPT_VMA_SYSVSHM &&
			     w->kind != CKPT_VMA_MEMFD) || !w->file.ino ||
			    (w->kind == CKPT_VMA_MEMFD && w->memfd_fd >= 0))
				continue;
			/* An earlier task's mapping, or (not for SysV attaches) an earlier one of b. */
			for (a = 0; a <= b && !w->shared_pid; a++) {
				size_t n = a < b ? tr->t[a].task.mm.n_vmas : w->kind == CKPT_VMA_SYSVSHM ? 0 : j;

				for (i = 0; i < n; i++) {
					const struct ckpt_vma *v = &tr->t[a].task.mm.vmas[i];

					if (v->kind != w->kind || v->shared_pid || v->file.ino != w->file.ino ||
					    v->file.dev != w->file.dev ||
					    (v->kind == CKPT_VMA_MEMFD && v->memfd_fd >= 0))
						continue;
					seen |= a < b; /* disjoint parts of one task's object: fine */
					if (w->kind != CKPT_VMA_SYSVSHM && !window_covers(v, w))
						continue;
					w->shared_pid = tr->t[a].src.pid;
					w->shared_start = v->start;
					w->shared_end = v->end;
					break;
				}
			}
			if (seen && !w->shared_pid) {
				pr_err("pid %d: mapping %" PRIx64 "-%" PRIx64 " (%s): shares memory with "
				       "another mapping that does not cover its part of the object; not "
				       "supported", tr->t[b].src.pid, w->start, w->end,
				       w->name ? w->name : "shared memory");
				return -EOPNOTSUPP;
			}
		}
	return 0;
}

/* The bytes in a pipe, not taken: tee(2) from a new reader into a pipe of ours. */
static int peek_pipe(pid_t pid, int fd_no, const char *what, struct ckpt_pipe *p)
{
	int fd, tp[2] = { -1, -1 }, size, err = 0;
	char path[64];
	ssize_t got;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd_no);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || pipe2(tp, O_CLOEXEC | O_NONBLOCK) ||
	    (size = fcntl(fd, F_GETPIPE_SZ)) < 0 || fcntl(tp[1], F_SETPIPE_SZ, size) < 0) {
		err = -errno;
		goto out;
	}
	p->size = size;
	p->data = malloc(size);
	if (!p->data) {
		err = -ENOMEM;
		goto out;
	}
	got = tee(fd, tp[1], size, SPLICE_F_NONBLOCK);
	if (got < 0 && errno != EAGAIN) /* EAGAIN: empty */
		err = -errno;
	else if (got > 0 && (got = ckpt_read_all(tp[0], p->data, got)) < 0)
		err = got;
	else
		p->len = got > 0 ? (size_t)got : 0;
out:
	if (err)
		pr_err("pid %d fd %d: cannot read %s: %s", pid, fd_no, what, strerror(-err));
	if (fd >= 0)
		close(fd);
	if (tp[0] >= 0) {
		close(tp[0]);
		close(tp[1]);
	}
	return err;
}

/*
 * Every pipe of the tree, with the bytes in it: read without taking them,
 * with tee(2) from a new reader opened through /proc/PID/fd.  A pipe whose
 * reading or writing end no task of the tree holds leads outside: refused.
 * A named FIFO is recorded with its path; one end outside is fine there.
 */
static int collect_pipes(struct dtree *tr, struct ckpt_pipe **ret, size_t *ret_n)
{
	struct ckpt_pipe *p = NULL;
	size_t n = 0, cap = 0, i, j, k;
	uint8_t *ends = NULL; /* bit 0: a reader in the tree, bit 1: a writer */
	struct { pid_t pid; int fd; } *holder = NULL;
	int err = 0;

	for (i = 0; i < tr->n && !err; i++)
		for (j = 0; j < tr->t[i].task.n_fds && !err; j++) {
			const struct ckpt_fd *f = &tr->t[i].task.fds[j];

			if (f->kind != CKPT_FD_PIPE && f->kind != CKPT_FD_FIFO)
				continue;
			for (k = 0; k < n && (p[k].ino != f->file.ino || p[k].dev != f->file.dev); k++)
				;
			if (k == n) {
				err = ckpt_grow((void **)&p, &cap, n + 1, sizeof(*p));
				if (!err && (!(ends = realloc(ends, cap)) ||
					     !(holder = realloc(holder, cap * sizeof(*holder)))))
					err = -ENOMEM;
				if (err)
					break;
				memset(&p[n], 0, sizeof(p[n]));
				p[n].dev = f->file.dev;
				p[n].ino = f->file.ino;
				if (f->kind == CKPT_FD_FIFO && !(p[n].path = strdup(f->path))) {
					err = -ENOMEM;
					break;
				}
				ends[n] = 0;
				holder[n].pid = tr->t[i].src.pid;
				holder[n].fd = f->fd;
				err = peek_pipe(tr->t[i].src.pid, f->fd, f->path, &p[n]);
				n++;
			}
			ends[k] |= (f->flags & O_ACCMODE) == O_WRONLY ? 2 : 1;
		}
	/* A named FIFO can be opened by anyone: one end outside is fine. */
	for (k = 0; !err && k < n; k++)
		if (ends[k] != 3 && !p[k].path) {
			pr_err("pid %d fd %d: pipe:[%" PRIu64 "]: its %s end is held outside the process "
			       "tree; not supported yet", holder[k].pid, holder[k].fd, p[k].ino,
			       ends[k] & 1 ? "writing" : "reading");
			err = -EOPNOTSUPP;
		}
	free(ends);
	free(holder);
	if (err) {
		ckpt_pipes_free(p, n);
		return err;
	}
	*ret = p;
	*ret_n = n;
	return 0;
}

/* Every socket of the tree, once all fds are known (lib/sk.c). */
static int dump_sockets(struct dtree *tr, const struct ckpt_dump_opts *o, struct ckpt_sk_dump **ret)
{
	struct ckpt_sk_opts so = { .tcp_established = o->tcp_established,
				   .tcp_close = o->tcp_close, .ext_unix_sk = o->ext_unix_sk };
	struct ckpt_task **tasks = calloc(tr->n, sizeof(*tasks));
	size_t i, n = 0;
	int err;

	if (!tasks)
		return -ENOMEM;
	for (i = 0; i < tr->n; i++)
		if (!tr->t[i].task.zombie)
			tasks[n++] = &tr->t[i].task;
	err = ckpt_sk_dump_tree(tasks, n, &so, ret);
	free(tasks);
	return err;
}

/* Tasks seized in the frozen cgroup that the tree walk did not take: let them go. */
static void release_pre(struct dtree *tr)
{
	size_t i;

	for (i = 0; i < tr->n_pre; i++) {
		struct prefrozen *p = &tr->pre[i];

		if (!p->taken) {
			if (p->stopped)
				kill(p->pid, SIGSTOP);
			ckpt_ptrace_detach_all(p->tids, p->n_tids);
		}
		free(p->tids);
	}
	free(tr->pre);
	tr->pre = NULL;
	tr->n_pre = 0;
}

/* The pids of the tree rooted at pid (children of every thread), root first. */
static int list_tree(pid_t pid, pid_t **ret, size_t *ret_n)
{
	pid_t *v = NULL;
	size_t n = 0, cap = 0, i;
	int err;

	err = ckpt_grow((void **)&v, &cap, 1, sizeof(*v));
	if (err)
		return err;
	v[n++] = pid;
	for (i = 0; i < n && !err; i++) {
		char path[300], *buf, *p, *end;
		struct dirent *de;
		DIR *d;

		snprintf(path, sizeof(path), "/proc/%d/task", v[i]);
		d = opendir(path);
		while (d && !err && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%s/children", v[i], de->d_name);
			if (ckpt_read_file(AT_FDCWD, path, &buf, NULL))
				continue;
			for (p = buf; !err; p = end) {
				long c = strtol(p, &end, 10);

				if (end == p)
					break;
				err = ckpt_grow((void **)&v, &cap, n + 1, sizeof(*v));
				if (!err)
					v[n++] = c;
			}
			free(buf);
		}
		if (d)
			closedir(d);
	}
	if (err) {
		free(v);
		return err;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Seize every thread of pid (its cgroup is frozen: none can appear or go). */
static int preseize_task(struct dtree *tr, pid_t pid, bool stopped)
{
	struct prefrozen *p;
	char path[64];
	struct dirent *de;
	size_t cap = 0;
	int err;
	DIR *d;

	err = ckpt_grow((void **)&tr->pre, &tr->cap_pre, tr->n_pre + 1, sizeof(*tr->pre));
	if (err)
		return err;
	p = &tr->pre[tr->n_pre];
	*p = (struct prefrozen){ .pid = pid, .stopped = stopped };
	snprintf(path, sizeof(path), "/proc/%d", pid);
	d = opendir(path);
	if (d) {
		struct ckpt_proc_stat st;
		bool zombie = !ckpt_proc_stat(dirfd(d), &st) && st.state == 'Z';

		closedir(d);
		if (zombie)
			return 0; /* nothing to seize; the tree walk records it */
	}
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0; /* gone: the tree walk says so */
	tr->n_pre++;
	while (!err && (de = readdir(d))) {
		pid_t tid = atoi(de->d_name);

		if (tid <= 0)
			continue;
		err = ckpt_grow((void **)&p->tids, &cap, p->n_tids + 1, sizeof(*p->tids));
		if (err)
			break;
		err = ckpt_ptrace_seize(tid, false);
		if (err == -ESRCH) {
			err = 0;
			continue;
		}
		if (err) {
			pr_err("pid %d: cannot attach with ptrace: %s", tid, strerror(-err));
			break;
		}
		p->tids[p->n_tids++] = tid;
		if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL))
			err = -errno;
	}
	closedir(d);
	return err;
}

/*
 * --freeze-cgroup: freeze the cgroup, seize and interrupt every thread of
 * the tree while nothing of it runs, thaw: each thread stops before it runs
 * another instruction of its own, so the tree stops as of one moment and no
 * child can be forked meanwhile.  The freeze lasts only for the seizing.
 */
static int prefreeze_tree(struct dtree *tr, const struct ckpt_dump_opts *o)
{
	pid_t *before = NULL, *all = NULL;
	size_t n_before = 0, n_all = 0, i, k;
	struct ckpt_freezer fz;
	int err, err2;

	err = ckpt_freezer_open(o->freeze_cgroup, o->pid, &fz);
	if (err)
		return err;
	/*
	 * Stopped tasks (state T; frozen tasks all look alike) are seized before
	 * the freeze: attaching to a stopped task waits for it to re-trap, which
	 * a frozen one never does (v1 freezer).  Stopped, they cannot fork.
	 */
	err = list_tree(o->pid, &before, &n_before);
	for (i = 0; !err && i < n_before; i++) {
		struct ckpt_proc_stat st;
		char path[32];
		int pfd;

		snprintf(path, sizeof(path), "/proc/%d", before[i]);
		pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd >= 0 && !ckpt_proc_stat(pfd, &st) && st.state == 'T')
			err = preseize_task(tr, before[i], true);
		if (pfd >= 0)
			close(pfd);
	}
	if (!err)
		err = ckpt_freezer_freeze(&fz);
	if (err)
		goto out_stop;
	err = list_tree(o->pid, &all, &n_all);
	for (i = 0; !err && i < n_all; i++)
		if (!find_pre(tr, all[i]))
			err = preseize_task(tr, all[i], false);
	err2 = ckpt_freezer_thaw(&fz);
	err = err ?: err2;
out_stop:
	/*
	 * A stopped task runs no code: wake it (SIGCONT is swallowed), stop it
	 * again at the end.  Only once thawed: the v1 freezer would drop the wake-up.
	 */
	for (i = 0; i < tr->n_pre; i++)
		if (tr->pre[i].stopped)
			kill(tr->pre[i].pid, SIGCONT);
	/* Every seized thread stops now (also on failure: only a stopped one can be detached). */
	for (i = 0; i < tr->n_pre; i++) {
		struct prefrozen *p = &tr->pre[i];

		for (k = 0; k < p->n_tids;)
			if (ckpt_ptrace_wait_stop(p->tids[k]) == -ESRCH)
				p->tids[k] = p->tids[--p->n_tids]; /* it exited (SIGKILL) */
			else
				k++;
	}
	if (err)
		release_pre(tr);
	ckpt_freezer_close(&fz);
	free(before);
	free(all);
	return err;
}

static void release_tree(struct dtree *tr, bool kill_them)
{
	size_t i, k;
	int status;

	for (i = 0; i < tr->n; i++) {
		struct dtask *d = &tr->t[i];

		if (!d->seized)
			continue;
		d->seized = false;
		if (kill_them) {
			kill(d->src.pid, SIGKILL);
			continue;
		}
		if (d->task.stopped)
			kill(d->src.pid, SIGSTOP); /* taken as soon as it is let go */
		if (d->tids)
			ckpt_ptrace_detach_all(d->tids, d->n_tids);
		else
			ckpt_ptrace_detach(d->src.pid);
	}
	if (!kill_them)
		return;
	/*
	 * As their tracer we collect every thread's death (the others first:
	 * a group leader is reported only when they are gone); the parents reap.
	 */
	for (i = tr->n; i-- > 0;)
		for (k = tr->t[i].n_tids; k-- > 0;)
			while (waitpid(tr->t[i].tids[k], &status, __WALL) >= 0 && !WIFEXITED(status) &&
			       !WIFSIGNALED(status))
				;
}

/*
 * --snapshot, while the tree is frozen: plan each task's page copy, save
 * what a fork does not copy (shared memory...) from the task itself, and
 * make it fork the helper the rest is read from once it runs again.
 */
static int snapshot_tree(struct dtree *tr, int dirfd)
{
	size_t i;
	int err = 0;

	for (i = 0; i < tr->n && !err; i++) {
		struct dtask *d = &tr->t[i];

		if (d->task.zombie)
			continue;
		err = ckpt_mem_plan(&d->src, &d->task.mm, dirfd, &d->mem);
		if (!err)
			err = ckpt_mem_copy(d->mem, d->src.pid, true);
		if (!err)
			err = ckpt_snapshot_take(d->src.pid, d->src.procfd, &d->helper);
	}
	return err;
}

/* Kill the snapshot helpers and have their parents (frozen or not) reap them. */
static void drop_snapshots(struct dtree *tr)
{
	size_t i;

	for (i = 0; i < tr->n; i++) {
		struct dtask *d = &tr->t[i];

		if (d->helper)
			ckpt_snapshot_drop(d->src.pid, d->src.procfd, d->helper, d->seized,
					   d->task.stopped);
		d->helper = 0;
		ckpt_mem_free(d->mem);
		d->mem = NULL;
	}
}

static void free_tree(struct dtree *tr)
{
	size_t i;

	for (i = 0; i < tr->n; i++) {
		if (tr->t[i].opened)
			tr->t[i].src.ops->close(&tr->t[i].src);
		if (tr->t[i].src.procfd >= 0)
			close(tr->t[i].src.procfd);
		free(tr->t[i].tids);
		ckpt_task_free(&tr->t[i].task);
	}
	free(tr->t);
}

int ckpt_dump(const struct ckpt_dump_opts *o)
{
	struct ckpt_inventory inv = { .img_version = CKPT_IMG_VERSION };
	uint64_t t_start = now_ns(CLOCK_MONOTONIC), t_freeze = 0, t_end = 0, t_mem = 0, pages = 0;
	struct dtree tr = { 0 };
	struct ckpt_pipe *pipes = NULL;
	struct ckpt_sk_dump *socks = NULL;
	size_t n_pipes = 0;
	struct ckpt_imgdir dir;
	bool have_dir = false;
	struct utsname un;
	int pidfd, err;
	size_t i;

	if (o->snapshot && !o->leave_running) {
		/* A killed task must not run on past its image (its output would repeat). */
		pr_err("a snapshot dump needs --leave-running");
		return -EINVAL;
	}
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
	err = ckpt_source_select(o->backend, &tr.ops);
	if (!err)
		err = add_task(&tr, o->pid, o->shell_job);
	if (err)
		goto out;
	t_freeze = now_ns(CLOCK_MONOTONIC);
	if (o->freeze_cgroup) {
		err = check_target(o->pid, tr.t[0].src.procfd, false);
		if (!err)
			err = prefreeze_tree(&tr, o);
		if (err)
			goto out;
	}
	err = freeze_task(&tr, &tr.t[0]);
	/* Parents before children: each is frozen before its children are listed. */
	for (i = 0; !err && i < tr.n; i++)
		err = add_children(&tr, i, o->shell_job);
	for (i = 0; !err && i < tr.n; i++) {
		if (tr.t[i].task.zombie)
			continue;
		err = tr.t[i].src.ops->open(&tr.t[i].src);
		if (err)
			break;
		tr.t[i].opened = true;
		err = collect(&tr.t[i].src, &tr.t[i].task, tr.t[i].tids, tr.t[i].n_tids);
	}
	if (!err)
		err = link_ptys(&tr, o->shell_job);
	if (!err && !o->file_locks)
		err = check_no_locks(&tr);
	if (!err) {
		link_memfds(&tr);
		err = link_shared_memory(&tr);
	}
	if (!err)
		err = collect_pipes(&tr, &pipes, &n_pipes);
	if (err)
		goto out_release;
	err = find_inherited(&tr);
	if (!err)
		err = dump_sockets(&tr, o, &socks);
	if (err)
		goto out_release;
	err = ckpt_imgdir_begin(o->dir, &dir);
	if (err)
		goto out_release;
	have_dir = true;
	inv.pids = calloc(tr.n, sizeof(*inv.pids));
	if (!inv.pids) {
		err = -ENOMEM;
		goto out_release;
	}
	if (o->snapshot) {
		uint64_t t = now_ns(CLOCK_MONOTONIC);

		err = snapshot_tree(&tr, dir.dirfd);
		if (err)
			goto out_release;
		/* Everything but the helpers' pages is saved: the tree runs on. */
		t_end = now_ns(CLOCK_MONOTONIC);
		t_mem += t_end - t;
		if (ckpt_sk_dump_lock(socks))
			err = ckpt_img_write_netlock(dir.dirfd, ckpt_sk_dump_lock(socks));
		if (err)
			goto out_release;
		ckpt_sk_dump_end(socks, false); /* connections leave repair mode first */
		socks = NULL;
		release_tree(&tr, false);
	}
	for (i = 0; !err && i < tr.n; i++) {
		uint64_t t = now_ns(CLOCK_MONOTONIC);

		if (tr.t[i].mem) {
			err = ckpt_mem_copy(tr.t[i].mem, tr.t[i].helper, false);
			if (!err)
				err = ckpt_mem_finish(tr.t[i].mem, &tr.t[i].task.mm);
			else
				ckpt_mem_free(tr.t[i].mem);
			tr.t[i].mem = NULL;
		} else if (!tr.t[i].task.zombie) {
			err = ckpt_mem_dump(&tr.t[i].src, &tr.t[i].task.mm, dir.dirfd);
		}
		t_mem += now_ns(CLOCK_MONOTONIC) - t;
		if (!err)
			err = ckpt_img_write_task(dir.dirfd, &tr.t[i].task);
		inv.pids[i] = tr.t[i].src.pid;
		pages += tr.t[i].task.mm.nr_pages;
	}
	if (!err)
		err = ckpt_img_write_pipes(dir.dirfd, pipes, n_pipes);
	if (!err && ckpt_sk_dump_lock(socks))
		err = ckpt_img_write_netlock(dir.dirfd, ckpt_sk_dump_lock(socks));
	if (err)
		goto out_release;
	uname(&un);
	inv.tool_version = CKPT_VERSION;
	inv.kernel = un.release;
	inv.arch = un.machine;
	ckpt_cpu_read(&inv.cpu);
	inv.root_pid = o->pid;
	inv.n_tasks = tr.n;
	inv.n_pids = tr.n;
	inv.dump_time_ns = now_ns(CLOCK_REALTIME);
	inv.shell_job = o->shell_job;
	err = ckpt_img_write_inventory(dir.dirfd, &inv);
	if (!err && !o->leave_running)
		err = ckpt_sk_dump_kill_prep(socks); /* before the commit: a failure keeps them */
	if (!err)
		err = ckpt_imgdir_commit(&dir);
	if (err)
		goto out_release;
	have_dir = false;
	if (!o->snapshot)
		t_end = now_ns(CLOCK_MONOTONIC);
	if (o->leave_running) /* connections leave repair mode before the tasks run */
		ckpt_sk_dump_end(socks, false);
	release_tree(&tr, !o->leave_running);
	if (!o->leave_running) /* the tasks are gone: the lock stays for the restore */
		ckpt_sk_dump_end(socks, true);
	socks = NULL;
	drop_snapshots(&tr);
	if (o->stats) {
		o->stats->frozen_ns = t_end - t_freeze;
		o->stats->mem_ns = t_mem;
		o->stats->pages = pages;
		o->stats->total_ns = now_ns(CLOCK_MONOTONIC) - t_start;
	}
	pr_info("pid %d: dumped %zu process%s, %" PRIu64 " pages; frozen for %.1f ms", o->pid, tr.n,
		tr.n > 1 ? "es" : "", pages, (t_end - t_freeze) / 1e6);
	goto out;

out_release:
	if (have_dir)
		ckpt_imgdir_abort(&dir);
	drop_snapshots(&tr);
	/* Nothing was changed: let every task run on as it was. */
	ckpt_sk_dump_end(socks, false);
	socks = NULL;
	release_tree(&tr, false);
out:
	release_pre(&tr);
	ckpt_pipes_free(pipes, n_pipes);
	free(inv.pids);
	free_tree(&tr);
	close(pidfd);
	return err;
}
