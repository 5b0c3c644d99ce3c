/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rebuild a task's address space and registers in a stopped child by
 * injecting syscalls into it (see docs/design.md).
 */
#ifndef CKPT_RESTORER_H
#define CKPT_RESTORER_H

#include "img.h"
#include "state.h"

/* fds the restored child holds for us, above every fd of the image. */
struct ckpt_restore_fds {
	int pages[CKPT_MAX_PAGE_PARTS]; /* pages files by part: same number in ckpt and child */
	unsigned int n_pages;
	int exe;      /* the executable, for PR_SET_MM_MAP */
	int *vma;     /* per VMA: its backing file, or -1 */
	int base;     /* first helper fd number; close_range(base, ~0) at the end */
};

/*
 * child is stopped under ptrace (PTRACE_SEIZE'd, in a signal-delivery
 * stop).  On success it is rebuilt, still stopped: ckpt_restorer_release()
 * lets it go, once every task of the tree is rebuilt.
 */
struct ckpt_lazy;
/* lazy: restore --lazy-pages (anonymous memory left to the lazy server), or NULL. */
int ckpt_restorer_run(pid_t child, const struct ckpt_task *t, const struct ckpt_restore_fds *fds,
		      struct ckpt_lazy **lazy);
/* Let the rebuilt task run: its threads are detached (a stopped one stays stopped). */
int ckpt_restorer_release(pid_t child, const struct ckpt_task *t);

#endif
