/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SysV shared memory segments of a restored tree: found again (same id,
 * key and size: the segment outlived the dump) or created with their id
 * (kernel.shm_next_id) and filled from the image, before any task attaches.
 */
#ifndef CKPT_SYSVSHM_H
#define CKPT_SYSVSHM_H

#include <stdbool.h>
#include <stddef.h>

#include "state.h"

struct ckpt_shm_set {
	struct ckpt_shm_seg {
		int id;
		bool created; /* by this restore: removed again if it fails */
		bool dest;    /* was marked for removal (IPC_RMID): again once attached */
	} *segs;
	size_t n, cap;
};

/* Every segment t holds the pages of; t's pages files are in dirfd. */
int ckpt_shm_prepare(struct ckpt_shm_set *set, const struct ckpt_task *t, int dirfd);
/* ok: mark the IPC_RMID'ed ones again; !ok: remove the ones this restore made. */
void ckpt_shm_finish(struct ckpt_shm_set *set, bool ok);

#endif
