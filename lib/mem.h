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

/*
 * The same in steps, for snapshot dumps: plan (scan the frozen task's
 * pages, create the files), copy the live part from the frozen task
 * (memory a fork does not copy: shared, MADV_DONTFORK, MADV_WIPEONFORK),
 * then the rest from its snapshot while the task runs, and finish (fill
 * mm->pagemap; frees the plan).  ckpt_mem_free() drops a plan on failure.
 */
struct ckpt_mem_dump;
int ckpt_mem_plan(struct ckpt_source *src, const struct ckpt_mm *mm, int dirfd,
		  struct ckpt_mem_dump **ret);
/* Copy the chunks not copied yet (only_live: only the live ones), reading from pid from. */
int ckpt_mem_copy(struct ckpt_mem_dump *d, pid_t from, bool only_live);
int ckpt_mem_finish(struct ckpt_mem_dump *d, struct ckpt_mm *mm);
void ckpt_mem_free(struct ckpt_mem_dump *d);
/* Is v's memory held by a fork's copy-on-write copy of the task? */
bool ckpt_vma_in_snapshot(const struct ckpt_vma *v);

#endif
