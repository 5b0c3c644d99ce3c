// SPDX-License-Identifier: GPL-2.0
/*
 * Image layer: round trips of a fully populated task, inventory and pipes
 * (every field compared), and every kind of damaged or hostile image, each
 * of which must fail with the right -errno and exactly one error that names
 * the file.  Also ckpt show: its JSON must parse.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <endian.h>

#include "core.pb-c.h"
#include "files.pb-c.h"
#include "img-io.h"
#include "img-mm.h"
#include "img.h"
#include "inventory.pb-c.h"
#include "mm.pb-c.h"
#include "pagemap.pb-c.h"
#include "pipes.pb-c.h"
#include "state.h"
#include "unit.h"

#define PID 4242
#define TID2 4243
#define PG 4096ULL

static char *dir;
static int dfd = -1;

static int setup(void **state)
{
	(void)state;
	dir = unit_tmpdir();
	assert_non_null(dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	unit_log_reset();
	ckpt_log_set_level(CKPT_LOG_WARN);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(dfd);
	unit_rm_rf(dir);
	free(dir);
	dir = NULL;
	return 0;
}

/* A fresh, empty image directory (between the cases of one test). */
static void reset_dir(void)
{
	teardown(NULL);
	setup(NULL);
}

/* ---- a task with every field set ----------------------------------------- */

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	assert_non_null(p);
	return p;
}

static void fill_siginfo(struct ckpt_siginfo *si, int signo, int salt)
{
	size_t i;

	for (i = 0; i < sizeof(si->raw); i++)
		si->raw[i] = (uint8_t)(i * 7 + salt);
	memcpy(si->raw, &signo, sizeof(signo));
}

static void make_threads(struct ckpt_task *t)
{
	size_t i, k;

	t->n_threads = 2;
	t->threads = xcalloc(2, sizeof(*t->threads));
	for (i = 0; i < 2; i++) {
		struct ckpt_thread *th = &t->threads[i];
		unsigned long long *r = (unsigned long long *)&th->regs;

		th->tid = i ? TID2 : PID;
		snprintf(th->comm, sizeof(th->comm), "thread-%zu", i);
		/* every member of user_regs_struct distinct */
		for (k = 0; k < sizeof(th->regs) / sizeof(*r); k++)
			r[k] = 0x1000000000ULL * (i + 1) + k * 0x101;
		th->sigmask = 0x5a5a0000ULL + i;
		th->rseq_ptr = 0x7f0000002000ULL + i * 0x100;
		th->rseq_len = 32;
		th->rseq_sig = 0x53053053;
		th->altstack_sp = 0x7f0000100000ULL + i;
		th->altstack_size = 65536;
		th->altstack_flags = i ? 2 : 0;
		th->robust_list = 0x7f0000003000ULL + i;
		th->robust_len = 24;
		th->clear_child_tid = 0x7f0000004000ULL + i;
	}
	t->threads[0].xsave_size = 2440;
	t->threads[0].xsave = xcalloc(1, 2440);
	for (k = 0; k < 2440; k++)
		t->threads[0].xsave[k] = (uint8_t)(k * 3 + 1);
	t->threads[1].pending.n = 1;
	t->threads[1].pending.info = xcalloc(1, sizeof(struct ckpt_siginfo));
	fill_siginfo(&t->threads[1].pending.info[0], 12, 5);
}

static void make_signals(struct ckpt_task *t)
{
	size_t i;

	for (i = 0; i < CKPT_NRLIMITS; i++) {
		t->rlimits[i].cur = i * 10;
		t->rlimits[i].max = i == 7 ? ~0ULL : i * 10 + 5;
	}
	for (i = 0; i < CKPT_NSIG; i++) {
		if (i % 3 == 0)
			continue; /* default */
		t->sigactions[i].handler = i % 3 == 1 ? 1 : 0x401000 + i;
		t->sigactions[i].flags = 0x04000000 | i;
		t->sigactions[i].restorer = 0x7f0000005000ULL + i;
		t->sigactions[i].mask = 1ULL << i;
	}
	t->shared_pending.n = 2;
	t->shared_pending.info = xcalloc(2, sizeof(struct ckpt_siginfo));
	fill_siginfo(&t->shared_pending.info[0], 10, 1);
	fill_siginfo(&t->shared_pending.info[1], 64, 2);
	for (i = 0; i < 3; i++) {
		t->itimers[i].value_us = 1000 + i;
		t->itimers[i].interval_us = 2000 + i;
	}
	t->n_timers = 2;
	t->timers = xcalloc(2, sizeof(*t->timers));
	t->timers[0] = (struct ckpt_posix_timer){ .id = 0, .clock = 1, .notify = 0, .signo = 14,
						  .sival = 77, .value_ns = 5000, .interval_ns = 6000 };
	t->timers[1] = (struct ckpt_posix_timer){ .id = 3, .clock = 0, .notify = 4, .signo = 10,
						  .notify_tid = TID2, .sival = 0xdead,
						  .value_ns = 7000, .interval_ns = 0 };
}

static const struct {
	uint64_t start, end, pgoff;
	uint32_t kind, prot, attrs;
	const char *path, *name;
	int32_t shared_pid;
} vma_tab[] = {
	{ 0x400000, 0x402000, 0, CKPT_VMA_FILE_PRIVATE, PROT_READ | PROT_EXEC, 0, "/usr/bin/x", "/usr/bin/x", 0 },
	{ 0x402000, 0x404000, 0x2000, CKPT_VMA_FILE_PRIVATE, PROT_READ | PROT_WRITE, CKPT_VMA_ACCOUNT, "/usr/bin/x", NULL, 0 },
	{ 0x600000, 0x610000, 0, CKPT_VMA_ANON, PROT_READ | PROT_WRITE, CKPT_VMA_HEAP | CKPT_VMA_ACCOUNT, NULL, "[heap]", 0 },
	{ 0x7f0000000000, 0x7f0000010000, 0, CKPT_VMA_SHANON, PROT_READ | PROT_WRITE, CKPT_VMA_MAYWRITE, "/dev/zero (deleted)", NULL, 0 },
	{ 0x7f0000010000, 0x7f0000020000, 0, CKPT_VMA_SHANON, PROT_READ, 0, "/dev/zero (deleted)", NULL, 4000 },
	{ 0x7f0000020000, 0x7f0000021000, 0x3000, CKPT_VMA_FILE_SHARED, PROT_READ | PROT_WRITE, 0, "/tmp/shared file", NULL, 0 },
	{ 0x7f0000030000, 0x7f0000034000, 0, CKPT_VMA_VVAR, PROT_READ, 0, NULL, "[vvar]", 0 },
	{ 0x7f0000034000, 0x7f0000036000, 0, CKPT_VMA_VDSO, PROT_READ | PROT_EXEC, 0, NULL, "[vdso]", 0 },
	{ 0x7ffd00000000, 0x7ffd00021000, 0, CKPT_VMA_ANON, PROT_READ | PROT_WRITE, CKPT_VMA_STACK | CKPT_VMA_GROWSDOWN, NULL, "[stack]", 0 },
	{ 0xffffffffff600000, 0xffffffffff601000, 0, CKPT_VMA_VSYSCALL, PROT_EXEC, 0, NULL, "[vsyscall]", 0 },
};

static void make_mm(struct ckpt_mm *mm)
{
	static const uint64_t auxv[] = { 6, 4096, 25, 0x7ffd00020000, 0, 0 };
	size_t i;

	mm->start_code = 0x400000;
	mm->end_code = 0x401234;
	mm->start_data = 0x402000;
	mm->end_data = 0x402100;
	mm->start_brk = 0x600000;
	mm->brk = 0x608000;
	mm->start_stack = 0x7ffd00020000;
	mm->arg_start = 0x7ffd00020100;
	mm->arg_end = 0x7ffd00020200;
	mm->env_start = 0x7ffd00020200;
	mm->env_end = 0x7ffd00020300;
	mm->n_auxv = 6;
	mm->auxv = xcalloc(6, sizeof(uint64_t));
	memcpy(mm->auxv, auxv, sizeof(auxv));
	mm->exe_path = xstrdup("/usr/bin/x");
	mm->exe = (struct ckpt_file_id){ .dev = 0xfe00, .ino = 1234, .size = 99999, .mode = 0100755 };
	mm->n_vmas = sizeof(vma_tab) / sizeof(vma_tab[0]);
	mm->vmas = xcalloc(mm->n_vmas, sizeof(*mm->vmas));
	for (i = 0; i < mm->n_vmas; i++) {
		struct ckpt_vma *v = &mm->vmas[i];

		v->start = vma_tab[i].start;
		v->end = vma_tab[i].end;
		v->pgoff = vma_tab[i].pgoff;
		v->kind = vma_tab[i].kind;
		v->prot = vma_tab[i].prot;
		v->attrs = vma_tab[i].attrs;
		v->path = vma_tab[i].path ? xstrdup(vma_tab[i].path) : NULL;
		v->name = vma_tab[i].name ? xstrdup(vma_tab[i].name) : NULL;
		if (v->path || v->kind == CKPT_VMA_SHANON)
			v->file = (struct ckpt_file_id){ .dev = 0xfe00 + i, .ino = 100 + i,
							 .size = 1000 * i, .mode = 0100644 };
		if (vma_tab[i].shared_pid) {
			v->shared_pid = vma_tab[i].shared_pid;
			v->shared_start = 0x7f1000000000;
			v->shared_end = 0x7f1000010000;
		}
	}
	mm->n_pagemap = 4;
	mm->pagemap = xcalloc(4, sizeof(*mm->pagemap));
	/* two parts: entry 2 is in pages-4242.1.img */
	mm->pagemap[0] = (struct ckpt_pagemap_entry){ 0x402000, 1, PG, 0 };
	mm->pagemap[1] = (struct ckpt_pagemap_entry){ 0x600000, 3, 2 * PG, 0 };
	mm->pagemap[2] = (struct ckpt_pagemap_entry){ 0x7f0000000000, 16, PG, 1 };
	mm->pagemap[3] = (struct ckpt_pagemap_entry){ 0x7ffd00020000, 1, 6 * PG, 0 };
	mm->nr_pages = 21;
	mm->n_parts = 2;
}

static void make_fds(struct ckpt_task *t)
{
	struct ckpt_fd *f;
	size_t i;

	t->n_fds = 8;
	t->fds = f = xcalloc(8, sizeof(*f));
	for (i = 0; i < 8; i++) {
		f[i].fd = i < 7 ? (int)i : 1000;
		f[i].dup_of = f[i].parent_fd = -1;
		f[i].file = (struct ckpt_file_id){ .dev = 7 + i, .ino = 70 + i, .size = 700 + i,
						   .mode = 020666 };
	}
	f[0].kind = CKPT_FD_DEVNULL, f[0].path = xstrdup("/dev/null"), f[0].rdev = 0x103;
	f[1].kind = CKPT_FD_REG, f[1].path = xstrdup("/tmp/log \"quoted\"\tfile");
	f[1].flags = O_WRONLY | O_APPEND, f[1].pos = 77, f[1].parent_fd = 1, f[1].peer_pid = 4000;
	f[1].n_locks = 2;
	f[1].locks = xcalloc(2, sizeof(*f[1].locks));
	f[1].locks[0] = (struct ckpt_lock){ CKPT_LOCK_POSIX, true, 10, 29 };
	f[1].locks[1] = (struct ckpt_lock){ CKPT_LOCK_OFD, false, 100, UINT64_MAX };
	f[2].kind = CKPT_FD_REG, f[2].path = xstrdup("/tmp/log \"quoted\"\tfile"), f[2].dup_of = 1;
	f[2].fd_flags = FD_CLOEXEC;
	f[3].kind = CKPT_FD_TTY, f[3].path = xstrdup("/dev/pts/3"), f[3].rdev = 0x8803, f[3].flags = O_RDWR;
	f[4].kind = CKPT_FD_MEMDEV, f[4].path = xstrdup("/dev/urandom"), f[4].rdev = 0x109;
	f[5].kind = CKPT_FD_EVENTFD, f[5].eventfd_count = 42, f[5].eventfd_semaphore = true;
	f[5].flags = O_RDWR | O_NONBLOCK, f[5].fd_flags = FD_CLOEXEC;
	f[6].kind = CKPT_FD_PIPE, f[6].flags = O_RDONLY, f[6].file.ino = 555;
	f[7].kind = CKPT_FD_MEMFD, f[7].path = xstrdup("memfd:caf\xc3\xa9 \xff"), f[7].pos = 3;
	f[7].data_len = 5000, f[7].data = xcalloc(1, 5000), f[7].seals = 0xf;
	for (i = 0; i < 5000; i++)
		f[7].data[i] = (uint8_t)(i ^ 0x5a);
}

static void make_task(struct ckpt_task *t)
{
	memset(t, 0, sizeof(*t));
	t->pid = PID;
	t->ppid = 4000;
	t->pgid = 4100;
	t->sid = 4200;
	t->stopped = true;
	t->subreaper = true;
	strcpy(t->comm, "unit-test-comm1"); /* 15: the longest */
	t->umask = 027;
	t->personality = 0x0040000;
	t->cwd = xstrdup("/tmp/wd");
	t->root = xstrdup("/");
	t->creds = (struct ckpt_creds){ .uid = 1000, .euid = 1001, .suid = 1002, .fsuid = 1003,
					.gid = 100, .egid = 101, .sgid = 102, .fsgid = 103,
					.cap_inh = 1, .cap_prm = 0x3, .cap_eff = 0x7,
					.cap_bnd = 0x1ffffffffffULL, .cap_amb = 0x2,
					.securebits = 0x2f, .no_new_privs = true };
	t->creds.n_groups = 3;
	t->creds.groups = xcalloc(3, sizeof(uint32_t));
	t->creds.groups[0] = 10, t->creds.groups[1] = 20, t->creds.groups[2] = 65534;
	make_signals(t);
	make_threads(t);
	make_mm(&t->mm);
	make_fds(t);
}

/* ---- comparing every field -------------------------------------------------- */

#define EQ(a, b, f) assert_int_equal((a)->f, (b)->f)

static void assert_str_eq(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_file_id_eq(const struct ckpt_file_id *a, const struct ckpt_file_id *b)
{
	EQ(a, b, dev); EQ(a, b, ino); EQ(a, b, size); EQ(a, b, mode);
}

static void assert_sigq_eq(const struct ckpt_sigqueue *a, const struct ckpt_sigqueue *b)
{
	EQ(a, b, n);
	if (a->n)
		assert_memory_equal(a->info, b->info, a->n * sizeof(*a->info));
}

static void assert_thread_eq(const struct ckpt_thread *a, const struct ckpt_thread *b)
{
	EQ(a, b, tid);
	assert_string_equal(a->comm, b->comm);
	assert_memory_equal(&a->regs, &b->regs, sizeof(a->regs)); /* 27 u64, no padding */
	EQ(a, b, xsave_size);
	if (a->xsave_size)
		assert_memory_equal(a->xsave, b->xsave, a->xsave_size);
	EQ(a, b, sigmask);
	assert_sigq_eq(&a->pending, &b->pending);
	EQ(a, b, rseq_ptr); EQ(a, b, rseq_len); EQ(a, b, rseq_sig);
	EQ(a, b, altstack_sp); EQ(a, b, altstack_size); EQ(a, b, altstack_flags);
	EQ(a, b, robust_list); EQ(a, b, robust_len); EQ(a, b, clear_child_tid);
}

static void assert_mm_eq(const struct ckpt_mm *a, const struct ckpt_mm *b)
{
	size_t i;

	EQ(a, b, start_code); EQ(a, b, end_code); EQ(a, b, start_data); EQ(a, b, end_data);
	EQ(a, b, start_brk); EQ(a, b, brk); EQ(a, b, start_stack);
	EQ(a, b, arg_start); EQ(a, b, arg_end); EQ(a, b, env_start); EQ(a, b, env_end);
	EQ(a, b, n_auxv);
	assert_memory_equal(a->auxv, b->auxv, a->n_auxv * sizeof(uint64_t));
	assert_str_eq(a->exe_path, b->exe_path);
	assert_file_id_eq(&a->exe, &b->exe);
	EQ(a, b, n_vmas);
	for (i = 0; i < a->n_vmas; i++) {
		const struct ckpt_vma *x = &a->vmas[i], *y = &b->vmas[i];

		EQ(x, y, start); EQ(x, y, end); EQ(x, y, pgoff); EQ(x, y, kind); EQ(x, y, prot);
		EQ(x, y, attrs);
		assert_str_eq(x->path, y->path);
		assert_str_eq(x->name, y->name);
		assert_file_id_eq(&x->file, &y->file);
		EQ(x, y, shared_pid); EQ(x, y, shared_start); EQ(x, y, shared_end);
	}
	EQ(a, b, n_pagemap);
	for (i = 0; i < a->n_pagemap; i++) {
		EQ(&a->pagemap[i], &b->pagemap[i], vaddr);
		EQ(&a->pagemap[i], &b->pagemap[i], nr_pages);
		EQ(&a->pagemap[i], &b->pagemap[i], offset);
		EQ(&a->pagemap[i], &b->pagemap[i], part);
	}
	EQ(a, b, nr_pages);
	EQ(a, b, n_parts);
}

static void assert_fd_eq(const struct ckpt_fd *a, const struct ckpt_fd *b)
{
	EQ(a, b, fd); EQ(a, b, kind); EQ(a, b, fd_flags); EQ(a, b, flags); EQ(a, b, pos);
	assert_str_eq(a->path, b->path);
	assert_file_id_eq(&a->file, &b->file);
	EQ(a, b, rdev); EQ(a, b, dup_of); EQ(a, b, parent_fd); EQ(a, b, peer_pid);
	EQ(a, b, n_locks);
	for (size_t k = 0; k < a->n_locks; k++) {
		EQ(&a->locks[k], &b->locks[k], kind); EQ(&a->locks[k], &b->locks[k], write);
		EQ(&a->locks[k], &b->locks[k], start); EQ(&a->locks[k], &b->locks[k], end);
	}
	EQ(a, b, eventfd_count); EQ(a, b, eventfd_semaphore);
	EQ(a, b, data_len);
	if (a->data_len)
		assert_memory_equal(a->data, b->data, a->data_len);
	EQ(a, b, seals);
}

static void assert_task_eq(const struct ckpt_task *a, const struct ckpt_task *b)
{
	const struct ckpt_creds *x = &a->creds, *y = &b->creds;
	size_t i;

	EQ(a, b, pid); EQ(a, b, ppid); EQ(a, b, pgid); EQ(a, b, sid);
	EQ(a, b, stopped); EQ(a, b, zombie); EQ(a, b, exit_status); EQ(a, b, subreaper);
	assert_string_equal(a->comm, b->comm);
	EQ(a, b, umask); EQ(a, b, personality);
	assert_str_eq(a->cwd, b->cwd);
	assert_str_eq(a->root, b->root);
	EQ(x, y, uid); EQ(x, y, euid); EQ(x, y, suid); EQ(x, y, fsuid);
	EQ(x, y, gid); EQ(x, y, egid); EQ(x, y, sgid); EQ(x, y, fsgid);
	EQ(x, y, n_groups);
	if (x->n_groups)
		assert_memory_equal(x->groups, y->groups, x->n_groups * sizeof(uint32_t));
	EQ(x, y, cap_inh); EQ(x, y, cap_prm); EQ(x, y, cap_eff); EQ(x, y, cap_bnd);
	EQ(x, y, cap_amb); EQ(x, y, securebits); EQ(x, y, no_new_privs);
	for (i = 0; i < CKPT_NRLIMITS; i++) {
		EQ(&a->rlimits[i], &b->rlimits[i], cur);
		EQ(&a->rlimits[i], &b->rlimits[i], max);
	}
	for (i = 0; i < CKPT_NSIG; i++) {
		EQ(&a->sigactions[i], &b->sigactions[i], handler);
		EQ(&a->sigactions[i], &b->sigactions[i], flags);
		EQ(&a->sigactions[i], &b->sigactions[i], restorer);
		EQ(&a->sigactions[i], &b->sigactions[i], mask);
	}
	assert_sigq_eq(&a->shared_pending, &b->shared_pending);
	for (i = 0; i < 3; i++) {
		EQ(&a->itimers[i], &b->itimers[i], value_us);
		EQ(&a->itimers[i], &b->itimers[i], interval_us);
	}
	EQ(a, b, n_timers);
	for (i = 0; i < a->n_timers; i++) {
		const struct ckpt_posix_timer *p = &a->timers[i], *q = &b->timers[i];

		EQ(p, q, id); EQ(p, q, clock); EQ(p, q, notify); EQ(p, q, signo);
		EQ(p, q, notify_tid); EQ(p, q, sival); EQ(p, q, value_ns); EQ(p, q, interval_ns);
	}
	EQ(a, b, n_threads);
	for (i = 0; i < a->n_threads; i++)
		assert_thread_eq(&a->threads[i], &b->threads[i]);
	assert_mm_eq(&a->mm, &b->mm);
	EQ(a, b, n_fds);
	for (i = 0; i < a->n_fds; i++)
		assert_fd_eq(&a->fds[i], &b->fds[i]);
}

/* ---- images on disk ---------------------------------------------------------- */

static pid_t inv_pids[] = { PID };

static void write_image_with(void (*mutate)(struct ckpt_task *))
{
	struct ckpt_inventory inv = { .img_version = CKPT_IMG_VERSION, .tool_version = "0.1.0",
				      .kernel = "6.1.0-test", .arch = "x86_64", .root_pid = PID,
				      .n_tasks = 1, .pids = inv_pids, .n_pids = 1,
				      .dump_time_ns = 1700000000123456789ULL, .shell_job = true };
	struct ckpt_pipe pipe = { .ino = 555, .size = 65536, .data = (uint8_t *)"in flight",
				  .len = 9 };
	struct ckpt_task t;

	make_task(&t);
	if (mutate)
		mutate(&t);
	assert_int_equal(ckpt_img_write_task(dfd, &t), 0);
	assert_int_equal(ckpt_img_write_pipes(dfd, &pipe, 1), 0);
	assert_int_equal(ckpt_img_write_inventory(dfd, &inv), 0);
	ckpt_task_free(&t);
}

static void write_image(void)
{
	write_image_with(NULL);
}

/* Read everything ckpt restore reads; returns the first error. */
static int read_all(void)
{
	struct ckpt_inventory inv;
	struct ckpt_pipe *pipes;
	struct ckpt_task t;
	size_t n;
	int err;

	err = ckpt_img_read_inventory(dfd, &inv);
	if (err)
		return err;
	ckpt_inventory_free(&inv);
	err = ckpt_img_read_pipes(dfd, &pipes, &n);
	if (err)
		return err;
	ckpt_pipes_free(pipes, n);
	err = ckpt_img_read_task(dfd, PID, &t);
	if (!err)
		ckpt_task_free(&t);
	return err;
}

/* The read failed with want, logging exactly one error, which names the file. */
static void expect_failure(int want, const char *file)
{
	int err;

	unit_log_reset();
	ckpt_log_set_level(CKPT_LOG_WARN);
	err = read_all();
	if (err != want || unit_log_errors() != 1 || strncmp(unit_log.last_err, file, strlen(file)))
		fail_msg("%s: got %d (want %d), %d errors, last \"%s\"", file, err, want,
			 unit_log_errors(), unit_log.last_err);
}

static const struct {
	const char *name;
	uint32_t magic;
	bool single; /* exactly one record */
} files[] = {
	{ "inventory.img", CKPT_MAGIC_INVENTORY, true },
	{ "pipes.img", CKPT_MAGIC_PIPES, false },
	{ "core-4242.img", CKPT_MAGIC_CORE, true },
	{ "mm-4242.img", CKPT_MAGIC_MM, true },
	{ "files-4242.img", CKPT_MAGIC_FILES, false },
	{ "pagemap-4242.img", CKPT_MAGIC_PAGEMAP, false },
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static void file_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static off_t size_of(const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	file_path(p, sizeof(p), name);
	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

static void truncate_to(const char *name, off_t len)
{
	char p[PATH_MAX];

	file_path(p, sizeof(p), name);
	assert_int_equal(truncate(p, len), 0);
}

static void poke(const char *name, off_t off, const void *data, size_t len)
{
	char p[PATH_MAX];
	int fd;

	file_path(p, sizeof(p), name);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, off), (ssize_t)len);
	close(fd);
}

static void peek(const char *name, off_t off, void *data, size_t len)
{
	char p[PATH_MAX];
	int fd;

	file_path(p, sizeof(p), name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, data, len, off), (ssize_t)len);
	close(fd);
}

static void put_le32(const char *name, off_t off, uint32_t v)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };

	poke(name, off, b, 4);
}

/* ---- round trips -------------------------------------------------------------- */

static void test_roundtrip_task(void **state)
{
	struct ckpt_task a, b;

	(void)state;
	write_image();
	make_task(&a);
	memset(&b, 0, sizeof(b));
	assert_int_equal(ckpt_img_read_task(dfd, PID, &b), 0);
	assert_task_eq(&a, &b);
	ckpt_task_free(&a);
	ckpt_task_free(&b);
	assert_int_equal(unit_log_errors(), 0);
}

/* An inotify fd and a pty pair's two ends (appended to make_task's fds). */
static void add_fdext(struct ckpt_task *t)
{
	struct ckpt_fd *f;
	size_t n = t->n_fds;

	t->fds = realloc(t->fds, (n + 3) * sizeof(*t->fds));
	assert_non_null(t->fds);
	f = &t->fds[n];
	memset(f, 0, 3 * sizeof(*f));
	t->n_fds += 3;
	f[0] = (struct ckpt_fd){ .fd = 1001, .kind = CKPT_FD_INOTIFY, .dup_of = -1, .parent_fd = -1,
				 .path = xstrdup("anon_inode:inotify"), .flags = O_NONBLOCK };
	f[0].n_watches = 2;
	f[0].watches = xcalloc(2, sizeof(*f[0].watches));
	f[0].watches[0] = (struct ckpt_inotify_watch){ 1, 0x300, 0xfe00000, 77, xstrdup("/tmp") };
	f[0].watches[1] = (struct ckpt_inotify_watch){ 4, 0x80000100, 0xfe00000, 78, xstrdup("/tmp/a b") };
	f[1] = (struct ckpt_fd){ .fd = 1002, .kind = CKPT_FD_PTMX, .dup_of = -1, .parent_fd = -1,
				 .path = xstrdup("/dev/ptmx"), .rdev = 0x502, .flags = O_RDWR };
	f[1].pty = (struct ckpt_pty){ .index = 7, .iflag = 1, .oflag = 4, .cflag = 0xbd, .lflag = 0xa30,
				      .line = 2, .ispeed = 13, .ospeed = 13, .rows = 33, .cols = 101,
				      .xpixel = 5, .ypixel = 6, .packet = true, .locked = true };
	f[1].pty.cc[0] = 3, f[1].pty.cc[31] = 0x7f;
	f[2] = f[1];
	f[2].fd = 1003, f[2].kind = CKPT_FD_PTS, f[2].path = xstrdup("/dev/pts/7");
	f[2].rdev = 0x8807, f[2].pty.ctty = true;
}

static void test_roundtrip_fdext(void **state)
{
	struct ckpt_task a, b;
	size_t i, k;

	(void)state;
	write_image_with(add_fdext);
	make_task(&a);
	add_fdext(&a);
	memset(&b, 0, sizeof(b));
	assert_int_equal(ckpt_img_read_task(dfd, PID, &b), 0);
	assert_task_eq(&a, &b);
	for (i = 0; i < a.n_fds; i++) {
		const struct ckpt_fd *x = &a.fds[i], *y = &b.fds[i];

		EQ(x, y, n_watches);
		for (k = 0; k < x->n_watches; k++) {
			EQ(&x->watches[k], &y->watches[k], wd);
			EQ(&x->watches[k], &y->watches[k], mask);
			EQ(&x->watches[k], &y->watches[k], dev);
			EQ(&x->watches[k], &y->watches[k], ino);
			assert_string_equal(x->watches[k].path, y->watches[k].path);
		}
		assert_memory_equal(&x->pty, &y->pty, sizeof(x->pty));
	}
	ckpt_task_free(&a);
	ckpt_task_free(&b);
	assert_int_equal(unit_log_errors(), 0);
}

static void test_roundtrip_zombie(void **state)
{
	struct ckpt_task z = { .pid = 77, .ppid = PID, .pgid = 4100, .sid = 4200, .zombie = true,
			       .exit_status = 3 << 8 }, r;
	struct stat st;

	(void)state;
	strcpy(z.comm, "zomb");
	assert_int_equal(ckpt_img_write_task(dfd, &z), 0);
	assert_int_equal(fstatat(dfd, "mm-77.img", &st, 0), -1); /* nothing else is kept */
	assert_int_equal(ckpt_img_read_task(dfd, 77, &r), 0);
	assert_task_eq(&z, &r);
	ckpt_task_free(&r);
}

static void test_roundtrip_inventory(void **state)
{
	pid_t pids[] = { PID, 4300, 4301 };
	struct ckpt_inventory a = { .img_version = CKPT_IMG_VERSION, .tool_version = "0.1.0",
				    .kernel = "6.1.0-18-amd64", .arch = "x86_64", .root_pid = PID,
				    .n_tasks = 3, .pids = pids, .n_pids = 3,
				    .dump_time_ns = 1700000000123456789ULL, .shell_job = true };
	struct ckpt_inventory b = { 0 }, c;
	struct stat st;

	(void)state;
	assert_int_equal(ckpt_img_write_inventory(dfd, &a), 0);
	assert_int_equal(fstatat(dfd, "inventory.img.tmp", &st, 0), -1);
	assert_int_equal(ckpt_img_read_inventory(dfd, &b), 0);
	assert_int_equal(b.img_version, a.img_version);
	assert_string_equal(b.tool_version, a.tool_version);
	assert_string_equal(b.kernel, a.kernel);
	assert_string_equal(b.arch, a.arch);
	assert_int_equal(b.root_pid, a.root_pid);
	assert_int_equal(b.n_tasks, a.n_tasks);
	assert_int_equal(b.n_pids, a.n_pids);
	assert_memory_equal(b.pids, a.pids, sizeof(pids));
	assert_int_equal(b.dump_time_ns, a.dump_time_ns);
	assert_true(b.shell_job);
	assert_false(b.cpu.valid);
	ckpt_inventory_free(&b);

	/* The CPU record comes back word for word. */
	ckpt_cpu_read(&a.cpu);
	assert_true(a.cpu.valid);
	assert_int_equal(ckpt_img_write_inventory(dfd, &a), 0);
	assert_int_equal(ckpt_img_read_inventory(dfd, &b), 0);
	assert_true(b.cpu.valid);
	assert_memory_equal(&b.cpu, &a.cpu, sizeof(a.cpu));
	ckpt_inventory_free(&b);
	memset(&a.cpu, 0, sizeof(a.cpu));

	/* Absent strings stay absent; a second write replaces the first. */
	a.tool_version = a.kernel = a.arch = NULL;
	a.shell_job = false;
	assert_int_equal(ckpt_img_write_inventory(dfd, &a), 0);
	assert_int_equal(ckpt_img_read_inventory(dfd, &c), 0);
	assert_null(c.tool_version);
	assert_null(c.kernel);
	assert_null(c.arch);
	assert_false(c.shell_job);
	ckpt_inventory_free(&c);
}

/* A SysV attach split in two VMAs, and another task's reference to it. */
static void test_sysv_shm_vmas(void **state)
{
	struct ckpt_vma v[2] = {
		{ .start = 0x7f0000000000, .end = 0x7f0000100000, .kind = CKPT_VMA_SYSVSHM,
		  .prot = PROT_READ | PROT_WRITE, .attrs = CKPT_VMA_MAYWRITE,
		  .name = (char *)"/SYSV5eed0001 (deleted)" },
		{ .start = 0x7f0000100000, .end = 0x7f0000101000, .pgoff = 0x100000,
		  .kind = CKPT_VMA_SYSVSHM, .prot = PROT_READ, .shared_pid = 7,
		  .shared_start = 0x7f0000000000, .shared_end = 0x7f0000100000 },
	};
	struct ckpt_mm mm = { .vmas = v, .n_vmas = 2, .exe_path = (char *)"/bin/x" }, r;
	struct ckpt_task t;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++)
		v[i].shm = (struct ckpt_sysv_shm){ .id = 65538, .key = 0x5eed0001, .size = 0x100064,
						   .mode = 01640, .uid = 1000, .gid = 100 };
	assert_int_equal(ckpt_img_write_mm(dfd, 4242, &mm), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(ckpt_img_read_mm(dfd, 4242, &r), 0);
	assert_int_equal(r.n_vmas, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(r.vmas[i].kind, CKPT_VMA_SYSVSHM);
		assert_int_equal(r.vmas[i].pgoff, v[i].pgoff);
		assert_memory_equal(&r.vmas[i].shm, &v[i].shm, sizeof(v[i].shm));
	}
	assert_int_equal(r.vmas[1].shared_pid, 7);
	memset(&t, 0, sizeof(t));
	t.mm = r;
	ckpt_task_free(&t);

	/* an attach past the segment's end, and a mode with unknown bits */
	for (i = 0; i < 2; i++) {
		v[1].pgoff = i ? 0x100000 : 0x200000;
		v[1].shm.mode = i ? 0100640 : 01640;
		reset_dir();
		assert_int_equal(ckpt_img_write_mm(dfd, 4242, &mm), 0);
		memset(&r, 0, sizeof(r));
		unit_log_reset();
		assert_int_equal(ckpt_img_read_mm(dfd, 4242, &r), -EBADMSG);
		assert_int_equal(unit_log_errors(), 1);
		assert_non_null(strstr(unit_log.last_err, "SysV"));
		memset(&t, 0, sizeof(t));
		t.mm = r;
		ckpt_task_free(&t);
	}
	reset_dir();
}

/* A memfd mapped from the task's fd, one that holds pages, and a bad fd. */
static void test_memfd_vmas(void **state)
{
	struct ckpt_vma v[2] = {
		{ .start = 0x7f0000000000, .end = 0x7f0000006000, .kind = CKPT_VMA_MEMFD,
		  .prot = PROT_READ | PROT_WRITE, .name = (char *)"/memfd:m (deleted)",
		  .memfd_fd = 3, .file = { .dev = 1, .ino = 77, .size = 20000, .mode = 0100777 } },
		{ .start = 0x7f0000010000, .end = 0x7f0000012000, .pgoff = 0x10000,
		  .kind = CKPT_VMA_MEMFD, .prot = PROT_READ, .name = (char *)"/memfd:n (deleted)",
		  .memfd_fd = -1, .file = { .dev = 1, .ino = 78, .size = 1 << 20 } },
	};
	struct ckpt_mm mm = { .vmas = v, .n_vmas = 2, .exe_path = (char *)"/bin/x" }, r;
	struct ckpt_task t;
	size_t i;

	(void)state;
	assert_int_equal(ckpt_img_write_mm(dfd, 4242, &mm), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(ckpt_img_read_mm(dfd, 4242, &r), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(r.vmas[i].memfd_fd, v[i].memfd_fd);
		assert_int_equal(r.vmas[i].file.size, v[i].file.size);
		assert_string_equal(r.vmas[i].name, v[i].name);
	}
	memset(&t, 0, sizeof(t));
	t.mm = r;
	ckpt_task_free(&t);
	/* mapped from an fd and also a reference to another task's mapping */
	v[0].shared_pid = 9, v[0].shared_start = 0x1000, v[0].shared_end = 0x2000;
	reset_dir();
	assert_int_equal(ckpt_img_write_mm(dfd, 4242, &mm), 0);
	memset(&r, 0, sizeof(r));
	unit_log_reset();
	assert_int_equal(ckpt_img_read_mm(dfd, 4242, &r), -EBADMSG);
	assert_int_equal(unit_log_errors(), 1);
	memset(&t, 0, sizeof(t));
	t.mm = r;
	ckpt_task_free(&t);
	reset_dir();
}

static void test_roundtrip_pipes(void **state)
{
	uint8_t big[65536];
	struct ckpt_pipe a[4] = {
		{ .ino = 1, .size = 4096, .data = (uint8_t *)"", .len = 0 },
		{ .ino = 2, .size = 65536, .data = big, .len = sizeof(big), .dev = 0xd },
		{ .ino = 3, .size = 1 << 20, .data = (uint8_t *)"x", .len = 1 },
		/* a FIFO whose inode number equals a pipe's, on another device */
		{ .ino = 2, .size = 4096, .data = (uint8_t *)"ab", .len = 2, .dev = 0xfe00,
		  .path = (char *)"/run/a fifo" },
	};
	struct ckpt_pipe *b;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13);
	assert_int_equal(ckpt_img_write_pipes(dfd, a, 4), 0);
	assert_int_equal(ckpt_img_read_pipes(dfd, &b, &n), 0);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(b[i].ino, a[i].ino);
		assert_int_equal(b[i].dev, a[i].dev);
		if (a[i].path)
			assert_string_equal(b[i].path, a[i].path);
		else
			assert_null(b[i].path);
		assert_int_equal(b[i].size, a[i].size);
		assert_int_equal(b[i].len, a[i].len);
		assert_memory_equal(b[i].data, a[i].data, a[i].len);
	}
	ckpt_pipes_free(b, n);
}

/* A failed read leaves ret_ untouched; a failed write logs once. */
static void test_untouched_and_write_errors(void **state)
{
	struct ckpt_inventory inv, inv0;
	struct ckpt_task t, t0;
	struct ckpt_pipe *p = (void *)0x1, *p0 = p;
	size_t n = 99;

	(void)state;
	memset(&inv, 0xa5, sizeof(inv));
	memset(&t, 0xa5, sizeof(t));
	inv0 = inv;
	t0 = t;
	assert_int_equal(ckpt_img_read_inventory(dfd, &inv), -ENOENT);
	assert_int_equal(ckpt_img_read_task(dfd, PID, &t), -ENOENT);
	assert_int_equal(ckpt_img_read_pipes(dfd, &p, &n), -ENOENT);
	assert_memory_equal(&inv, &inv0, sizeof(inv));
	assert_memory_equal(&t, &t0, sizeof(t));
	assert_ptr_equal(p, p0);
	assert_int_equal(n, 99);

	write_image();
	unit_log_reset();
	ckpt_log_set_level(CKPT_LOG_WARN);
	make_task(&t);
	assert_int_equal(ckpt_img_write_task(dfd, &t), -EEXIST); /* never over an old image */
	ckpt_task_free(&t);
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "core-4242.img"));
}

/* ---- damaged files ---------------------------------------------------------------- */

enum damage {
	D_MISSING, D_EMPTY, D_HALF_HEADER, D_HALF_LENGTH, D_CUT_BODY, D_MAGIC_BIT, D_MAGIC_BYTE,
	D_VERSION, D_FLAGS, D_RESERVED, D_HUGE_LENGTH, D_LENGTH_PAST_EOF, D_PAYLOAD_BYTE,
	D_CRC, D_TRAILING, D_NR
};

static const struct {
	const char *what;
	int err;
} damages[D_NR] = {
	[D_MISSING] = { "missing", -ENOENT },
	[D_EMPTY] = { "empty", -ENODATA },
	[D_HALF_HEADER] = { "truncated header", -ENODATA },
	[D_HALF_LENGTH] = { "truncated record length", -ENODATA },
	[D_CUT_BODY] = { "truncated record body", -ENODATA },
	[D_MAGIC_BIT] = { "a flipped bit in the magic", -EBADMSG },
	[D_MAGIC_BYTE] = { "a flipped byte in the magic", -EBADMSG },
	[D_VERSION] = { "version 7", -EPROTO },
	[D_FLAGS] = { "unknown flags", -EPROTO },
	[D_RESERVED] = { "reserved word set", -EPROTO },
	[D_HUGE_LENGTH] = { "record length above the limit", -EFBIG },
	[D_LENGTH_PAST_EOF] = { "record length past the end", -ENODATA },
	[D_PAYLOAD_BYTE] = { "a flipped payload byte", -EBADMSG },
	[D_CRC] = { "a wrong checksum", -EBADMSG },
	[D_TRAILING] = { "a partial record after the last", -ENODATA }, /* -EBADMSG if single */
};

static void damage(const char *name, enum damage d)
{
	char p[PATH_MAX];
	uint8_t b;
	off_t sz = size_of(name);
	uint32_t len;

	switch (d) {
	case D_MISSING:
		file_path(p, sizeof(p), name);
		assert_int_equal(unlink(p), 0);
		break;
	case D_EMPTY:
		truncate_to(name, 0);
		break;
	case D_HALF_HEADER:
		truncate_to(name, 10);
		break;
	case D_HALF_LENGTH:
		truncate_to(name, 16 + 3);
		break;
	case D_CUT_BODY:
		truncate_to(name, sz - 1);
		break;
	case D_MAGIC_BIT:
	case D_MAGIC_BYTE:
		peek(name, 2, &b, 1);
		b ^= d == D_MAGIC_BIT ? 0x10 : 0xff;
		poke(name, 2, &b, 1);
		break;
	case D_VERSION:
		put_le32(name, 4, 7);
		break;
	case D_FLAGS:
		put_le32(name, 8, 1);
		break;
	case D_RESERVED:
		put_le32(name, 12, 0x80000000);
		break;
	case D_HUGE_LENGTH:
		put_le32(name, 16, CKPT_IMG_MAX_RECORD + 1);
		break;
	case D_LENGTH_PAST_EOF:
		put_le32(name, 16, sz - 24 + 1);
		break;
	case D_PAYLOAD_BYTE:
		peek(name, 24, &b, 1);
		b ^= 0x40;
		poke(name, 24, &b, 1);
		break;
	case D_CRC:
		peek(name, 20, &len, 4);
		put_le32(name, 20, le32toh(len) ^ 1);
		break;
	case D_TRAILING:
		poke(name, sz, "\x05\x00\x00", 3);
		break;
	case D_NR:
		break;
	}
}

static void test_damaged(void **state)
{
	size_t i;
	int d;

	(void)state;
	for (i = 0; i < NFILES; i++)
		for (d = 0; d < D_NR; d++) {
			write_image();
			damage(files[i].name, d);
			/* after a single record, any byte is one too many */
			expect_failure(d == D_TRAILING && files[i].single ? -EBADMSG : damages[d].err,
				       files[i].name);
			reset_dir();
		}
}

/* A single-record file with a whole second record after the first. */
static void test_extra_record(void **state)
{
	static uint8_t buf[65536];
	size_t i;
	off_t sz;

	(void)state;
	for (i = 0; i < NFILES; i++) {
		if (!files[i].single)
			continue;
		write_image();
		sz = size_of(files[i].name);
		assert_true(sz - 16 <= (off_t)sizeof(buf));
		peek(files[i].name, 16, buf, sz - 16);
		poke(files[i].name, sz, buf, sz - 16);
		expect_failure(-EBADMSG, files[i].name);
		reset_dir();
	}
}

/* An empty core or mm file: a header and no record. */
static void test_no_record(void **state)
{
	static const char *const names[] = { "inventory.img", "core-4242.img", "mm-4242.img" };
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		write_image();
		truncate_to(names[i], 16);
		expect_failure(-ENODATA, names[i]);
		reset_dir();
	}
}

/* ---- random bytes: never a crash, always a clean error ------------------------------ */

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void test_random_bytes(void **state)
{
	uint8_t buf[1024];
	uint32_t seed;
	size_t i;

	(void)state;
	for (seed = 1; seed <= 600; seed++) {
		uint32_t s = seed * 2654435761u;
		size_t k = seed % NFILES, len = 17 + rnd(&s) % (sizeof(buf) - 17);
		int err;

		write_image();
		for (i = 0; i < len; i++)
			buf[i] = rnd(&s);
		if (seed % 2) /* a valid header, so the record parser is reached */
			ckpt_img_hdr(buf, files[k].magic);
		if (seed % 4 == 1) { /* and a plausible length */
			uint32_t l = rnd(&s) % (len - 16 + 8);

			memcpy(buf + 16, &l, 4);
		}
		truncate_to(files[k].name, 0);
		poke(files[k].name, 0, buf, len);
		unit_log_reset();
		ckpt_log_set_level(CKPT_LOG_WARN);
		err = read_all();
		if (err >= 0 || unit_log_errors() != 1)
			fail_msg("seed %u, %s: %d, %d errors", seed, files[k].name, err,
				 unit_log_errors());
		reset_dir();
	}
}

/*
 * Random changes inside valid records, with the checksum made right again,
 * so that protobuf and the checks behind it see them.  A change may be
 * harmless; whatever happens must be a success or one clean error.
 */
static void test_random_payloads(void **state)
{
	uint8_t buf[16384];
	uint32_t seed;

	(void)state;
	write_image();
	for (seed = 1; seed <= 900; seed++) {
		uint32_t s = seed * 0x9e3779b9u, len, crc;
		size_t k = seed % NFILES, n, j;
		off_t sz = size_of(files[k].name);
		int err;

		assert_true(sz <= (off_t)sizeof(buf));
		peek(files[k].name, 0, buf, sz);
		memcpy(&len, buf + 16, 4);
		len = le32toh(len);
		if (len == 0 || len + 24 > sz)
			continue;
		n = 1 + rnd(&s) % 4;
		for (j = 0; j < n; j++)
			buf[24 + rnd(&s) % len] ^= 1 << (rnd(&s) % 8);
		crc = htole32(ckpt_crc32c(0, buf + 24, len));
		memcpy(buf + 20, &crc, 4);
		poke(files[k].name, 0, buf, sz);
		unit_log_reset();
		ckpt_log_set_level(CKPT_LOG_WARN);
		err = read_all();
		if (err > 0 || (err < 0 && unit_log_errors() != 1) || (!err && unit_log_errors()))
			fail_msg("seed %u, %s: %d, %d errors", seed, files[k].name, err,
				 unit_log_errors());
		reset_dir();
		write_image();
	}
}

/* ---- well-formed records with invalid content ---------------------------------------- */

static void m_vma_unsorted(struct ckpt_task *t) { t->mm.vmas[1].start = 0x300000, t->mm.vmas[1].end = 0x301000; }
static void m_vma_overlap(struct ckpt_task *t) { t->mm.vmas[1].start = 0x401000; }
static void m_vma_unaligned(struct ckpt_task *t) { t->mm.vmas[2].end += 1; }
static void m_vma_empty(struct ckpt_task *t) { t->mm.vmas[2].end = t->mm.vmas[2].start; }
static void m_vma_pgoff(struct ckpt_task *t) { t->mm.vmas[1].pgoff = 0x2001; }
static void m_vma_high(struct ckpt_task *t) { t->mm.vmas[8].end = 0x800000000000ULL; }
static void m_vma_kernel(struct ckpt_task *t) { t->mm.vmas[8].start = 0xffff800000000000ULL, t->mm.vmas[8].end = 0xffff800000001000ULL; }
static void m_vsyscall_moved(struct ckpt_task *t) { t->mm.vmas[9].start -= PG, t->mm.vmas[9].end -= PG; }
static void m_vma_kind(struct ckpt_task *t) { t->mm.vmas[2].kind = 9; }
static void m_vma_prot(struct ckpt_task *t) { t->mm.vmas[2].prot = 8; }
static void m_vma_no_path(struct ckpt_task *t) { free(t->mm.vmas[1].path), t->mm.vmas[1].path = NULL; }
static void m_vma_rel_path(struct ckpt_task *t) { t->mm.vmas[5].path[0] = 't'; }
static void m_vma_shared_anon(struct ckpt_task *t) { t->mm.vmas[2].shared_pid = 9; t->mm.vmas[2].shared_start = 0x1000; t->mm.vmas[2].shared_end = 0x2000; }
static void m_vma_shared_range(struct ckpt_task *t) { t->mm.vmas[4].shared_end = t->mm.vmas[4].shared_start; }
static void m_pm_outside(struct ckpt_task *t) { t->mm.pagemap[1].vaddr = 0x500000; }
static void m_pm_spans(struct ckpt_task *t) { t->mm.pagemap[0].nr_pages = 3; }
static void m_pm_unaligned(struct ckpt_task *t) { t->mm.pagemap[1].vaddr += 8; }
static void m_pm_off_unaligned(struct ckpt_task *t) { t->mm.pagemap[1].offset += 100; }
static void m_pm_off_header(struct ckpt_task *t) { t->mm.pagemap[0].offset = 0; }
static void m_pm_off_order(struct ckpt_task *t) { t->mm.pagemap[3].offset = 4 * PG; }
static void m_pm_part_overlap(struct ckpt_task *t) { t->mm.pagemap[2].part = 0; }
static void m_pm_part_high(struct ckpt_task *t) { t->mm.pagemap[2].part = CKPT_MAX_PAGE_PARTS; }
static void m_pm_unsorted(struct ckpt_task *t) { struct ckpt_pagemap_entry e = t->mm.pagemap[1]; t->mm.pagemap[1] = t->mm.pagemap[2]; t->mm.pagemap[2] = e; }
static void m_pm_empty(struct ckpt_task *t) { t->mm.pagemap[1].nr_pages = 0; }
static void m_pm_no_pages_vma(struct ckpt_task *t) { t->mm.pagemap[3].vaddr = 0x7f0000034000; }
static void m_pm_shared_ref(struct ckpt_task *t) { t->mm.pagemap[3].vaddr = 0x7f0000010000; }
static void m_pm_huge(struct ckpt_task *t) { t->mm.pagemap[3].nr_pages = 1ULL << 52; }
static void m_fd_negative(struct ckpt_task *t) { t->fds[0].fd = -1; }
static void m_fd_huge(struct ckpt_task *t) { t->fds[7].fd = 1 << 20; }
static void m_fd_repeated(struct ckpt_task *t) { t->fds[2].fd = 1; }
static void m_fd_unsorted(struct ckpt_task *t) { t->fds[3].fd = 10; }
static void m_fd_kind(struct ckpt_task *t) { t->fds[4].kind = 0; }
static void m_fd_kind_high(struct ckpt_task *t) { t->fds[4].kind = CKPT_FD_INET + 1; } /* a gap */
static void m_fd_kind_top(struct ckpt_task *t) { t->fds[4].kind = CKPT_FD_PTS + 1; }
static void m_ino_wd_zero(struct ckpt_task *t) { add_fdext(t); t->fds[t->n_fds - 3].watches[0].wd = 0; }
static void m_ino_wd_order(struct ckpt_task *t) { add_fdext(t); t->fds[t->n_fds - 3].watches[1].wd = 1; }
static void m_ino_rel_path(struct ckpt_task *t) { add_fdext(t); t->fds[t->n_fds - 3].watches[1].path[0] = 't'; }
static void m_pty_index(struct ckpt_task *t) { add_fdext(t); t->fds[t->n_fds - 1].pty.index = 1u << 20; }
static void m_fd_kind_gap(struct ckpt_task *t) { t->fds[4].kind = CKPT_FD_PTS + 1; }
static void m_fd_dup_later(struct ckpt_task *t) { t->fds[1].dup_of = 2; }
static void m_fd_dup_of_dup(struct ckpt_task *t) { t->fds[3].dup_of = 2; }
static void m_fd_dup_missing(struct ckpt_task *t) { t->fds[7].dup_of = 500; }
static void m_fd_parent(struct ckpt_task *t) { t->fds[1].parent_fd = -2; }
static void m_fd_peer_alone(struct ckpt_task *t) { t->fds[1].parent_fd = -1; }
static void m_fd_peer_neg(struct ckpt_task *t) { t->fds[1].peer_pid = -3; }
static void m_fd_no_path(struct ckpt_task *t) { free(t->fds[1].path), t->fds[1].path = NULL; }
static void m_fd_rel_path(struct ckpt_task *t) { t->fds[1].path[0] = 'x'; }
static void m_cwd_relative(struct ckpt_task *t) { free(t->cwd), t->cwd = xstrdup("tmp"); }
static void m_no_cwd(struct ckpt_task *t) { free(t->cwd), t->cwd = NULL; }
static void m_root_relative(struct ckpt_task *t) { t->root[0] = 'r'; }
static void m_umask(struct ckpt_task *t) { t->umask = 01000; }
static void m_pending_signo(struct ckpt_task *t) { t->shared_pending.info[0].raw[0] = 65; }
static void m_pending_zero(struct ckpt_task *t) { t->threads[1].pending.info[0].raw[0] = 0; }
static void m_rlimit(struct ckpt_task *t) { t->rlimits[3].cur = 10, t->rlimits[3].max = 5; }
static void m_itimer(struct ckpt_task *t) { t->itimers[1].value_us = 1ULL << 60; }
static void m_timer_clock(struct ckpt_task *t) { t->timers[0].clock = 12; }
static void m_timer_signo(struct ckpt_task *t) { t->timers[0].signo = 65; }
static void m_timer_id(struct ckpt_task *t) { t->timers[1].id = -1; }
static void m_timer_repeat(struct ckpt_task *t) { t->timers[1].id = t->timers[0].id; }
static void m_tid_zero(struct ckpt_task *t) { t->threads[1].tid = 0; }
static void m_tid_repeat(struct ckpt_task *t) { t->threads[1].tid = PID; }
static void m_main_tid(struct ckpt_task *t) { t->threads[0].tid = 4999; }
static void m_xsave_big(struct ckpt_task *t)
{
	free(t->threads[0].xsave);
	t->threads[0].xsave_size = 64 * 1024 + 1;
	t->threads[0].xsave = xcalloc(1, t->threads[0].xsave_size);
}
static void m_no_threads(struct ckpt_task *t)
{
	size_t i;

	for (i = 0; i < t->n_threads; i++) {
		free(t->threads[i].xsave);
		free(t->threads[i].pending.info);
	}
	t->n_threads = 0;
}
static void m_ppid(struct ckpt_task *t) { t->ppid = -5; }
static void m_auxv_odd(struct ckpt_task *t) { t->mm.n_auxv = 5; }
static void m_no_exe(struct ckpt_task *t) { free(t->mm.exe_path), t->mm.exe_path = NULL; }

static const struct {
	const char *file;
	void (*mutate)(struct ckpt_task *);
} hostile[] = {
	{ "mm-4242.img", m_vma_unsorted }, { "mm-4242.img", m_vma_overlap },
	{ "mm-4242.img", m_vma_unaligned }, { "mm-4242.img", m_vma_empty },
	{ "mm-4242.img", m_vma_pgoff }, { "mm-4242.img", m_vma_high },
	{ "mm-4242.img", m_vma_kernel }, { "mm-4242.img", m_vsyscall_moved },
	{ "mm-4242.img", m_vma_kind }, { "mm-4242.img", m_vma_prot },
	{ "mm-4242.img", m_vma_no_path }, { "mm-4242.img", m_vma_rel_path },
	{ "mm-4242.img", m_vma_shared_anon }, { "mm-4242.img", m_vma_shared_range },
	{ "mm-4242.img", m_auxv_odd }, { "mm-4242.img", m_no_exe },
	{ "pagemap-4242.img", m_pm_outside }, { "pagemap-4242.img", m_pm_spans },
	{ "pagemap-4242.img", m_pm_unaligned }, { "pagemap-4242.img", m_pm_off_unaligned },
	{ "pagemap-4242.img", m_pm_off_header }, { "pagemap-4242.img", m_pm_off_order },
	{ "pagemap-4242.img", m_pm_unsorted }, { "pagemap-4242.img", m_pm_empty },
	{ "pagemap-4242.img", m_pm_no_pages_vma }, { "pagemap-4242.img", m_pm_shared_ref },
	{ "pagemap-4242.img", m_pm_huge }, { "pagemap-4242.img", m_pm_part_overlap },
	{ "pagemap-4242.img", m_pm_part_high },
	{ "files-4242.img", m_fd_negative }, { "files-4242.img", m_fd_huge },
	{ "files-4242.img", m_fd_repeated }, { "files-4242.img", m_fd_unsorted },
	{ "files-4242.img", m_fd_kind }, { "files-4242.img", m_fd_kind_high },
	{ "files-4242.img", m_fd_kind_top },
	{ "files-4242.img", m_fd_kind_gap }, { "files-4242.img", m_ino_wd_zero },
	{ "files-4242.img", m_ino_wd_order }, { "files-4242.img", m_ino_rel_path },
	{ "files-4242.img", m_pty_index },
	{ "files-4242.img", m_fd_dup_later }, { "files-4242.img", m_fd_dup_of_dup },
	{ "files-4242.img", m_fd_dup_missing }, { "files-4242.img", m_fd_parent },
	{ "files-4242.img", m_fd_peer_alone }, { "files-4242.img", m_fd_peer_neg },
	{ "files-4242.img", m_fd_no_path }, { "files-4242.img", m_fd_rel_path },
	{ "core-4242.img", m_cwd_relative }, { "core-4242.img", m_no_cwd },
	{ "core-4242.img", m_root_relative }, { "core-4242.img", m_umask },
	{ "core-4242.img", m_pending_signo }, { "core-4242.img", m_pending_zero },
	{ "core-4242.img", m_rlimit }, { "core-4242.img", m_itimer },
	{ "core-4242.img", m_timer_clock }, { "core-4242.img", m_timer_signo },
	{ "core-4242.img", m_timer_id }, { "core-4242.img", m_timer_repeat },
	{ "core-4242.img", m_tid_zero }, { "core-4242.img", m_tid_repeat },
	{ "core-4242.img", m_main_tid }, { "core-4242.img", m_xsave_big },
	{ "core-4242.img", m_no_threads }, { "core-4242.img", m_ppid },
};

static void test_hostile_task(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		write_image_with(hostile[i].mutate);
		unit_log_reset();
		expect_failure(-EBADMSG, hostile[i].file);
		reset_dir();
	}
}

/*
 * Protobuf-level changes the state structs cannot express: rewrite record
 * idx of a file after fn changed it.  The message comes from protobuf-c's
 * unpacker with the default allocator, so fn may free and malloc parts.
 */
static void rewrite(const char *name, uint32_t magic, const ProtobufCMessageDescriptor *d,
		    size_t idx, void (*fn)(void *msg))
{
	ProtobufCMessage *m[64];
	struct ckpt_img_r r;
	struct ckpt_img_w w;
	size_t n = 0, i;

	assert_int_equal(ckpt_img_r_open(dfd, name, magic, &r), 0);
	for (;;) {
		assert_true(n < 64);
		assert_int_equal(ckpt_img_r_msg(&r, d, &m[n]), 0);
		if (!m[n])
			break;
		n++;
	}
	ckpt_img_r_close(&r);
	assert_true(idx < n);
	fn(m[idx]);
	assert_int_equal(unlinkat(dfd, name, 0), 0);
	assert_int_equal(ckpt_img_w_open(dfd, name, magic, &w), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(ckpt_img_w_msg(&w, m[i]), 0);
	assert_int_equal(ckpt_img_w_close(&w), 0);
	for (i = 0; i < n; i++)
		protobuf_c_message_free_unpacked(m[i], NULL);
}

static void set_bytes(ProtobufCBinaryData *b, const void *data, size_t len)
{
	free(b->data);
	b->data = malloc(len ? len : 1);
	assert_non_null(b->data);
	memcpy(b->data, data, len);
	b->len = len;
}

static void p_cwd_nul(void *m) { ((CoreEntry *)m)->cwd.data[2] = 0; }
static void p_comm_long(void *m) { set_bytes(&((CoreEntry *)m)->comm, "sixteen-chars-xx", 16); }
static void p_thread_comm_nul(void *m) { set_bytes(&((CoreEntry *)m)->threads[1]->comm, "a\0b", 3); }
static void p_no_pid(void *m) { ((CoreEntry *)m)->has_pid = false; }
static void p_no_creds(void *m)
{
	CoreEntry *c = m;

	creds_entry__free_unpacked(c->creds, NULL);
	c->creds = NULL;
}
static void p_no_uid(void *m) { ((CoreEntry *)m)->creds->has_fsgid = false; }
static void p_no_regs(void *m)
{
	ThreadEntry *t = ((CoreEntry *)m)->threads[1];

	user_regs_x86__free_unpacked(t->regs, NULL);
	t->regs = NULL;
}
static void p_siginfo_short(void *m) { ((CoreEntry *)m)->shared_pending[1].len = 127; }
static void p_siginfo_long(void *m)
{
	uint8_t b[129] = { 10 };

	set_bytes(&((CoreEntry *)m)->threads[1]->pending[0], b, sizeof(b));
}
static void p_rlimit_no_max(void *m) { ((CoreEntry *)m)->rlimits[2]->has_max = false; }

/* One more entry, copied from the last, in a repeated message field. */
static void grow_repeated(void ***arr, size_t *n, const ProtobufCMessageDescriptor *d)
{
	uint8_t buf[256];
	size_t len = protobuf_c_message_pack((*arr)[*n - 1], buf);

	assert_true(len < sizeof(buf));
	*arr = realloc(*arr, (*n + 1) * sizeof(void *));
	assert_non_null(*arr);
	(*arr)[*n] = protobuf_c_message_unpack(d, NULL, len, buf);
	assert_non_null((*arr)[*n]);
	(*n)++;
}
static void p_17_rlimits(void *m)
{
	CoreEntry *c = m;

	grow_repeated((void ***)&c->rlimits, &c->n_rlimits, &rlimit_entry__descriptor);
}
static void p_65_sigactions(void *m)
{
	CoreEntry *c = m;

	grow_repeated((void ***)&c->sigactions, &c->n_sigactions, &sigaction_entry__descriptor);
}
static void p_4_itimers(void *m)
{
	CoreEntry *c = m;

	grow_repeated((void ***)&c->itimers, &c->n_itimers, &itimer_entry__descriptor);
}
static void p_vma_no_start(void *m) { ((MmEntry *)m)->vmas[3]->has_start = false; }
static void p_vma_path_nul(void *m) { ((MmEntry *)m)->vmas[0]->path.data[4] = 0; }
static void p_vma_path_long(void *m)
{
	char *p = malloc(4096);

	assert_non_null(p);
	memset(p, 'a', 4096);
	p[0] = '/';
	set_bytes(&((MmEntry *)m)->vmas[0]->path, p, 4096);
	free(p);
}
static void p_fd_no_fd(void *m) { ((FdEntry *)m)->has_fd = false; }
static void p_fd_no_kind(void *m) { ((FdEntry *)m)->has_kind = false; }
static void p_fd_path_nul(void *m) { ((FdEntry *)m)->path.data[3] = 0; }
static void p_pm_no_offset(void *m) { ((PagemapEntry *)m)->has_offset = false; }
static void p_inv_no_version(void *m) { ((InventoryEntry *)m)->has_img_version = false; }
static void p_inv_root(void *m) { ((InventoryEntry *)m)->root_pid = 0; }
static void p_inv_no_root(void *m) { ((InventoryEntry *)m)->has_root_pid = false; }
static void p_inv_pids(void *m) { ((InventoryEntry *)m)->pids[0] = 1; }
static void p_inv_count(void *m) { ((InventoryEntry *)m)->n_tasks = 2; }
static void p_inv_kernel_nul(void *m) { set_bytes(&((InventoryEntry *)m)->kernel, "6.1\0x", 5); }
static void p_pipe_overfull(void *m) { ((PipeEntry *)m)->size = 4; }
static void p_pipe_huge(void *m) { ((PipeEntry *)m)->size = 2 << 20; }
static void p_pipe_no_ino(void *m) { ((PipeEntry *)m)->has_ino = false; }
static void p_pipe_rel_fifo(void *m) { ((PipeEntry *)m)->has_path = true; set_bytes(&((PipeEntry *)m)->path, "tmp/f", 5); }
static void p_pipe_nul_fifo(void *m) { ((PipeEntry *)m)->has_path = true; set_bytes(&((PipeEntry *)m)->path, "/tmp\0f", 6); }

static const struct {
	const char *file;
	uint32_t magic;
	const ProtobufCMessageDescriptor *desc;
	size_t idx;
	void (*fn)(void *);
	int err;
} pb_hostile[] = {
	{ "core-4242.img", CKPT_MAGIC_CORE, &core_entry__descriptor, 0, p_cwd_nul, -EBADMSG },
	{ "core-4242.img", CKPT_MAGIC_CORE, &core_entry__descriptor, 0, p_comm_long, -EBADMSG },
	{ "core-4242.img", CKPT_MAGIC_CORE, &core_entry__descriptor, 0, p_thread_comm_nul, -EBADMSG },
	{ "core-4242.img", CKPT_MAGIC_CORE, &core_entry__descriptor, 0, p_no_pid, -EBADMSG },
	{ "core-4242.img", CKPT_MAGIC_CORE, &core_entry__descriptor, 0, p_no_creds, -EBADMSG },
	{ "core-4242.img", CKPT_MAGIC_CORE, &core_entry__descriptor, 0, p_no_uid, -EBADMSG },
	{ "core-4242.img", CKPT_MAGIC_CORE, &core_entry__descriptor, 0, p_no_regs, -EBADMSG },
	{ "core-4242.img", CKPT_MAGIC_CORE, &core_entry__descriptor, 0, p_siginfo_short, -EBADMSG },
	{ "core-4242.img", CKPT_MAGIC_CORE, &core_entry__descriptor, 0, p_siginfo_long, -EBADMSG },
	{ "core-4242.img", CKPT_MAGIC_CORE, &core_entry__descriptor, 0, p_rlimit_no_max, -EBADMSG },
	{ "core-4242.img", CKPT_MAGIC_CORE, &core_entry__descriptor, 0, p_17_rlimits, -EBADMSG },
	{ "core-4242.img", CKPT_MAGIC_CORE, &core_entry__descriptor, 0, p_65_sigactions, -EBADMSG },
	{ "core-4242.img", CKPT_MAGIC_CORE, &core_entry__descriptor, 0, p_4_itimers, -EBADMSG },
	{ "mm-4242.img", CKPT_MAGIC_MM, &mm_entry__descriptor, 0, p_vma_no_start, -EBADMSG },
	{ "mm-4242.img", CKPT_MAGIC_MM, &mm_entry__descriptor, 0, p_vma_path_nul, -EBADMSG },
	{ "mm-4242.img", CKPT_MAGIC_MM, &mm_entry__descriptor, 0, p_vma_path_long, -EBADMSG },
	{ "files-4242.img", CKPT_MAGIC_FILES, &fd_entry__descriptor, 3, p_fd_no_fd, -EBADMSG },
	{ "files-4242.img", CKPT_MAGIC_FILES, &fd_entry__descriptor, 3, p_fd_no_kind, -EBADMSG },
	{ "files-4242.img", CKPT_MAGIC_FILES, &fd_entry__descriptor, 1, p_fd_path_nul, -EBADMSG },
	{ "pagemap-4242.img", CKPT_MAGIC_PAGEMAP, &pagemap_entry__descriptor, 2, p_pm_no_offset, -EBADMSG },
	{ "inventory.img", CKPT_MAGIC_INVENTORY, &inventory_entry__descriptor, 0, p_inv_no_version, -EBADMSG },
	{ "inventory.img", CKPT_MAGIC_INVENTORY, &inventory_entry__descriptor, 0, p_inv_root, -EBADMSG },
	{ "inventory.img", CKPT_MAGIC_INVENTORY, &inventory_entry__descriptor, 0, p_inv_no_root, -EBADMSG },
	{ "inventory.img", CKPT_MAGIC_INVENTORY, &inventory_entry__descriptor, 0, p_inv_pids, -EBADMSG },
	{ "inventory.img", CKPT_MAGIC_INVENTORY, &inventory_entry__descriptor, 0, p_inv_count, -EBADMSG },
	{ "inventory.img", CKPT_MAGIC_INVENTORY, &inventory_entry__descriptor, 0, p_inv_kernel_nul, -EBADMSG },
	{ "pipes.img", CKPT_MAGIC_PIPES, &pipe_entry__descriptor, 0, p_pipe_overfull, -EBADMSG },
	{ "pipes.img", CKPT_MAGIC_PIPES, &pipe_entry__descriptor, 0, p_pipe_huge, -EBADMSG },
	{ "pipes.img", CKPT_MAGIC_PIPES, &pipe_entry__descriptor, 0, p_pipe_no_ino, -EBADMSG },
	{ "pipes.img", CKPT_MAGIC_PIPES, &pipe_entry__descriptor, 0, p_pipe_rel_fifo, -EBADMSG },
	{ "pipes.img", CKPT_MAGIC_PIPES, &pipe_entry__descriptor, 0, p_pipe_nul_fifo, -EBADMSG },
};

static void test_hostile_messages(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pb_hostile) / sizeof(pb_hostile[0]); i++) {
		write_image();
		rewrite(pb_hostile[i].file, pb_hostile[i].magic, pb_hostile[i].desc, pb_hostile[i].idx,
			pb_hostile[i].fn);
		expect_failure(pb_hostile[i].err, pb_hostile[i].file);
		reset_dir();
	}
}

static void i_version(void *m) { ((InventoryEntry *)m)->img_version = 7; }

static void test_inventory_version(void **state)
{
	(void)state;
	write_image();
	rewrite("inventory.img", CKPT_MAGIC_INVENTORY, &inventory_entry__descriptor, 0, i_version);
	expect_failure(-EPROTO, "inventory.img");
	assert_string_equal(unit_log.last_err, "inventory.img: image version 7, this ckpt reads version 1");
}

static void i_dup_pid(void *m)
{
	InventoryEntry *e = m;

	e->pids = realloc(e->pids, 3 * sizeof(*e->pids));
	assert_non_null(e->pids);
	e->pids[1] = 4300;
	e->pids[2] = 4300;
	e->n_pids = e->n_tasks = 3;
}

static void test_inventory_repeated_pid(void **state)
{
	(void)state;
	write_image();
	rewrite("inventory.img", CKPT_MAGIC_INVENTORY, &inventory_entry__descriptor, 0, i_dup_pid);
	expect_failure(-EBADMSG, "inventory.img");
}

static void test_pipes_repeated(void **state)
{
	/* same (dev, ino) twice; a dev 0 entry (any device) and another of its inode */
	static const struct ckpt_pipe twice[][2] = {
		{ { .ino = 9, .size = 4096 }, { .ino = 9, .size = 4096 } },
		{ { .ino = 9, .dev = 5, .size = 4096 }, { .ino = 9, .dev = 5, .size = 4096 } },
		{ { .ino = 9, .dev = 5, .size = 4096 }, { .ino = 9, .size = 4096 } },
	};
	struct ckpt_pipe *r = NULL;
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
		assert_int_equal(ckpt_img_write_pipes(dfd, twice[i], 2), 0);
		unit_log_reset();
		assert_int_equal(ckpt_img_read_pipes(dfd, &r, &n), -EBADMSG);
		assert_int_equal(unit_log_errors(), 1);
		assert_null(r);
		reset_dir();
	}
}

/* ---- the pages file header ----------------------------------------------------------- */

/* Open part 0 of pid 4242's pages as a restore does: 0 or its error. */
static int check_pages(void)
{
	int fd = ckpt_img_pages_open(dfd, 4242, 0);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static void test_pages_header(void **state)
{
	static const char name[] = "pages-4242.img";
	uint8_t b;
	int fd;

	(void)state;
	fd = ckpt_img_pages_create(dfd, 4242, 0);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 0, SEEK_END), CKPT_PAGES_HDR_SIZE);
	close(fd);
	fd = openat(dfd, name, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(check_pages(), 0);

	unit_log_reset();
	b = 9;
	assert_int_equal(pwrite(fd, &b, 1, 4), 1); /* version 9 */
	assert_int_equal(check_pages(), -EPROTO);
	b = 1;
	assert_int_equal(pwrite(fd, &b, 1, 4), 1);
	assert_int_equal(check_pages(), 0);
	assert_int_equal(pwrite(fd, &b, 1, 0), 1); /* magic */
	assert_int_equal(check_pages(), -EBADMSG);
	b = 'P';
	assert_int_equal(pwrite(fd, &b, 1, 0), 1);
	assert_int_equal(check_pages(), 0);
	assert_int_equal(pwrite(fd, &b, 1, 2000), 1); /* padding */
	assert_int_equal(check_pages(), -EBADMSG);
	assert_int_equal(ftruncate(fd, 100), 0);
	assert_int_equal(check_pages(), -ENODATA);
	assert_int_equal(ftruncate(fd, 3), 0);
	assert_int_equal(check_pages(), -ENODATA);
	assert_int_equal(unit_log_errors(), 5);
	assert_non_null(strstr(unit_log.last_err, name));
	close(fd);

	/* part 1 has its own name; a missing part is named */
	unit_log_reset();
	assert_int_equal(ckpt_img_pages_open(dfd, 4242, 1), -ENOENT);
	assert_non_null(strstr(unit_log.last_err, "pages-4242.1.img"));
	fd = ckpt_img_pages_create(dfd, 4242, 1);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ckpt_img_pages_create(dfd, 4242, 1), -EEXIST);
	fd = ckpt_img_pages_open(dfd, 4242, 1);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(unlinkat(dfd, "pages-4242.1.img", 0), 0);
}

static void test_crc(void **state)
{
	(void)state;
	assert_int_equal(ckpt_crc32c(0, "123456789", 9), 0xe3069283); /* the CRC-32C check value */
}

/* ---- ckpt show ----------------------------------------------------------------------- */

/* A small strict JSON checker: returns the end of one value, or NULL. */
static const char *json_value(const char *s, int depth);

static const char *json_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	while (*s != '"') {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
						return NULL;
				s += 4;
			} else if (!*s || !strchr("\"\\/bfnrt", *s)) {
				return NULL;
			}
		}
		s++;
	}
	return s + 1;
}

static const char *json_members(const char *s, char end, bool keys, int depth)
{
	s = json_ws(s);
	if (*s == end)
		return s + 1;
	for (;;) {
		if (keys) {
			s = json_string(json_ws(s));
			if (!s)
				return NULL;
			s = json_ws(s);
			if (*s++ != ':')
				return NULL;
		}
		s = json_value(s, depth + 1);
		if (!s)
			return NULL;
		s = json_ws(s);
		if (*s == end)
			return s + 1;
		if (*s++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *s, int depth)
{
	char *e;

	if (depth > 64)
		return NULL;
	s = json_ws(s);
	if (*s == '{')
		return json_members(s + 1, '}', true, depth);
	if (*s == '[')
		return json_members(s + 1, ']', false, depth);
	if (*s == '"')
		return json_string(s);
	if (!strncmp(s, "true", 4))
		return s + 4;
	if (!strncmp(s, "false", 5))
		return s + 5;
	if (!strncmp(s, "null", 4))
		return s + 4;
	if (*s != '-' && (*s < '0' || *s > '9'))
		return NULL;
	strtod(s, &e);
	return e;
}

static char *show(bool json, int *ret_err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*ret_err = ckpt_show(dfd, dir, json, f);
	fclose(f);
	return buf;
}

static void test_show(void **state)
{
	const char *end;
	char *out;
	int err;

	(void)state;
	write_image();
	out = show(true, &err);
	assert_int_equal(err, 0);
	end = json_value(out, 0);
	if (!end || *json_ws(end))
		fail_msg("invalid JSON near: %.80s", end ? end : out);
	assert_non_null(strstr(out, "\"pid\":4242"));
	assert_non_null(strstr(out, "\"xsave_size\":2440"));
	assert_non_null(strstr(out, "\"xsave_head\":\"0104070a"));
	assert_non_null(strstr(out, "\"r15\":\"0x1000000000\""));
	assert_non_null(strstr(out, "\"path\":\"/tmp/log \\\"quoted\\\"\\tfile\""));
	assert_non_null(strstr(out, "\"path\":\"memfd:caf\xc3\xa9 \\u00ff\"")); /* bytes, not UTF-8 */
	assert_non_null(strstr(out, "\"files\":2,\"runs\":[{\"vaddr\":\"0x402000\",\"nr_pages\":1,\"offset\":4096,\"part\":0}"));
	assert_non_null(strstr(out, "{\"vaddr\":\"0x7f0000000000\",\"nr_pages\":16,\"offset\":4096,\"part\":1}"));
	free(out);

	out = show(false, &err);
	assert_int_equal(err, 0);
	assert_non_null(strstr(out, "\n      pid: 4242\n"));
	assert_non_null(strstr(out, "regs: rip 0x1000001010 rsp 0x1000001313"));
	assert_non_null(strstr(out, "000000600000-000000610000 rw- 00000000 anon         [heap]\n"));
	assert_non_null(strstr(out, "1: regular /tmp/log \"quoted\"?file flags 02001 pos 77"));
	assert_non_null(strstr(out, "pagemap: 4 entries, 21 pages, 86016 bytes in 2 pages file(s)\n"));
	assert_null(strstr(out, "\n        1: default")); /* default actions are left out */
	free(out);

	/* A damaged image: one error, no output. */
	damage("mm-4242.img", D_CUT_BODY);
	unit_log_reset();
	out = show(true, &err);
	assert_int_equal(err, -ENODATA);
	assert_string_equal(out, "");
	assert_int_equal(unit_log_errors(), 1);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_roundtrip_task),
		T(test_roundtrip_fdext),
		T(test_roundtrip_zombie),
		T(test_roundtrip_inventory),
		T(test_roundtrip_pipes),
		T(test_sysv_shm_vmas),
		T(test_memfd_vmas),
		T(test_untouched_and_write_errors),
		T(test_damaged),
		T(test_extra_record),
		T(test_no_record),
		T(test_random_bytes),
		T(test_random_payloads),
		T(test_hostile_task),
		T(test_hostile_messages),
		T(test_inventory_version),
		T(test_inventory_repeated_pid),
		T(test_pipes_repeated),
		T(test_pages_header),
		T(test_crc),
		T(test_show),
#undef T
	};

	/* Thousands of small images, each fdatasync'd: keep them in memory when we can. */
	if (!access("/dev/shm", W_OK))
		setenv("TMPDIR", "/dev/shm", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
