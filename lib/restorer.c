// SPDX-License-Identifier: GPL-2.0
/*
 * Parent side of restore: drives the stopped child with injected syscalls.
 * The child starts as a copy of ckpt; we map a small "inject area" where
 * neither ckpt nor the image has anything, put a `syscall` instruction there,
 * unmap everything else but the kernel's vdso/vvar, move those to where the
 * image had them, map and fill the image's VMAs, set the mm fields, signals
 * and credentials, drop the inject area and load the saved registers.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "pagefill.h"
#include "proc.h"
#include "lazy.h"
#include "ptrace.h"
#include "restorer.h"
#include "util.h"

/* ckpt's own `syscall` instruction: the child is a copy, so it has it too. */
__asm__(".pushsection .text\n"
	".globl ckpt_syscall_insn\n"
	".type ckpt_syscall_insn, @function\n"
	"ckpt_syscall_insn:\n"
	"  syscall\n"
	"  int3\n"
	".popsection\n");
extern char ckpt_syscall_insn[];

#define AREA_SIZE (64 * 1024UL)
#define SCRATCH_OFF PAGE_SIZE
#define MAX_IOV 1024
#define TASK_SIZE_MAX 0x7ffffffff000ULL
#define MMAP_MIN 0x10000ULL

struct rst {
	pid_t pid;
	const struct ckpt_task *t;
	const struct ckpt_restore_fds *fds;
	struct ckpt_inject in;   /* the main thread */
	struct ckpt_inject *cur; /* the thread inj() runs syscalls in */
	struct ckpt_inject *thr; /* per thread, [0] unused (main is in) */
	uint64_t area;
	struct ckpt_vma *layout; /* the child's own (ckpt's) layout */
	size_t n_layout;
	bool *filled; /* per image VMA: has pages in the page map */
	struct ckpt_lazy **lazy; /* restore --lazy-pages, or NULL */
};

#define SCRATCH(r) ((r)->area + SCRATCH_OFF)

static int inj(struct rst *r, const char *what, long nr, uint64_t a1, uint64_t a2, uint64_t a3,
	       uint64_t a4, uint64_t a5, uint64_t a6, long *ret)
{
	long v;
	int err = ckpt_inject(r->cur, nr, a1, a2, a3, a4, a5, a6, &v);

	if (err) {
		pr_err("pid %d: restore stopped while running %s: %s", r->pid, what, strerror(-err));
		return err;
	}
	if (v < 0 && v > -4096) {
		pr_err("pid %d: %s: %s", r->pid, what, strerror((int)-v));
		return (int)v;
	}
	if (ret)
		*ret = v;
	return 0;
}

/* Write what's arguments into the task's memory, for an injected syscall. */
static int poke(struct rst *r, const char *what, uint64_t addr, const void *buf, size_t len)
{
	int err = ckpt_vm_write(r->pid, addr, buf, len);

	if (err)
		pr_err("pid %d: cannot write the arguments of %s into the task: %s", r->pid, what,
		       strerror(-err));
	return err;
}

/* Lowest free range of len bytes that avoids the image, ckpt's layout and `also`. */
static int find_hole(struct rst *r, uint64_t len, uint64_t also_s, uint64_t also_e,
		     uint64_t *ret)
{
	const struct ckpt_mm *mm = &r->t->mm;
	uint64_t cand = 0x100000000ULL; /* stay clear of low, brk-ish addresses */
	int tries;

	for (tries = 0; tries < 4096; tries++) {
		size_t i;
		uint64_t bump = 0;

		if (cand + len > TASK_SIZE_MAX)
			break;
		for (i = 0; i < mm->n_vmas; i++)
			if (cand < mm->vmas[i].end && mm->vmas[i].start < cand + len)
				bump = MAX(bump, mm->vmas[i].end);
		for (i = 0; i < r->n_layout; i++)
			if (cand < r->layout[i].end && r->layout[i].start < cand + len)
				bump = MAX(bump, r->layout[i].end);
		if (cand < also_e && also_s < cand + len)
			bump = MAX(bump, also_e);
		if (!bump) {
			*ret = cand;
			return 0;
		}
		cand = PAGE_ALIGN(bump) + PAGE_SIZE;
	}
	pr_err("pid %d: no free address range for the restorer", r->pid);
	return -ENOMEM;
}

static int read_child_layout(struct rst *r)
{
	struct ckpt_mm mm = { 0 };
	int procfd, err;

	err = ckpt_proc_open(r->pid, &procfd);
	if (err)
		return err;
	err = ckpt_proc_vmas(procfd, &mm);
	close(procfd);
	if (err) {
		pr_err("pid %d: cannot read the restorer's own layout: %s", r->pid, strerror(-err));
		return err;
	}
	r->layout = mm.vmas;
	r->n_layout = mm.n_vmas;
	return 0;
}

static int setup_area(struct rst *r)
{
	static const uint8_t code[] = { 0x0f, 0x05, 0xcc, 0xcc }; /* syscall; int3 */
	long addr;
	int err;

	err = find_hole(r, AREA_SIZE, 0, 0, &r->area);
	if (err)
		return err;
	err = inj(r, "mmap of the restorer area", SYS_mmap, r->area, AREA_SIZE,
		  PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		  -1, 0, &addr);
	if (err)
		return err;
	err = ckpt_vm_write(r->pid, r->area, code, sizeof(code));
	if (err) {
		pr_err("pid %d: cannot write the restorer area: %s", r->pid, strerror(-err));
		return err;
	}
	r->in.ip = r->area;
	return 0;
}

/* Unmap everything of ckpt's in the child but the area and the kernel's special mappings. */
static int unmap_ckpt(struct rst *r)
{
	size_t i;
	int err;

	for (i = 0; i < r->n_layout; i++) {
		const struct ckpt_vma *v = &r->layout[i];

		if (ckpt_vma_is_special(v) || v->start == r->area)
			continue;
		err = inj(r, "munmap", SYS_munmap, v->start, v->end - v->start, 0, 0, 0, 0, NULL);
		if (err)
			return err;
	}
	return 0;
}

static const struct ckpt_vma *find_kind(const struct ckpt_vma *v, size_t n, uint32_t kind)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].kind == kind)
			return &v[i];
	return NULL;
}

/* Put this kernel's vvar/vvar_vclock/vdso where the image had them. */
static int place_vdso(struct rst *r)
{
	static const uint32_t kinds[] = { CKPT_VMA_VVAR, CKPT_VMA_VVAR_VCLOCK, CKPT_VMA_VDSO };
	const struct ckpt_mm *mm = &r->t->mm;
	uint64_t tmp[3] = { 0 }, span = 0, base;
	size_t k;
	int err;

	for (k = 0; k < 3; k++) {
		const struct ckpt_vma *want = find_kind(mm->vmas, mm->n_vmas, kinds[k]);
		const struct ckpt_vma *have = find_kind(r->layout, r->n_layout, kinds[k]);

		if (!have)
			continue;
		if (!want) {
			err = inj(r, "munmap of an unused vdso part", SYS_munmap, have->start,
				  have->end - have->start, 0, 0, 0, 0, NULL);
			if (err)
				return err;
			continue;
		}
		if (want->end - want->start != have->end - have->start) {
			pr_err("pid %d: the image's %s is %" PRIu64 " bytes, this kernel's is %" PRIu64
			       "; restoring on another kernel is not supported yet",
			       r->pid, want->name ? want->name : "vdso", want->end - want->start,
			       have->end - have->start);
			return -EOPNOTSUPP;
		}
		span += have->end - have->start + PAGE_SIZE;
	}
	for (k = 0; k < 3; k++)
		if (find_kind(mm->vmas, mm->n_vmas, kinds[k]) && !find_kind(r->layout, r->n_layout, kinds[k])) {
			pr_err("pid %d: the image has a vdso part this kernel does not provide", r->pid);
			return -EOPNOTSUPP;
		}
	if (!span)
		return 0;
	/* Two steps, through a free range, so old and new places may overlap. */
	err = find_hole(r, span, r->area, r->area + AREA_SIZE, &base);
	if (err)
		return err;
	for (k = 0; k < 3; k++) {
		const struct ckpt_vma *want = find_kind(mm->vmas, mm->n_vmas, kinds[k]);
		const struct ckpt_vma *have = find_kind(r->layout, r->n_layout, kinds[k]);
		uint64_t len;

		if (!want || !have)
			continue;
		len = have->end - have->start;
		tmp[k] = base;
		base += len + PAGE_SIZE;
		err = inj(r, "mremap of the vdso", SYS_mremap, have->start, len, len,
			  MREMAP_MAYMOVE | MREMAP_FIXED, tmp[k], 0, NULL);
		if (err)
			return err;
	}
	for (k = 0; k < 3; k++) {
		const struct ckpt_vma *want = find_kind(mm->vmas, mm->n_vmas, kinds[k]);

		if (!want || !tmp[k])
			continue;
		err = inj(r, "mremap of the vdso", SYS_mremap, tmp[k], want->end - want->start,
			  want->end - want->start, MREMAP_MAYMOVE | MREMAP_FIXED, want->start, 0, NULL);
		if (err)
			return err;
	}
	return 0;
}

static bool vma_gets_pages(const struct ckpt_vma *v)
{
	return ckpt_vma_has_pages(v);
}

/*
 * Map writable at first when the VMA gets pages, or when it was charged as
 * writable private memory (VM_ACCOUNT, smaps "ac") so that it is again.
 */
static bool needs_write(const struct rst *r, size_t i)
{
	const struct ckpt_vma *v = &r->t->mm.vmas[i];

	return r->filled[i] || (v->kind == CKPT_VMA_FILE_PRIVATE && (v->attrs & CKPT_VMA_ACCOUNT));
}

static int mark_filled(struct rst *r)
{
	const struct ckpt_mm *mm = &r->t->mm;
	size_t i, j = 0;

	r->filled = calloc(MAX(mm->n_vmas, 1), sizeof(bool));
	if (!r->filled)
		return -ENOMEM;
	/* Both lists are sorted by address. */
	for (i = 0; i < mm->n_pagemap; i++) {
		uint64_t a = mm->pagemap[i].vaddr;

		while (j < mm->n_vmas && mm->vmas[j].end <= a)
			j++;
		if (j < mm->n_vmas && mm->vmas[j].start <= a)
			r->filled[j] = true;
	}
	return 0;
}

/*
 * Shared anonymous memory of an earlier task of the tree (already rebuilt,
 * still stopped): open its object through /proc/PID/map_files and map it.
 */
static int map_shared_ref(struct rst *r, const struct ckpt_vma *v)
{
	char path[96];
	long fd;
	int err, err2;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, v->shared_pid,
		 v->shared_start, v->shared_end);
	err = poke(r, "open of shared memory", SCRATCH(r), path, strlen(path) + 1);
	if (err)
		return err;
	err = inj(r, "open of shared memory", SYS_openat, AT_FDCWD, SCRATCH(r), O_RDWR | O_CLOEXEC, 0, 0,
		  0, &fd);
	if (err)
		return err;
	err = inj(r, "mmap of shared memory", SYS_mmap, v->start, v->end - v->start, v->prot,
		  MAP_SHARED | MAP_FIXED, fd, v->pgoff, NULL);
	err2 = inj(r, "close", SYS_close, fd, 0, 0, 0, 0, 0, NULL);
	return err ?: err2;
}

/*
 * A mapped memfd no fd of the task names: a new one of the same name and
 * size, mapped at the same offset (its pages are filled like anonymous
 * memory); later mappings of it in the tree refer to this one.
 */
static int map_new_memfd(struct rst *r, const struct ckpt_vma *v, uint64_t prot)
{
	const char *n = v->name && !strncmp(v->name, "/memfd:", 7) ? v->name + 7 : "ckpt";
	size_t len = strlen(n) >= 10 ? strlen(n) - 10 : strlen(n); /* " (deleted)" */
	char name[250];
	long fd;
	int err, err2;

	snprintf(name, sizeof(name), "%.*s", (int)MIN(len, sizeof(name) - 1), n);
	err = poke(r, "memfd_create", SCRATCH(r), name, strlen(name) + 1);
	if (err)
		return err;
	err = inj(r, "memfd_create", SYS_memfd_create, SCRATCH(r), MFD_CLOEXEC, 0, 0, 0, 0, &fd);
	if (err)
		return err;
	err = inj(r, "ftruncate of a memfd", SYS_ftruncate, fd, v->file.size, 0, 0, 0, 0, NULL);
	if (!err)
		err = inj(r, "mmap of a memfd", SYS_mmap, v->start, v->end - v->start, prot,
			  MAP_SHARED | MAP_FIXED, fd, v->pgoff, NULL);
	err2 = inj(r, "close", SYS_close, fd, 0, 0, 0, 0, 0, NULL);
	return err ?: err2;
}

/*
 * shmat() the segment (ckpt made it exist) where the image had it: one
 * attach covers the VMAs mprotect split it into; they get their protections
 * in the mprotect pass.  Read-only unless the attach was writable.
 */
static int attach_shm(struct rst *r, size_t i)
{
	const struct ckpt_mm *mm = &r->t->mm;
	const struct ckpt_vma *v = &mm->vmas[i];
	uint64_t flags = (v->attrs & CKPT_VMA_MAYWRITE) ? 0 : SHM_RDONLY;
	char what[64];
	long got;
	size_t j;
	int err;

	for (j = i; j < mm->n_vmas && mm->vmas[j].kind == CKPT_VMA_SYSVSHM &&
		    mm->vmas[j].shm.id == v->shm.id && mm->vmas[j].pgoff == v->pgoff + (mm->vmas[j].start - v->start); j++)
		if (mm->vmas[j].prot & PROT_EXEC)
			flags |= SHM_EXEC;
	snprintf(what, sizeof(what), "shmat SysV segment %d at %" PRIx64, v->shm.id, v->start);
	err = inj(r, what, SYS_shmat, v->shm.id, v->start, flags, 0, 0, 0, &got);
	if (err)
		return err;
	if ((uint64_t)got != v->start) {
		pr_err("pid %d: SysV segment %d attached at %lx, not at %" PRIx64, r->pid, v->shm.id,
		       got, v->start);
		return -EFAULT;
	}
	return 0;
}

static int map_vmas(struct rst *r)
{
	const struct ckpt_mm *mm = &r->t->mm;
	size_t i;
	int err;

	for (i = 0; i < mm->n_vmas; i++) {
		const struct ckpt_vma *v = &mm->vmas[i];
		uint64_t prot = v->prot, flags = MAP_FIXED;
		int64_t fd = -1, off = 0;
		char what[96];

		if (ckpt_vma_is_special(v))
			continue;
		if (needs_write(r, i))
			prot |= PROT_READ | PROT_WRITE;
		switch (v->kind) {
		case CKPT_VMA_ANON:
			flags |= MAP_PRIVATE | MAP_ANONYMOUS;
			if (v->attrs & CKPT_VMA_GROWSDOWN)
				flags |= MAP_GROWSDOWN;
			break;
		case CKPT_VMA_SHANON:
			if (v->shared_pid) {
				err = map_shared_ref(r, v);
				if (err)
					return err;
				continue;
			}
			flags |= MAP_SHARED | MAP_ANONYMOUS;
			break;
		case CKPT_VMA_FILE_PRIVATE:
		case CKPT_VMA_FILE_SHARED:
			flags |= v->kind == CKPT_VMA_FILE_SHARED ? MAP_SHARED : MAP_PRIVATE;
			fd = r->fds->vma[i];
			off = v->pgoff;
			break;
		case CKPT_VMA_MEMFD:
			if (v->shared_pid) {
				err = map_shared_ref(r, v);
				if (err)
					return err;
				continue;
			}
			if (v->memfd_fd < 0) {
				err = map_new_memfd(r, v, prot);
				if (err)
					return err;
				continue;
			}
			flags |= MAP_SHARED; /* from the task's own fd, restored already */
			fd = v->memfd_fd;
			off = v->pgoff;
			break;
		case CKPT_VMA_SYSVSHM:
			if (v->pgoff)
				continue; /* the rest of an attach that starts at offset 0 */
			err = attach_shm(r, i);
			if (err)
				return err;
			continue;
		default:
			pr_err("pid %d: mapping %" PRIx64 ": unknown kind %u in the image", r->pid,
			       v->start, v->kind);
			return -EINVAL;
		}
		snprintf(what, sizeof(what), "mmap %" PRIx64 "-%" PRIx64 " %s", v->start, v->end,
			 v->path ? v->path : "");
		err = inj(r, what, SYS_mmap, v->start, v->end - v->start, prot, flags, fd, off, NULL);
		if (err)
			return err;
	}
	return 0;
}

static int flush_iov(struct rst *r, struct iovec *iov, int n, unsigned int part, uint64_t off,
		     uint64_t bytes)
{
	char name[64];
	long got;
	int err;

	if (!n)
		return 0;
	err = ckpt_vm_write(r->pid, SCRATCH(r), iov, n * sizeof(*iov));
	if (err) {
		pr_err("pid %d: cannot write to the restorer area: %s", r->pid, strerror(-err));
		return err;
	}
	err = inj(r, "reading pages", SYS_preadv, r->fds->pages[part], SCRATCH(r), n, off, 0, 0,
		  &got);
	if (err)
		return err;
	if ((uint64_t)got != bytes) {
		ckpt_img_pages_name(name, sizeof(name), r->t->pid, part);
		pr_err("%s: truncated (%ld of %" PRIu64 " bytes at offset %" PRIu64 ")", name, got,
		       bytes, off);
		return -ENODATA;
	}
	return 0;
}

/*
 * Fault in large runs in one go (MADV_POPULATE_WRITE): far cheaper than a
 * page fault per 4 KiB page while preadv() fills them.
 */
#define POPULATE_MIN (64 * 1024UL)
static int populate(struct rst *r)
{
	const struct ckpt_mm *mm = &r->t->mm;
	size_t i;
	int err;

	for (i = 0; i < mm->n_pagemap; i++) {
		const struct ckpt_pagemap_entry *e = &mm->pagemap[i];

		const struct ckpt_vma *v = ckpt_mm_find_vma(mm, e->vaddr, e->vaddr + PAGE_SIZE);

		if (e->nr_pages * PAGE_SIZE < POPULATE_MIN || (v && v->kind == CKPT_VMA_SYSVSHM))
			continue;
		err = inj(r, "madvise(MADV_POPULATE_WRITE)", SYS_madvise, e->vaddr,
			  e->nr_pages * PAGE_SIZE, 23 /* MADV_POPULATE_WRITE */, 0, 0, 0, NULL);
		if (err == -EINVAL)
			return 0; /* older kernel: faults will do */
		if (err)
			return err;
	}
	return 0;
}

/* Fill memory straight from the pages file: the child preadv()s it, one copy. */
static int fill_pages(struct rst *r, bool skip_uffd)
{
	const struct ckpt_mm *mm = &r->t->mm;
	struct iovec iov[MAX_IOV];
	uint64_t off = 0, bytes = 0;
	unsigned int part = 0;
	size_t i;
	int n = 0, err;

	for (i = 0; i < mm->n_pagemap; i++) {
		const struct ckpt_pagemap_entry *e = &mm->pagemap[i];
		uint64_t len = e->nr_pages * PAGE_SIZE;
		const struct ckpt_vma *v = ckpt_mm_find_vma(mm, e->vaddr, e->vaddr + len);

		if (v && v->kind == CKPT_VMA_SYSVSHM)
			continue; /* ckpt filled the segment before it was attached */
		if (!v || !vma_gets_pages(v)) {
			pr_err("pagemap-%d.img: entry %zu at %" PRIx64 " is not in a private or "
			       "anonymous mapping", r->t->pid, i, e->vaddr);
			return -EBADMSG;
		}
		if (skip_uffd && ckpt_pagefill_uffd_ok(v))
			continue;
		if (n == MAX_IOV || (n && (part != e->part || off + bytes != e->offset)) ||
		    bytes + len > (1UL << 30)) {
			err = flush_iov(r, iov, n, part, off, bytes);
			if (err)
				return err;
			n = 0;
		}
		if (!n) {
			part = e->part;
			off = e->offset;
			bytes = 0;
		}
		/* A single entry larger than a batch is split. */
		while (len > (1UL << 30)) {
			iov[0].iov_base = (void *)(uintptr_t)e->vaddr;
			iov[0].iov_len = 1UL << 30;
			err = flush_iov(r, iov, 1, part, off, 1UL << 30);
			if (err)
				return err;
			off += 1UL << 30;
			len -= 1UL << 30;
			(void)0;
		}
		iov[n].iov_base = (void *)(uintptr_t)(e->vaddr + e->nr_pages * PAGE_SIZE - len);
		iov[n].iov_len = len;
		n++;
		bytes += len;
	}
	return flush_iov(r, iov, n, part, off, bytes);
}

/*
 * Hand the child's userfaultfd to us; registered on every VMA UFFDIO_COPY
 * can fill.  lazy: the task will run with it (kernel-mode faults too, and
 * the events that change its layout).  Returns <0 when the restore cannot
 * go on (said here); else *ret is the fd, or -1 with *why the reason
 * userfaultfd is not available (the caller falls back, or refuses).
 */
static int open_uffd(struct rst *r, int *ret, int *why, bool lazy)
{
	const struct ckpt_mm *mm = &r->t->mm;
	struct uffdio_api api = { .api = UFFD_API };
	int pidfd, ufd = -1, err;
	long cfd;
	size_t i;

	*ret = -1;
	if (lazy)
		api.features = UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP |
			       UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP;
	err = ckpt_inject(&r->in, SYS_userfaultfd, O_CLOEXEC | (lazy ? 0 : UFFD_USER_MODE_ONLY), 0,
			  0, 0, 0, 0, &cfd);
	if (err) {
		pr_err("pid %d: restore stopped while running userfaultfd: %s", r->pid,
		       strerror(-err));
		return err;
	}
	if (cfd < 0) { /* no userfaultfd here */
		*why = cfd > -4096 ? (int)-cfd : EOPNOTSUPP;
		return 0;
	}
	pidfd = syscall(SYS_pidfd_open, r->pid, 0);
	if (pidfd >= 0) {
		ufd = syscall(SYS_pidfd_getfd, pidfd, cfd, 0);
		close(pidfd);
	}
	*why = errno;
	/* The task must not keep it: a close that fails stops the restore. */
	err = inj(r, "close of its userfaultfd", SYS_close, cfd, 0, 0, 0, 0, 0, NULL);
	if (err || ufd < 0)
		goto out;
	if (ioctl(ufd, UFFDIO_API, &api)) {
		*why = errno;
		goto out;
	}
	for (i = 0; i < mm->n_vmas; i++) {
		const struct ckpt_vma *v = &mm->vmas[i];
		struct uffdio_register reg = {
			.range = { v->start, v->end - v->start }, .mode = UFFDIO_REGISTER_MODE_MISSING,
		};

		if (ckpt_pagefill_uffd_ok(v) && ioctl(ufd, UFFDIO_REGISTER, &reg)) {
			*why = errno;
			goto out;
		}
	}
	*ret = ufd;
	return 0;
out:
	if (ufd >= 0)
		close(ufd);
	if (*why <= 0)
		*why = EOPNOTSUPP;
	if (!err)
		pr_debug("pid %d: userfaultfd fill unavailable: %s", r->pid, strerror(*why));
	return err;
}

/*
 * Anonymous memory: UFFDIO_COPY from two threads (allocate+copy, no zeroing).
 * The rest (private file mappings), or everything where userfaultfd is
 * missing: populate, then the child preadv()s the pages itself.
 */
static int fill_memory(struct rst *r)
{
	const struct ckpt_mm *mm = &r->t->mm;
	bool lazy = r->lazy != NULL;
	int ufd = -1, why = 0, err;
	size_t i;

	err = open_uffd(r, &ufd, &why, lazy);
	if (err)
		return err;
	if (ufd < 0 && lazy) {
		pr_err("pid %d: --lazy-pages needs userfaultfd: %s", r->pid, strerror(why));
		return -why;
	}
	if (ufd < 0) {
		err = populate(r);
		return err ?: fill_pages(r, false);
	}
	err = ckpt_pagefill_uffd(ufd, mm, r->fds->pages, r->t->pid, lazy);
	for (i = 0; i < mm->n_vmas; i++) {
		const struct ckpt_vma *v = &mm->vmas[i];
		struct uffdio_range rng = { v->start, v->end - v->start };

		if (!ckpt_pagefill_uffd_ok(v) || (lazy && ckpt_lazy_vma(v)))
			continue;
		if (ioctl(ufd, UFFDIO_UNREGISTER, &rng) && !err) {
			err = -errno;
			pr_err("pid %d: userfaultfd unregister: %s", r->pid, strerror(errno));
		}
	}
	if (lazy && !err) /* the rest comes on demand */
		err = ckpt_lazy_add(r->lazy, ufd, mm, r->fds->pages, r->fds->n_pages, r->t->pid);
	else
		close(ufd);
	return err ?: fill_pages(r, true);
}

static int finish_vmas(struct rst *r)
{
	static const struct {
		uint32_t attr;
		int advice;
	} adv[] = {
		{ CKPT_VMA_DONTFORK, MADV_DONTFORK }, { CKPT_VMA_WIPEONFORK, MADV_WIPEONFORK },
		{ CKPT_VMA_DONTDUMP, MADV_DONTDUMP }, { CKPT_VMA_HUGEPAGE, MADV_HUGEPAGE },
		{ CKPT_VMA_NOHUGEPAGE, MADV_NOHUGEPAGE }, { CKPT_VMA_MERGEABLE, MADV_MERGEABLE },
		{ CKPT_VMA_RANDREAD, MADV_RANDOM }, { CKPT_VMA_SEQREAD, MADV_SEQUENTIAL },
	};
	const struct ckpt_mm *mm = &r->t->mm;
	size_t i, k;
	int err;

	for (i = 0; i < mm->n_vmas; i++) {
		const struct ckpt_vma *v = &mm->vmas[i];

		if (ckpt_vma_is_special(v))
			continue;
		/* A SysV attach is read-write or read-only as a whole: set each part's. */
		if ((needs_write(r, i) && v->prot != (PROT_READ | PROT_WRITE)) ||
		    v->kind == CKPT_VMA_SYSVSHM) {
			err = inj(r, "mprotect", SYS_mprotect, v->start, v->end - v->start, v->prot, 0,
				  0, 0, NULL);
			if (err)
				return err;
		}
		for (k = 0; k < ARRAY_SIZE(adv); k++) {
			if (!(v->attrs & adv[k].attr))
				continue;
			err = inj(r, "madvise", SYS_madvise, v->start, v->end - v->start,
				  adv[k].advice, 0, 0, 0, NULL);
			if (err == -EINVAL && adv[k].advice == MADV_MERGEABLE)
				err = 0; /* no KSM in this kernel */
			if (err)
				return err;
		}
	}
	return 0;
}

static int set_mm_fields(struct rst *r)
{
	const struct ckpt_mm *mm = &r->t->mm;
	struct prctl_mm_map map = {
		.start_code = mm->start_code,
		.end_code = mm->end_code,
		.start_data = mm->start_data,
		.end_data = mm->end_data,
		.start_brk = mm->start_brk,
		.brk = mm->brk,
		.start_stack = mm->start_stack,
		.arg_start = mm->arg_start,
		.arg_end = mm->arg_end,
		.env_start = mm->env_start,
		.env_end = mm->env_end,
		.auxv_size = mm->n_auxv * sizeof(uint64_t),
		.exe_fd = r->fds->exe,
	};
	uint64_t auxv_at = SCRATCH(r) + 4096;
	int err;

	if (map.auxv_size > AREA_SIZE - SCRATCH_OFF - 4096) {
		pr_err("mm-%d.img: auxv too large", r->t->pid);
		return -EBADMSG;
	}
	map.auxv = (__u64 *)(uintptr_t)auxv_at;
	err = poke(r, "prctl(PR_SET_MM_MAP)", auxv_at, mm->auxv, map.auxv_size);
	if (!err)
		err = poke(r, "prctl(PR_SET_MM_MAP)", SCRATCH(r), &map, sizeof(map));
	if (err)
		return err;
	return inj(r, "prctl(PR_SET_MM_MAP)", SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, SCRATCH(r),
		   sizeof(map), 0, 0, NULL);
}

static int queue_signals(struct rst *r, const struct ckpt_sigqueue *q, pid_t tid)
{
	size_t i;
	int err;

	for (i = 0; i < q->n; i++) {
		int sig;

		memcpy(&sig, q->info[i].raw, sizeof(sig));
		if (sig < 1 || sig > CKPT_NSIG) {
			pr_err("core-%d.img: pending signal %d is invalid", r->t->pid, sig);
			return -EBADMSG;
		}
		err = poke(r, "rt_sigqueueinfo", SCRATCH(r), q->info[i].raw, CKPT_SIGINFO_SIZE);
		if (err)
			return err;
		if (tid)
			err = inj(r, "rt_tgsigqueueinfo", SYS_rt_tgsigqueueinfo, r->pid, tid, sig,
				  SCRATCH(r), 0, 0, NULL);
		else
			err = inj(r, "rt_sigqueueinfo", SYS_rt_sigqueueinfo, r->pid, sig, SCRATCH(r),
				  0, 0, 0, NULL);
		if (err)
			return err;
	}
	return 0;
}

/* Interval timers, with the time that was left at the dump. */
static int set_itimers(struct rst *r)
{
	int i, err;

	for (i = 0; i < 3; i++) {
		uint64_t value = r->t->itimers[i].value_us, interval = r->t->itimers[i].interval_us;
		uint64_t itv[4];

		/* Caught just as it fired: a zero value would disarm a periodic timer. */
		if (!value && interval)
			value = interval;
		itv[0] = interval / 1000000;
		itv[1] = interval % 1000000;
		itv[2] = value / 1000000;
		itv[3] = value % 1000000;

		if (!itv[0] && !itv[1] && !itv[2] && !itv[3])
			continue;
		err = poke(r, "setitimer", SCRATCH(r), itv, sizeof(itv));
		if (!err)
			err = inj(r, "setitimer", SYS_setitimer, i, SCRATCH(r), 0, 0, 0, 0, NULL);
		if (err)
			return err;
	}
	return 0;
}

/* POSIX timers with their own IDs (PR_TIMER_CREATE_RESTORE_IDS, Linux 6.16+). */
#define PR_TIMER_CREATE_RESTORE_IDS 77
static int set_posix_timers(struct rst *r)
{
	size_t i;
	long v;
	int err;

	if (!r->t->n_timers)
		return 0;
	err = ckpt_inject(r->cur, SYS_prctl, PR_TIMER_CREATE_RESTORE_IDS, 1, 0, 0, 0, 0, &v);
	if (!err && v) {
		pr_err("pid %d: this kernel cannot recreate POSIX timers with their IDs "
		       "(PR_TIMER_CREATE_RESTORE_IDS)", r->pid);
		return -EOPNOTSUPP;
	}
	for (i = 0; !err && i < r->t->n_timers; i++) {
		const struct ckpt_posix_timer *pt = &r->t->timers[i];
		uint64_t value = pt->value_ns ?: pt->interval_ns; /* caught as it fired */
		struct {
			uint64_t sival;
			int32_t signo, notify, tid, pad[11];
		} sev = { pt->sival, pt->signo, pt->notify, pt->notify_tid, { 0 } };
		int64_t its[4] = { pt->interval_ns / 1000000000, pt->interval_ns % 1000000000,
				   value / 1000000000, value % 1000000000 };
		int32_t id = pt->id;
		char what[64];

		err = poke(r, "timer_create", SCRATCH(r), &sev, sizeof(sev));
		if (!err)
			err = poke(r, "timer_create", SCRATCH(r) + 128, &id, sizeof(id));
		if (!err)
			err = poke(r, "timer_settime", SCRATCH(r) + 256, its, sizeof(its));
		snprintf(what, sizeof(what), "timer_create of POSIX timer %d", pt->id);
		if (!err)
			err = inj(r, what, SYS_timer_create, pt->clock, SCRATCH(r), SCRATCH(r) + 128, 0, 0,
				  0, NULL);
		if (!err && pt->value_ns | pt->interval_ns)
			err = inj(r, "timer_settime", SYS_timer_settime, pt->id, 0, SCRATCH(r) + 256, 0,
				  0, 0, NULL);
	}
	if (!err)
		err = inj(r, "prctl(PR_TIMER_CREATE_RESTORE_IDS)", SYS_prctl, PR_TIMER_CREATE_RESTORE_IDS,
			  0, 0, 0, 0, 0, NULL);
	return err;
}

/* Per-thread registrations (in r->cur): rseq, robust futex list, clear_child_tid, sigaltstack. */
static int set_thread_regs_extra(struct rst *r, const struct ckpt_thread *th)
{
	struct {
		uint64_t sp;
		int32_t flags;
		uint32_t pad;
		uint64_t size;
	} ss = { th->altstack_sp, (int32_t)th->altstack_flags, 0, th->altstack_size };
	int err = 0;

	if (th->rseq_len)
		err = inj(r, "rseq", SYS_rseq, th->rseq_ptr, th->rseq_len, 0, th->rseq_sig, 0, 0, NULL);
	if (!err && th->robust_list)
		err = inj(r, "set_robust_list", SYS_set_robust_list, th->robust_list, th->robust_len, 0,
			  0, 0, 0, NULL);
	if (!err)
		err = inj(r, "set_tid_address", SYS_set_tid_address, th->clear_child_tid, 0, 0, 0, 0, 0,
			  NULL);
	if (!err && !(th->altstack_flags & SS_DISABLE)) {
		err = poke(r, "sigaltstack", SCRATCH(r), &ss, sizeof(ss));
		if (!err)
			err = inj(r, "sigaltstack", SYS_sigaltstack, SCRATCH(r), 0, 0, 0, 0, 0, NULL);
	}
	return err;
}

/* Credentials last: after them the child may lack the rights for the rest. */
static int set_creds(struct rst *r)
{
	const struct ckpt_creds *c = &r->t->creds;
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	int cap, err;

	for (cap = 0; cap < 64; cap++) {
		long v;

		if (c->cap_bnd & (1ULL << cap))
			continue;
		err = ckpt_inject(r->cur, SYS_prctl, PR_CAPBSET_READ, cap, 0, 0, 0, 0, &v);
		if (err) {
			pr_err("pid %d: restore stopped while running prctl(PR_CAPBSET_READ): %s",
			       r->pid, strerror(-err));
			return err;
		}
		if (v == 0 || v == -EINVAL)
			continue; /* already dropped, or unknown to this kernel */
		if (v != 1) {
			pr_err("pid %d: prctl(PR_CAPBSET_READ) of capability %d: %s", r->pid, cap,
			       strerror(v < 0 && v > -4096 ? (int)-v : EPROTO));
			return v < 0 && v > -4096 ? (int)v : -EPROTO;
		}
		err = inj(r, "prctl(PR_CAPBSET_DROP)", SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0, 0, NULL);
		if (err)
			return err;
	}
	if (c->n_groups > (AREA_SIZE - SCRATCH_OFF) / 4) {
		pr_err("core-%d.img: too many supplementary groups", r->t->pid);
		return -EBADMSG;
	}
	err = poke(r, "setgroups", SCRATCH(r), c->groups, c->n_groups * 4);
	if (err)
		return err;
	err = inj(r, "setgroups", SYS_setgroups, c->n_groups, SCRATCH(r), 0, 0, 0, 0, NULL);
	if (!err)
		err = inj(r, "setresgid", SYS_setresgid, c->gid, c->egid, c->sgid, 0, 0, 0, NULL);
	if (!err)
		err = inj(r, "setfsgid", SYS_setfsgid, c->fsgid, 0, 0, 0, 0, 0, NULL);
	if (!err)
		err = inj(r, "prctl(PR_SET_KEEPCAPS)", SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0, 0, NULL);
	if (!err)
		err = inj(r, "setresuid", SYS_setresuid, c->uid, c->euid, c->suid, 0, 0, 0, NULL);
	if (!err)
		err = inj(r, "setfsuid", SYS_setfsuid, c->fsuid, 0, 0, 0, 0, 0, NULL);
	if (err)
		return err;
	data[0].effective = (uint32_t)c->cap_eff;
	data[1].effective = (uint32_t)(c->cap_eff >> 32);
	data[0].permitted = (uint32_t)c->cap_prm;
	data[1].permitted = (uint32_t)(c->cap_prm >> 32);
	data[0].inheritable = (uint32_t)c->cap_inh;
	data[1].inheritable = (uint32_t)(c->cap_inh >> 32);
	err = poke(r, "capset", SCRATCH(r), &hdr, sizeof(hdr));
	if (!err)
		err = poke(r, "capset", SCRATCH(r) + 64, data, sizeof(data));
	if (!err)
		err = inj(r, "capset", SYS_capset, SCRATCH(r), SCRATCH(r) + 64, 0, 0, 0, 0, NULL);
	for (cap = 0; !err && cap < 64; cap++)
		if (c->cap_amb & (1ULL << cap))
			err = inj(r, "prctl(PR_CAP_AMBIENT_RAISE)", SYS_prctl, PR_CAP_AMBIENT,
				  PR_CAP_AMBIENT_RAISE, cap, 0, 0, 0, NULL);
	if (!err && !(c->securebits & (1 << 4 /* SECURE_KEEP_CAPS */)))
		err = inj(r, "prctl(PR_SET_KEEPCAPS)", SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0, 0, NULL);
	if (!err && c->no_new_privs)
		err = inj(r, "prctl(PR_SET_NO_NEW_PRIVS)", SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0,
			  0, NULL);
	return err;
}

/*
 * The other threads: clone3 with their TID from the main thread (traced with
 * PTRACE_O_TRACECLONE, so each new thread stops at once), then their own
 * registrations, injected in the thread itself.
 */
static int create_threads(struct rst *r)
{
	const struct ckpt_task *t = r->t;
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
			set_tid, set_tid_size, cgroup;
	} ca = {
		.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM,
		.set_tid = SCRATCH(r) + 256,
		.set_tid_size = 1,
	};
	long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE;
	size_t i;
	int err;

	if (t->n_threads < 2)
		return 0;
	r->thr = calloc(t->n_threads, sizeof(*r->thr));
	if (!r->thr)
		return -ENOMEM;
	if (ptrace(PTRACE_SETOPTIONS, r->pid, NULL, (void *)opts))
		return -errno;
	for (i = 1; i < t->n_threads; i++) {
		const struct ckpt_thread *th = &t->threads[i];
		pid_t tid = th->tid;
		int status;
		long got;

		err = poke(r, "clone3 of a thread", SCRATCH(r), &ca, sizeof(ca));
		if (!err)
			err = poke(r, "clone3 of a thread", SCRATCH(r) + 256, &tid, sizeof(tid));
		if (err)
			return err;
		r->cur = &r->in;
		err = inj(r, "clone3 of a thread", SYS_clone3, SCRATCH(r), sizeof(ca), 0, 0, 0, 0, &got);
		if (err)
			return err;
		if (got != tid) {
			pr_err("pid %d: thread %d came back as %ld", r->pid, tid, got);
			return -EPROTO;
		}
		if (ckpt_ptrace_wait(tid, &status) < 0) {
			pr_err("pid %d: new thread %d did not stop", r->pid, tid);
			return -ESRCH;
		}
		err = ckpt_inject_init(&r->thr[i], tid, r->area);
		if (err)
			return err;
		r->cur = &r->thr[i];
		err = set_thread_regs_extra(r, th);
		if (!err && th->comm[0]) {
			err = poke(r, "prctl(PR_SET_NAME)", SCRATCH(r), th->comm, sizeof(th->comm));
			if (!err)
				err = inj(r, "prctl(PR_SET_NAME)", SYS_prctl, PR_SET_NAME, SCRATCH(r), 0, 0,
					  0, 0, NULL);
		}
		if (err)
			return err;
	}
	r->cur = &r->in;
	return 0;
}

/* Each thread has its own credentials: set them in every one. */
/*
 * Every task of the tree exists now: join a process group whose leader was
 * created after this task (a sibling's, a descendant's).  A group whose
 * leader is not in the tree cannot be made again: the task stays where it is.
 */
static int join_pgrp(struct rst *r)
{
	pid_t now = getpgid(r->pid);
	long v;
	int err;

	if (now == r->t->pgid || r->t->sid == r->t->pid || now < 0)
		return 0;
	err = ckpt_inject(r->cur, SYS_setpgid, 0, r->t->pgid, 0, 0, 0, 0, &v);
	if (err)
		return err;
	if (v < 0)
		pr_warn("pid %d: cannot join process group %d: %s, staying in %d", r->pid,
			r->t->pgid, strerror((int)-v), now);
	return 0;
}

static int set_all_creds(struct rst *r)
{
	size_t i;
	int err = 0;

	for (i = r->t->n_threads; i-- > 0 && !err;) {
		r->cur = i ? &r->thr[i] : &r->in;
		err = set_creds(r);
	}
	r->cur = &r->in;
	return err;
}

/* Load the other threads' registers; they stay stopped until the end. */
static int load_thread_regs(struct rst *r)
{
	size_t i;
	int err;

	for (i = 1; i < r->t->n_threads; i++) {
		err = ckpt_ptrace_set_thread(r->t->threads[i].tid, &r->t->threads[i], false);
		if (err) {
			pr_err("pid %d: cannot load the registers of thread %d: %s", r->pid,
			       r->t->threads[i].tid, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* The last injected call removes the area the syscall instruction lives in. */
/*
 * POSIX locks belong to the process and go away when it closes any fd of
 * the file: taken only now, once ckpt's helper fds are closed for good.
 */
static int take_posix_locks(struct rst *r)
{
	size_t i, k;
	int err;

	for (i = 0; i < r->t->n_fds; i++) {
		const struct ckpt_fd *f = &r->t->fds[i];

		for (k = 0; k < f->n_locks; k++) {
			const struct ckpt_lock *l = &f->locks[k];
			struct flock fl = {
				.l_type = l->write ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET,
				.l_start = (off_t)l->start,
				.l_len = l->end == UINT64_MAX ? 0 : (off_t)(l->end - l->start + 1),
			};
			char what[64];

			if (l->kind != CKPT_LOCK_POSIX)
				continue;
			err = poke(r, "fcntl(F_SETLK)", SCRATCH(r), &fl, sizeof(fl));
			if (err)
				return err;
			snprintf(what, sizeof(what), "POSIX lock on fd %d", f->fd);
			err = inj(r, what, SYS_fcntl, f->fd, F_SETLK, SCRATCH(r), 0, 0, 0, NULL);
			if (err)
				return err;
		}
	}
	return 0;
}

static int drop_area_and_load_regs(struct rst *r)
{
	const struct ckpt_thread *th = &r->t->threads[0];
	int err;

	err = inj(r, "close_range", SYS_close_range, r->fds->base, ~0U, 0, 0, 0, 0, NULL);
	if (!err)
		err = take_posix_locks(r);
	if (err)
		return err;
	err = inj(r, "munmap of the restorer area", SYS_munmap, r->area, AREA_SIZE, 0, 0, 0, 0, NULL);
	if (err)
		return err;
	err = ckpt_ptrace_set_thread(r->pid, th, false);
	if (err) {
		pr_err("pid %d: cannot load the saved registers: %s", r->pid, strerror(-err));
		return err;
	}
	return 0;
}

int ckpt_restorer_release(pid_t child, const struct ckpt_task *t)
{
	size_t i;

	/* Stopped at dump time: SIGSTOP is taken before any of its code runs. */
	if (t->stopped && kill(child, SIGSTOP)) {
		pr_err("pid %d: cannot stop it again: %s", child, strerror(errno));
		return -errno;
	}
	/* Threads first: the process runs once its main thread is let go. */
	for (i = t->n_threads; i-- > 0;)
		if (ckpt_ptrace_detach(t->threads[i].tid)) {
			int err = -errno;

			pr_err("pid %d: cannot detach thread %d: %s", child, t->threads[i].tid,
			       strerror(-err));
			return err;
		}
	return 0;
}

int ckpt_restorer_run(pid_t child, const struct ckpt_task *t, const struct ckpt_restore_fds *fds,
		      struct ckpt_lazy **lazy)
{
	struct rst r = { .pid = child, .t = t, .fds = fds, .lazy = lazy };
	size_t i;
	int err;

	r.cur = &r.in;
	err = ckpt_inject_init(&r.in, child, (uintptr_t)ckpt_syscall_insn);
	if (err) {
		pr_err("pid %d: cannot read the restorer's registers: %s", child, strerror(-err));
		return err;
	}
	err = mark_filled(&r);
	if (!err)
		err = read_child_layout(&r);
	if (!err)
		err = setup_area(&r);
	if (!err)
		err = unmap_ckpt(&r);
	if (!err)
		err = place_vdso(&r);
	if (!err)
		err = map_vmas(&r);
	if (!err)
		err = fill_memory(&r);
	if (!err)
		err = finish_vmas(&r);
	if (!err)
		err = set_mm_fields(&r);
	if (!err)
		err = queue_signals(&r, &t->shared_pending, 0);
	if (!err)
		err = set_thread_regs_extra(&r, &t->threads[0]);
	if (!err)
		err = set_itimers(&r);
	if (!err)
		err = create_threads(&r);
	if (!err)
		err = set_posix_timers(&r); /* after the threads they may signal */
	for (i = 0; !err && i < t->n_threads; i++)
		err = queue_signals(&r, &t->threads[i].pending, t->threads[i].tid);
	if (!err)
		err = join_pgrp(&r);
	if (!err)
		err = set_all_creds(&r);
	if (!err)
		err = load_thread_regs(&r);
	if (!err)
		err = drop_area_and_load_regs(&r);
	ckpt_vmas_free(r.layout, r.n_layout);
	free(r.filled);
	free(r.thr);
	return err;
}
