/* SPDX-License-Identifier: GPL-2.0 */
/* Pseudo-terminal pairs of the tree (fd-tty.c). */
#ifndef CKPT_FD_TTY_H
#define CKPT_FD_TTY_H

#include <stdbool.h>
#include <sys/types.h>

#include "state.h"

bool ckpt_pty_is_master_rdev(dev_t rdev); /* /dev/ptmx */
bool ckpt_pty_is_slave_rdev(dev_t rdev);  /* /dev/pts/N */

/* Dump: f (PTMX or PTS, rdev set) gets the pair's state from a copy of the task's fd. */
int ckpt_pty_collect(pid_t pid, const char *info, struct ckpt_fd *f);
/*
 * Once the tree is read: a slave whose master no task holds is the outer
 * terminal, CKPT_FD_TTY with shell_job, else refused (one error).
 */
int ckpt_pty_resolve(struct ckpt_task *const *tasks, size_t n, bool shell_job);

/*
 * Restore, in ckpt before the first task: note every task's pairs, then make
 * them (fds at or above base, inherited by the tasks).  t must outlive them.
 */
int ckpt_pty_note(const struct ckpt_task *t);
int ckpt_pty_make(int base);
void ckpt_pty_release(void);
/* In the task: a new fd for f (master or slave); logs and returns -errno on failure. */
int ckpt_pty_open(const struct ckpt_fd *f, int flags);

#endif
