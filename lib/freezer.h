/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cgroup freezer (v1 freezer.state or v2 cgroup.freeze): stops every
 * task of a cgroup at once, so ckpt can seize the whole tree while none of
 * it runs (dump --freeze-cgroup).
 */
#ifndef CKPT_FREEZER_H
#define CKPT_FREEZER_H

#include <stdbool.h>
#include <sys/types.h>

struct ckpt_freezer {
	int dirfd;
	bool v2;
	const char *path;
};

/* The cgroup directory at path; pid must be one of its processes. */
int ckpt_freezer_open(const char *path, pid_t pid, struct ckpt_freezer *ret);
/* Freeze and wait (bounded) until every task is frozen; thawed again on failure. */
int ckpt_freezer_freeze(struct ckpt_freezer *f);
int ckpt_freezer_thaw(struct ckpt_freezer *f);
void ckpt_freezer_close(struct ckpt_freezer *f);

#endif
