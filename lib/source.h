/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A state source reads the state of a frozen task into struct ckpt_task.
 * Today: ptrace + /proc (src-ptrace.c).  The kernel module backend fills
 * the same structures through the same operations.  Memory contents are
 * copied by mem.c from the page ranges a source reports.
 */
#ifndef CKPT_SOURCE_H
#define CKPT_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "state.h"

struct ckpt_range {
	uint64_t start, end;
};

struct ckpt_source;

struct ckpt_source_ops {
	const char *name;
	/* The task is frozen (ptrace-stopped) when these are called. */
	int (*open)(struct ckpt_source *src);
	/* ids, comm, creds, rlimits, personality, umask, cwd, root, signals */
	int (*task)(struct ckpt_source *src, struct ckpt_task *t);
	/* registers, xstate, blocked mask, per-thread pending signals */
	int (*thread)(struct ckpt_source *src, pid_t tid, struct ckpt_thread *th);
	/* VMAs with file identity, mm bounds, auxv, exe */
	int (*mm)(struct ckpt_source *src, struct ckpt_mm *mm);
	/* fd table, classified; unsupported kinds fail naming the fd */
	int (*fds)(struct ckpt_source *src, struct ckpt_task *t);
	/*
	 * Ranges of v whose contents must be saved: present or swapped pages
	 * that are not the shared zero page and, in private file mappings,
	 * only pages that were copied on write.
	 */
	int (*scan_pages)(struct ckpt_source *src, const struct ckpt_vma *v,
			  struct ckpt_range **ret, size_t *ret_n);
	void (*close)(struct ckpt_source *src);
};

struct ckpt_source {
	const struct ckpt_source_ops *ops;
	pid_t pid;
	int procfd;
	bool shell_job;
	void *priv;
};

extern const struct ckpt_source_ops ckpt_src_ptrace;
/* The kernel module (kmod/): src-kmod.c; what it does not read comes from the pieces below. */
extern const struct ckpt_source_ops ckpt_src_kmod;

/* Pieces of the ptrace source the kmod source shares (src-ptrace.c). */
/* robust list and comm of a thread */
int ckpt_src_ptrace_thread_misc(struct ckpt_source *src, pid_t tid, struct ckpt_thread *th);
/* checks of a VMA list, SysV segments, shmem identities (have_ids: file ids known) */
int ckpt_src_ptrace_vmas_finish(struct ckpt_source *src, struct ckpt_mm *mm, bool have_ids);
/* pages of a shared memory object, by SEEK_DATA on it; -errno: use the page tables */
int ckpt_src_ptrace_scan_shmem(struct ckpt_source *src, const struct ckpt_vma *v,
			       struct ckpt_range **ret, size_t *ret_n);

/*
 * The source for a dump: CKPT_BACKEND_AUTO picks kmod when the module's
 * family is registered, else ptrace; KMOD without the module fails (logged).
 */
int ckpt_source_select(int backend, const struct ckpt_source_ops **ret);

#endif
