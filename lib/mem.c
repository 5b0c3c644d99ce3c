// SPDX-License-Identifier: GPL-2.0
/*
 * Page dump.  The ranges a source reports are cut into chunks of up to
 * 4 MiB, each with a fixed place in the pages file (so the file is laid out
 * by address and workers need no ordering).  Two workers each copy a chunk
 * with process_vm_readv into a buffer and pwrite() its runs; anonymous
 * pages that read as zero are skipped (holes) and left out of the page map.
 * (Copying straight into an fallocate'd, MAP_POPULATE'd mapping of the file
 * saves a copy but measured slower and far noisier here: populating and
 * tearing down the page tables of a GiB-sized mapping costs more.)
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

#include "img.h"
#include "log.h"
#include "mem.h"
#include "ptrace.h"
#include "util.h"

#define CHUNK (4UL << 20)
#define NR_WORKERS 2

bool ckpt_vma_is_special(const struct ckpt_vma *v)
{
	return v->kind == CKPT_VMA_VDSO || v->kind == CKPT_VMA_VVAR ||
	       v->kind == CKPT_VMA_VVAR_VCLOCK || v->kind == CKPT_VMA_VSYSCALL;
}

bool ckpt_vma_has_pages(const struct ckpt_vma *v)
{
	return (v->kind == CKPT_VMA_ANON || v->kind == CKPT_VMA_SHANON ||
		v->kind == CKPT_VMA_FILE_PRIVATE) && !v->shared_pid;
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
	uint64_t off;      /* where the chunk goes in the pages file */
	struct run *runs;  /* its non-zero runs, filled by a worker */
	int n_runs;
};

struct dumper {
	struct ckpt_source *src;
	int fd, mem_fd;
	struct chunk *chunks;
	size_t n_chunks;
	pthread_mutex_t lock;
	size_t next;       /* next chunk to take */
	int err;           /* first error; logged once */
};

static int read_chunk(struct dumper *d, const struct chunk *c, void *buf)
{
	size_t len = c->end - c->start;
	ssize_t n;

	if (c->v->prot & PROT_READ)
		return ckpt_vm_read(d->src->pid, c->start, buf, len);
	/* Not readable by the task itself: /proc/PID/mem reads it anyway. */
	n = ckpt_pread_all(d->mem_fd, buf, len, c->start);
	if (n < 0)
		return n;
	return (size_t)n == len ? 0 : -EFAULT;
}

/* Record the runs of pages worth keeping; zero pages of anonymous memory are not. */
static int split_runs(struct chunk *c, const uint8_t *buf)
{
	bool skip_zero = c->v->kind != CKPT_VMA_FILE_PRIVATE;
	size_t len = c->end - c->start, off, run = 0;

	c->runs = malloc((len / PAGE_SIZE / 2 + 1) * sizeof(*c->runs));
	if (!c->runs)
		return -ENOMEM;
	for (off = 0; off <= len; off += PAGE_SIZE) {
		if (off < len && (!skip_zero || !page_is_zero(buf + off))) {
			run += PAGE_SIZE;
			continue;
		}
		if (run) {
			c->runs[c->n_runs].vaddr = c->start + off - run;
			c->runs[c->n_runs].len = run;
			c->runs[c->n_runs].off = c->off + off - run;
			c->n_runs++;
			run = 0;
		}
	}
	return 0;
}

/* Write the runs at their chunk's place; zero pages become holes. */
static int write_runs(struct dumper *d, const struct chunk *c, const uint8_t *buf)
{
	int i;

	for (i = 0; i < c->n_runs; i++) {
		const uint8_t *p = buf + (c->runs[i].vaddr - c->start);
		uint64_t left = c->runs[i].len, off = c->runs[i].off;

		while (left) {
			ssize_t w = pwrite(d->fd, p, left, off);

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

static void set_err(struct dumper *d, int err, const char *what, uint64_t addr)
{
	pthread_mutex_lock(&d->lock);
	if (!d->err) {
		d->err = err;
		pr_err("pid %d: cannot %s at %" PRIx64 ": %s", d->src->pid, what, addr, strerror(-err));
	}
	pthread_mutex_unlock(&d->lock);
}

static void *worker(void *arg)
{
	struct dumper *d = arg;
	uint8_t *buf = NULL;

	if (posix_memalign((void **)&buf, PAGE_SIZE, CHUNK)) {
		set_err(d, -ENOMEM, "allocate a buffer", 0);
		return NULL;
	}
	for (;;) {
		struct chunk *c;
		size_t k;
		int err;

		pthread_mutex_lock(&d->lock);
		k = d->err ? d->n_chunks : d->next++;
		pthread_mutex_unlock(&d->lock);
		if (k >= d->n_chunks)
			break;
		c = &d->chunks[k];
		err = read_chunk(d, c, buf);
		if (err) {
			set_err(d, err, "read memory", c->start);
			break;
		}
		err = split_runs(c, buf);
		if (!err)
			err = write_runs(d, c, buf);
		if (err) {
			set_err(d, err, "write pages", c->start);
			break;
		}
	}
	free(buf);
	return NULL;
}

static int add_chunks(struct dumper *d, size_t *cap, const struct ckpt_vma *v, uint64_t s,
		      uint64_t e, uint64_t *off)
{
	int err;

	for (; s < e; s += CHUNK) {
		struct chunk *c;

		err = ckpt_grow((void **)&d->chunks, cap, d->n_chunks + 1, sizeof(*d->chunks));
		if (err)
			return err;
		c = &d->chunks[d->n_chunks++];
		c->v = v;
		c->start = s;
		c->end = MIN(s + CHUNK, e);
		c->off = *off;
		*off += c->end - c->start;
	}
	return 0;
}

/* Chunk order is address order: merge the runs into the page map. */
static int build_pagemap(struct dumper *d, struct ckpt_mm *mm)
{
	size_t k, cap = 0;
	int i, err;

	for (k = 0; k < d->n_chunks; k++) {
		const struct chunk *c = &d->chunks[k];

		for (i = 0; i < c->n_runs; i++) {
			const struct run *r = &c->runs[i];
			struct ckpt_pagemap_entry *e = mm->n_pagemap ? &mm->pagemap[mm->n_pagemap - 1] : NULL;

			if (e && e->vaddr >= c->v->start && e->vaddr + e->nr_pages * PAGE_SIZE == r->vaddr &&
			    e->offset + e->nr_pages * PAGE_SIZE == r->off) {
				e->nr_pages += r->len / PAGE_SIZE;
			} else {
				err = ckpt_grow((void **)&mm->pagemap, &cap, mm->n_pagemap + 1, sizeof(*e));
				if (err)
					return err;
				e = &mm->pagemap[mm->n_pagemap++];
				e->vaddr = r->vaddr;
				e->nr_pages = r->len / PAGE_SIZE;
				e->offset = r->off;
			}
			mm->nr_pages += r->len / PAGE_SIZE;
		}
	}
	return 0;
}

int ckpt_mem_dump(struct ckpt_source *src, struct ckpt_mm *mm, int pages_fd)
{
	struct dumper d = {
		.src = src, .fd = pages_fd, .mem_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER,
	};
	uint64_t off = CKPT_PAGES_HDR_SIZE;
	struct ckpt_range *ranges = NULL;
	pthread_t th[NR_WORKERS];
	size_t i, j, cap = 0;
	int nth = 0, err = 0;

	for (i = 0; i < mm->n_vmas && !err; i++) {
		const struct ckpt_vma *v = &mm->vmas[i];
		size_t n = 0;

		if (!ckpt_vma_has_pages(v))
			continue;
		if (!(v->prot & PROT_READ) && d.mem_fd < 0) {
			d.mem_fd = openat(src->procfd, "mem", O_RDONLY | O_CLOEXEC);
			if (d.mem_fd < 0) {
				err = -errno;
				pr_err("pid %d: cannot open its memory: %s", src->pid, strerror(errno));
				break;
			}
		}
		err = src->ops->scan_pages(src, v, &ranges, &n);
		for (j = 0; j < n && !err; j++)
			err = add_chunks(&d, &cap, v, ranges[j].start, ranges[j].end, &off);
	}
	free(ranges);
	if (err)
		goto out;
	for (nth = 0; nth < NR_WORKERS && (size_t)nth < d.n_chunks; nth++)
		if (pthread_create(&th[nth], NULL, worker, &d))
			break;
	if (!nth && d.n_chunks)
		worker(&d);
	for (i = 0; i < (size_t)nth; i++)
		pthread_join(th[i], NULL);
	err = d.err;
	if (!err)
		err = build_pagemap(&d, mm);
out:
	if (d.mem_fd >= 0)
		close(d.mem_fd);
	for (i = 0; i < d.n_chunks; i++)
		free(d.chunks[i].runs);
	free(d.chunks);
	return err;
}
