// SPDX-License-Identifier: GPL-2.0
/*
 * lib/proc.c: the /proc/PID parsers on fixed text (every parser input sits
 * right before a PROT_NONE page, so reading past its NUL crashes the test),
 * on a fake /proc/PID directory, and on this process's own /proc/self.
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
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc.h"
#include "state.h"
#include "unit.h"
#include "util.h"

/* ---- helpers ---- */

/* A copy of s whose NUL is the last byte before an inaccessible page. */
struct guarded {
	char *map;
	size_t len;
	char *s;
};

static const char *guard(struct guarded *g, const char *s)
{
	size_t n = strlen(s) + 1, pages = (n + PAGE_SIZE - 1) / PAGE_SIZE;

	g->len = (pages + 1) * PAGE_SIZE;
	g->map = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map + pages * PAGE_SIZE, PAGE_SIZE, PROT_NONE), 0);
	g->s = g->map + pages * PAGE_SIZE - n;
	memcpy(g->s, s, n);
	return g->s;
}

static void unguard(struct guarded *g)
{
	munmap(g->map, g->len);
}

static int parse_stat(const char *text, struct ckpt_proc_stat *st)
{
	struct guarded g;
	int err = ckpt_proc_parse_stat(guard(&g, text), st);

	unguard(&g);
	return err;
}

static int parse_status(const char *text, struct ckpt_task *t)
{
	struct guarded g;
	int err = ckpt_proc_parse_status(guard(&g, text), t);

	unguard(&g);
	return err;
}

static int parse_smaps(const char *text, struct ckpt_mm *mm)
{
	struct guarded g;
	int err = ckpt_proc_parse_smaps(guard(&g, text), mm);

	unguard(&g);
	return err;
}

static int parse_fdinfo(const char *text, uint64_t *pos, uint32_t *flags)
{
	struct guarded g;
	int err = ckpt_proc_parse_fdinfo(guard(&g, text), pos, flags);

	unguard(&g);
	return err;
}

/*
 * A stat line "4242 (comm) S f4 f5 ... fN" where field k (1-based, as in
 * proc(5)) holds 100 + k, so every field lands somewhere recognisable.
 */
static char *stat_line(const char *comm, int last_field)
{
	char *s, *p;
	int k;

	s = malloc(4096);
	assert_non_null(s);
	p = s + sprintf(s, "4242 (%s) S", comm);
	for (k = 4; k <= last_field; k++)
		p += sprintf(p, " %d", 100 + k);
	strcpy(p, "\n");
	return s;
}

static void free_mm(struct ckpt_mm *mm)
{
	size_t i;

	for (i = 0; i < mm->n_vmas; i++) {
		free(mm->vmas[i].path);
		free(mm->vmas[i].name);
	}
	free(mm->vmas);
	free(mm->auxv);
	memset(mm, 0, sizeof(*mm));
}

static const struct ckpt_vma *vma_at(const struct ckpt_mm *mm, uint64_t addr)
{
	size_t i;

	for (i = 0; i < mm->n_vmas; i++)
		if (mm->vmas[i].start <= addr && addr < mm->vmas[i].end)
			return &mm->vmas[i];
	return NULL;
}

static const struct ckpt_vma *vma_named(const struct ckpt_mm *mm, const char *name)
{
	size_t i;

	for (i = 0; i < mm->n_vmas; i++)
		if (mm->vmas[i].name && !strcmp(mm->vmas[i].name, name))
			return &mm->vmas[i];
	return NULL;
}

/* A fake /proc/PID directory holding one file. */
static char *fake_dir;
static int fake_fd = -1;

static int fake_setup(void **state)
{
	(void)state;
	unit_log_reset();
	fake_dir = unit_tmpdir();
	if (!fake_dir)
		return -1;
	fake_fd = open(fake_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fake_fd < 0 ? -1 : 0;
}

static int fake_teardown(void **state)
{
	(void)state;
	close(fake_fd);
	fake_fd = -1;
	unit_rm_rf(fake_dir);
	free(fake_dir);
	fake_dir = NULL;
	return 0;
}

static void fake_file(const char *name, const char *text)
{
	char *path;
	int fd;

	assert_true(asprintf(&path, "%s/%s", fake_dir, name) > 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	free(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int quiet_setup(void **state)
{
	(void)state;
	unit_log_reset();
	return 0;
}

/* ---- ckpt_proc_parse_stat ---- */

static void test_parse_timers(void **state)
{
	static const char text[] = "ID: 2\nsignal: 36/000000000000004d\nnotify: signal/tid.77\nClockID: 1\n"
				   "ID: 0\nsignal: 34/0000000000000000\nnotify: signal/pid.70\nClockID: 0\n"
				   "ID: 5\nsignal: 0/0000000000000000\nnotify: none/pid.70\nClockID: 7\n";
	struct ckpt_posix_timer *t;
	size_t n;

	(void)state;
	assert_int_equal(ckpt_proc_parse_timers(text, &t, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(t[0].id, 2);
	assert_int_equal(t[0].signo, 36);
	assert_int_equal(t[0].sival, 0x4d);
	assert_int_equal(t[0].notify, 4);
	assert_int_equal(t[0].notify_tid, 77);
	assert_int_equal(t[0].clock, 1);
	assert_int_equal(t[1].notify, 0);
	assert_int_equal(t[2].notify, 1);
	assert_int_equal(t[2].clock, 7);
	free(t);
	assert_int_equal(ckpt_proc_parse_timers("signal: 1/0\n", &t, &n), -EINVAL);
	assert_int_equal(ckpt_proc_parse_timers("ID: 1\nbogus\n", &t, &n), -EINVAL);
	assert_int_equal(ckpt_proc_parse_timers("", &t, &n), 0);
	assert_int_equal(n, 0);
	free(t);
}

static void test_stat_real_self_line(void **state)
{
	struct ckpt_proc_stat st;
	char *buf, name[17] = "";
	size_t len;

	(void)state;
	assert_int_equal(ckpt_read_file(AT_FDCWD, "/proc/self/stat", &buf, &len), 0);
	assert_int_equal(parse_stat(buf, &st), 0);
	free(buf);
	assert_int_equal(prctl(PR_GET_NAME, name), 0);
	assert_string_equal(st.comm, name);
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.pgid, getpgrp());
	assert_int_equal(st.sid, getsid(0));
	assert_int_equal(st.flags & PF_KTHREAD, 0);
	assert_true(st.num_threads >= 1);
	assert_true(st.start_code < st.end_code);
	assert_true(st.start_stack != 0);
	assert_true(st.start_data <= st.end_data);
	assert_true(st.arg_start < st.arg_end);
	assert_true(st.env_start <= st.env_end);
}

static void test_stat_fields_map_to_members(void **state)
{
	struct ckpt_proc_stat st;
	char *line = stat_line("cat", 52);

	(void)state;
	assert_int_equal(parse_stat(line, &st), 0);
	free(line);
	assert_string_equal(st.comm, "cat");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 104);
	assert_int_equal(st.pgid, 105);
	assert_int_equal(st.sid, 106);
	assert_int_equal(st.flags, 109);
	assert_int_equal(st.num_threads, 120);
	assert_int_equal(st.start_code, 126);
	assert_int_equal(st.end_code, 127);
	assert_int_equal(st.start_stack, 128);
	assert_int_equal(st.start_data, 145);
	assert_int_equal(st.end_data, 146);
	assert_int_equal(st.start_brk, 147);
	assert_int_equal(st.arg_start, 148);
	assert_int_equal(st.arg_end, 149);
	assert_int_equal(st.env_start, 150);
	assert_int_equal(st.env_end, 151);
}

static void test_stat_kernel_format_line(void **state)
{
	static const char line[] =
		"31337 (sleep) S 1 31337 31337 34816 31337 4194304 98 0 0 0 0 0 0 0 20 0 1 0 "
		"7369641 5840896 256 18446744073709551615 94373546106880 94373546121777 "
		"140724397470368 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94373546136880 "
		"94373546138304 94373564575744 140724397473321 140724397473333 "
		"140724397473333 140724397473769 0\n";
	struct ckpt_proc_stat st;

	(void)state;
	assert_int_equal(parse_stat(line, &st), 0);
	assert_string_equal(st.comm, "sleep");
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.pgid, 31337);
	assert_int_equal(st.sid, 31337);
	assert_int_equal(st.flags, 4194304);
	assert_int_equal(st.num_threads, 1);
	assert_int_equal(st.start_code, 94373546106880ULL);
	assert_int_equal(st.end_code, 94373546121777ULL);
	assert_int_equal(st.start_stack, 140724397470368ULL);
	assert_int_equal(st.start_brk, 94373564575744ULL);
	assert_int_equal(st.env_end, 140724397473769ULL);
}

static void test_stat_comm_with_parens_and_spaces(void **state)
{
	static const char *const comms[] = { "a) (b", "x y", ")", "(", "", ") S 1 2 3 (", "((x))" };
	struct ckpt_proc_stat st;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(comms); i++) {
		char *line = stat_line(comms[i], 52);

		assert_int_equal(parse_stat(line, &st), 0);
		free(line);
		assert_string_equal(st.comm, comms[i]);
		assert_int_equal(st.state, 'S');
		assert_int_equal(st.ppid, 104);
		assert_int_equal(st.env_end, 151);
	}
}

static void test_stat_long_comm_is_truncated(void **state)
{
	struct ckpt_proc_stat st;
	char *line = stat_line("0123456789abcdefghijkl", 52);

	(void)state;
	assert_int_equal(parse_stat(line, &st), 0);
	free(line);
	assert_int_equal(strlen(st.comm), CKPT_COMM_LEN - 1);
	assert_memory_equal(st.comm, "0123456789abcde", CKPT_COMM_LEN);
	assert_int_equal(st.ppid, 104);
}

static void test_stat_kernel_thread_flags(void **state)
{
	static const char line[] = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 13 0 0 "
				   "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 0 0 0 "
				   "0 0 0 0 0 0 0 0 0 0 0\n";
	struct ckpt_proc_stat st;

	(void)state;
	assert_int_equal(parse_stat(line, &st), 0);
	assert_string_equal(st.comm, "kthreadd");
	assert_int_equal(st.flags & PF_KTHREAD, PF_KTHREAD);
	assert_int_equal(st.ppid, 0);
	assert_int_equal(st.start_code, 0);
	assert_int_equal(st.arg_start, 0);
}

static void test_stat_negative_fields(void **state)
{
	static const char line[] = "9 (rt) S 1 9 9 0 -1 4194560 0 0 0 0 0 0 0 0 -51 0 1 0 5 0 0 "
				   "18446744073709551615 4096 8192 12288\n";
	struct ckpt_proc_stat st;

	(void)state;
	assert_int_equal(parse_stat(line, &st), 0);
	assert_int_equal(st.flags, 4194560);
	assert_int_equal(st.start_code, 4096);
	assert_int_equal(st.start_stack, 12288);
}

static void test_stat_old_kernel_without_data_fields(void **state)
{
	struct ckpt_proc_stat st;
	char *line;

	(void)state;
	/* Fields up to start_stack (28) are enough; the later ones stay 0. */
	line = stat_line("old", 28);
	assert_int_equal(parse_stat(line, &st), 0);
	free(line);
	assert_int_equal(st.start_stack, 128);
	assert_int_equal(st.start_data, 0);
	assert_int_equal(st.env_end, 0);
	/* Up to field 44 (no start_data..env_end): same. */
	line = stat_line("old", 44);
	assert_int_equal(parse_stat(line, &st), 0);
	free(line);
	assert_int_equal(st.num_threads, 120);
	assert_int_equal(st.start_brk, 0);
}

static void test_stat_without_newline(void **state)
{
	struct ckpt_proc_stat st;
	char *line = stat_line("nonl", 52);

	(void)state;
	line[strlen(line) - 1] = '\0';
	assert_int_equal(parse_stat(line, &st), 0);
	free(line);
	assert_int_equal(st.env_end, 151);
}

static void test_stat_truncated(void **state)
{
	static const char *const bad[] = {
		"", "7", "7 (x", "7 (x)", "7 (x) ", "7 (x) S", "7 (x) S ", "7 (x) S\n",
		"7 (x) S 1 2", "7 (x) \n", "7 (x)S 1 2 3",
	};
	struct ckpt_proc_stat st;
	char *line;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("stat \"%s\"\n", bad[i]);
		assert_int_equal(parse_stat(bad[i], &st), -EINVAL);
	}
	/* One field short of start_stack. */
	line = stat_line("x", 27);
	assert_int_equal(parse_stat(line, &st), -EINVAL);
	free(line);
}

static void test_stat_garbage(void **state)
{
	/* A full-length line with one numeric field (10, "110") replaced. */
	static const char *const fields[] = { "abc", "1x0", "-", "0x", "+", "1.5" };
	static const char *const bad[] = { "garbage", "x) (y S 1 2 3", "\n\n\n" };
	struct ckpt_proc_stat st;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		char *line = stat_line("x", 52), *f = strstr(line, " 110 "), *b;

		assert_non_null(f);
		assert_true(asprintf(&b, "%.*s %s%s", (int)(f - line), line, fields[i], f + 4) > 0);
		free(line);
		assert_int_equal(parse_stat(b, &st), -EINVAL);
		free(b);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(parse_stat(bad[i], &st), -EINVAL);
}

/* ---- ckpt_proc_parse_status ---- */

static const char status_text[] =
	"Name:\tbash\n"
	"Umask:\t0027\n"
	"State:\tS (sleeping)\n"
	"Tgid:\t4242\n"
	"Ngid:\t0\n"
	"Pid:\t4242\n"
	"PPid:\t1\n"
	"TracerPid:\t0\n"
	"Uid:\t1000\t1001\t1002\t1003\n"
	"Gid:\t2000\t2001\t2002\t2003\n"
	"FDSize:\t256\n"
	"Groups:\t4 24 27 100 \n"
	"NStgid:\t4242\n"
	"NSpid:\t4242\n"
	"VmPeak:\t   10000 kB\n"
	"Threads:\t1\n"
	"SigQ:\t0/31409\n"
	"SigBlk:\t0000000000010000\n"
	"CapInh:\t0000000000000001\n"
	"CapPrm:\t00000000000000ff\n"
	"CapEff:\t000000000000000f\n"
	"CapBnd:\t000001ffffffffff\n"
	"CapAmb:\t0000000000000100\n"
	"NoNewPrivs:\t1\n"
	"Seccomp:\t0\n"
	"Speculation_Store_Bypass:\tthread vulnerable\n"
	"Cpus_allowed_list:\t0-1\n"
	"voluntary_ctxt_switches:\t150\n";

static void test_status_full(void **state)
{
	struct ckpt_task t = { 0 };

	(void)state;
	assert_int_equal(parse_status(status_text, &t), 0);
	assert_int_equal(t.umask, 027);
	assert_int_equal(t.creds.uid, 1000);
	assert_int_equal(t.creds.euid, 1001);
	assert_int_equal(t.creds.suid, 1002);
	assert_int_equal(t.creds.fsuid, 1003);
	assert_int_equal(t.creds.gid, 2000);
	assert_int_equal(t.creds.egid, 2001);
	assert_int_equal(t.creds.sgid, 2002);
	assert_int_equal(t.creds.fsgid, 2003);
	assert_int_equal(t.creds.n_groups, 4);
	assert_int_equal(t.creds.groups[0], 4);
	assert_int_equal(t.creds.groups[1], 24);
	assert_int_equal(t.creds.groups[2], 27);
	assert_int_equal(t.creds.groups[3], 100);
	assert_int_equal(t.creds.cap_inh, 1);
	assert_int_equal(t.creds.cap_prm, 0xff);
	assert_int_equal(t.creds.cap_eff, 0xf);
	assert_int_equal(t.creds.cap_bnd, 0x1ffffffffffULL);
	assert_int_equal(t.creds.cap_amb, 0x100);
	assert_true(t.creds.no_new_privs);
	ckpt_task_free(&t);
}

static void test_status_empty_groups(void **state)
{
	static const char text[] = "Umask:\t0022\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\n"
				   "Groups:\t\nNStgid:\t17\nNoNewPrivs:\t0\n";
	struct ckpt_task t = { 0 };

	(void)state;
	assert_int_equal(parse_status(text, &t), 0);
	assert_int_equal(t.creds.n_groups, 0);
	assert_null(t.creds.groups);
	assert_int_equal(t.umask, 022);
	assert_false(t.creds.no_new_privs);
	ckpt_task_free(&t);
}

static void test_status_groups_last_line_without_newline(void **state)
{
	static const char text[] = "Umask:\t0077\nUid:\t5\t5\t5\t5\nGid:\t6\t6\t6\t6\nGroups:\t65534";
	struct ckpt_task t = { 0 };

	(void)state;
	assert_int_equal(parse_status(text, &t), 0);
	assert_int_equal(t.umask, 077);
	assert_int_equal(t.creds.n_groups, 1);
	assert_int_equal(t.creds.groups[0], 65534);
	ckpt_task_free(&t);
}

static void test_status_lookalike_keys_ignored(void **state)
{
	static const char text[] = "Umask:\t0002\nUidx:\t9\t9\t9\t9\nUid:\t1\t2\t3\t4\nGidMap:\t9\n"
				   "Gid:\t5\t6\t7\t8\nCapEffective:\tffff\nNoNewPrivsX:\t1\n";
	struct ckpt_task t = { 0 };

	(void)state;
	assert_int_equal(parse_status(text, &t), 0);
	assert_int_equal(t.creds.uid, 1);
	assert_int_equal(t.creds.gid, 5);
	assert_int_equal(t.creds.cap_eff, 0);
	assert_false(t.creds.no_new_privs);
	ckpt_task_free(&t);
}

static void test_status_missing_uid(void **state)
{
	struct ckpt_task t = { 0 };

	(void)state;
	assert_int_equal(parse_status("Umask:\t0022\nGid:\t0\t0\t0\t0\nGroups:\t1 2\n", &t), -EINVAL);
	ckpt_task_free(&t);
}

static void test_status_missing_gid_or_umask(void **state)
{
	struct ckpt_task t = { 0 };

	(void)state;
	assert_int_equal(parse_status("Umask:\t0022\nUid:\t0\t0\t0\t0\n", &t), -EINVAL);
	ckpt_task_free(&t);
	assert_int_equal(parse_status("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n", &t), -EINVAL);
	ckpt_task_free(&t);
	assert_int_equal(parse_status("", &t), -EINVAL);
	ckpt_task_free(&t);
	assert_int_equal(parse_status("no colon at all", &t), -EINVAL);
	ckpt_task_free(&t);
}

static void test_status_malformed_ids(void **state)
{
	struct ckpt_task t = { 0 };

	(void)state;
	assert_int_equal(parse_status("Umask:\t0022\nUid:\t1\t2\t3\nGid:\t0\t0\t0\t0\n", &t), -EINVAL);
	ckpt_task_free(&t);
	assert_int_equal(parse_status("Umask:\t0022\nUid:\t0\t0\t0\t0\nGid:\tx\t0\t0\t0\n", &t), -EINVAL);
	ckpt_task_free(&t);
}

/* ---- ckpt_proc_parse_smaps ---- */

static const char smaps_text[] =
	/* 0: file text, full smaps body (some lines start with hex digits) */
	"55d4a2e00000-55d4a2e02000 r-xp 00002000 fe:00 131                        /usr/bin/cat\n"
	"Size:                  8 kB\n"
	"KernelPageSize:        4 kB\n"
	"MMUPageSize:           4 kB\n"
	"Rss:                   8 kB\n"
	"Pss:                   8 kB\n"
	"Pss_Dirty:             0 kB\n"
	"Shared_Clean:          0 kB\n"
	"Shared_Dirty:          0 kB\n"
	"Private_Clean:         8 kB\n"
	"Private_Dirty:         0 kB\n"
	"Referenced:            8 kB\n"
	"Anonymous:             0 kB\n"
	"KSM:                   0 kB\n"
	"LazyFree:              0 kB\n"
	"AnonHugePages:         0 kB\n"
	"ShmemPmdMapped:        0 kB\n"
	"FilePmdMapped:         0 kB\n"
	"Shared_Hugetlb:        0 kB\n"
	"Private_Hugetlb:       0 kB\n"
	"Swap:                  0 kB\n"
	"SwapPss:               0 kB\n"
	"Locked:                0 kB\n"
	"THPeligible:           0\n"
	"ProtectionKey:         0\n"
	"VmFlags: rd ex mr mw me sd \n"
	/* 1: [heap] */
	"55d4a3f41000-55d4a3f62000 rw-p 00000000 00:00 0                          [heap]\n"
	"Size:                132 kB\n"
	"VmFlags: rd wr mr mw me ac sd \n"
	/* 2: unnamed anonymous, the header ends right after the inode */
	"7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0\n"
	"Size:                132 kB\n"
	"AnonHugePages:         0 kB\n"
	"VmFlags: rd wr mr mw me ac \n"
	/* 3: unnamed, directly followed by the next header (maps format) */
	"7f1c2a100000-7f1c2a101000 ---p 00000000 00:00 0\n"
	/* 4: a file whose path has spaces */
	"7f1c2a200000-7f1c2a204000 r--p 00003000 fe:00 4242                       /opt/my dir/lib x 1.so\n"
	"VmFlags: rd mr mw me \n"
	/* 5: shared anonymous */
	"7f1c2a300000-7f1c2a301000 rw-s 00000000 00:01 2050                       /dev/zero (deleted)\n"
	"VmFlags: rd wr sh mr mw me ms sd \n"
	/* 6: shared file */
	"7f1c2a400000-7f1c2a401000 rw-s 00001000 fe:00 77                         /var/lib/data.bin\n"
	"VmFlags: rd wr sh mr mw me ms \n"
	/* 7: a named anonymous region */
	"7f1c2a500000-7f1c2a502000 rw-p 00000000 00:00 0                          [anon:my buffer]\n"
	"VmFlags: rd wr mr mw me ac dc wf dd hg nh lo \n"
	/* 8: a named shared anonymous region */
	"7f1c2a600000-7f1c2a601000 rw-s 00000000 00:01 9                          [anon_shmem:shm]\n"
	/* 9: unnamed with trailing blanks */
	"7f1c2a700000-7f1c2a702000 rwxp 00000000 00:00 0   \t \n"
	"VmFlags: rd wr ex mr mw me rr sr mg \n"
	/* 10..14: the stack and the kernel's special mappings */
	"7ffc5a1e0000-7ffc5a201000 rw-p 00000000 00:00 0                          [stack]\n"
	"VmFlags: rd wr mr mw me gd ac \n"
	"7ffc5a3ee000-7ffc5a3f2000 r--p 00000000 00:00 0                          [vvar]\n"
	"VmFlags: rd mr pf io de dd sd \n"
	"7ffc5a3f2000-7ffc5a3f4000 r--p 00000000 00:00 0                          [vvar_vclock]\n"
	"VmFlags: rd mr pf io de dd sd \n"
	"7ffc5a3f4000-7ffc5a3f6000 r-xp 00000000 00:00 0                          [vdso]\n"
	"VmFlags: rd ex mr mw me de sd \n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"
	"VmFlags: ex";

static struct ckpt_mm smaps_mm;

static int smaps_setup(void **state)
{
	(void)state;
	unit_log_reset();
	memset(&smaps_mm, 0, sizeof(smaps_mm));
	return parse_smaps(smaps_text, &smaps_mm);
}

static int smaps_teardown(void **state)
{
	(void)state;
	free_mm(&smaps_mm);
	return 0;
}

static void test_smaps_count_and_ranges(void **state)
{
	static const uint64_t ranges[][3] = {
		{ 0x55d4a2e00000, 0x55d4a2e02000, 0x2000 }, { 0x55d4a3f41000, 0x55d4a3f62000, 0 },
		{ 0x7f1c2a000000, 0x7f1c2a021000, 0 },      { 0x7f1c2a100000, 0x7f1c2a101000, 0 },
		{ 0x7f1c2a200000, 0x7f1c2a204000, 0x3000 }, { 0x7f1c2a300000, 0x7f1c2a301000, 0 },
		{ 0x7f1c2a400000, 0x7f1c2a401000, 0x1000 }, { 0x7f1c2a500000, 0x7f1c2a502000, 0 },
		{ 0x7f1c2a600000, 0x7f1c2a601000, 0 },      { 0x7f1c2a700000, 0x7f1c2a702000, 0 },
		{ 0x7ffc5a1e0000, 0x7ffc5a201000, 0 },      { 0x7ffc5a3ee000, 0x7ffc5a3f2000, 0 },
		{ 0x7ffc5a3f2000, 0x7ffc5a3f4000, 0 },      { 0x7ffc5a3f4000, 0x7ffc5a3f6000, 0 },
		{ 0xffffffffff600000, 0xffffffffff601000, 0 },
	};
	size_t i;

	(void)state;
	assert_int_equal(smaps_mm.n_vmas, ARRAY_SIZE(ranges));
	for (i = 0; i < ARRAY_SIZE(ranges); i++) {
		assert_int_equal(smaps_mm.vmas[i].start, ranges[i][0]);
		assert_int_equal(smaps_mm.vmas[i].end, ranges[i][1]);
		assert_int_equal(smaps_mm.vmas[i].pgoff, ranges[i][2]);
	}
}

static void test_smaps_prot(void **state)
{
	const struct ckpt_vma *v = smaps_mm.vmas;

	(void)state;
	assert_int_equal(v[0].prot, PROT_READ | PROT_EXEC);
	assert_int_equal(v[1].prot, PROT_READ | PROT_WRITE);
	assert_int_equal(v[3].prot, PROT_NONE);
	assert_int_equal(v[4].prot, PROT_READ);
	assert_int_equal(v[9].prot, PROT_READ | PROT_WRITE | PROT_EXEC);
	assert_int_equal(v[14].prot, PROT_EXEC);
}

static void test_smaps_file_mappings(void **state)
{
	const struct ckpt_vma *v = smaps_mm.vmas;

	(void)state;
	assert_int_equal(v[0].kind, CKPT_VMA_FILE_PRIVATE);
	assert_string_equal(v[0].path, "/usr/bin/cat");
	assert_string_equal(v[0].name, "/usr/bin/cat");
	assert_int_equal(v[4].kind, CKPT_VMA_FILE_PRIVATE);
	assert_string_equal(v[4].path, "/opt/my dir/lib x 1.so");
	assert_int_equal(v[6].kind, CKPT_VMA_FILE_SHARED);
	assert_string_equal(v[6].path, "/var/lib/data.bin");
	assert_int_equal(v[6].attrs, CKPT_VMA_MAYWRITE);
}

static void test_smaps_heap_and_stack(void **state)
{
	const struct ckpt_vma *v = smaps_mm.vmas;

	(void)state;
	assert_int_equal(v[1].kind, CKPT_VMA_ANON);
	assert_string_equal(v[1].name, "[heap]");
	assert_null(v[1].path);
	assert_int_equal(v[1].attrs, CKPT_VMA_HEAP | CKPT_VMA_MAYWRITE | CKPT_VMA_ACCOUNT);
	assert_int_equal(v[10].kind, CKPT_VMA_ANON);
	assert_null(v[10].path);
	assert_int_equal(v[10].attrs,
			 CKPT_VMA_STACK | CKPT_VMA_GROWSDOWN | CKPT_VMA_MAYWRITE | CKPT_VMA_ACCOUNT);
}

/* Regression: an unnamed VMA's header line used to swallow the line after it. */
static void test_smaps_unnamed_anon(void **state)
{
	const struct ckpt_vma *v = smaps_mm.vmas;

	(void)state;
	assert_int_equal(v[2].kind, CKPT_VMA_ANON);
	assert_null(v[2].name);
	assert_null(v[2].path);
	assert_int_equal(v[2].attrs, CKPT_VMA_MAYWRITE | CKPT_VMA_ACCOUNT);
	assert_int_equal(v[3].kind, CKPT_VMA_ANON);
	assert_null(v[3].name);
	assert_int_equal(v[3].attrs, 0);
	assert_int_equal(v[9].kind, CKPT_VMA_ANON);
	assert_null(v[9].name);
}

static void test_smaps_unnamed_anon_alone(void **state)
{
	struct ckpt_mm mm = { 0 };

	(void)state;
	assert_int_equal(parse_smaps("7f0000000000-7f0000001000 rw-p 00000000 00:00 0\n"
				     "Size:                  4 kB\n",
				     &mm), 0);
	assert_int_equal(mm.n_vmas, 1);
	assert_null(mm.vmas[0].name);
	assert_int_equal(mm.vmas[0].kind, CKPT_VMA_ANON);
	free_mm(&mm);
	/* Last line of the text, without a newline. */
	assert_int_equal(parse_smaps("7f0000000000-7f0000001000 rw-p 00000000 00:00 0", &mm), 0);
	assert_int_equal(mm.n_vmas, 1);
	assert_null(mm.vmas[0].name);
	free_mm(&mm);
	assert_int_equal(parse_smaps("7f0000000000-7f0000001000 rw-p 00000000 00:00 0 [heap]", &mm), 0);
	assert_int_equal(mm.n_vmas, 1);
	assert_string_equal(mm.vmas[0].name, "[heap]");
	free_mm(&mm);
}

/* A SysV attach and a shared memfd by their names; a file that merely looks like one is a file. */
/* fdinfo lock lines: holders only, each kind, EOF ranges; unusual kinds refused. */
static void test_fdinfo_locks(void **state)
{
	struct ckpt_lock *l = (void *)1;
	size_t n = 9;

	(void)state;
	assert_int_equal(ckpt_proc_parse_locks("pos:\t0\nflags:\t02\n", &l, &n), 0);
	assert_int_equal(n, 0);
	assert_null(l);
	assert_int_equal(ckpt_proc_parse_locks(
		"pos:\t0\nflags:\t0100002\nmnt_id:\t27\nino:\t42\n"
		"lock:\t1: FLOCK  ADVISORY  WRITE 20871 fe:00:42 0 EOF\n"
		"lock:\t2: POSIX  ADVISORY  READ 20871 fe:00:42 10 29\n"
		"lock:\t3: -> POSIX  ADVISORY  WRITE 20999 fe:00:42 10 29\n"
		"lock:\t4: OFDLCK ADVISORY  READ -1 fe:00:42 100 EOF", &l, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(l[0].kind, CKPT_LOCK_FLOCK);
	assert_true(l[0].write);
	assert_int_equal(l[0].end, UINT64_MAX);
	assert_int_equal(l[1].kind, CKPT_LOCK_POSIX);
	assert_false(l[1].write);
	assert_int_equal(l[1].start, 10);
	assert_int_equal(l[1].end, 29);
	assert_int_equal(l[2].kind, CKPT_LOCK_OFD);
	assert_int_equal(l[2].start, 100);
	free(l);
	assert_int_equal(ckpt_proc_parse_locks("lock:\t1: POSIX  MANDATORY WRITE 1 fe:00:42 0 EOF\n",
					       &l, &n), -EOPNOTSUPP);
	assert_int_equal(ckpt_proc_parse_locks("lock:\t1: LEASE  ACTIVE    READ 1 fe:00:42 0 EOF\n",
					       &l, &n), -EOPNOTSUPP);
	assert_int_equal(ckpt_proc_parse_locks("lock:\t1: FLOCK\n", &l, &n), -EINVAL);
}

static void test_smaps_sysv(void **state)
{
	struct ckpt_mm mm = { 0 };

	(void)state;
	assert_int_equal(parse_smaps("7f0000000000-7f0000010000 rw-s 00000000 00:01 65538      "
				     "/SYSV5eed0001 (deleted)\n"
				     "VmFlags: rd wr sh mr mw me ms \n"
				     "7f0000010000-7f0000011000 rw-s 00000000 fe:00 12          "
				     "/SYSV5eed0001\n"
				     "7f0000011000-7f0000012000 rw-s 00000000 fe:00 13          "
				     "/SYSVnotasegment (deleted)\n"
				     "7f0000012000-7f0000013000 rw-s 00000000 fe:00 14          "
				     "/SYSVzzzzzzzz (deleted)\n"
				     "7f0000013000-7f0000014000 rw-s 00000000 00:01 15          "
				     "/memfd:a b (deleted)\n"
				     "7f0000014000-7f0000015000 rw-p 00000000 00:01 15          "
				     "/memfd:a b (deleted)\n", &mm), 0);
	assert_int_equal(mm.n_vmas, 6);
	assert_int_equal(mm.vmas[3].kind, CKPT_VMA_FILE_SHARED);
	assert_int_equal(mm.vmas[4].kind, CKPT_VMA_MEMFD);
	assert_int_equal(mm.vmas[4].memfd_fd, -1);
	assert_null(mm.vmas[4].path);
	assert_string_equal(mm.vmas[4].name, "/memfd:a b (deleted)");
	/* a private mapping of a memfd is a (deleted) file: refused by the source */
	assert_int_equal(mm.vmas[5].kind, CKPT_VMA_FILE_PRIVATE);
	assert_int_equal(mm.vmas[0].kind, CKPT_VMA_SYSVSHM);
	assert_null(mm.vmas[0].path);
	assert_string_equal(mm.vmas[0].name, "/SYSV5eed0001 (deleted)");
	assert_int_equal(mm.vmas[0].attrs, CKPT_VMA_MAYWRITE);
	assert_int_equal(mm.vmas[1].kind, CKPT_VMA_FILE_SHARED);
	assert_int_equal(mm.vmas[2].kind, CKPT_VMA_FILE_SHARED);
	free_mm(&mm);
}

static void test_smaps_shared_anon(void **state)
{
	const struct ckpt_vma *v = smaps_mm.vmas;

	(void)state;
	assert_int_equal(v[5].kind, CKPT_VMA_SHANON);
	assert_null(v[5].path);
	assert_string_equal(v[5].name, "/dev/zero (deleted)");
	assert_int_equal(v[5].attrs, CKPT_VMA_MAYWRITE);
	assert_int_equal(v[8].kind, CKPT_VMA_SHANON);
	assert_string_equal(v[8].name, "[anon_shmem:shm]");
	assert_null(v[8].path);
}

static void test_smaps_named_anon(void **state)
{
	const struct ckpt_vma *v = smaps_mm.vmas;

	(void)state;
	assert_int_equal(v[7].kind, CKPT_VMA_ANON);
	assert_string_equal(v[7].name, "[anon:my buffer]");
	assert_null(v[7].path);
	assert_int_equal(v[7].attrs, CKPT_VMA_MAYWRITE | CKPT_VMA_ACCOUNT | CKPT_VMA_DONTFORK |
					     CKPT_VMA_WIPEONFORK | CKPT_VMA_DONTDUMP |
					     CKPT_VMA_HUGEPAGE | CKPT_VMA_NOHUGEPAGE | CKPT_VMA_LOCKED);
	assert_int_equal(v[9].attrs, CKPT_VMA_MAYWRITE | CKPT_VMA_RANDREAD | CKPT_VMA_SEQREAD |
					     CKPT_VMA_MERGEABLE);
}

static void test_smaps_special(void **state)
{
	const struct ckpt_vma *v = smaps_mm.vmas;

	(void)state;
	assert_int_equal(v[11].kind, CKPT_VMA_VVAR);
	assert_int_equal(v[11].attrs, CKPT_VMA_DONTDUMP);
	assert_int_equal(v[12].kind, CKPT_VMA_VVAR_VCLOCK);
	assert_int_equal(v[13].kind, CKPT_VMA_VDSO);
	assert_int_equal(v[13].attrs, CKPT_VMA_MAYWRITE);
	assert_string_equal(v[13].name, "[vdso]");
	assert_int_equal(v[14].kind, CKPT_VMA_VSYSCALL);
	assert_int_equal(v[14].attrs, 0);
	assert_null(v[11].path);
	assert_null(v[13].path);
}

static void test_smaps_each_vmflag(void **state)
{
	static const struct {
		const char *flag;
		uint32_t attr;
	} flags[] = {
		{ "gd", CKPT_VMA_GROWSDOWN }, { "dc", CKPT_VMA_DONTFORK },
		{ "wf", CKPT_VMA_WIPEONFORK }, { "dd", CKPT_VMA_DONTDUMP },
		{ "hg", CKPT_VMA_HUGEPAGE },  { "nh", CKPT_VMA_NOHUGEPAGE },
		{ "lo", CKPT_VMA_LOCKED },    { "rr", CKPT_VMA_RANDREAD },
		{ "sr", CKPT_VMA_SEQREAD },   { "mg", CKPT_VMA_MERGEABLE },
		{ "mw", CKPT_VMA_MAYWRITE },  { "ac", CKPT_VMA_ACCOUNT },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		struct ckpt_mm mm = { 0 };
		char text[256];

		/* Once in the middle of the line, once last without a newline. */
		snprintf(text, sizeof(text),
			 "1000-2000 rw-p 00000000 00:00 0\nVmFlags: rd %s wr \n"
			 "3000-4000 rw-p 00000000 00:00 0\nVmFlags: rd wr %s",
			 flags[i].flag, flags[i].flag);
		assert_int_equal(parse_smaps(text, &mm), 0);
		assert_int_equal(mm.n_vmas, 2);
		assert_int_equal(mm.vmas[0].attrs, flags[i].attr);
		assert_int_equal(mm.vmas[1].attrs, flags[i].attr);
		free_mm(&mm);
	}
}

static void test_smaps_unknown_vmflags(void **state)
{
	struct ckpt_mm mm = { 0 };

	(void)state;
	/* Unknown flags, and known ones only as a prefix of a longer word. */
	assert_int_equal(parse_smaps("1000-2000 rw-p 00000000 00:00 0\n"
				     "VmFlags: rd wr ex sh mr me ms gr de io pf dw sd um uw ss bt acx gdd x\n",
				     &mm), 0);
	assert_int_equal(mm.vmas[0].attrs, 0);
	free_mm(&mm);
	/* A VmFlags line before any VMA belongs to none. */
	assert_int_equal(parse_smaps("VmFlags: gd\n1000-2000 rw-p 00000000 00:00 0\n", &mm), 0);
	assert_int_equal(mm.n_vmas, 1);
	assert_int_equal(mm.vmas[0].attrs, 0);
	free_mm(&mm);
}

static void test_smaps_unsupported_kind(void **state)
{
	static const char *const bad[] = {
		"7f0000000000-7f0000001000 r-xp 00000000 00:00 0                      [uprobes]\n",
		"7f0000000000-7f0000001000 rw-s 00000000 00:0e 1057                   anon_inode:[perf_event]\n",
		"7f0000000000-7f0000001000 rw-p 00000000 00:00 0 [heap]\n"
		"7f0000001000-7f0000002000 rw-p 00000000 00:00 0 [something new]\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct ckpt_mm mm = { 0 };

		assert_int_equal(parse_smaps(bad[i], &mm), -EOPNOTSUPP);
		free_mm(&mm);
	}
	assert_int_equal(unit_log_errors(), 0); /* a parser does not log */
}

static void test_smaps_name_too_long(void **state)
{
	struct ckpt_mm mm = { 0 };
	char *text = malloc(8192);

	(void)state;
	assert_non_null(text);
	strcpy(text, "1000-2000 r--p 00000000 fe:00 5 /");
	memset(text + strlen(text), 'a', 5000);
	strcpy(text + strlen("1000-2000 r--p 00000000 fe:00 5 /") + 5000, "\n");
	assert_int_equal(parse_smaps(text, &mm), -ENAMETOOLONG);
	free(text);
	free_mm(&mm);
}

static void test_smaps_empty_and_garbage(void **state)
{
	struct ckpt_mm mm = { 0 };

	(void)state;
	assert_int_equal(parse_smaps("", &mm), 0);
	assert_int_equal(mm.n_vmas, 0);
	assert_int_equal(parse_smaps("Size: 4 kB\nnot a header\nabc-def\n\n", &mm), 0);
	assert_int_equal(mm.n_vmas, 0);
	free_mm(&mm);
}

static void test_smaps_appends(void **state)
{
	struct ckpt_mm mm = { 0 };

	(void)state;
	assert_int_equal(parse_smaps(smaps_text, &mm), 0);
	assert_int_equal(parse_smaps("ffff0000-ffff1000 r--p 00000000 00:00 0\n", &mm), 0);
	assert_int_equal(mm.n_vmas, 16);
	assert_string_equal(mm.vmas[4].path, "/opt/my dir/lib x 1.so");
	assert_int_equal(mm.vmas[15].start, 0xffff0000);
	free_mm(&mm);
}

/* ---- ckpt_proc_parse_fdinfo ---- */

static void test_fdinfo_pos_and_octal_flags(void **state)
{
	uint64_t pos = 0;
	uint32_t flags = 0;

	(void)state;
	assert_int_equal(parse_fdinfo("pos:\t1234\nflags:\t02102002\nmnt_id:\t31\nino:\t5\n", &pos,
				      &flags), 0);
	assert_int_equal(pos, 1234);
	assert_int_equal(flags, 02102002);
	assert_int_equal(flags & O_ACCMODE, O_RDWR);
	assert_true(flags & O_APPEND);
	assert_true(flags & O_CLOEXEC);
	assert_int_equal(parse_fdinfo("pos:\t1099511627776\nflags:\t0100000", &pos, &flags), 0);
	assert_int_equal(pos, 1099511627776ULL);
	assert_int_equal(flags, 0100000); /* O_LARGEFILE */
}

static void test_fdinfo_missing_field(void **state)
{
	uint64_t pos = 7;
	uint32_t flags = 7;

	(void)state;
	assert_int_equal(parse_fdinfo("flags:\t02\nmnt_id:\t3\n", &pos, &flags), -EINVAL);
	assert_int_equal(parse_fdinfo("pos:\t0\nmnt_id:\t3\n", &pos, &flags), -EINVAL);
	assert_int_equal(parse_fdinfo("", &pos, &flags), -EINVAL);
	assert_int_equal(pos, 7);
	assert_int_equal(flags, 7);
}

static void test_fdinfo_real(void **state)
{
	char tmpl[] = "/tmp/ckpt-unit-fdinfo-XXXXXX", path[64], *buf;
	uint64_t pos;
	uint32_t flags;
	int fd;

	(void)state;
	fd = mkostemp(tmpl, O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	unlink(tmpl);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	assert_int_equal(ckpt_read_file(AT_FDCWD, path, &buf, NULL), 0);
	close(fd);
	assert_int_equal(parse_fdinfo(buf, &pos, &flags), 0);
	free(buf);
	assert_int_equal(pos, 10);
	assert_int_equal(flags & O_ACCMODE, O_RDWR);
	assert_true(flags & O_APPEND);
	assert_true(flags & O_CLOEXEC);
}

/* ---- wrappers on a fake /proc/PID ---- */

static void test_proc_open_missing_pid(void **state)
{
	int fd = -1, st;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(ckpt_proc_open(pid, &fd), -ENOENT);
	assert_int_equal(fd, -1);
	assert_int_equal(ckpt_proc_open(-5, &fd), -ENOENT);
}

static void test_proc_files_missing(void **state)
{
	struct ckpt_proc_stat st;
	struct ckpt_task t = { 0 };

	(void)state;
	assert_int_equal(ckpt_proc_stat(fake_fd, &st), -ENOENT);
	assert_int_equal(ckpt_proc_status(fake_fd, &t), -ENOENT);
	assert_int_equal(ckpt_proc_vmas(fake_fd, &t.mm), -ENOENT);
	assert_int_equal(ckpt_proc_auxv(fake_fd, &t.mm), -ENOENT);
	assert_int_equal(ckpt_proc_nr_children(fake_fd, 1), -ENOENT);
	assert_int_equal(ckpt_proc_stat(-1, &st), -EBADF);
	ckpt_task_free(&t);
	assert_int_equal(unit_log_errors(), 0);
}

static void test_proc_files_fake(void **state)
{
	struct ckpt_proc_stat st;
	struct ckpt_task t = { 0 };
	char *line = stat_line("fake one", 52);

	(void)state;
	fake_file("stat", line);
	free(line);
	fake_file("status", status_text);
	fake_file("smaps", smaps_text);
	assert_int_equal(ckpt_proc_stat(fake_fd, &st), 0);
	assert_string_equal(st.comm, "fake one");
	assert_int_equal(st.ppid, 104);
	assert_int_equal(ckpt_proc_status(fake_fd, &t), 0);
	assert_int_equal(t.creds.euid, 1001);
	assert_int_equal(ckpt_proc_vmas(fake_fd, &t.mm), 0);
	assert_int_equal(t.mm.n_vmas, 15);
	ckpt_task_free(&t);
	fake_file("stat", "1 (x) S 2\n");
	assert_int_equal(ckpt_proc_stat(fake_fd, &st), -EINVAL);
	fake_file("status", "Name:\tx\n");
	assert_int_equal(ckpt_proc_status(fake_fd, &t), -EINVAL);
	fake_file("smaps", "1000-2000 r--p 00000000 00:00 0 [uprobes]\n");
	assert_int_equal(ckpt_proc_vmas(fake_fd, &t.mm), -EOPNOTSUPP);
	ckpt_task_free(&t);
}

static void test_proc_auxv_fake(void **state)
{
	static const uint64_t words[] = { AT_PAGESZ, 4096, AT_UID, 0, AT_NULL, 0 };
	struct ckpt_mm mm = { 0 };
	char *path;
	int fd;

	(void)state;
	assert_true(asprintf(&path, "%s/auxv", fake_dir) > 0);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, words, sizeof(words)), sizeof(words));
	close(fd);
	assert_int_equal(ckpt_proc_auxv(fake_fd, &mm), 0);
	assert_int_equal(mm.n_auxv, ARRAY_SIZE(words));
	assert_memory_equal(mm.auxv, words, sizeof(words));
	free_mm(&mm);
}

static void test_proc_nr_children_fake(void **state)
{
	char *path;

	(void)state;
	assert_true(asprintf(&path, "%s/task", fake_dir) > 0);
	assert_int_equal(mkdir(path, 0700), 0);
	free(path);
	assert_true(asprintf(&path, "%s/task/77", fake_dir) > 0);
	assert_int_equal(mkdir(path, 0700), 0);
	free(path);
	fake_file("task/77/children", "");
	assert_int_equal(ckpt_proc_nr_children(fake_fd, 77), 0);
	fake_file("task/77/children", "12 ");
	assert_int_equal(ckpt_proc_nr_children(fake_fd, 77), 1);
	fake_file("task/77/children", "12 345 6789 ");
	assert_int_equal(ckpt_proc_nr_children(fake_fd, 77), 3);
	assert_int_equal(ckpt_proc_nr_children(fake_fd, 78), -ENOENT);
}

/* ---- this process's own /proc/self ---- */

static int self_fd = -1;
static char self_tmp[64]; /* a file a test maps; removed by the teardown */

static int self_setup(void **state)
{
	(void)state;
	unit_log_reset();
	return ckpt_proc_open(getpid(), &self_fd);
}

static int self_teardown(void **state)
{
	(void)state;
	close(self_fd);
	self_fd = -1;
	if (self_tmp[0])
		unlink(self_tmp);
	self_tmp[0] = '\0';
	return 0;
}

static void test_self_open_is_path_fd(void **state)
{
	struct stat st;
	int fl;

	(void)state;
	fl = fcntl(self_fd, F_GETFL);
	assert_true(fl >= 0);
	assert_true(fl & O_PATH);
	assert_int_equal(fcntl(self_fd, F_GETFD), FD_CLOEXEC);
	assert_int_equal(fstatat(self_fd, "status", &st, 0), 0);
}

static void test_self_stat(void **state)
{
	struct ckpt_proc_stat st;
	char name[17] = "";

	(void)state;
	assert_int_equal(ckpt_proc_stat(self_fd, &st), 0);
	assert_int_equal(prctl(PR_GET_NAME, name), 0);
	assert_string_equal(st.comm, name);
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.pgid, getpgrp());
	assert_int_equal(st.sid, getsid(0));
	assert_int_equal(st.flags & PF_KTHREAD, 0);
}

static void test_self_status(void **state)
{
	struct ckpt_task t = { 0 };
	mode_t old = umask(0037);
	int ng = getgroups(0, NULL);

	(void)state;
	assert_int_equal(ckpt_proc_status(self_fd, &t), 0);
	umask(old);
	assert_int_equal(t.umask, 0037);
	assert_int_equal(t.creds.uid, getuid());
	assert_int_equal(t.creds.euid, geteuid());
	assert_int_equal(t.creds.gid, getgid());
	assert_int_equal(t.creds.egid, getegid());
	assert_int_equal(t.creds.n_groups, ng);
	assert_int_equal(t.creds.no_new_privs, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	ckpt_task_free(&t);
}

static void test_self_vmas_sorted(void **state)
{
	struct ckpt_mm mm = { 0 };
	size_t i;

	(void)state;
	assert_int_equal(ckpt_proc_vmas(self_fd, &mm), 0);
	assert_true(mm.n_vmas > 5);
	for (i = 0; i < mm.n_vmas; i++) {
		assert_true(mm.vmas[i].start < mm.vmas[i].end);
		assert_int_equal(mm.vmas[i].start % PAGE_SIZE, 0);
		assert_int_equal(mm.vmas[i].end % PAGE_SIZE, 0);
		assert_true(mm.vmas[i].kind >= CKPT_VMA_ANON && mm.vmas[i].kind <= CKPT_VMA_VSYSCALL);
		if (i)
			assert_true(mm.vmas[i].start >= mm.vmas[i - 1].end);
	}
	free_mm(&mm);
}

static void test_self_heap_stack_vdso(void **state)
{
	unsigned long ehdr = getauxval(AT_SYSINFO_EHDR);
	const struct ckpt_vma *v;
	struct ckpt_mm mm = { 0 };
	void *small = malloc(64);
	int local = 0;

	(void)state;
	assert_non_null(small);
	assert_int_equal(ckpt_proc_vmas(self_fd, &mm), 0);
	v = vma_named(&mm, "[stack]");
	assert_non_null(v);
	assert_int_equal(v->kind, CKPT_VMA_ANON);
	assert_true(v->attrs & CKPT_VMA_STACK);
	assert_true(v->attrs & CKPT_VMA_GROWSDOWN);
	/* valgrind runs us on a stack and heap of its own and hides the vDSO. */
	if (!UNIT_UNDER_VALGRIND()) {
		assert_ptr_equal(vma_at(&mm, (uintptr_t)&local), v);
		v = vma_named(&mm, "[heap]");
		assert_non_null(v);
		assert_int_equal(v->kind, CKPT_VMA_ANON);
		assert_true(v->attrs & CKPT_VMA_HEAP);
		assert_ptr_equal(vma_at(&mm, (uintptr_t)small), v);
	}
	v = vma_named(&mm, "[vdso]");
	if (ehdr) {
		assert_non_null(v);
		assert_int_equal(v->kind, CKPT_VMA_VDSO);
		assert_int_equal(v->start, ehdr);
		assert_true(v->prot & PROT_EXEC);
	} else {
		assert_null(v);
	}
	free(small);
	free_mm(&mm);
}

static void test_self_own_mappings(void **state)
{
	char *tmpl = self_tmp;
	const struct ckpt_vma *v;
	struct ckpt_mm mm = { 0 };
	char *anon, *shared, *file;
	int fd;

	(void)state;
	/* RW between two PROT_NONE pages so it cannot merge with a neighbour. */
	anon = mmap(NULL, 5 * PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(anon != MAP_FAILED);
	assert_int_equal(mprotect(anon + PAGE_SIZE, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE), 0);
	shared = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(shared != MAP_FAILED);
	strcpy(self_tmp, "/tmp/ckpt unit map XXXXXX");
	fd = mkostemp(tmpl, O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 3 * PAGE_SIZE), 0);
	file = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE, fd, 2 * PAGE_SIZE);
	assert_true(file != MAP_FAILED);
	close(fd);

	assert_int_equal(ckpt_proc_vmas(self_fd, &mm), 0);
	v = vma_at(&mm, (uintptr_t)anon + PAGE_SIZE);
	assert_non_null(v);
	assert_int_equal(v->start, (uintptr_t)anon + PAGE_SIZE);
	assert_int_equal(v->end, (uintptr_t)anon + 4 * PAGE_SIZE);
	assert_int_equal(v->kind, CKPT_VMA_ANON);
	assert_int_equal(v->prot, PROT_READ | PROT_WRITE);
	assert_null(v->name);
	assert_true(v->attrs & CKPT_VMA_ACCOUNT);
	v = vma_at(&mm, (uintptr_t)anon);
	assert_non_null(v);
	assert_int_equal(v->prot, PROT_NONE);
	v = vma_at(&mm, (uintptr_t)shared);
	assert_non_null(v);
	assert_int_equal(v->kind, CKPT_VMA_SHANON);
	assert_int_equal(v->prot, PROT_READ);
	v = vma_at(&mm, (uintptr_t)file);
	assert_non_null(v);
	assert_int_equal(v->kind, CKPT_VMA_FILE_PRIVATE);
	assert_string_equal(v->path, tmpl);
	assert_int_equal(v->pgoff, 2 * PAGE_SIZE);
	assert_int_equal(v->start, (uintptr_t)file);
	free_mm(&mm);
	munmap(file, PAGE_SIZE);
	munmap(shared, PAGE_SIZE);
	munmap(anon, 5 * PAGE_SIZE);
}

static void test_self_madvise_flags(void **state)
{
	const struct ckpt_vma *v;
	struct ckpt_mm mm = { 0 };
	char *p;

	(void)state;
	p = mmap(NULL, 7 * PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(mprotect(p + 3 * PAGE_SIZE, PAGE_SIZE, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(mprotect(p + 5 * PAGE_SIZE, PAGE_SIZE, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(madvise(p + PAGE_SIZE, PAGE_SIZE, MADV_DONTFORK), 0);
	assert_int_equal(madvise(p + 3 * PAGE_SIZE, PAGE_SIZE, MADV_WIPEONFORK), 0);
	assert_int_equal(madvise(p + 5 * PAGE_SIZE, PAGE_SIZE, MADV_DONTDUMP), 0);

	assert_int_equal(ckpt_proc_vmas(self_fd, &mm), 0);
	v = vma_at(&mm, (uintptr_t)p + PAGE_SIZE);
	assert_non_null(v);
	assert_true(v->attrs & CKPT_VMA_DONTFORK);
	v = vma_at(&mm, (uintptr_t)p + 3 * PAGE_SIZE);
	assert_non_null(v);
	assert_true(v->attrs & CKPT_VMA_WIPEONFORK);
	v = vma_at(&mm, (uintptr_t)p + 5 * PAGE_SIZE);
	assert_non_null(v);
	assert_true(v->attrs & CKPT_VMA_DONTDUMP);
	assert_false(v->attrs & (CKPT_VMA_DONTFORK | CKPT_VMA_WIPEONFORK));
	free_mm(&mm);
	munmap(p, 7 * PAGE_SIZE);
}

static void test_self_anon_name(void **state)
{
	const struct ckpt_vma *v;
	struct ckpt_mm mm = { 0 };
	char *p;

	(void)state;
	p = mmap(NULL, 3 * PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, p + PAGE_SIZE, PAGE_SIZE, "unit test")) {
		munmap(p, 3 * PAGE_SIZE);
		print_message("no anonymous VMA names (CONFIG_ANON_VMA_NAME): %s\n", strerror(errno));
		skip();
	}
	assert_int_equal(ckpt_proc_vmas(self_fd, &mm), 0);
	v = vma_at(&mm, (uintptr_t)p + PAGE_SIZE);
	assert_non_null(v);
	assert_string_equal(v->name, "[anon:unit test]");
	assert_int_equal(v->kind, CKPT_VMA_ANON);
	assert_null(v->path);
	free_mm(&mm);
	munmap(p, 3 * PAGE_SIZE);
}

static void test_self_auxv(void **state)
{
	struct ckpt_mm mm = { 0 };
	bool pagesz = false;
	size_t i;

	(void)state;
	assert_int_equal(ckpt_proc_auxv(self_fd, &mm), 0);
	assert_true(mm.n_auxv >= 2);
	assert_int_equal(mm.n_auxv % 2, 0);
	assert_int_equal(mm.auxv[mm.n_auxv - 2], AT_NULL);
	for (i = 0; i + 1 < mm.n_auxv; i += 2)
		if (mm.auxv[i] == AT_PAGESZ)
			pagesz = mm.auxv[i + 1] == (uint64_t)getpagesize();
	assert_true(pagesz);
	free_mm(&mm);
}

static void test_self_nr_children(void **state)
{
	pid_t kids[2];
	int i, n, st;

	(void)state;
	n = ckpt_proc_nr_children(self_fd, getpid());
	if (n == -ENOENT) {
		print_message("no /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN)\n");
		skip();
	}
	assert_int_equal(n, 0);
	for (i = 0; i < 2; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (!kids[i]) {
			pause();
			_exit(0);
		}
	}
	n = ckpt_proc_nr_children(self_fd, getpid());
	for (i = 0; i < 2; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], &st, 0);
	}
	assert_int_equal(n, 2);
}

static void test_kthreadd(void **state)
{
	struct ckpt_proc_stat st;
	int fd;

	(void)state;
	if (ckpt_proc_open(2, &fd)) {
		print_message("no pid 2 here\n");
		skip();
	}
	assert_int_equal(ckpt_proc_stat(fd, &st), 0);
	close(fd);
	if (strcmp(st.comm, "kthreadd")) {
		print_message("pid 2 is not kthreadd (a pid namespace)\n");
		skip();
	}
	assert_int_equal(st.flags & PF_KTHREAD, PF_KTHREAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_timers),
		cmocka_unit_test_setup(test_stat_real_self_line, quiet_setup),
		cmocka_unit_test(test_stat_fields_map_to_members),
		cmocka_unit_test(test_stat_kernel_format_line),
		cmocka_unit_test(test_stat_comm_with_parens_and_spaces),
		cmocka_unit_test(test_stat_long_comm_is_truncated),
		cmocka_unit_test(test_stat_kernel_thread_flags),
		cmocka_unit_test(test_stat_negative_fields),
		cmocka_unit_test(test_stat_old_kernel_without_data_fields),
		cmocka_unit_test(test_stat_without_newline),
		cmocka_unit_test(test_stat_truncated),
		cmocka_unit_test(test_stat_garbage),
		cmocka_unit_test(test_status_full),
		cmocka_unit_test(test_status_empty_groups),
		cmocka_unit_test(test_status_groups_last_line_without_newline),
		cmocka_unit_test(test_status_lookalike_keys_ignored),
		cmocka_unit_test(test_status_missing_uid),
		cmocka_unit_test(test_status_missing_gid_or_umask),
		cmocka_unit_test(test_status_malformed_ids),
		cmocka_unit_test_setup_teardown(test_smaps_count_and_ranges, smaps_setup, smaps_teardown),
		cmocka_unit_test_setup_teardown(test_smaps_prot, smaps_setup, smaps_teardown),
		cmocka_unit_test_setup_teardown(test_smaps_file_mappings, smaps_setup, smaps_teardown),
		cmocka_unit_test_setup_teardown(test_smaps_heap_and_stack, smaps_setup, smaps_teardown),
		cmocka_unit_test_setup_teardown(test_smaps_unnamed_anon, smaps_setup, smaps_teardown),
		cmocka_unit_test(test_smaps_unnamed_anon_alone),
		cmocka_unit_test_setup_teardown(test_smaps_shared_anon, smaps_setup, smaps_teardown),
		cmocka_unit_test(test_smaps_sysv),
		cmocka_unit_test(test_fdinfo_locks),
		cmocka_unit_test_setup_teardown(test_smaps_named_anon, smaps_setup, smaps_teardown),
		cmocka_unit_test_setup_teardown(test_smaps_special, smaps_setup, smaps_teardown),
		cmocka_unit_test(test_smaps_each_vmflag),
		cmocka_unit_test(test_smaps_unknown_vmflags),
		cmocka_unit_test_setup(test_smaps_unsupported_kind, quiet_setup),
		cmocka_unit_test(test_smaps_name_too_long),
		cmocka_unit_test(test_smaps_empty_and_garbage),
		cmocka_unit_test(test_smaps_appends),
		cmocka_unit_test(test_fdinfo_pos_and_octal_flags),
		cmocka_unit_test(test_fdinfo_missing_field),
		cmocka_unit_test(test_fdinfo_real),
		cmocka_unit_test(test_proc_open_missing_pid),
		cmocka_unit_test_setup_teardown(test_proc_files_missing, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_proc_files_fake, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_proc_auxv_fake, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_proc_nr_children_fake, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_self_open_is_path_fd, self_setup, self_teardown),
		cmocka_unit_test_setup_teardown(test_self_stat, self_setup, self_teardown),
		cmocka_unit_test_setup_teardown(test_self_status, self_setup, self_teardown),
		cmocka_unit_test_setup_teardown(test_self_vmas_sorted, self_setup, self_teardown),
		cmocka_unit_test_setup_teardown(test_self_heap_stack_vdso, self_setup, self_teardown),
		cmocka_unit_test_setup_teardown(test_self_own_mappings, self_setup, self_teardown),
		cmocka_unit_test_setup_teardown(test_self_madvise_flags, self_setup, self_teardown),
		cmocka_unit_test_setup_teardown(test_self_anon_name, self_setup, self_teardown),
		cmocka_unit_test_setup_teardown(test_self_auxv, self_setup, self_teardown),
		cmocka_unit_test_setup_teardown(test_self_nr_children, self_setup, self_teardown),
		cmocka_unit_test(test_kthreadd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
