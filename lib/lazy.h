/* SPDX-License-Identifier: GPL-2.0 */
/* Lazy restore: private anonymous memory served on fault by a server process (lazy.c). */
#ifndef CKPT_LAZY_H
#define CKPT_LAZY_H

#include <stdbool.h>
#include <sys/types.h>

#include "img.h"
#include "mem.h"
#include "state.h"

struct ckpt_lazy;

/* Does restore --lazy-pages leave this VMA's pages to the server? */
bool ckpt_lazy_vma(const struct ckpt_vma *v);
/*
 * Hand over uffd (registered in missing mode on the task's lazy VMAs, with
 * the fork/remap/remove/unmap events; taken even on failure) with the
 * task's page map; the pages files are duplicated.  *l is made on first use.
 */
int ckpt_lazy_add(struct ckpt_lazy **l, int uffd, const struct ckpt_mm *mm,
		  const int *pages_fds, unsigned int n_pages, pid_t pid);
/* Fork the server (before the tree is let go); the caller then frees l. */
int ckpt_lazy_start(struct ckpt_lazy *l);
void ckpt_lazy_free(struct ckpt_lazy *l);

#endif
