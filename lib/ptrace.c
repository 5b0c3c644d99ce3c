// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "fault.h"
#include "log.h"
#include "ptrace.h"
#include "util.h"

#ifndef PTRACE_GETSIGMASK
#define PTRACE_GETSIGMASK 0x420a
#define PTRACE_SETSIGMASK 0x420b
#endif
#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516
#define XSAVE_MAX (64 * 1024)

int ckpt_ptrace_seize(pid_t pid, bool exitkill)
{
	long opts = PTRACE_O_TRACESYSGOOD | (exitkill ? PTRACE_O_EXITKILL : 0);
	int err = CKPT_FAULT_TASK("ptrace seize", EPERM, pid);

	if (err)
		return err;
	if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)opts))
		return -errno;
	return 0;
}

int ckpt_ptrace_wait(pid_t pid, int *ret_status)
{
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, __WALL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		break;
	}
	*ret_status = status;
	if (WIFEXITED(status) || WIFSIGNALED(status))
		return -ESRCH;
	return 0;
}

int ckpt_ptrace_freeze(pid_t pid)
{
	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL))
		return -errno;
	return ckpt_ptrace_wait_stop(pid);
}

int ckpt_ptrace_wait_stop(pid_t pid)
{
	int status, err;

	for (;;) {
		err = ckpt_ptrace_wait(pid, &status);
		if (err)
			return err;
		if (status >> 16 == PTRACE_EVENT_STOP)
			return 0;
		/*
		 * A signal arrived first: let it through, the interrupt stays
		 * pending.  SIGCONT is swallowed: ckpt sends it to wake a stopped
		 * task, and its waking effect has happened when it was sent.
		 */
		pr_debug("pid %d: signal %d during freeze", pid, WSTOPSIG(status));
		if (ptrace(PTRACE_CONT, pid, NULL,
			   (void *)(long)(WSTOPSIG(status) == SIGCONT ? 0 : WSTOPSIG(status))))
			return -errno;
	}
}

int ckpt_ptrace_detach(pid_t pid)
{
	if (ptrace(PTRACE_DETACH, pid, NULL, NULL))
		return -errno;
	return 0;
}

void ckpt_ptrace_detach_all(const pid_t *tids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ckpt_ptrace_detach(tids[i]);
}

static bool has_tid(const pid_t *tids, size_t n, pid_t tid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tids[i] == tid)
			return true;
	return false;
}

/*
 * Seize the threads of procfd's task that are not in tids yet; stop each at
 * once if freeze, else leave it seized (a group-stopped thread is trapped by
 * the seize itself and runs no code).  *added tells whether one was new.
 */
static int seize_new_threads(int procfd, pid_t **tids, size_t *n, size_t *cap, bool freeze,
			     bool *added)
{
	struct dirent *de;
	DIR *d;
	int err = 0, dfd = openat(procfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		err = -errno;
		if (dfd >= 0)
			close(dfd);
		return err;
	}
	*added = false;
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);

		if (tid <= 0 || has_tid(*tids, *n, tid))
			continue;
		err = ckpt_ptrace_seize(tid, false);
		if (err == -ESRCH) { /* it exited meanwhile */
			err = 0;
			continue;
		}
		if (!err)
			err = ckpt_grow((void **)tids, cap, *n + 1, sizeof(**tids));
		if (err)
			break;
		(*tids)[(*n)++] = tid;
		err = freeze ? ckpt_ptrace_freeze(tid) : 0;
		if (err == -ESRCH) {
			(*n)--;
			err = 0;
			continue;
		}
		if (err)
			break;
		*added = true;
	}
	closedir(d);
	return err;
}

int ckpt_ptrace_freeze_group(pid_t pid, int procfd, bool wake, pid_t **ret_tids, size_t *ret_n)
{
	pid_t *tids = NULL;
	size_t i, n = 0, cap = 0;
	bool added;
	int err;

	/* The main thread is seized by the caller. */
	err = ckpt_grow((void **)&tids, &cap, 1, sizeof(*tids));
	if (err)
		return err;
	tids[n++] = pid;
	if (wake) {
		/*
		 * A stopped group creates no threads: seize them all before
		 * SIGCONT ends the group stop, so that none of them runs a
		 * single instruction before it is interrupted.
		 */
		err = seize_new_threads(procfd, &tids, &n, &cap, false, &added);
		if (err)
			goto fail;
		kill(pid, SIGCONT); /* swallowed by ckpt_ptrace_wait_stop() */
		for (i = 0; i < n; i++) {
			err = ckpt_ptrace_freeze(tids[i]);
			if (err == -ESRCH && i > 0) { /* a thread killed meanwhile */
				tids[i--] = tids[--n];
				continue;
			}
			if (err)
				goto fail;
		}
	} else {
		err = ckpt_ptrace_freeze(pid);
		if (err)
			goto fail;
	}
	do { /* a thread may have created another before it stopped */
		err = seize_new_threads(procfd, &tids, &n, &cap, true, &added);
		if (err)
			goto fail;
	} while (added);
	*ret_tids = tids;
	*ret_n = n;
	return 0;
fail:
	ckpt_ptrace_detach_all(tids, n);
	free(tids);
	return err;
}

static int peek_siginfo(pid_t tid, bool shared, struct ckpt_sigqueue *q)
{
	struct __ptrace_peeksiginfo_args a = { .flags = shared ? PTRACE_PEEKSIGINFO_SHARED : 0 };
	struct ckpt_siginfo buf[32];

	for (;;) {
		struct ckpt_siginfo *n;
		long got;

		a.off = q->n;
		a.nr = ARRAY_SIZE(buf);
		got = ptrace(PTRACE_PEEKSIGINFO, tid, &a, buf);
		if (got < 0)
			return -errno;
		if (got == 0)
			return 0;
		n = realloc(q->info, (q->n + got) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		q->info = n;
		memcpy(q->info + q->n, buf, got * sizeof(*n));
		q->n += got;
	}
}

#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#endif
struct rseq_conf {
	uint64_t rseq_abi_pointer;
	uint32_t rseq_abi_size;
	uint32_t signature;
	uint32_t flags;
	uint32_t pad;
};

static int get_rseq(pid_t tid, struct ckpt_thread *th)
{
	struct rseq_conf c = { 0 };
	long n = ptrace(PTRACE_GET_RSEQ_CONFIGURATION, tid, (void *)sizeof(c), &c);

	if (n < 0)
		return errno == EIO || errno == EINVAL ? 0 : -errno; /* kernel without it */
	th->rseq_ptr = c.rseq_abi_pointer;
	th->rseq_len = c.rseq_abi_pointer ? c.rseq_abi_size : 0;
	th->rseq_sig = c.signature;
	return 0;
}

int ckpt_ptrace_get_thread(pid_t tid, struct ckpt_thread *th)
{
	struct iovec iov;
	int err = CKPT_FAULT_TASK("ptrace getregs", ESRCH, tid);

	if (err)
		return err;
	th->tid = tid;
	if (ptrace(PTRACE_GETREGS, tid, NULL, &th->regs))
		return -errno;
	th->xsave = malloc(XSAVE_MAX);
	if (!th->xsave)
		return -ENOMEM;
	iov.iov_base = th->xsave;
	iov.iov_len = XSAVE_MAX;
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov))
		return -errno;
	th->xsave_size = iov.iov_len;
	return ckpt_ptrace_get_thread_signals(tid, th);
}

int ckpt_ptrace_get_thread_signals(pid_t tid, struct ckpt_thread *th)
{
	int err;

	if (ptrace(PTRACE_GETSIGMASK, tid, (void *)sizeof(th->sigmask), &th->sigmask))
		return -errno;
	err = peek_siginfo(tid, false, &th->pending);
	if (err)
		return err;
	return get_rseq(tid, th);
}

int ckpt_ptrace_get_shared_pending(pid_t pid, struct ckpt_sigqueue *q)
{
	return peek_siginfo(pid, true, q);
}

int ckpt_ptrace_get_thread_pending(pid_t tid, struct ckpt_sigqueue *q)
{
	return peek_siginfo(tid, false, q);
}

void ckpt_regs_fixup_restart(struct user_regs_struct *r, bool same_task)
{
	if ((long)r->orig_rax < 0)
		return;
	switch ((long)r->rax) {
	case -ERESTART_RESTARTBLOCK:
		r->rax = same_task ? SYS_restart_syscall : r->orig_rax;
		r->rip -= 2;
		break;
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
		r->rax = r->orig_rax;
		r->rip -= 2;
		break;
	default:
		break;
	}
	r->orig_rax = -1;
}

int ckpt_ptrace_set_thread(pid_t tid, const struct ckpt_thread *th, bool same_task)
{
	struct user_regs_struct regs = th->regs;
	uint64_t mask = th->sigmask;
	struct iovec iov;
	int err = CKPT_FAULT_TASK("ptrace setregs", ESRCH, tid);

	if (err)
		return err;
	if (th->xsave_size) {
		iov.iov_base = th->xsave;
		iov.iov_len = th->xsave_size;
		if (ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov))
			return -errno;
	}
	ckpt_regs_fixup_restart(&regs, same_task);
	if (ptrace(PTRACE_SETREGS, tid, NULL, &regs))
		return -errno;
	if (ptrace(PTRACE_SETSIGMASK, tid, (void *)sizeof(mask), &mask))
		return -errno;
	return 0;
}

int ckpt_inject_init(struct ckpt_inject *in, pid_t pid, uint64_t syscall_ip)
{
	in->pid = pid;
	in->ip = syscall_ip;
	if (ptrace(PTRACE_GETREGS, pid, NULL, &in->base))
		return -errno;
	return 0;
}

/* Resume with PTRACE_SYSCALL and wait for the next syscall stop. */
static int to_syscall_stop(pid_t pid)
{
	int status, err, traps = 0;

	if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL))
		return -errno;
	for (;;) {
		err = ckpt_ptrace_wait(pid, &status);
		if (err)
			return err;
		if (WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80))
			return 0;
		/*
		 * clone with PTRACE_O_TRACECLONE stops once more, in the middle;
		 * a SIGCONT leaves a notification trap (PTRACE_EVENT_STOP + SIGTRAP).
		 */
		if (status >> 8 != (SIGTRAP | (PTRACE_EVENT_CLONE << 8)) &&
		    (status >> 8 != (SIGTRAP | (PTRACE_EVENT_STOP << 8)) || ++traps > 8))
			break;
		if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL))
			return -errno;
	}
	pr_debug("pid %d: unexpected stop 0x%x during syscall injection", pid, status);
	return -EINTR;
}

int ckpt_inject(struct ckpt_inject *in, long nr, uint64_t a1, uint64_t a2, uint64_t a3,
		uint64_t a4, uint64_t a5, uint64_t a6, long *ret_val)
{
	struct user_regs_struct r = in->base;
	int err = CKPT_FAULT_TASK("injected syscall", ENOMEM, in->pid);

	if (err) { /* as if the syscall failed in the task */
		*ret_val = err;
		return 0;
	}
	r.rip = in->ip;
	r.rax = nr;
	r.orig_rax = -1;
	r.rdi = a1;
	r.rsi = a2;
	r.rdx = a3;
	r.r10 = a4;
	r.r8 = a5;
	r.r9 = a6;
	if (ptrace(PTRACE_SETREGS, in->pid, NULL, &r))
		return -errno;
	err = to_syscall_stop(in->pid); /* entry */
	if (err)
		return err;
	err = to_syscall_stop(in->pid); /* exit */
	if (err)
		return err;
	if (ptrace(PTRACE_GETREGS, in->pid, NULL, &r))
		return -errno;
	*ret_val = (long)r.rax;
	pr_debug("pid %d: injected syscall %ld = %ld", in->pid, nr, (long)r.rax);
	return 0;
}

int ckpt_vm_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec l = { (void *)buf, len }, r = { (void *)addr, len };
	int err = CKPT_FAULT_TASK("write to task memory", EFAULT, pid);
	ssize_t n = err ? (errno = -err, -1) : process_vm_writev(pid, &l, 1, &r, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

int ckpt_vm_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)addr, len };
	int err = CKPT_FAULT_TASK("read of task memory", EFAULT, pid);
	ssize_t n = err ? (errno = -err, -1) : process_vm_readv(pid, &l, 1, &r, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}
