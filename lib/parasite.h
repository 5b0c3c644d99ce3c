/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Make a frozen task run a few syscalls on our behalf (state that /proc does
 * not show: signal handlers, the exact brk, securebits).  Uses a `syscall`
 * instruction of the task's vDSO and a scratch page mapped for the purpose;
 * everything is undone by ckpt_parasite_stop().
 */
#ifndef CKPT_PARASITE_H
#define CKPT_PARASITE_H

#include <stdbool.h>

#include "ptrace.h"

struct ckpt_parasite {
	struct ckpt_inject in;
	struct user_regs_struct saved;
	uint64_t saved_mask;
	uint64_t scratch;
	size_t scratch_len;
	bool owns_scratch; /* false for another thread borrowing it */
};

int ckpt_parasite_start(struct ckpt_parasite *p, pid_t pid, int procfd);
int ckpt_parasite_syscall(struct ckpt_parasite *p, long nr, uint64_t a1, uint64_t a2,
			  uint64_t a3, uint64_t a4, long *ret_val);
/*
 * err: the first error so far.  Returns it, or the undoing's own error
 * (said here) if there was none; once something failed, the undoing is
 * best effort and silent (the task may be gone: that was said already).
 */
int ckpt_parasite_stop(struct ckpt_parasite *p, int err);
/*
 * Run syscalls in another stopped thread of the same task, with the scratch
 * page of p; ckpt_parasite_stop(ret, err) puts that thread back.
 */
int ckpt_parasite_enter_thread(const struct ckpt_parasite *p, pid_t tid, struct ckpt_parasite *ret);

#endif
