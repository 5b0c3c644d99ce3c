/* SPDX-License-Identifier: GPL-2.0 */
/* Memory contents: the raw pages file and its page map. */
#ifndef CKPT_MEM_H
#define CKPT_MEM_H

#include <stdbool.h>

#include "source.h"
#include "state.h"

/* Does this kind of VMA have contents that the image must carry? */
bool ckpt_vma_has_pages(const struct ckpt_vma *v);
/* Is this VMA created by the kernel (vdso, vvar, vsyscall), not by mmap? */
bool ckpt_vma_is_special(const struct ckpt_vma *v);

/* The VMA holding all of [start, end), or NULL. */
const struct ckpt_vma *ckpt_mm_find_vma(const struct ckpt_mm *mm, uint64_t start, uint64_t end);

/*
 * Save the pages of every VMA of the frozen task into its pages files in
 * dirfd (created here, one per copying thread) and fill mm->pagemap.
 * Anonymous pages that read as zero are left out: a fresh anonymous page is
 * zero anyway.
 */
int ckpt_mem_dump(struct ckpt_source *src, struct ckpt_mm *mm, int dirfd);

#endif
