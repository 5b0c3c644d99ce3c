/* SPDX-License-Identifier: GPL-2.0 */
/* File descriptors: collection from /proc and re-opening at restore. */
#ifndef CKPT_FILES_H
#define CKPT_FILES_H

#include <stdbool.h>
#include <sys/stat.h>

#include "state.h"

/*
 * Classify one fd from its /proc link text and stat.  Fails with
 * -EOPNOTSUPP and one error naming the fd and its type when unsupported.
 */
int ckpt_fd_classify(pid_t pid, struct ckpt_fd *f, const char *link, const struct stat *st,
		     bool shell_job);
/* Do fd fa of pid a and fd fb of pid b share one open file description? */
bool ckpt_fd_same_description(pid_t a, const struct ckpt_fd *fa, pid_t b, const struct ckpt_fd *fb);
/*
 * A task's fds that are not dups, ordered by open file description, to
 * find the one another task's fd shares (O(log n) kcmp calls, not O(n)).
 */
struct ckpt_fd_index {
	pid_t pid;
	const struct ckpt_fd **v;
	size_t n;
};
int ckpt_fd_index_build(pid_t pid, const struct ckpt_task *t, struct ckpt_fd_index *ret);
/* The lowest fd of the index sharing fd f of pid's description, or NULL. */
const struct ckpt_fd *ckpt_fd_index_find(const struct ckpt_fd_index *x, pid_t pid,
					 const struct ckpt_fd *f);
void ckpt_fd_index_free(struct ckpt_fd_index *x);
/* The identity the image keeps of a file. */
void ckpt_file_id_set(struct ckpt_file_id *id, const struct stat *st);
/* Human-readable type of an fd from its link and mode ("pipe", "socket", "eventfd"). */
const char *ckpt_fd_type_name(const char *link, mode_t mode, char *buf, size_t len);
/* Read the whole fd table of procfd's task. */
int ckpt_files_collect(pid_t pid, int procfd, bool shell_job, struct ckpt_task *t);
/*
 * For an fd table read elsewhere (the kernel module: fd, flags, offset,
 * path, identity and kind filled in): what only fdinfo and the files
 * themselves tell (eventfd/timerfd/signalfd/epoll state, memfd bytes, the
 * locks of files /proc/locks names), then the dup and epoll checks.
 */
int ckpt_files_finish(pid_t pid, int procfd, struct ckpt_task *t);

/*
 * In the restored task (before its memory is replaced): open every fd at its
 * number with its flags and offset.  tty_fd: a terminal for CKPT_FD_TTY
 * entries (-1 if none).  Logs one error and returns -errno on failure.
 */
int ckpt_files_restore(const struct ckpt_task *t, int tty_fd, const struct ckpt_pipe_fds *pipes,
		       size_t n_pipes);
/*
 * Check that a file still is what the image saw (type, size).  may_grow:
 * a larger file is fine (an O_APPEND fd writes at the end anyway).
 */
int ckpt_file_check(int fd, const char *what, const char *path, const struct ckpt_file_id *id,
		    bool may_grow);

#endif
