// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "img.h"
#include "lazy.h"
#include "log.h"
#include "mem.h"
#include "pagefill.h"
#include "util.h"

#define CHUNK (4UL << 20)
#define NR_WORKERS 2

struct piece {
	uint64_t vaddr, len, off;
	unsigned int part;
};

struct filler {
	int uffd;
	const int *pages_fds; /* by part */
	pid_t pid;
	struct piece *pieces;
	size_t n, next;
	pthread_mutex_t lock;
	int err;
};

bool ckpt_pagefill_uffd_ok(const struct ckpt_vma *v)
{
	return v->kind == CKPT_VMA_ANON || v->kind == CKPT_VMA_SHANON ||
	       (v->kind == CKPT_VMA_MEMFD && v->memfd_fd < 0);
}

static int copy_piece(struct filler *f, const struct piece *p, uint8_t *buf)
{
	uint64_t done = 0;
	ssize_t n;

	n = ckpt_pread_all(f->pages_fds[p->part], buf, p->len, p->off);
	if (n < 0)
		return n;
	if ((uint64_t)n != p->len)
		return -ENODATA;
	while (done < p->len) {
		struct uffdio_copy c = {
			.dst = p->vaddr + done, .src = (uintptr_t)buf + done, .len = p->len - done,
		};

		if (ioctl(f->uffd, UFFDIO_COPY, &c) == 0) {
			done += c.len;
			continue;
		}
		if (errno != EAGAIN || c.copy <= 0)
			return errno == EAGAIN ? -EIO : -errno;
		done += c.copy;
	}
	return 0;
}

static void *worker(void *arg)
{
	struct filler *f = arg;
	uint8_t *buf = NULL;

	if (posix_memalign((void **)&buf, PAGE_SIZE, CHUNK)) {
		pthread_mutex_lock(&f->lock);
		f->err = f->err ?: -ENOMEM;
		pthread_mutex_unlock(&f->lock);
		return NULL;
	}
	for (;;) {
		size_t k;
		int err;

		pthread_mutex_lock(&f->lock);
		k = f->err ? f->n : f->next++;
		pthread_mutex_unlock(&f->lock);
		if (k >= f->n)
			break;
		err = copy_piece(f, &f->pieces[k], buf);
		if (err) {
			pthread_mutex_lock(&f->lock);
			if (!f->err) {
				f->err = err;
				if (err == -ENODATA) {
					char name[64];

					ckpt_img_pages_name(name, sizeof(name), f->pid,
							    f->pieces[k].part);
					pr_err("%s: truncated at offset %" PRIu64, name,
					       f->pieces[k].off);
				} else
					pr_err("pid %d: cannot fill memory at %" PRIx64 ": %s", f->pid,
					       f->pieces[k].vaddr, strerror(-err));
			}
			pthread_mutex_unlock(&f->lock);
		}
	}
	free(buf);
	return NULL;
}

int ckpt_pagefill_uffd(int uffd, const struct ckpt_mm *mm, const int *pages_fds, pid_t pid,
		       bool skip_lazy)
{
	struct filler f = { .uffd = uffd, .pages_fds = pages_fds, .pid = pid,
			    .lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_t th[NR_WORKERS];
	size_t i, cap = 0;
	int nth, err = 0;

	for (i = 0; i < mm->n_pagemap && !err; i++) {
		const struct ckpt_pagemap_entry *e = &mm->pagemap[i];
		uint64_t len = e->nr_pages * PAGE_SIZE, done;
		const struct ckpt_vma *v = ckpt_mm_find_vma(mm, e->vaddr, e->vaddr + len);

		if (!v || !ckpt_pagefill_uffd_ok(v) || (skip_lazy && ckpt_lazy_vma(v)))
			continue;
		for (done = 0; done < len && !err; done += CHUNK) {
			err = ckpt_grow((void **)&f.pieces, &cap, f.n + 1, sizeof(*f.pieces));
			if (err)
				break;
			f.pieces[f.n].vaddr = e->vaddr + done;
			f.pieces[f.n].len = MIN(CHUNK, len - done);
			f.pieces[f.n].off = e->offset + done;
			f.pieces[f.n].part = e->part;
			f.n++;
		}
	}
	if (err)
		goto out;
	for (nth = 0; nth < NR_WORKERS && (size_t)nth < f.n; nth++)
		if (pthread_create(&th[nth], NULL, worker, &f))
			break;
	if (!nth && f.n)
		worker(&f);
	for (i = 0; i < (size_t)nth; i++)
		pthread_join(th[i], NULL);
	err = f.err;
out:
	free(f.pieces);
	return err;
}
