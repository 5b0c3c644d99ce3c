// SPDX-License-Identifier: GPL-2.0
/* Restore orchestration: read and check images, create the task, hand over to the restorer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"
#include "ckpt.h"
#include "fd-tty.h"
#include "file-remap.h"
#include "files.h"
#include "img.h"
#include "imgdir.h"
#include "log.h"
#include "proc.h"
#include "ptrace.h"
#include "lazy.h"
#include "restorer.h"
#include "sk.h"
#include "sysvshm.h"
#include "util.h"

/* One task being restored; all of them share the tree's helper fds. */
struct rst_ctx {
	const struct ckpt_restore_opts *o;
	struct rst_tree *tree;
	struct ckpt_task t;
	struct ckpt_restore_fds fds;
	int tty_fd;
	int err_fd; /* the child reports errors here once its own fds are replaced */
	int go[2];  /* ckpt writes one byte once it traces the new task */
	bool created;
};

struct rst_tree {
	struct rst_ctx *c; /* c[0] is the root; parents come before children */
	size_t n;
	struct ckpt_pipe_fds *pipes; /* created by ckpt, inherited by every task */
	size_t n_pipes;
	struct ckpt_sk_restore *socks; /* sockets, made the same way (lib/sk.c) */
};

static int child_err_fd = -1;

/* Log "what: strerror(errno)" and return -errno, errno read before logging. */
#define errno_fail(fmt, ...)                                              \
	({                                                                \
		int e_ = errno;                                           \
		pr_err(fmt ": %s", ##__VA_ARGS__, strerror(e_));          \
		-e_;                                                      \
	})

static void child_log(enum ckpt_log_level level, const char *file, int line, const char *msg)
{
	char buf[1200];
	int n;

	(void)file;
	(void)line;
	if (level > CKPT_LOG_WARN && level > ckpt_log_get_level())
		return;
	n = snprintf(buf, sizeof(buf), "ckpt: %s%s\n", level == CKPT_LOG_WARN ? "warning: " : "", msg);
	if (write(child_err_fd, buf, MIN((size_t)n, sizeof(buf) - 1)) < 0)
		return;
}

/* fd >= base, close-on-exec; the original is closed. */
static int move_up(int *fd, int base)
{
	int nfd;

	if (*fd < 0)
		return 0;
	nfd = fcntl(*fd, F_DUPFD_CLOEXEC, base);
	if (nfd < 0)
		return -errno;
	close(*fd);
	*fd = nfd;
	return 0;
}

static int open_checked(const char *what, const char *path, int flags,
			const struct ckpt_file_id *id, int *ret)
{
	char remapped[PATH_MAX];
	int fd, err;

	if (!path || path[0] != '/') {
		pr_err("%s: no usable path in the image", what);
		return -EBADMSG;
	}
	fd = open(ckpt_file_remap(path, remapped, sizeof(remapped)) ?: path,
		  flags | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = -errno;
		pr_err("%s: cannot open %s: %s", what, path, strerror(errno));
		return err;
	}
	err = ckpt_file_check(fd, what, path, id, false);
	if (err) {
		close(fd);
		return err;
	}
	*ret = fd;
	return 0;
}

static int open_helpers(struct rst_ctx *c, int dirfd, int base)
{
	const struct ckpt_mm *mm = &c->t.mm;
	char what[80];
	size_t i, j;
	int err;

	c->fds.base = base;
	for (; c->fds.n_pages < mm->n_parts; c->fds.n_pages++) {
		int fd = ckpt_img_pages_open(dirfd, c->t.pid, c->fds.n_pages);

		if (fd < 0)
			return fd;
		c->fds.pages[c->fds.n_pages] = fd;
	}
	err = open_checked("executable", mm->exe_path, O_RDONLY, &mm->exe, &c->fds.exe);
	if (err)
		return err;
	c->fds.vma = malloc(MAX(mm->n_vmas, 1) * sizeof(int));
	if (!c->fds.vma)
		return -ENOMEM;
	for (i = 0; i < mm->n_vmas; i++) {
		const struct ckpt_vma *v = &mm->vmas[i];
		bool rw = v->kind == CKPT_VMA_FILE_SHARED &&
			  ((v->prot & PROT_WRITE) || (v->attrs & CKPT_VMA_MAYWRITE));

		c->fds.vma[i] = -1;
		if (v->kind != CKPT_VMA_FILE_PRIVATE && v->kind != CKPT_VMA_FILE_SHARED)
			continue;
		/* Reuse the fd of an earlier mapping of the same file and mode. */
		for (j = 0; j < i; j++)
			if (c->fds.vma[j] >= 0 && mm->vmas[j].kind == v->kind &&
			    !strcmp(mm->vmas[j].path, v->path) && !rw)
				break;
		if (j < i) {
			c->fds.vma[i] = c->fds.vma[j];
			continue;
		}
		snprintf(what, sizeof(what), "mapping %" PRIx64 "-%" PRIx64, v->start, v->end);
		err = open_checked(what, v->path, rw ? O_RDWR : O_RDONLY, &v->file, &c->fds.vma[i]);
		if (err)
			return err;
	}
	for (i = 0; i < c->t.n_fds; i++) {
		if (c->t.fds[i].kind != CKPT_FD_TTY || c->tty_fd >= 0)
			continue;
		if (!c->o->shell_job) {
			pr_err("fd %d: was a terminal; restore it with --shell-job", c->t.fds[i].fd);
			return -ENOTTY;
		}
		for (j = 0; j < 3 && c->tty_fd < 0; j++)
			if (isatty(j))
				c->tty_fd = fcntl(j, F_DUPFD_CLOEXEC, 0);
		if (c->tty_fd < 0)
			c->tty_fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (c->tty_fd < 0) {
			pr_err("fd %d: was a terminal, and ckpt has none to give it", c->t.fds[i].fd);
			return -ENOTTY;
		}
	}
	/* Above every fd of the image, so restoring those cannot clobber ours. */
	for (i = 0; i < c->fds.n_pages; i++)
		if (move_up(&c->fds.pages[i], base))
			goto fail_move;
	if (move_up(&c->fds.exe, base) || move_up(&c->tty_fd, base))
		goto fail_move;
	c->err_fd = fcntl(2, F_DUPFD_CLOEXEC, base);
	if (pipe2(c->go, O_CLOEXEC) || move_up(&c->go[0], base) || move_up(&c->go[1], base))
		goto fail_move;
	for (i = 0; i < mm->n_vmas; i++) {
		int old = c->fds.vma[i];

		if (old < 0 || old >= base)
			continue;
		if (move_up(&c->fds.vma[i], base))
			goto fail_move;
		for (j = i + 1; j < mm->n_vmas; j++)
			if (c->fds.vma[j] == old)
				c->fds.vma[j] = c->fds.vma[i];
	}
	return 0;
fail_move:
	err = -errno;
	pr_err("cannot move helper fds above fd %d: %s", base, strerror(errno));
	return err;
}

static void close_helpers(struct rst_ctx *c)
{
	size_t i, j;

	if (c->fds.vma)
		for (i = 0; i < c->t.mm.n_vmas; i++) {
			if (c->fds.vma[i] < 0)
				continue;
			for (j = 0; j < i; j++)
				if (c->fds.vma[j] == c->fds.vma[i])
					break;
			if (j == i)
				close(c->fds.vma[i]);
		}
	free(c->fds.vma);
	for (i = 0; i < c->fds.n_pages; i++)
		close(c->fds.pages[i]);
	if (c->fds.exe >= 0)
		close(c->fds.exe);
	if (c->tty_fd >= 0)
		close(c->tty_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	if (c->go[0] >= 0)
		close(c->go[0]);
	if (c->go[1] >= 0)
		close(c->go[1]);
}

static const char *const rlimit_names[CKPT_NRLIMITS] = {
	"CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE",
	"MEMLOCK", "AS", "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME",
};

static int restore_rlimits(const struct ckpt_task *t)
{
	int i;

	for (i = 0; i < CKPT_NRLIMITS; i++) {
		struct rlimit want = { t->rlimits[i].cur, t->rlimits[i].max }, cur;

		if (getrlimit(i, &cur) || (cur.rlim_cur == want.rlim_cur && cur.rlim_max == want.rlim_max))
			continue;
		if (!setrlimit(i, &want))
			continue;
		if (errno != EPERM || want.rlim_max <= cur.rlim_max) {
			return errno_fail("cannot set RLIMIT_%s", rlimit_names[i]);
		}
		/* Raising a hard limit needs CAP_SYS_RESOURCE. */
		want.rlim_max = cur.rlim_max;
		want.rlim_cur = MIN(want.rlim_cur, cur.rlim_max);
		if (setrlimit(i, &want))
			return -errno;
		pr_warn("RLIMIT_%s: cannot raise the hard limit to %" PRIu64 " without CAP_SYS_RESOURCE, "
			"keeping %llu", rlimit_names[i], t->rlimits[i].max,
			(unsigned long long)cur.rlim_max);
	}
	return 0;
}

/* Runs in the new task, still ckpt's code: everything that needs no memory swap. */
static int create_task(struct rst_ctx *c, pid_t *ret);

/*
 * An earlier task's fd (restored: tasks set up one after the other, in
 * tree order, and it is stopped now), taken with pidfd_getfd().
 */
static int peer_fd(pid_t peer, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, peer, 0), got = -1, e;

	if (pidfd >= 0) {
		got = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		e = errno;
		close(pidfd);
		errno = e;
	}
	return got;
}

/*
 * fds shared with the parent (inherited across fork) are the parent's,
 * already restored at the same numbers in our copy of its table; fds
 * shared with another earlier task are taken from it.  Keep them above the
 * helper fds until our own table is rebuilt.
 */
static int grab_inherited(struct rst_ctx *c)
{
	size_t i;

	for (i = 0; i < c->t.n_fds; i++) {
		struct ckpt_fd *f = &c->t.fds[i];
		int tmp, from = f->parent_fd;

		if (f->parent_fd < 0)
			continue;
		if (f->peer_pid) {
			from = peer_fd(f->peer_pid, f->parent_fd);
			if (from < 0)
				return errno_fail("fd %d: cannot take fd %d of pid %d", f->fd,
						  f->parent_fd, f->peer_pid);
		}
		tmp = fcntl(from, F_DUPFD_CLOEXEC, c->fds.base);
		if (tmp < 0)
			return errno_fail("fd %d: the parent's fd %d is not there", f->fd, f->parent_fd);
		if (f->peer_pid)
			close(from);
		f->parent_fd = tmp; /* our copy of the image: now where to dup it from */
	}
	return 0;
}

static bool pid_in_tree(const struct rst_tree *tr, pid_t pid)
{
	size_t i;

	for (i = 0; i < tr->n; i++)
		if (tr->c[i].t.pid == pid)
			return true;
	return false;
}

/*
 * A session or process group whose leader is not in the tree (it exited:
 * a daemon that double-forked under a subreaper, a pipeline whose first
 * process is gone) is made again by a helper task with the leader's PID.
 * Its exit signal is 0 and its parent reaps it before going on, so no
 * task of the tree ever sees it.
 */
static pid_t spawn_helper(pid_t pid)
{
	struct clone_args args = {
		.exit_signal = 0,
		.set_tid = (uintptr_t)&pid,
		.set_tid_size = 1,
	};

	return syscall(SYS_clone3, &args, sizeof(args));
}

static void reap_helper(pid_t h)
{
	int status;

	while (waitpid(h, &status, __WALL) < 0 && errno == EINTR)
		;
}

/*
 * Create k; if its process group has no leader in the tree and does not
 * exist (yet), a helper with the group's PID leads it while k joins it.
 */
static int create_member(struct rst_ctx *k, pid_t *ret)
{
	pid_t g = k->t.pgid, h;
	int err;

	if (k->t.zombie || g == k->t.pid || g == k->t.sid || pid_in_tree(k->tree, g) ||
	    !kill(-g, 0) || errno != ESRCH)
		return create_task(k, ret);
	h = spawn_helper(g);
	if (h == 0)
		for (;;)
			pause(); /* killed once k is in the group */
	if (h < 0) {
		pr_warn("pid %d: cannot make its process group %d again (pid %d: %s); it stays in "
			"its parent's", k->t.pid, g, g, strerror(errno));
		return create_task(k, ret);
	}
	/* A parent may move its child that has not exec'd, in its own session. */
	err = setpgid(h, h) ? errno_fail("pid %d: process group %d", k->t.pid, g) : 0;
	if (!err)
		err = create_task(k, ret);
	if (!err && setpgid(*ret, g))
		err = errno_fail("pid %d: cannot join process group %d", k->t.pid, g);
	kill(h, SIGKILL);
	reap_helper(h);
	return err;
}

/*
 * k's session has no leader in the tree and is not its parent c's: c is a
 * subreaper (k was an orphan), so a helper with the session's PID calls
 * setsid(), creates c's children of that session and exits; they become
 * c's children again.
 */
static bool wants_session_helper(const struct rst_ctx *c, const struct rst_ctx *k)
{
	return k->t.sid != k->t.pid && k->t.sid != c->t.sid && !pid_in_tree(c->tree, k->t.sid);
}

static int create_in_session(struct rst_ctx *c, pid_t sid)
{
	struct rst_tree *tr = c->tree;
	int status, err = 0;
	size_t i;
	pid_t h, pid;

	h = c->t.subreaper ? spawn_helper(sid) : -1;
	if (h == 0) {
		if (setsid() < 0)
			_exit(errno_fail("pid %d: session %d", c->t.pid, sid) ? 1 : 0);
		for (i = 1; !err && i < tr->n; i++)
			if (tr->c[i].t.ppid == c->t.pid && tr->c[i].t.sid == sid &&
			    wants_session_helper(c, &tr->c[i]))
				err = create_member(&tr->c[i], &pid);
		_exit(err ? 1 : 0);
	}
	if (h > 0) {
		while (waitpid(h, &status, __WALL) < 0)
			if (errno != EINTR)
				return -errno;
		return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECANCELED; /* it said why */
	}
	if (c->t.subreaper)
		pr_warn("pid %d: cannot make session %d of its children again (pid %d: %s); they "
			"stay in session %d", c->t.pid, sid, sid, strerror(errno), c->t.sid);
	else
		pr_warn("pid %d: its children of session %d (no leader in the tree) stay in session "
			"%d: it is not a subreaper, so they cannot be made its children again there",
			c->t.pid, sid, c->t.sid);
	for (i = 1; !err && i < tr->n; i++)
		if (tr->c[i].t.ppid == c->t.pid && tr->c[i].t.sid == sid &&
		    wants_session_helper(c, &tr->c[i]))
			err = create_member(&tr->c[i], &pid);
	return err;
}

static int create_children(struct rst_ctx *c)
{
	struct rst_tree *tr = c->tree;
	bool zombies = false;
	size_t i, j;
	pid_t pid;
	int err;

	for (i = 1; i < tr->n; i++) {
		struct rst_ctx *k = &tr->c[i];

		if (k->t.ppid != c->t.pid)
			continue;
		zombies |= k->t.zombie;
		if (wants_session_helper(c, k)) { /* created below, in their session */
			for (j = 1; j < i; j++)
				if (tr->c[j].t.ppid == c->t.pid && tr->c[j].t.sid == k->t.sid)
					break;
			err = j < i ? 0 : create_in_session(c, k->t.sid);
		} else {
			err = create_member(k, &pid);
		}
		if (err)
			return err;
	}
	if (zombies) {
		/* Our zombies' SIGCHLD is ours, not the task's (its own pending signals come later). */
		struct timespec now = { 0, 0 };
		sigset_t chld;

		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		while (sigtimedwait(&chld, NULL, &now) == SIGCHLD)
			;
	}
	return 0;
}

static int child_setup(struct rst_ctx *c)
{
	const struct ckpt_task *t = &c->t;
	int sig, err;

	if (t->sid == t->pid && setsid() < 0) {
		return errno_fail("setsid");
	}
	if (t->sid != t->pid && t->pgid == t->pid && setpgid(0, 0)) {
		return errno_fail("setpgid");
	}
	/* A group led by a task created later is joined once all exist (the restorer). */
	if (t->sid != t->pid && t->pgid != t->pid && getpgid(0) != t->pgid && setpgid(0, t->pgid))
		pr_debug("process group %d not there yet: %s", t->pgid, strerror(errno));
	err = grab_inherited(c);
	if (err)
		return err;
	if (syscall(SYS_close_range, 0, c->fds.base - 1, 0) < 0)
		return -errno;
	err = ckpt_files_restore(t, c->tty_fd, c->tree->pipes, c->tree->n_pipes);
	if (err)
		return err;
	umask(t->umask);
	if (t->root && strcmp(t->root, "/") && chroot(t->root)) {
		return errno_fail("chroot %s", t->root);
	}
	if (chdir(t->cwd)) {
		return errno_fail("cannot enter the working directory %s", t->cwd);
	}
	if (personality(t->personality) < 0) {
		return errno_fail("personality 0x%x", t->personality);
	}
	prctl(PR_SET_NAME, t->comm, 0, 0, 0);
	for (sig = 1; sig <= CKPT_NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* The kernel's own layout; handler addresses are the task's. */
		if (syscall(SYS_rt_sigaction, sig, &t->sigactions[sig - 1], NULL, 8)) {
			return errno_fail("signal %d: cannot set its action", sig);
		}
	}
	if (t->subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		return errno_fail("cannot become a child subreaper");
	/* Children now: they inherit these fds, and come before the rlimits. */
	err = create_children(c);
	if (err)
		return err;
	return restore_rlimits(t);
}

/*
 * glibc registered rseq for ckpt's thread, and the child inherited that:
 * the kernel would write into ckpt's TLS after the memory swap.  Drop it.
 */
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));
#define RSEQ_SIG 0x53053053
#define RSEQ_FLAG_UNREGISTER 1

static int rseq_unregister(void)
{
	char *area;

	if (!&__rseq_offset || !&__rseq_size || !__rseq_size)
		return 0;
	area = (char *)__builtin_thread_pointer() + __rseq_offset;
	if (!syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) ||
	    !syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) || errno == EINVAL)
		return 0;
	return errno_fail("cannot unregister rseq");
}

/* A zombie of the tree: join its session and group, and exit as it did. */
static void __attribute__((noreturn)) become_zombie(const struct ckpt_task *t)
{
	struct rlimit no_core = { 0, 0 };
	sigset_t set;

	if (t->sid == t->pid)
		setsid();
	else if (t->pgid == t->pid)
		setpgid(0, 0);
	if (WIFSIGNALED(t->exit_status)) {
		setrlimit(RLIMIT_CORE, &no_core);
		signal(WTERMSIG(t->exit_status), SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, WTERMSIG(t->exit_status));
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		syscall(SYS_kill, syscall(SYS_getpid), WTERMSIG(t->exit_status));
	}
	_exit(WEXITSTATUS(t->exit_status));
}

static void __attribute__((noreturn)) child_main(struct rst_ctx *c)
{
	size_t i;
	char go;

	if (c->t.zombie)
		become_zombie(&c->t);
	/*
	 * Only ckpt writes the go pipes: with no other write end open, a task
	 * whose start never comes (the restore failed) reads EOF and exits.
	 */
	for (i = 0; i < c->tree->n; i++)
		if (c->tree->c[i].go[1] >= 0)
			close(c->tree->c[i].go[1]);
	child_err_fd = c->err_fd;
	ckpt_log_set_fn(child_log);
	if (read(c->go[0], &go, 1) != 1)
		_exit(1);
	if (rseq_unregister() || child_setup(c))
		_exit(1);
	/* The parent takes over from this stop. */
	syscall(SYS_kill, syscall(SYS_getpid), SIGSTOP);
	_exit(1);
}

/* The parent of pid if pid is a zombie, else 0. */
static pid_t zombie_parent(pid_t pid)
{
	struct ckpt_proc_stat st;
	int procfd;
	pid_t ppid = 0;

	if (ckpt_proc_open(pid, &procfd))
		return 0;
	if (!ckpt_proc_stat(procfd, &st) && st.state == 'Z')
		ppid = st.ppid;
	close(procfd);
	return ppid;
}

static int create_task(struct rst_ctx *c, pid_t *ret)
{
	pid_t set_tid = c->t.pid;
	struct clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&set_tid,
		.set_tid_size = 1,
	};
	sigset_t all, old;
	int err, tries;
	long pid;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	for (tries = 0;; tries++) {
		err = ckpt_fault("clone3", EAGAIN);
		pid = err ? (errno = -err, -1) : syscall(SYS_clone3, &args, sizeof(args));
		if (pid == 0)
			child_main(c);
		err = -errno;
		/*
		 * The dumped tree's own zombies: when a dump kills a tree, the
		 * children are reaped by init, which may take a moment; until
		 * then their process group and session keep the root's PID taken.
		 */
		if (pid > 0 || err != -EEXIST || tries >= 500 ||
		    (zombie_parent(c->t.pid) != 1 && !(kill(c->t.pid, 0) && errno == ESRCH)))
			break;
		usleep(10000);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		if (err == -EEXIST && zombie_parent(c->t.pid) > 0)
			pr_err("pid %d: is in use by a zombie its parent (pid %d) has not reaped yet; "
			       "cannot restore with the same PID", c->t.pid, zombie_parent(c->t.pid));
		else if (err == -EEXIST && kill(c->t.pid, 0) && errno == ESRCH)
			pr_err("pid %d: is still a process group or session of zombies; cannot restore "
			       "with the same PID", c->t.pid);
		else if (err == -EEXIST)
			pr_err("pid %d: is in use; cannot restore with the same PID", c->t.pid);
		else if (err == -EPERM)
			pr_err("pid %d: creating a task with a chosen PID needs CAP_CHECKPOINT_RESTORE",
			       c->t.pid);
		else
			pr_err("pid %d: clone3: %s", c->t.pid, strerror(-err));
		return err;
	}
	*ret = pid;
	return 0;
}

/*
 * Trace the task (created by ckpt, or by its restored parent before that
 * one stopped), let it go, and wait until it stops itself, set up.
 */
static int start_task(struct rst_ctx *c)
{
	pid_t pid = c->t.pid;
	int status, err;

	err = ckpt_ptrace_seize(pid, true);
	if (err) {
		pr_err("pid %d: cannot trace the new task: %s", pid, strerror(-err));
		return err;
	}
	c->created = true;
	if (write(c->go[1], "g", 1) != 1)
		return -errno;
	err = ckpt_ptrace_wait(pid, &status);
	if (err) /* it exited: it said why */
		return -ECANCELED;
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) {
		pr_err("pid %d: unexpected stop 0x%x of the new task", pid, status);
		return -EPROTO;
	}
	return 0;
}

static int check_inventory(const struct ckpt_inventory *inv, const struct ckpt_restore_opts *o)
{
	struct ckpt_cpu here;
	struct utsname un;

	uname(&un);
	if (inv->arch && strcmp(inv->arch, un.machine)) {
		pr_err("inventory.img: dumped on %s, this machine is %s", inv->arch, un.machine);
		return -EXDEV;
	}
	ckpt_cpu_read(&here);
	return ckpt_cpu_check(&inv->cpu, &here, o->cpu_cap);
}

static int write_pidfile(const char *path, pid_t pid)
{
	FILE *f = fopen(path, "we");

	if (!f || fprintf(f, "%d\n", pid) < 0 || fclose(f)) {
		pr_err("%s: cannot write the pid file: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return -errno;
	}
	return 0;
}

/*
 * The tree's pipes, made by ckpt before any task exists so that all inherit
 * them (above base), refilled with the bytes that were in flight.
 */
/*
 * Both ends of the named FIFO at path, without blocking: a third opener
 * (read-write) keeps the pipe alive while they open.  *queued: bytes already
 * in it, when something outside the tree kept it open since the dump.
 */
static int open_fifo(const char *path, int fds[2], int *queued)
{
	struct stat st;
	int keep, err;

	keep = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (keep < 0 || fstat(keep, &st) || !S_ISFIFO(st.st_mode)) {
		err = keep < 0 ? -errno : -ENOTSUP;
		pr_err("%s: cannot open the FIFO: %s", path,
		       keep < 0 ? strerror(errno) : "not a FIFO any more");
		if (keep >= 0)
			close(keep);
		return err;
	}
	fds[0] = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	fds[1] = fds[0] < 0 ? -1 : open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	err = fds[1] < 0 ? -errno : 0;
	if (!err && ioctl(fds[0], FIONREAD, queued))
		*queued = 0;
	close(keep);
	if (err) {
		pr_err("%s: cannot open the FIFO: %s", path, strerror(-err));
		if (fds[0] >= 0)
			close(fds[0]);
	}
	return err;
}

static int make_pipes(int dirfd, struct rst_tree *tr, int base)
{
	struct ckpt_pipe *pipes;
	size_t n, i;
	int err;

	err = ckpt_img_read_pipes(dirfd, &pipes, &n);
	if (err)
		return err;
	tr->pipes = calloc(MAX(n, 1), sizeof(*tr->pipes));
	if (!tr->pipes) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct ckpt_pipe_fds *p = &tr->pipes[i];
		int fds[2], queued = 0;

		if (pipes[i].path) {
			err = open_fifo(pipes[i].path, fds, &queued);
			if (err)
				goto out;
		} else if (pipe2(fds, O_CLOEXEC)) {
			err = errno_fail("pipe");
			goto out;
		}
		p->dev = pipes[i].dev;
		p->ino = pipes[i].ino;
		p->rfd = fds[0];
		p->wfd = fds[1];
		tr->n_pipes++;
		if (move_up(&p->rfd, base) || move_up(&p->wfd, base)) {
			err = errno_fail("cannot move pipe fds above %d", base);
			goto out;
		}
		if (pipes[i].size > 4096)
			fcntl(p->wfd, F_SETPIPE_SZ, pipes[i].size); /* best effort: the data must fit */
		fcntl(p->wfd, F_SETFL, O_NONBLOCK);
		if (queued)
			pr_warn("%s: the FIFO kept %d bytes across the dump (held open outside the "
				"tree): not adding the %zu saved ones", pipes[i].path, queued, pipes[i].len);
		else if (pipes[i].len && ckpt_write_all(p->wfd, pipes[i].data, pipes[i].len)) {
			pr_err("pipes.img: cannot put %zu bytes back into pipe:[%" PRIu64 "]", pipes[i].len,
			       pipes[i].ino);
			err = -ENOSPC;
			goto out;
		}
		fcntl(p->wfd, F_SETFL, 0);
	}
out:
	ckpt_pipes_free(pipes, n);
	return err;
}

static int make_sockets(int dirfd, struct rst_tree *tr, int base)
{
	struct ckpt_task **tasks = calloc(MAX(tr->n, 1), sizeof(*tasks));
	size_t i, n = 0;
	int err;

	if (!tasks)
		return -ENOMEM;
	for (i = 0; i < tr->n; i++)
		if (!tr->c[i].t.zombie)
			tasks[n++] = &tr->c[i].t;
	err = ckpt_sk_restore_begin(dirfd, tasks, n, base, &tr->socks);
	free(tasks);
	return err;
}

/* Read every task; a task's parent must come before it (and be in the image). */
static int read_tree(int dirfd, const struct ckpt_inventory *inv, const struct ckpt_restore_opts *o,
		     struct rst_tree *tr)
{
	size_t i, j;
	int err, base = 3;

	tr->c = calloc(inv->n_pids, sizeof(*tr->c));
	if (!tr->c)
		return -ENOMEM;
	for (i = 0; i < inv->n_pids; i++) {
		struct rst_ctx *c = &tr->c[i];

		*c = (struct rst_ctx){ .o = o, .tree = tr, .tty_fd = -1, .err_fd = -1,
				       .go = { -1, -1 }, .fds = { .exe = -1 } };
		err = ckpt_img_read_task(dirfd, inv->pids[i], &c->t);
		if (err)
			return err;
		tr->n++;
		for (j = 0; i && j < i && tr->c[j].t.pid != c->t.ppid; j++)
			;
		if (i && j == i) {
			pr_err("core-%d.img: its parent %d is not restored before it", c->t.pid, c->t.ppid);
			return -EBADMSG;
		}
		for (j = 0; j < c->t.n_fds; j++) {
			const struct ckpt_fd *f = &c->t.fds[j];
			size_t k;

			base = MAX(base, f->fd + 1);
			for (k = 0; f->peer_pid && k < i; k++)
				if (tr->c[k].t.pid == f->peer_pid && !tr->c[k].t.zombie)
					break;
			if (f->peer_pid && k == i) {
				pr_err("files-%d.img: fd %d is shared with pid %d, which is not a live task "
				       "restored before it", c->t.pid, f->fd, f->peer_pid);
				return -EBADMSG;
			}
		}
	}
	for (i = 0; i < tr->n; i++) {
		if (tr->c[i].t.zombie)
			continue;
		err = open_helpers(&tr->c[i], dirfd, base);
		if (err)
			return err;
	}
	err = ckpt_file_remap_setup(o->file_remap, o->n_file_remap, o->inherit_fd, o->n_inherit_fd,
				    base);
	if (!err)
		err = make_pipes(dirfd, tr, base);
	if (!err)
		err = make_sockets(dirfd, tr, base);
	for (i = 0; !err && i < tr->n; i++)
		err = ckpt_pty_note(&tr->c[i].t);
	return err ? err : ckpt_pty_make(base);
}

/*
 * ckpt is a child subreaper while it restores: a task orphaned by a failed
 * restore becomes its child.  SIGKILL every child (the tree, and whatever
 * its tasks made) and reap them until none is left, so that no task of a
 * failed restore outlives ckpt, not even as a zombie.
 */
static void kill_children(void)
{
	char path[300], buf[4096];
	struct dirent *e;
	DIR *d = opendir("/proc/self/task");
	ssize_t n;
	char *p, *end;
	int fd;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		for (p = buf;; p = end) {
			long pid = strtol(p, &end, 10);

			if (end == p)
				break;
			if (pid > 0)
				kill((pid_t)pid, SIGKILL);
		}
	}
	closedir(d);
}

static void reap_all(void)
{
	int status;

	for (;;) {
		kill_children();
		if (waitpid(-1, &status, __WALL) < 0 && errno != EINTR)
			break; /* ECHILD: none left */
	}
}

static void kill_tree(struct rst_tree *tr)
{
	size_t i;

	for (i = tr->n; i-- > 0;) {
		if (tr->c[i].created)
			kill(tr->c[i].t.pid, SIGKILL);
		/* One its parent made but ckpt never started: EOF ends it. */
		if (tr->c[i].go[1] >= 0)
			close(tr->c[i].go[1]);
		tr->c[i].go[1] = -1;
	}
	reap_all();
}

static void free_tree(struct rst_tree *tr)
{
	size_t i;

	for (i = 0; i < tr->n; i++) {
		close_helpers(&tr->c[i]);
		ckpt_task_free(&tr->c[i].t);
	}
	free(tr->c);
	for (i = 0; i < tr->n_pipes; i++) {
		close(tr->pipes[i].rfd);
		close(tr->pipes[i].wfd);
	}
	free(tr->pipes);
	ckpt_sk_restore_end(tr->socks, false);
	tr->socks = NULL;
	ckpt_pty_release();
	ckpt_file_remap_release();
}

int ckpt_restore(const struct ckpt_restore_opts *o, int *ret_status)
{
	struct ckpt_inventory inv = { 0 };
	struct ckpt_shm_set shm = { 0 };
	struct rst_tree tr = { 0 };
	struct ckpt_lazy *lazy = NULL;
	int dirfd, status, err, was_subreaper = 0;
	pid_t root = 0;
	size_t i;

	*ret_status = 0;
	err = ckpt_imgdir_open(o->dir, &dirfd);
	if (err)
		return err;
	err = ckpt_img_read_inventory(dirfd, &inv);
	if (err)
		goto out_dir;
	err = check_inventory(&inv, o);
	if (!err)
		err = read_tree(dirfd, &inv, o, &tr);
	if (err)
		goto out;
	if (prctl(PR_GET_CHILD_SUBREAPER, &was_subreaper) || prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		err = errno_fail("cannot become a child subreaper");
		goto out;
	}
	/* SysV segments exist (with their contents) before anyone attaches. */
	for (i = 0; !err && i < tr.n; i++)
		if (!tr.c[i].t.zombie)
			err = ckpt_shm_prepare(&shm, &tr.c[i].t, dirfd);
	/* ckpt creates the root; each task creates its children before it stops. */
	if (!err)
		err = create_task(&tr.c[0], &root);
	for (i = 0; !err && i < tr.n; i++)
		if (!tr.c[i].t.zombie)
			err = start_task(&tr.c[i]);
	for (i = 0; !err && i < tr.n; i++)
		if (!tr.c[i].t.zombie)
			err = ckpt_restorer_run(tr.c[i].t.pid, &tr.c[i].t, &tr.c[i].fds,
						o->lazy_pages ? &lazy : NULL);
	/* Lazy pages: the server takes over from ckpt's thread before the tasks run. */
	if (!err && lazy)
		err = ckpt_lazy_start(lazy);
	ckpt_lazy_free(lazy);
	lazy = NULL;
	/* All are rebuilt: let them go, children first. */
	for (i = tr.n; !err && i-- > 0;)
		if (!tr.c[i].t.zombie)
			err = ckpt_restorer_release(tr.c[i].t.pid, &tr.c[i].t);
	if (err) {
		/* Nothing half-restored stays behind. */
		ckpt_lazy_free(lazy);
		kill_tree(&tr); /* root too, traced or not */
		prctl(PR_SET_CHILD_SUBREAPER, was_subreaper);
		ckpt_shm_finish(&shm, false);
		ckpt_sk_restore_end(tr.socks, false);
		tr.socks = NULL;
		goto out;
	}
	prctl(PR_SET_CHILD_SUBREAPER, was_subreaper); /* orphans of the tree go where they did */
	ckpt_shm_finish(&shm, true);
	ckpt_sk_restore_end(tr.socks, true); /* our copies, and the network lock */
	tr.socks = NULL;
	if (o->pidfile)
		write_pidfile(o->pidfile, root);
	pr_info("pid %d: restored %zu process%s", root, tr.n, tr.n > 1 ? "es" : "");
	if (!o->detached) {
		free_tree(&tr); /* our pipe ends too: readers must see EOF */
		memset(&tr, 0, sizeof(tr));
		while (waitpid(root, &status, 0) < 0)
			if (errno != EINTR) {
				err = -errno;
				goto out;
			}
		*ret_status = status;
	}
out:
	free_tree(&tr);
	ckpt_inventory_free(&inv);
out_dir:
	close(dirfd);
	return err;
}
