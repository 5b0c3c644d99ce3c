/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_FAULT_H
#define CKPT_FAULT_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Test-only fault injection.  Every fallible step of a dump or restore that
 * ckpt's own process takes (an image write, a /proc read, an injected
 * syscall, ptrace, clone3, ...) passes a ckpt_fault() call first; the steps
 * are numbered from 1 in the order they are taken.
 *
 *   CKPT_FAULT=N[:ERR]    step N fails with ERR (an errno name such as ENOSPC,
 *                         or a number; default: the step's own likely error);
 *                         ERR "kill" SIGKILLs the task the step works on
 *                         instead (steps without a task fail with EIO)
 *   CKPT_FAULT_COUNT=FILE at exit, the number of steps taken goes to FILE
 *
 * Off unless ckpt_fault_setup() ran (the ckpt program calls it), and ignored
 * in a set-id or file-capability ckpt (AT_SECURE).  Only the process that
 * called ckpt_fault_setup() counts: its helpers and the tasks it forks see
 * the switch off.
 */
void ckpt_fault_setup(void);

/* 0, or the -errno the step must fail with. */
int ckpt_fault_task(const char *step, int dflt, pid_t pid);

extern bool ckpt_fault_on;

static inline int ckpt_fault(const char *step, int dflt)
{
	return ckpt_fault_on ? ckpt_fault_task(step, dflt, 0) : 0;
}

#define CKPT_FAULT_TASK(step, dflt, pid) (ckpt_fault_on ? ckpt_fault_task(step, dflt, pid) : 0)

#endif
