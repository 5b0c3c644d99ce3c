// SPDX-License-Identifier: GPL-2.0
/*
 * Page dump.  The ranges a source reports are cut into chunks of up to 4 MiB;
 * two workers each read a chunk with process_vm_readv (one copy), drop the
 * zero pages of anonymous memory, take the next file offset in chunk order
 * (so the file is laid out by address) and write the chunk with one
 * pwritev.  Writing new tmpfs/page-cache pages is the bottleneck, and it
 * scales with a second core.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
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
	return v->kind == CKPT_VMA_ANON || v->kind == CKPT_VMA_SHANON ||
	       v->kind == CKPT_VMA_FILE_PRIVATE;
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

struct chunk {
	const struct ckpt_vma *v;
	uint64_t start, end;
};

struct dumper {
	struct ckpt_source *src;
	int fd, mem_fd;
	struct ckpt_mm *mm;
	size_t pm_cap;
	struct chunk *chunks;
	size_t n_chunks;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t next;  /* next chunk to take */
	size_t turn;  /* chunk whose offset is assigned next */
	uint64_t off; /* next free offset in the pages file */
	int err;      /* first error; logged once */
};

struct run {
	uint64_t vaddr;
	struct iovec iov;
};

/* Record the runs of chunk c at offset off in the page map (in chunk order). */
static int add_runs(struct dumper *d, const struct chunk *c, const struct run *runs, int n,
		    uint64_t off)
{
	struct ckpt_mm *mm = d->mm;
	int i, err;

	for (i = 0; i < n; i++) {
		struct ckpt_pagemap_entry *e = mm->n_pagemap ? &mm->pagemap[mm->n_pagemap - 1] : NULL;
		uint64_t len = runs[i].iov.iov_len;

		if (e && e->vaddr >= c->v->start && e->vaddr + e->nr_pages * PAGE_SIZE == runs[i].vaddr &&
		    e->offset + e->nr_pages * PAGE_SIZE == off) {
			e->nr_pages += len / PAGE_SIZE;
		} else {
			err = ckpt_grow((void **)&mm->pagemap, &d->pm_cap, mm->n_pagemap + 1, sizeof(*e));
			if (err)
				return err;
			e = &mm->pagemap[mm->n_pagemap++];
			e->vaddr = runs[i].vaddr;
			e->nr_pages = len / PAGE_SIZE;
			e->offset = off;
		}
		mm->nr_pages += len / PAGE_SIZE;
		off += len;
	}
	return 0;
}

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

/* Split buf into runs of pages worth saving; returns their number. */
static int split_runs(const struct chunk *c, uint8_t *buf, struct run *runs, uint64_t *ret_bytes)
{
	bool skip_zero = c->v->kind != CKPT_VMA_FILE_PRIVATE;
	size_t len = c->end - c->start, off, run = 0;
	uint64_t bytes = 0;
	int n = 0;

	for (off = 0; off <= len; off += PAGE_SIZE) {
		if (off < len && (!skip_zero || !page_is_zero(buf + off))) {
			run += PAGE_SIZE;
			continue;
		}
		if (run) {
			runs[n].vaddr = c->start + off - run;
			runs[n].iov.iov_base = buf + off - run;
			runs[n].iov.iov_len = run;
			bytes += run;
			n++;
			run = 0;
		}
	}
	*ret_bytes = bytes;
	return n;
}

static int write_runs(int fd, struct run *runs, int n, uint64_t off)
{
	struct iovec iov[IOV_MAX];
	int i, first = 0;

	for (i = 0; i < n; i++)
		iov[i] = runs[i].iov;
	while (first < n) {
		ssize_t w = pwritev(fd, iov + first, n - first, off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -ENOSPC;
		off += w;
		while (first < n && (size_t)w >= iov[first].iov_len)
			w -= iov[first++].iov_len;
		if (first < n) {
			iov[first].iov_base = (char *)iov[first].iov_base + w;
			iov[first].iov_len -= w;
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
	struct run *runs = calloc(CHUNK / PAGE_SIZE / 2 + 1, sizeof(*runs));
	struct dumper *d = arg;
	uint8_t *buf = NULL;
	size_t k;

	if (!runs || posix_memalign((void **)&buf, PAGE_SIZE, CHUNK)) {
		set_err(d, -ENOMEM, "allocate a buffer", 0);
		buf = NULL;
	}
	for (;;) {
		uint64_t bytes = 0, off = 0;
		int n = 0, err = 0;

		pthread_mutex_lock(&d->lock);
		k = d->next++;
		pthread_mutex_unlock(&d->lock);
		if (k >= d->n_chunks)
			break;
		if (buf && runs && !d->err) {
			err = read_chunk(d, &d->chunks[k], buf);
			if (err)
				set_err(d, err, "read memory", d->chunks[k].start);
			else
				n = split_runs(&d->chunks[k], buf, runs, &bytes);
		}
		/* Offsets are handed out in chunk order, even after an error. */
		pthread_mutex_lock(&d->lock);
		while (d->turn != k)
			pthread_cond_wait(&d->cond, &d->lock);
		off = d->off;
		d->off += bytes;
		if (!d->err && n) {
			err = add_runs(d, &d->chunks[k], runs, n, off);
			if (err && !d->err)
				d->err = err;
		}
		d->turn++;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(&d->lock);
		if (n && !d->err) {
			err = write_runs(d->fd, runs, n, off);
			if (err)
				set_err(d, err, "write pages", d->chunks[k].start);
		}
	}
	free(buf);
	free(runs);
	return NULL;
}

static int add_chunks(struct dumper *d, size_t *cap, const struct ckpt_vma *v, uint64_t s,
		      uint64_t e)
{
	int err;

	for (; s < e; s += CHUNK) {
		err = ckpt_grow((void **)&d->chunks, cap, d->n_chunks + 1, sizeof(*d->chunks));
		if (err)
			return err;
		d->chunks[d->n_chunks].v = v;
		d->chunks[d->n_chunks].start = s;
		d->chunks[d->n_chunks].end = MIN(s + CHUNK, e);
		d->n_chunks++;
	}
	return 0;
}

int ckpt_mem_dump(struct ckpt_source *src, struct ckpt_mm *mm, int pages_fd)
{
	struct dumper d = {
		.src = src, .fd = pages_fd, .mem_fd = -1, .mm = mm, .off = CKPT_PAGES_HDR_SIZE,
		.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
	};
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
			err = add_chunks(&d, &cap, v, ranges[j].start, ranges[j].end);
	}
	free(ranges);
	if (err)
		goto out;
	for (nth = 0; nth < NR_WORKERS && (size_t)nth < MAX(d.n_chunks, 1); nth++)
		if (pthread_create(&th[nth], NULL, worker, &d))
			break;
	if (!nth)
		worker(&d);
	for (i = 0; i < (size_t)nth; i++)
		pthread_join(th[i], NULL);
	err = d.err;
out:
	if (d.mem_fd >= 0)
		close(d.mem_fd);
	free(d.chunks);
	return err;
}
