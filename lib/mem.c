// SPDX-License-Identifier: GPL-2.0
/*
 * Page dump.  The ranges a source reports are cut into chunks of up to
 * 4 MiB; chunk k goes to part k % n of the task's pages files, at a place
 * fixed in advance (so each file is laid out by address and nothing needs
 * ordering).  One worker per part copies its chunks with process_vm_readv
 * into a buffer and pwrite()s their runs; anonymous pages that read as zero
 * are skipped (holes) and left out of the page map.
 *
 * One file per worker because a tmpfs (or any) file write holds the
 * inode's i_rwsem for the whole copy: two writers of one file spin on each
 * other (27% of the dump's CPU in rwsem_spin_on_owner, measured), two files
 * let both copy at once (1 GiB: 0.41 s vs 0.62-1.7 s here).  Copying
 * straight into a mapping of the file saves a copy but measured slower:
 * faulting and tearing down the page tables costs more than the copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fault.h"
#include "img.h"
#include "log.h"
#include "mem.h"
#include "ptrace.h"
#include "util.h"

#define CHUNK (4UL << 20)
/*
 * A worker copies a chunk through a buffer of this size: small enough to
 * stay in the CPU's cache between process_vm_readv and pwrite, and few
 * pages to fault in (first touches of fresh memory are what cost most on
 * this machine: a 4 MiB buffer made a 64 MiB dump 1.5x slower).
 */
#define BUF_SIZE (512UL << 10)
#define MAX_WORKERS 4

bool ckpt_vma_is_special(const struct ckpt_vma *v)
{
	return v->kind == CKPT_VMA_VDSO || v->kind == CKPT_VMA_VVAR ||
	       v->kind == CKPT_VMA_VVAR_VCLOCK || v->kind == CKPT_VMA_VSYSCALL;
}

bool ckpt_vma_has_pages(const struct ckpt_vma *v)
{
	return (v->kind == CKPT_VMA_ANON || v->kind == CKPT_VMA_SHANON ||
		v->kind == CKPT_VMA_FILE_PRIVATE || v->kind == CKPT_VMA_SYSVSHM ||
		(v->kind == CKPT_VMA_MEMFD && v->memfd_fd < 0)) && !v->shared_pid;
}

const struct ckpt_vma *ckpt_mm_find_vma(const struct ckpt_mm *mm, uint64_t start, uint64_t end)
{
	size_t lo = 0, hi = mm->n_vmas;

	/* VMAs are sorted and disjoint. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mm->vmas[mid].end <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < mm->n_vmas && mm->vmas[lo].start <= start && end <= mm->vmas[lo].end)
		return &mm->vmas[lo];
	return NULL;
}

static bool page_is_zero(const void *p)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < PAGE_SIZE / sizeof(*w); i += 8)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7])
			return false;
	return true;
}

struct run {
	uint64_t vaddr, len, off;
};

struct chunk {
	const struct ckpt_vma *v;
	uint64_t start, end;
	bool live;         /* must be read from the task itself (not in a snapshot) */
	bool done;
	uint64_t off;      /* where the chunk goes in its part's file */
	struct run *runs;  /* its non-zero runs, filled by a worker */
	int n_runs;
};

struct ckpt_mem_dump {
	struct ckpt_source *src;
	pid_t from;        /* the process the pages are read from (the task or its snapshot) */
	int mem_fd;        /* /proc/FROM/mem, for pages the task cannot read itself */
	bool only_live;    /* this pass copies live chunks only */
	unsigned int n_parts;
	int fds[MAX_WORKERS];  /* one pages file per part */
	struct chunk *chunks;
	size_t n_chunks;
	pthread_mutex_t lock;
	int err;           /* first error; logged once */
};

struct worker {
	struct ckpt_mem_dump *d;
	unsigned int part; /* takes chunks part, part + n_parts, ... */
};

/* Read len bytes at addr of the task into buf. */
static int read_piece(struct ckpt_mem_dump *d, const struct chunk *c, uint64_t addr, void *buf,
		      size_t len)
{
	ssize_t n;

	if (c->v->prot & PROT_READ)
		return ckpt_vm_read(d->from, addr, buf, len);
	/* Not readable by the task itself: /proc/PID/mem reads it anyway. */
	n = ckpt_pread_all(d->mem_fd, buf, len, addr);
	if (n < 0)
		return n;
	return (size_t)n == len ? 0 : -EFAULT;
}

/*
 * Record the runs of pages worth keeping of the piece at addr (buf holds
 * it); zero pages of anonymous memory are not.  A run that reaches the
 * end of the piece is left open (*open_run bytes) for the next piece.
 */
static int split_runs(struct chunk *c, uint64_t addr, const uint8_t *buf, size_t len,
		      size_t *open_run, int *first_new)
{
	bool skip_zero = c->v->kind != CKPT_VMA_FILE_PRIVATE;
	bool last = addr + len == c->end;
	size_t off, run = *open_run;

	if (!c->runs) {
		c->runs = malloc(((c->end - c->start) / PAGE_SIZE / 2 + 1) * sizeof(*c->runs));
		if (!c->runs)
			return -ENOMEM;
	}
	*first_new = c->n_runs;
	for (off = 0; off <= len; off += PAGE_SIZE) {
		if (off < len && (!skip_zero || !page_is_zero(buf + off))) {
			run += PAGE_SIZE;
			continue;
		}
		if (off == len && !last)
			break; /* may go on in the next piece */
		if (run) {
			uint64_t va = addr + off - run;

			c->runs[c->n_runs].vaddr = va;
			c->runs[c->n_runs].len = run;
			c->runs[c->n_runs].off = c->off + (va - c->start);
			c->n_runs++;
			run = 0;
		}
	}
	*open_run = run;
	return 0;
}

/*
 * Write the part of the piece at addr (buf holds it) that lies in runs
 * [first, n_runs) or in the open run of `open` bytes at the piece's end;
 * zero pages become holes.
 */
static int write_runs(int fd, const struct chunk *c, uint64_t addr, const uint8_t *buf,
		      size_t len, int first, size_t open)
{
	uint64_t end = addr + len;
	int i;

	for (i = first; i <= c->n_runs; i++) {
		uint64_t s = i < c->n_runs ? c->runs[i].vaddr : end - open;
		uint64_t e = i < c->n_runs ? s + c->runs[i].len : end;
		const uint8_t *p;
		uint64_t left, off;

		s = MAX(s, addr);
		p = buf + (s - addr);
		left = e > s ? e - s : 0;
		off = c->off + (s - c->start);
		while (left) {
			int ferr = ckpt_fault("write pages", ENOSPC);
			ssize_t w = ferr ? (errno = -ferr, -1) : pwrite(fd, p, left, off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? -errno : -ENOSPC;
			p += w;
			left -= w;
			off += w;
		}
	}
	return 0;
}

static void set_err(struct ckpt_mem_dump *d, int err, const char *what, uint64_t addr)
{
	pthread_mutex_lock(&d->lock);
	if (!d->err) {
		d->err = err;
		pr_err("pid %d: cannot %s at %" PRIx64 ": %s", d->from, what, addr, strerror(-err));
	}
	pthread_mutex_unlock(&d->lock);
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct ckpt_mem_dump *d = w->d;
	uint8_t *buf = NULL;
	size_t k;

	if (posix_memalign((void **)&buf, PAGE_SIZE, BUF_SIZE)) {
		set_err(d, -ENOMEM, "allocate a buffer", 0);
		return NULL;
	}
	for (k = w->part; k < d->n_chunks; k += d->n_parts) {
		struct chunk *c = &d->chunks[k];
		size_t open = 0, len;
		uint64_t a;
		int err = 0, first;

		if (__atomic_load_n(&d->err, __ATOMIC_RELAXED))
			break;
		if (c->done || (d->only_live && !c->live))
			continue;
		c->done = true;
		for (a = c->start; a < c->end && !err; a += len) {
			len = MIN(BUF_SIZE, c->end - a);
			err = read_piece(d, c, a, buf, len);
			if (err) {
				set_err(d, err, "read memory", a);
				break;
			}
			err = split_runs(c, a, buf, len, &open, &first);
			if (!err)
				err = write_runs(d->fds[w->part], c, a, buf, len, first, open);
			if (err)
				set_err(d, err, "write pages", a);
		}
		if (err)
			break;
	}
	free(buf);
	return NULL;
}

bool ckpt_vma_in_snapshot(const struct ckpt_vma *v)
{
	/* A fork copies private memory on write; shared memory and these are not copies. */
	return (v->kind == CKPT_VMA_ANON || v->kind == CKPT_VMA_FILE_PRIVATE) &&
	       !(v->attrs & (CKPT_VMA_DONTFORK | CKPT_VMA_WIPEONFORK));
}

static int add_chunks(struct ckpt_mem_dump *d, size_t *cap, const struct ckpt_vma *v, uint64_t s,
		      uint64_t e)
{
	int err;

	for (; s < e; s += CHUNK) {
		struct chunk *c;

		err = ckpt_grow((void **)&d->chunks, cap, d->n_chunks + 1, sizeof(*d->chunks));
		if (err)
			return err;
		c = &d->chunks[d->n_chunks++];
		*c = (struct chunk){ .v = v, .start = s, .end = MIN(s + CHUNK, e),
				     .live = !ckpt_vma_in_snapshot(v) };
	}
	return 0;
}

/* Deal the chunks out to the parts, in address order within each part. */
static void place_chunks(struct ckpt_mem_dump *d)
{
	uint64_t off[MAX_WORKERS];
	size_t k;

	for (k = 0; k < d->n_parts; k++)
		off[k] = CKPT_PAGES_HDR_SIZE;
	for (k = 0; k < d->n_chunks; k++) {
		struct chunk *c = &d->chunks[k];
		unsigned int part = k % d->n_parts;

		c->off = off[part];
		off[part] += c->end - c->start;
	}
}

static unsigned int nr_workers(size_t n_chunks)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	cpus = cpus < 1 ? 1 : MIN(cpus, MAX_WORKERS);
	return MAX(1, MIN((size_t)cpus, n_chunks));
}

/* Chunk order is address order: merge the runs into the page map. */
static int build_pagemap(struct ckpt_mem_dump *d, struct ckpt_mm *mm)
{
	size_t k, cap = 0;
	int i, err;

	mm->n_parts = d->n_parts;
	for (k = 0; k < d->n_chunks; k++) {
		const struct chunk *c = &d->chunks[k];
		unsigned int part = k % d->n_parts;

		for (i = 0; i < c->n_runs; i++) {
			const struct run *r = &c->runs[i];
			struct ckpt_pagemap_entry *e = mm->n_pagemap ? &mm->pagemap[mm->n_pagemap - 1] : NULL;

			if (e && e->vaddr >= c->v->start && e->vaddr + e->nr_pages * PAGE_SIZE == r->vaddr &&
			    e->part == part && e->offset + e->nr_pages * PAGE_SIZE == r->off) {
				e->nr_pages += r->len / PAGE_SIZE;
			} else {
				err = ckpt_grow((void **)&mm->pagemap, &cap, mm->n_pagemap + 1, sizeof(*e));
				if (err)
					return err;
				e = &mm->pagemap[mm->n_pagemap++];
				e->vaddr = r->vaddr;
				e->nr_pages = r->len / PAGE_SIZE;
				e->offset = r->off;
				e->part = part;
			}
			mm->nr_pages += r->len / PAGE_SIZE;
		}
	}
	return 0;
}

void ckpt_mem_free(struct ckpt_mem_dump *d)
{
	size_t i;
	unsigned int p;

	if (!d)
		return;
	for (p = 0; p < MAX_WORKERS; p++)
		if (d->fds[p] >= 0)
			close(d->fds[p]);
	if (d->mem_fd >= 0)
		close(d->mem_fd);
	for (i = 0; i < d->n_chunks; i++)
		free(d->chunks[i].runs);
	free(d->chunks);
	free(d);
}

int ckpt_mem_plan(struct ckpt_source *src, const struct ckpt_mm *mm, int dirfd,
		  struct ckpt_mem_dump **ret)
{
	struct ckpt_mem_dump *d;
	struct ckpt_range *ranges = NULL;
	size_t i, j, cap = 0;
	unsigned int p;
	int err = 0;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->src = src;
	d->mem_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	for (p = 0; p < MAX_WORKERS; p++)
		d->fds[p] = -1;
	for (i = 0; i < mm->n_vmas && !err; i++) {
		const struct ckpt_vma *v = &mm->vmas[i];
		size_t n = 0;

		if (!ckpt_vma_has_pages(v))
			continue;
		err = src->ops->scan_pages(src, v, &ranges, &n);
		for (j = 0; j < n && !err; j++)
			err = add_chunks(d, &cap, v, ranges[j].start, ranges[j].end);
	}
	free(ranges);
	if (err)
		goto fail;
	d->n_parts = nr_workers(d->n_chunks);
	place_chunks(d);
	for (p = 0; p < d->n_parts; p++) {
		d->fds[p] = ckpt_img_pages_create(dirfd, src->pid, p);
		if (d->fds[p] < 0) {
			err = d->fds[p];
			goto fail;
		}
	}
	*ret = d;
	return 0;
fail:
	ckpt_mem_free(d);
	return err;
}

int ckpt_mem_copy(struct ckpt_mem_dump *d, pid_t from, bool only_live)
{
	struct worker w[MAX_WORKERS];
	pthread_t th[MAX_WORKERS];
	unsigned int p, nth = 0;
	size_t i;

	d->from = from;
	d->only_live = only_live;
	for (i = 0; i < d->n_chunks; i++) {
		const struct chunk *c = &d->chunks[i];
		char path[32];

		if (c->done || (only_live && !c->live) || (c->v->prot & PROT_READ))
			continue;
		/* Not readable by the task itself: /proc/PID/mem reads it anyway. */
		if (d->mem_fd >= 0)
			close(d->mem_fd);
		snprintf(path, sizeof(path), "/proc/%d/mem", from);
		d->mem_fd = from == d->src->pid ? openat(d->src->procfd, "mem", O_RDONLY | O_CLOEXEC) :
						  open(path, O_RDONLY | O_CLOEXEC);
		if (d->mem_fd < 0) {
			set_err(d, -errno, "open the memory", c->start);
			return d->err;
		}
		break;
	}
	for (p = 0; p < d->n_parts; p++) {
		w[p] = (struct worker){ .d = d, .part = p };
		if (p && !pthread_create(&th[nth], NULL, worker, &w[p]))
			nth++;
		else if (p)
			break;
	}
	if (p < d->n_parts)
		set_err(d, -EAGAIN, "start a page writer thread", 0);
	worker(&w[0]); /* part 0 in this thread */
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	return d->err;
}

int ckpt_mem_finish(struct ckpt_mem_dump *d, struct ckpt_mm *mm)
{
	unsigned int p;
	int err = d->err;

	for (p = 0; p < d->n_parts && !err; p++)
		if (fdatasync(d->fds[p])) {
			err = -errno;
			pr_err("pid %d: pages file: %s", d->src->pid, strerror(errno));
		}
	if (!err)
		err = build_pagemap(d, mm);
	ckpt_mem_free(d);
	return err;
}

int ckpt_mem_dump(struct ckpt_source *src, struct ckpt_mm *mm, int dirfd)
{
	struct ckpt_mem_dump *d;
	int err;

	err = ckpt_mem_plan(src, mm, dirfd, &d);
	if (err)
		return err;
	err = ckpt_mem_copy(d, src->pid, false);
	if (err) {
		ckpt_mem_free(d);
		return err;
	}
	return ckpt_mem_finish(d, mm);
}
