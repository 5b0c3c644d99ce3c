/* SPDX-License-Identifier: GPL-2.0 */
/* ptrace primitives: freeze, registers and signals of a stopped thread, syscall injection. */
#ifndef CKPT_PTRACE_H
#define CKPT_PTRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "state.h"

/* PTRACE_SEIZE (+TRACESYSGOOD, +EXITKILL if exitkill) without stopping. */
int ckpt_ptrace_seize(pid_t pid, bool exitkill);
/* PTRACE_INTERRUPT and wait for the resulting stop; re-delivers signals that arrive meanwhile. */
int ckpt_ptrace_freeze(pid_t pid);
/* The waiting half: until the PTRACE_EVENT_STOP an earlier PTRACE_INTERRUPT asked for. */
int ckpt_ptrace_wait_stop(pid_t pid);
int ckpt_ptrace_detach(pid_t pid);

/*
 * Seize and stop every thread of pid's group, re-reading /proc/PID/task
 * until no new thread shows up.  *ret_tids: the main thread first.  On
 * failure the threads seized so far are detached.  wake: the group is
 * stopped (SIGSTOP): every thread is seized before SIGCONT wakes it.
 */
int ckpt_ptrace_freeze_group(pid_t pid, int procfd, bool wake, pid_t **ret_tids, size_t *ret_n);
void ckpt_ptrace_detach_all(const pid_t *tids, size_t n);
/* Wait for the next stop of a traced task; -ESRCH if it died (status in ret_status). */
int ckpt_ptrace_wait(pid_t pid, int *ret_status);

int ckpt_ptrace_get_thread(pid_t tid, struct ckpt_thread *th);
/* The part of ckpt_ptrace_get_thread() besides registers: blocked mask, pending, rseq. */
int ckpt_ptrace_get_thread_signals(pid_t tid, struct ckpt_thread *th);
int ckpt_ptrace_get_shared_pending(pid_t pid, struct ckpt_sigqueue *q);
int ckpt_ptrace_get_thread_pending(pid_t tid, struct ckpt_sigqueue *q);
/* Registers (after restart fix-up), xstate and the blocked mask. */
int ckpt_ptrace_set_thread(pid_t tid, const struct ckpt_thread *th, bool same_task);

/*
 * A task stopped in a restartable syscall shows rax = -ERESTART*.  Apply what
 * the kernel would do on the way out so the syscall runs again.  same_task:
 * -ERESTART_RESTARTBLOCK may use restart_syscall (the kernel's restart block
 * is still there); otherwise the original syscall is issued again.
 */
void ckpt_regs_fixup_restart(struct user_regs_struct *r, bool same_task);

/* ---- syscall injection into a stopped tracee ---- */
struct ckpt_inject {
	pid_t pid;
	uint64_t ip;                  /* address of a `syscall` instruction in the tracee */
	struct user_regs_struct base; /* template registers */
};

int ckpt_inject_init(struct ckpt_inject *in, pid_t pid, uint64_t syscall_ip);
/*
 * Run syscall nr in the tracee; the syscall's own result (maybe -errno) goes
 * to *ret_val.  Returns 0, or -errno when driving the tracee failed.
 */
int ckpt_inject(struct ckpt_inject *in, long nr, uint64_t a1, uint64_t a2, uint64_t a3,
		uint64_t a4, uint64_t a5, uint64_t a6, long *ret_val);

/* Memory of another process. */
int ckpt_vm_write(pid_t pid, uint64_t addr, const void *buf, size_t len);
int ckpt_vm_read(pid_t pid, uint64_t addr, void *buf, size_t len);

#endif
