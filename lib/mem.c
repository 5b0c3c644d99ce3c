// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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

static bool page_is_zero(const void *p)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < PAGE_SIZE / sizeof(*w); i += 8)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7])
			return false;
	return true;
}

struct page_writer {
	int fd;
	uint64_t off; /* next offset in the pages file */
	struct ckpt_mm *mm;
	size_t cap;
	uint64_t vma_start; /* entries never span two VMAs */
	struct iovec iov[IOV_MAX];
	int n_iov;
};

static int pw_add(struct page_writer *pw, uint64_t vaddr, void *data, uint64_t len)
{
	struct ckpt_mm *mm = pw->mm;
	struct ckpt_pagemap_entry *e = mm->n_pagemap ? &mm->pagemap[mm->n_pagemap - 1] : NULL;
	int err;

	if (e && e->vaddr >= pw->vma_start && e->vaddr + e->nr_pages * PAGE_SIZE == vaddr &&
	    e->offset + e->nr_pages * PAGE_SIZE == pw->off) {
		e->nr_pages += len / PAGE_SIZE;
	} else {
		err = ckpt_grow((void **)&mm->pagemap, &pw->cap, mm->n_pagemap + 1, sizeof(*e));
		if (err)
			return err;
		e = &mm->pagemap[mm->n_pagemap++];
		e->vaddr = vaddr;
		e->nr_pages = len / PAGE_SIZE;
		e->offset = pw->off;
	}
	mm->nr_pages += len / PAGE_SIZE;
	pw->off += len;
	pw->iov[pw->n_iov].iov_base = data;
	pw->iov[pw->n_iov].iov_len = len;
	pw->n_iov++;
	return 0;
}

static int pw_flush(struct page_writer *pw)
{
	struct iovec *iov = pw->iov;
	int n = pw->n_iov;

	while (n > 0) {
		ssize_t w = writev(pw->fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -ENOSPC;
		while (n && (size_t)w >= iov->iov_len) {
			w -= iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= w;
		}
	}
	pw->n_iov = 0;
	return 0;
}

static int read_chunk(pid_t pid, int *mem_fd, int procfd, const struct ckpt_vma *v,
		      uint64_t addr, void *buf, size_t len)
{
	ssize_t n;

	if (v->prot & PROT_READ)
		return ckpt_vm_read(pid, addr, buf, len);
	/* Not readable by the task itself: /proc/PID/mem reads it anyway. */
	if (*mem_fd < 0) {
		*mem_fd = openat(procfd, "mem", O_RDONLY | O_CLOEXEC);
		if (*mem_fd < 0)
			return -errno;
	}
	n = ckpt_pread_all(*mem_fd, buf, len, addr);
	if (n < 0)
		return n;
	return (size_t)n == len ? 0 : -EFAULT;
}

/* Copy one range through buf, dropping zero pages of anonymous memory. */
static int dump_range(struct ckpt_source *src, struct page_writer *pw, int *mem_fd,
		      const struct ckpt_vma *v, uint64_t start, uint64_t end, uint8_t *buf)
{
	bool skip_zero = v->kind != CKPT_VMA_FILE_PRIVATE;
	uint64_t addr;
	int err;

	for (addr = start; addr < end; addr += CHUNK) {
		size_t len = MIN(CHUNK, end - addr), off, run = 0;

		err = read_chunk(src->pid, mem_fd, src->procfd, v, addr, buf, len);
		if (err) {
			pr_err("pid %d: cannot read memory at %" PRIx64 ": %s", src->pid, addr,
			       strerror(-err));
			return err;
		}
		for (off = 0; off < len; off += PAGE_SIZE) {
			if (!skip_zero || !page_is_zero(buf + off)) {
				run += PAGE_SIZE;
				continue;
			}
			if (run) {
				err = pw_add(pw, addr + off - run, buf + off - run, run);
				if (err)
					return err;
				run = 0;
			}
		}
		if (run) {
			err = pw_add(pw, addr + len - run, buf + len - run, run);
			if (err)
				return err;
		}
		err = pw_flush(pw);
		if (err) {
			pr_err("pid %d: cannot write pages: %s", src->pid, strerror(-err));
			return err;
		}
	}
	return 0;
}

int ckpt_mem_dump(struct ckpt_source *src, struct ckpt_mm *mm, int pages_fd)
{
	struct page_writer *pw;
	struct ckpt_range *ranges = NULL;
	int mem_fd = -1, err = 0;
	uint8_t *buf = NULL;
	size_t i, j;

	pw = calloc(1, sizeof(*pw));
	if (!pw || posix_memalign((void **)&buf, PAGE_SIZE, CHUNK)) {
		err = -ENOMEM;
		goto out;
	}
	pw->fd = pages_fd;
	pw->off = CKPT_PAGES_HDR_SIZE;
	pw->mm = mm;
	for (i = 0; i < mm->n_vmas && !err; i++) {
		const struct ckpt_vma *v = &mm->vmas[i];
		size_t n = 0;

		if (!ckpt_vma_has_pages(v))
			continue;
		pw->vma_start = v->start;
		err = src->ops->scan_pages(src, v, &ranges, &n);
		for (j = 0; j < n && !err; j++)
			err = dump_range(src, pw, &mem_fd, v, ranges[j].start, ranges[j].end, buf);
	}
out:
	if (mem_fd >= 0)
		close(mem_fd);
	free(ranges);
	free(buf);
	free(pw);
	return err;
}
