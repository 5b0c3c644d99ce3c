/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_PAGEFILL_H
#define CKPT_PAGEFILL_H

#include <stdbool.h>
#include <sys/types.h>

#include "state.h"

/* Can UFFDIO_COPY fill this VMA (anonymous or shmem)? */
bool ckpt_pagefill_uffd_ok(const struct ckpt_vma *v);

/*
 * Copy every page-map entry of the VMAs that ckpt_pagefill_uffd_ok() accepts
 * from pages_fd into the task behind uffd (registered for those VMAs), with
 * UFFDIO_COPY from two threads: each page is allocated and filled in one step,
 * never zeroed first.  skip_lazy: not the VMAs a lazy restore leaves to its
 * server (lazy.h).  Logs one error.
 */
int ckpt_pagefill_uffd(int uffd, const struct ckpt_mm *mm, const int *pages_fds, pid_t pid,
		       bool skip_lazy);

#endif
