// SPDX-License-Identifier: GPL-2.0
/*
 * Lazy restore (restore --lazy-pages): the tree runs before its private
 * anonymous memory is in place.  Each task's anonymous VMAs stay
 * registered with a userfaultfd (missing mode); a server process
 * ("ckpt-lazy", forked before the tree is let go) answers each fault with
 * UFFDIO_COPY of the pages around it from the image, or UFFDIO_ZEROPAGE
 * for a page the image does not have, and copies everything else in the
 * background in address order.  Once a task's pages are all in, its
 * userfaultfd is closed (which unregisters it) and the server exits when
 * no task is left.  Until the tree is let go, the same loop runs in a
 * thread of ckpt: the kernel itself may touch lazy pages while the tasks
 * are still being rebuilt (the rseq area on the way back to user mode).
 *
 * What the task does meanwhile is followed through userfaultfd's events:
 * a fork gives the child a userfaultfd of its own and a copy of what is
 * still missing; madvise(MADV_DONTNEED/REMOVE) and munmap drop the range
 * (the image's bytes must not come back there); mremap moves it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lazy.h"
#include "log.h"
#include "util.h"

#define FAULT_SPAN (16 * PAGE_SIZE)  /* copied around a faulting address */
#define BG_SPAN (1UL << 20)          /* copied per background step */

struct lz_range {
	uint64_t start, end; /* still missing, in the image at off of part */
	uint64_t off;
	unsigned int part;
};

struct lz_mm {
	int uffd;
	pid_t pid;           /* for messages: the task (a forked child says its parent's) */
	int pages[CKPT_MAX_PAGE_PARTS];
	struct lz_range *r;  /* sorted, disjoint */
	size_t n, cap;
};

struct ckpt_lazy {
	struct lz_mm *m;
	size_t n, cap;
	uint8_t *buf;
	pthread_mutex_t lock;  /* the thread against ckpt_lazy_add() */
	pthread_t thread;
	bool running, stop;
};

static void *serve_thread(void *arg);

static int add_range(struct lz_mm *mm, uint64_t start, uint64_t end, uint64_t off,
		     unsigned int part)
{
	int err = ckpt_grow((void **)&mm->r, &mm->cap, mm->n + 1, sizeof(*mm->r));

	if (err)
		return err;
	mm->r[mm->n++] = (struct lz_range){ start, end, off, part };
	return 0;
}

static void drop_mm(struct lz_mm *mm)
{
	unsigned int p;

	if (mm->uffd >= 0)
		close(mm->uffd);
	mm->uffd = -1;
	for (p = 0; p < CKPT_MAX_PAGE_PARTS; p++) {
		if (mm->pages[p] >= 0)
			close(mm->pages[p]);
		mm->pages[p] = -1;
	}
	free(mm->r);
	mm->r = NULL;
	mm->n = mm->cap = 0;
}

static struct lz_mm *new_mm(struct ckpt_lazy *l)
{
	struct lz_mm *mm;
	unsigned int p;

	if (ckpt_grow((void **)&l->m, &l->cap, l->n + 1, sizeof(*l->m)))
		return NULL;
	mm = &l->m[l->n++];
	memset(mm, 0, sizeof(*mm));
	mm->uffd = -1;
	for (p = 0; p < CKPT_MAX_PAGE_PARTS; p++)
		mm->pages[p] = -1;
	return mm;
}

int ckpt_lazy_add(struct ckpt_lazy **lp, int uffd, const struct ckpt_mm *mm_img,
		  const int *pages_fds, unsigned int n_pages, pid_t pid)
{
	struct ckpt_lazy *l = *lp;
	struct lz_mm *mm;
	unsigned int p;
	size_t i;
	int err = -ENOMEM;

	if (!l) {
		l = *lp = calloc(1, sizeof(*l));
		if (l)
			l->buf = malloc(BG_SPAN);
		if (!l || !l->buf) {
			close(uffd);
			return -ENOMEM;
		}
		pthread_mutex_init(&l->lock, NULL);
	}
	fcntl(uffd, F_SETFL, O_NONBLOCK);
	pthread_mutex_lock(&l->lock);
	mm = new_mm(l);
	if (!mm) {
		pthread_mutex_unlock(&l->lock);
		close(uffd);
		return -ENOMEM;
	}
	mm->uffd = uffd;
	mm->pid = pid;
	for (p = 0; p < n_pages; p++) {
		mm->pages[p] = fcntl(pages_fds[p], F_DUPFD_CLOEXEC, 0);
		if (mm->pages[p] < 0)
			goto fail;
	}
	for (i = 0; i < mm_img->n_pagemap; i++) {
		const struct ckpt_pagemap_entry *e = &mm_img->pagemap[i];
		const struct ckpt_vma *v = ckpt_mm_find_vma(mm_img, e->vaddr, e->vaddr + PAGE_SIZE);

		if (!v || !ckpt_lazy_vma(v))
			continue;
		err = add_range(mm, e->vaddr, e->vaddr + e->nr_pages * PAGE_SIZE, e->offset, e->part);
		if (err)
			goto fail;
	}
	pthread_mutex_unlock(&l->lock);
	if (!l->running) {
		err = -pthread_create(&l->thread, NULL, serve_thread, l);
		if (err) {
			pr_err("cannot start the lazy pages thread: %s", strerror(-err));
			return err;
		}
		l->running = true;
	}
	return 0;
fail:
	pr_err("pid %d: cannot set up lazy pages: %s", pid, strerror(-err ?: ENOMEM));
	drop_mm(mm);
	pthread_mutex_unlock(&l->lock);
	return err ?: -ENOMEM;
}

bool ckpt_lazy_vma(const struct ckpt_vma *v)
{
	/* Private anonymous memory only; shared memory is filled before the tree runs. */
	return v->kind == CKPT_VMA_ANON;
}

/* Forget [start, end) (removed or unmapped: the image's bytes must not come back). */
static int cut(struct lz_mm *mm, uint64_t start, uint64_t end)
{
	size_t i;

	for (i = 0; i < mm->n; i++) {
		struct lz_range *r = &mm->r[i];

		if (r->end <= start || r->start >= end)
			continue;
		if (r->start < start && r->end > end) { /* split in two */
			struct lz_range tail = { end, r->end, r->off + (end - r->start), r->part };
			int err = ckpt_grow((void **)&mm->r, &mm->cap, mm->n + 1, sizeof(*mm->r));

			if (err)
				return err;
			r = &mm->r[i];
			r->end = start;
			memmove(&mm->r[i + 2], &mm->r[i + 1], (mm->n - i - 1) * sizeof(*r));
			mm->r[i + 1] = tail;
			mm->n++;
			return 0;
		}
		if (r->start >= start && r->end <= end) { /* all of it */
			memmove(r, r + 1, (mm->n - i - 1) * sizeof(*r));
			mm->n--;
			i--;
			continue;
		}
		if (r->start < start) {
			r->end = start;
		} else {
			r->off += end - r->start;
			r->start = end;
		}
	}
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct lz_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* mremap moved [from, from + len) to `to`: what is missing there moved with it. */
static int moved(struct lz_mm *mm, uint64_t from, uint64_t to, uint64_t len)
{
	size_t i, n0 = mm->n;
	int err;

	/* Split at the borders, then shift the ranges inside. */
	for (i = 0; i < n0; i++) {
		struct lz_range r = mm->r[i];
		uint64_t s = MAX(r.start, from), e = MIN(r.end, from + len);

		if (s >= e)
			continue;
		err = add_range(mm, s - from + to, e - from + to, r.off + (s - r.start), r.part);
		if (err)
			return err;
	}
	for (i = n0; i < mm->n; i++)
		mm->r[i].start |= 1ULL << 63; /* keep the new ones out of the cut */
	err = cut(mm, from, from + len);
	if (err)
		return err;
	for (i = 0; i < mm->n; i++)
		mm->r[i].start &= ~(1ULL << 63);
	qsort(mm->r, mm->n, sizeof(*mm->r), cmp_range);
	return 0;
}

/* The range holding addr, or NULL. */
static struct lz_range *find(struct lz_mm *mm, uint64_t addr)
{
	size_t lo = 0, hi = mm->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mm->r[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < mm->n && mm->r[lo].start <= addr ? &mm->r[lo] : NULL;
}

/*
 * Copy [start, end) of range r into the task.  -ESRCH: the task is gone;
 * -EAGAIN: its layout is changing (an event to read first).
 */
static int copy_in(struct ckpt_lazy *l, struct lz_mm *mm, struct lz_range *r, uint64_t start,
		   uint64_t end)
{
	uint64_t len = end - start, done = 0, s = start;
	bool one = false; /* page by page, once a piece was partly unmapped */
	unsigned int part = r->part;
	uint64_t off = r->off + (start - r->start);
	ssize_t n = ckpt_pread_all(mm->pages[part], l->buf, len, off);

	if (n < 0 || (uint64_t)n != len) {
		pr_err("pid %d: lazy pages: cannot read the image at %" PRIu64, mm->pid, off);
		return -EIO;
	}
	while (done < len) {
		struct uffdio_copy c = { .dst = s + done, .src = (uintptr_t)l->buf + done,
					 .len = one ? PAGE_SIZE : len - done };

		if (!ioctl(mm->uffd, UFFDIO_COPY, &c)) {
			done += c.len;
			continue;
		}
		if (c.copy > 0) {
			done += c.copy;
		} else if (errno == EEXIST || c.copy == -EEXIST) {
			done += PAGE_SIZE; /* already there */
		} else if (errno == ENOENT && !one) {
			one = true; /* not all of it is mapped (and registered) any more */
		} else if (errno == ENOENT) {
			done += PAGE_SIZE; /* unmapped, with no event pending: nothing to fill */
		} else {
			return errno == EAGAIN ? -EAGAIN : -ESRCH;
		}
	}
	return cut(mm, start, end);
}

static int on_fault(struct ckpt_lazy *l, struct lz_mm *mm, uint64_t addr)
{
	struct lz_range *r;
	uint64_t s, e;

	addr &= ~(PAGE_SIZE - 1);
	r = find(mm, addr);
	if (!r) {
		/* Not in the image: a zero page. */
		struct uffdio_zeropage z = { .range = { addr, PAGE_SIZE } };

		if (ioctl(mm->uffd, UFFDIO_ZEROPAGE, &z) && errno != EEXIST && errno != ENOENT)
			return errno == EAGAIN ? -EAGAIN : -ESRCH;
		return 0;
	}
	s = MAX(r->start, addr & ~(FAULT_SPAN - 1));
	e = MIN(r->end, s + FAULT_SPAN);
	return copy_in(l, mm, r, s, e);
}

/* Read and handle every message waiting on mm's userfaultfd. */
static int on_messages(struct ckpt_lazy *l, size_t k)
{
	struct uffd_msg msg;
	int err = 0;

	for (;;) {
		struct lz_mm *mm = &l->m[k];
		ssize_t n = read(mm->uffd, &msg, sizeof(msg));

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n != sizeof(msg))
			return -ESRCH;
		switch (msg.event) {
		case UFFD_EVENT_PAGEFAULT:
			err = on_fault(l, mm, msg.arg.pagefault.address);
			if (err == -EAGAIN)
				err = 0; /* the fault comes again */
			break;
		case UFFD_EVENT_FORK: {
			struct lz_mm *child = new_mm(l);
			unsigned int p;

			mm = &l->m[k]; /* l->m may have moved */
			if (!child) {
				close((int)msg.arg.fork.ufd);
				return -ENOMEM;
			}
			child->uffd = (int)msg.arg.fork.ufd;
			child->pid = mm->pid;
			for (p = 0; p < CKPT_MAX_PAGE_PARTS; p++)
				child->pages[p] = mm->pages[p] < 0 ? -1 :
						  fcntl(mm->pages[p], F_DUPFD_CLOEXEC, 0);
			for (size_t i = 0; i < mm->n && !err; i++)
				err = add_range(child, mm->r[i].start, mm->r[i].end, mm->r[i].off,
						mm->r[i].part);
			fcntl(child->uffd, F_SETFL, O_NONBLOCK);
			break;
		}
		case UFFD_EVENT_REMAP:
			err = moved(mm, msg.arg.remap.from, msg.arg.remap.to, msg.arg.remap.len);
			break;
		case UFFD_EVENT_REMOVE:
		case UFFD_EVENT_UNMAP:
			err = cut(mm, msg.arg.remove.start, msg.arg.remove.end);
			break;
		}
		if (err)
			return err;
	}
}

/*
 * One background step: the next missing piece of the first task that has
 * one (tasks with nothing missing were dropped by serve()).
 */
static void background(struct ckpt_lazy *l)
{
	size_t k;

	for (k = 0; k < l->n; k++) {
		struct lz_mm *mm = &l->m[k];
		int err;

		if (mm->uffd < 0 || !mm->n)
			continue;
		err = copy_in(l, mm, &mm->r[0], mm->r[0].start,
			      MIN(mm->r[0].end, mm->r[0].start + BG_SPAN));
		if (err && err != -EAGAIN) { /* -EAGAIN: an event to read first */
			if (err != -ESRCH)
				pr_warn("pid %d: lazy pages stopped: %s", mm->pid, strerror(-err));
			drop_mm(mm);
		}
		return;
	}
}

/* Serve until every task is done (returns 0) or, in the thread, until told to stop (1). */
static int serve(struct ckpt_lazy *l)
{
	struct pollfd *pfd = NULL;
	size_t k, cap = 0, n;
	bool busy;
	int ret = 0;

	for (;;) {
		pthread_mutex_lock(&l->lock);
		if (l->stop) {
			ret = 1;
			break;
		}
		for (k = 0, n = 0, busy = false; k < l->n; k++) {
			if (l->m[k].uffd >= 0 && !l->m[k].n)
				drop_mm(&l->m[k]); /* all in: closing it unregisters the task */
			n += l->m[k].uffd >= 0;
			busy |= l->m[k].uffd >= 0 && l->m[k].n;
		}
		if ((!n && !l->running) || ckpt_grow((void **)&pfd, &cap, l->n + 1, sizeof(*pfd))) {
			ret = n ? -ENOMEM : 0;
			break;
		}
		for (k = 0; k < l->n; k++)
			pfd[k] = (struct pollfd){ .fd = l->m[k].uffd, .events = POLLIN };
		n = l->n;
		pthread_mutex_unlock(&l->lock);
		/* The thread looks at l->stop and new tasks every 10 ms. */
		if (poll(pfd, n, busy ? 0 : l->running ? 10 : -1) < 0 && errno != EINTR) {
			pthread_mutex_lock(&l->lock);
			ret = -errno;
			break;
		}
		pthread_mutex_lock(&l->lock);
		for (k = 0; k < n; k++) {
			if (pfd[k].fd < 0 || !pfd[k].revents || l->m[k].uffd != pfd[k].fd)
				continue;
			if ((pfd[k].revents & (POLLERR | POLLHUP)) || on_messages(l, k))
				drop_mm(&l->m[k]);
		}
		background(l);
		pthread_mutex_unlock(&l->lock);
	}
	pthread_mutex_unlock(&l->lock);
	free(pfd);
	return ret;
}

static void *serve_thread(void *arg)
{
	serve(arg);
	return NULL;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/*
 * The server holds nothing of ckpt's (pipe ends, sockets, its output: a
 * caller reading ckpt's output must see EOF when ckpt exits), only the
 * userfaultfds and pages files; 0, 1, 2 are /dev/null.
 */
static void keep_only_ours(struct ckpt_lazy *l)
{
	int *fds = malloc((l->n * (CKPT_MAX_PAGE_PARTS + 1) + 1) * sizeof(int)), n = 0, i, nul;
	size_t k;
	unsigned int p;

	if (!fds)
		_exit(1);
	for (k = 0; k < l->n; k++) {
		if (l->m[k].uffd >= 0)
			fds[n++] = l->m[k].uffd;
		for (p = 0; p < CKPT_MAX_PAGE_PARTS; p++)
			if (l->m[k].pages[p] >= 0)
				fds[n++] = l->m[k].pages[p];
	}
	qsort(fds, n, sizeof(*fds), cmp_int);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (i = 0; i < 3; i++)
		if (nul >= 0 && (!n || fds[0] > 2))
			dup2(nul, i);
	for (i = 0; i <= n; i++) {
		int lo = i ? fds[i - 1] + 1 : 3, hi = i < n ? fds[i] - 1 : INT_MAX;

		if (lo <= hi)
			syscall(SYS_close_range, lo, hi, 0);
	}
	free(fds);
}

int ckpt_lazy_start(struct ckpt_lazy *l)
{
	pid_t pid;

	if (!l)
		return 0;
	/* The thread hands over to a process that outlives ckpt. */
	pthread_mutex_lock(&l->lock);
	l->stop = true;
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->thread, NULL);
	l->running = l->stop = false;
	pid = fork();
	if (pid < 0) {
		pr_err("cannot start the lazy pages server: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		/* Out of ckpt's session and signals; it ends once every page is in. */
		keep_only_ours(l);
		setsid();
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		prctl(PR_SET_NAME, "ckpt-lazy", 0, 0, 0);
		_exit(serve(l) ? 1 : 0);
	}
	return 0;
}

void ckpt_lazy_free(struct ckpt_lazy *l)
{
	size_t k;

	if (!l)
		return;
	if (l->running) {
		pthread_mutex_lock(&l->lock);
		l->stop = true;
		pthread_mutex_unlock(&l->lock);
		pthread_join(l->thread, NULL);
	}
	for (k = 0; k < l->n; k++)
		drop_mm(&l->m[k]);
	free(l->m);
	free(l->buf);
	free(l);
}
