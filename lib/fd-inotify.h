/* SPDX-License-Identifier: GPL-2.0 */
/* inotify fds: watches from fdinfo (paths through their file handles) and back. */
#ifndef CKPT_FD_INOTIFY_H
#define CKPT_FD_INOTIFY_H

#include <stdint.h>

#include "state.h"

/* A watch's file handle as fdinfo prints it. */
struct ckpt_inotify_handle {
	int type;
	unsigned int bytes;
	uint8_t handle[128];
};

/*
 * Parse the "inotify wd:..." lines of an fdinfo text: *ret sorted by wd
 * (paths NULL), *ret_h the handles in the same order.  -EINVAL if malformed.
 */
int ckpt_inotify_parse(const char *info, struct ckpt_inotify_watch **ret, size_t *ret_n,
		       struct ckpt_inotify_handle **ret_h);
/* Fill f->watches with paths; one error naming pid, fd and the watch. */
int ckpt_fdinfo_inotify(pid_t pid, const char *info, struct ckpt_fd *f);
/* A new inotify fd with f's watches at their numbers; logs and returns -errno on failure. */
int ckpt_inotify_open(const struct ckpt_fd *f);

#endif
