// SPDX-License-Identifier: GPL-2.0
/* Image layer: round trips and every kind of damaged or hostile image. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "img-io.h"
#include "img.h"
#include "log.h"
#include "mm.pb-c.h"
#include "state.h"

#define PID 4242

static char dir[64];
static int dirfd_;

static void quiet(enum ckpt_log_level l, const char *f, int line, const char *m)
{
	(void)l, (void)f, (void)line, (void)m;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/ckpt-test-img.XXXXXX");
	assert_non_null(mkdtemp(dir));
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dirfd_ >= 0);
	ckpt_log_set_fn(quiet);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	close(dirfd_);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void make_task(struct ckpt_task *t)
{
	static const char *paths[] = { NULL, "/usr/bin/x", NULL };
	size_t i;

	memset(t, 0, sizeof(*t));
	t->pid = PID;
	t->ppid = 1;
	t->pgid = PID;
	t->sid = PID;
	strcpy(t->comm, "unit");
	t->umask = 022;
	t->personality = 0x40000;
	t->cwd = strdup("/tmp");
	t->root = strdup("/");
	t->creds.uid = 1000;
	t->creds.euid = 1001;
	t->creds.gid = 100;
	t->creds.n_groups = 2;
	t->creds.groups = calloc(2, 4);
	t->creds.groups[0] = 10;
	t->creds.groups[1] = 20;
	t->creds.cap_bnd = 0x1ffffffffffULL;
	t->creds.no_new_privs = true;
	for (i = 0; i < CKPT_NRLIMITS; i++) {
		t->rlimits[i].cur = i * 10;
		t->rlimits[i].max = i * 10 + 5;
	}
	t->sigactions[9].handler = 0x401000;
	t->sigactions[9].flags = 0x14000000;
	t->sigactions[9].mask = 1 << 3;
	t->itimers[0].value_us = 1500000;
	t->itimers[0].interval_us = 250000;
	t->shared_pending.n = 1;
	t->shared_pending.info = calloc(1, sizeof(struct ckpt_siginfo));
	t->shared_pending.info[0].raw[0] = 10;
	t->n_threads = 1;
	t->threads = calloc(1, sizeof(*t->threads));
	t->threads[0].tid = PID;
	t->threads[0].regs.rip = 0x401234;
	t->threads[0].regs.rsp = 0x7ffd0000;
	t->threads[0].regs.orig_rax = (uint64_t)-1;
	t->threads[0].regs.fs_base = 0x7f0000001000;
	t->threads[0].xsave_size = 1024;
	t->threads[0].xsave = malloc(1024);
	for (i = 0; i < 1024; i++)
		t->threads[0].xsave[i] = i * 3;
	t->threads[0].sigmask = 0x12345;
	t->threads[0].rseq_ptr = 0x7f00000020;
	t->threads[0].rseq_len = 32;
	t->threads[0].altstack_flags = 2;
	t->mm.start_code = 0x400000;
	t->mm.brk = 0x603000;
	t->mm.start_brk = 0x602000;
	t->mm.n_auxv = 4;
	t->mm.auxv = calloc(4, 8);
	t->mm.auxv[0] = 6;
	t->mm.auxv[1] = 4096;
	t->mm.exe_path = strdup("/usr/bin/x");
	t->mm.exe.size = 12345;
	t->mm.n_vmas = 3;
	t->mm.vmas = calloc(3, sizeof(struct ckpt_vma));
	for (i = 0; i < 3; i++) {
		struct ckpt_vma *v = &t->mm.vmas[i];

		v->start = 0x400000 + i * 0x10000;
		v->end = v->start + 0x8000;
		v->kind = paths[i] ? CKPT_VMA_FILE_PRIVATE : CKPT_VMA_ANON;
		v->prot = 3;
		v->attrs = CKPT_VMA_ACCOUNT;
		v->path = paths[i] ? strdup(paths[i]) : NULL;
		v->name = i == 2 ? strdup("[heap]") : NULL;
		v->file.size = 999;
	}
	t->mm.n_pagemap = 2;
	t->mm.pagemap = calloc(2, sizeof(struct ckpt_pagemap_entry));
	t->mm.pagemap[0] = (struct ckpt_pagemap_entry){ 0x400000, 2, 4096 };
	t->mm.pagemap[1] = (struct ckpt_pagemap_entry){ 0x420000, 1, 4096 * 3 };
	t->mm.nr_pages = 3;
	t->n_fds = 3;
	t->fds = calloc(3, sizeof(struct ckpt_fd));
	t->fds[0] = (struct ckpt_fd){ .fd = 0, .kind = CKPT_FD_DEVNULL, .path = strdup("/dev/null"), .dup_of = -1 };
	t->fds[1] = (struct ckpt_fd){ .fd = 1, .kind = CKPT_FD_REG, .flags = O_WRONLY | O_APPEND, .pos = 77,
				      .path = strdup("/tmp/log"), .dup_of = -1 };
	t->fds[2] = (struct ckpt_fd){ .fd = 2, .kind = CKPT_FD_REG, .path = strdup("/tmp/log"), .dup_of = 1 };
}

static void write_image(void)
{
	struct ckpt_inventory inv = { .img_version = CKPT_IMG_VERSION, .tool_version = "t",
				      .kernel = "k", .arch = "x86_64", .root_pid = PID, .n_tasks = 1,
				      .dump_time_ns = 42, .shell_job = true };
	struct ckpt_task t;

	make_task(&t);
	assert_int_equal(ckpt_img_write_task(dirfd_, &t), 0);
	assert_int_equal(ckpt_img_write_inventory(dirfd_, &inv), 0);
	ckpt_task_free(&t);
}

static void test_roundtrip(void **state)
{
	struct ckpt_task a, b;
	struct ckpt_inventory inv;
	size_t i;

	(void)state;
	write_image();
	make_task(&a);
	assert_int_equal(ckpt_img_read_inventory(dirfd_, &inv), 0);
	assert_int_equal(inv.root_pid, PID);
	assert_string_equal(inv.arch, "x86_64");
	assert_true(inv.shell_job);
	assert_int_equal(inv.dump_time_ns, 42);
	ckpt_inventory_free(&inv);
	assert_int_equal(ckpt_img_read_task(dirfd_, PID, &b), 0);
	assert_int_equal(b.pid, a.pid);
	assert_string_equal(b.comm, "unit");
	assert_int_equal(b.umask, 022);
	assert_int_equal(b.personality, 0x40000);
	assert_string_equal(b.cwd, "/tmp");
	assert_int_equal(b.creds.euid, 1001);
	assert_int_equal(b.creds.n_groups, 2);
	assert_int_equal(b.creds.groups[1], 20);
	assert_true(b.creds.no_new_privs);
	assert_memory_equal(b.rlimits, a.rlimits, sizeof(a.rlimits));
	assert_memory_equal(b.sigactions, a.sigactions, sizeof(a.sigactions));
	assert_memory_equal(b.itimers, a.itimers, sizeof(a.itimers));
	assert_int_equal(b.shared_pending.n, 1);
	assert_int_equal(b.shared_pending.info[0].raw[0], 10);
	assert_memory_equal(&b.threads[0].regs, &a.threads[0].regs, sizeof(a.threads[0].regs));
	assert_int_equal(b.threads[0].xsave_size, 1024);
	assert_memory_equal(b.threads[0].xsave, a.threads[0].xsave, 1024);
	assert_int_equal(b.threads[0].sigmask, 0x12345);
	assert_int_equal(b.threads[0].rseq_len, 32);
	assert_int_equal(b.mm.brk, 0x603000);
	assert_int_equal(b.mm.n_auxv, 4);
	assert_int_equal(b.mm.auxv[1], 4096);
	assert_string_equal(b.mm.exe_path, "/usr/bin/x");
	assert_int_equal(b.mm.n_vmas, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(b.mm.vmas[i].start, a.mm.vmas[i].start);
		assert_int_equal(b.mm.vmas[i].kind, a.mm.vmas[i].kind);
		assert_int_equal(b.mm.vmas[i].attrs, CKPT_VMA_ACCOUNT);
	}
	assert_string_equal(b.mm.vmas[1].path, "/usr/bin/x");
	assert_string_equal(b.mm.vmas[2].name, "[heap]");
	assert_int_equal(b.mm.n_pagemap, 2);
	assert_memory_equal(b.mm.pagemap, a.mm.pagemap, 2 * sizeof(*a.mm.pagemap));
	assert_int_equal(b.mm.nr_pages, 3);
	assert_int_equal(b.n_fds, 3);
	assert_int_equal(b.fds[1].pos, 77);
	assert_int_equal(b.fds[1].flags, O_WRONLY | O_APPEND);
	assert_int_equal(b.fds[2].dup_of, 1);
	ckpt_task_free(&a);
	ckpt_task_free(&b);
}

static void path_of(char *buf, const char *name)
{
	sprintf(buf, "%s/%s", dir, name);
}

static void truncate_to(const char *name, off_t len)
{
	char p[128];

	path_of(p, name);
	assert_int_equal(truncate(p, len), 0);
}

static void poke(const char *name, off_t off, const void *data, size_t len)
{
	char p[128];
	int fd;

	path_of(p, name);
	fd = open(p, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, off), (ssize_t)len);
	close(fd);
}

static off_t size_of(const char *name)
{
	char p[128];
	struct stat st;

	path_of(p, name);
	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

static int read_all(void)
{
	struct ckpt_inventory inv;
	struct ckpt_task t;
	int err = ckpt_img_read_inventory(dirfd_, &inv);

	if (err)
		return err;
	ckpt_inventory_free(&inv);
	err = ckpt_img_read_task(dirfd_, PID, &t);
	if (!err)
		ckpt_task_free(&t);
	return err;
}

static const char *const files[] = { "inventory.img", "core-4242.img", "mm-4242.img",
				     "files-4242.img", "pagemap-4242.img" };

static void test_missing(void **state)
{
	char p[128];
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		write_image();
		path_of(p, files[i]);
		unlink(p);
		assert_int_equal(read_all(), -ENOENT);
		teardown(NULL);
		setup(NULL);
	}
}

static void test_truncated(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		off_t sz;

		write_image();
		sz = size_of(files[i]);
		truncate_to(files[i], 0);
		assert_int_equal(read_all(), -ENODATA);      /* empty: no header */
		teardown(NULL), setup(NULL), write_image();
		truncate_to(files[i], 10);
		assert_int_equal(read_all(), -ENODATA);      /* half a header */
		teardown(NULL), setup(NULL), write_image();
		truncate_to(files[i], 16 + 6);
		assert_int_equal(read_all(), -ENODATA);      /* half a record header */
		teardown(NULL), setup(NULL), write_image();
		truncate_to(files[i], sz - 1);
		assert_int_equal(read_all(), -ENODATA);      /* record body cut */
		teardown(NULL), setup(NULL);
	}
}

static void test_header(void **state)
{
	static const uint8_t v7[4] = { 7, 0, 0, 0 }, junk[4] = { 'X', 'X', 'X', 'X' };
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		write_image();
		poke(files[i], 4, v7, 4);
		assert_int_equal(read_all(), -EPROTO);
		teardown(NULL), setup(NULL), write_image();
		poke(files[i], 0, junk, 4);
		assert_int_equal(read_all(), -EBADMSG);
		teardown(NULL), setup(NULL), write_image();
		poke(files[i], 8, v7, 4); /* unknown flags */
		assert_int_equal(read_all(), -EPROTO);
		teardown(NULL), setup(NULL);
	}
}

static void test_oversized_and_flipped(void **state)
{
	static const uint8_t huge[4] = { 0xff, 0xff, 0xff, 0x7f };
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		uint8_t b;
		off_t sz;

		write_image();
		poke(files[i], 16, huge, 4);
		assert_int_equal(read_all(), -EFBIG);
		teardown(NULL), setup(NULL), write_image();
		sz = size_of(files[i]);
		b = 0x5a;
		poke(files[i], 16 + 8 + (sz - 24) / 2, &b, 1); /* inside the payload */
		assert_int_equal(read_all(), -EBADMSG);
		teardown(NULL), setup(NULL);
	}
}

static void test_random_bytes(void **state)
{
	uint8_t buf[512];
	unsigned int seed;
	size_t i, k;

	(void)state;
	for (seed = 1; seed <= 200; seed++) {
		srand(seed);
		write_image();
		k = seed % 5;
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = rand();
		/* Keep a valid header half the time so the record parser is reached. */
		if (seed % 2)
			ckpt_img_hdr(buf, (uint32_t[]){ CKPT_MAGIC_INVENTORY, CKPT_MAGIC_CORE, CKPT_MAGIC_MM,
							CKPT_MAGIC_FILES, CKPT_MAGIC_PAGEMAP }[k]);
		truncate_to(files[k], 0);
		poke(files[k], 0, buf, 16 + seed % (sizeof(buf) - 16));
		assert_true(read_all() < 0);
		teardown(NULL), setup(NULL);
	}
}

/* Well-formed records whose content is hostile. */
static void write_mm_with(void (*mutate)(struct ckpt_task *))
{
	struct ckpt_inventory inv = { .img_version = CKPT_IMG_VERSION, .root_pid = PID, .n_tasks = 1 };
	struct ckpt_task t;

	make_task(&t);
	mutate(&t);
	assert_int_equal(ckpt_img_write_task(dirfd_, &t), 0);
	assert_int_equal(ckpt_img_write_inventory(dirfd_, &inv), 0);
	ckpt_task_free(&t);
}

static void m_unsorted(struct ckpt_task *t) { t->mm.vmas[1].start = 0x300000; t->mm.vmas[1].end = 0x308000; }
static void m_unaligned(struct ckpt_task *t) { t->mm.vmas[0].end += 1; }
static void m_kernel_addr(struct ckpt_task *t) { t->mm.vmas[2].start = 0xffff800000000000ULL; t->mm.vmas[2].end = t->mm.vmas[2].start + 0x1000; }
static void m_page_outside(struct ckpt_task *t) { t->mm.pagemap[1].vaddr = 0x500000; }
static void m_page_spans(struct ckpt_task *t) { t->mm.pagemap[0].nr_pages = 100; }
static void m_page_offset(struct ckpt_task *t) { t->mm.pagemap[0].offset = 100; }
static void m_fd_negative(struct ckpt_task *t) { t->fds[0].fd = -1; }
static void m_fd_dup(struct ckpt_task *t) { t->fds[2].fd = 1; }
static void m_dup_forward(struct ckpt_task *t) { t->fds[1].dup_of = 2; }
static void m_relative_cwd(struct ckpt_task *t) { free(t->cwd); t->cwd = strdup("tmp"); }
static void m_bad_signal(struct ckpt_task *t) { t->shared_pending.info[0].raw[0] = 99; }
static void m_no_path(struct ckpt_task *t) { free(t->mm.vmas[1].path); t->mm.vmas[1].path = NULL; }
static void m_rlimit(struct ckpt_task *t) { t->rlimits[3].cur = 10; t->rlimits[3].max = 5; }

static void test_hostile(void **state)
{
	void (*m[])(struct ckpt_task *) = { m_unsorted, m_unaligned, m_kernel_addr, m_page_outside,
					    m_page_spans, m_page_offset, m_fd_negative, m_fd_dup,
					    m_dup_forward, m_relative_cwd, m_bad_signal, m_no_path, m_rlimit };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		write_mm_with(m[i]);
		assert_int_equal(read_all(), -EBADMSG);
		teardown(NULL), setup(NULL);
	}
}

static void test_pages_header(void **state)
{
	char p[128];
	uint8_t b = 9;
	int fd;

	(void)state;
	path_of(p, "pages-1.img");
	fd = open(p, O_RDWR | O_CREAT, 0600);
	assert_int_equal(ckpt_img_pages_hdr_write(fd), 0);
	assert_int_equal(lseek(fd, 0, SEEK_END), CKPT_PAGES_HDR_SIZE);
	assert_int_equal(ckpt_img_pages_hdr_check(fd, "pages-1.img"), 0);
	assert_int_equal(pwrite(fd, &b, 1, 4), 1);
	assert_int_equal(ckpt_img_pages_hdr_check(fd, "pages-1.img"), -EPROTO);
	assert_int_equal(ftruncate(fd, 3), 0);
	assert_int_equal(ckpt_img_pages_hdr_check(fd, "pages-1.img"), -ENODATA);
	close(fd);
}

static void test_crc(void **state)
{
	(void)state;
	/* The standard CRC-32C check value. */
	assert_int_equal(ckpt_crc32c(0, "123456789", 9), 0xe3069283);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_and_flipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages_header, setup, teardown),
		cmocka_unit_test(test_crc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
