// SPDX-License-Identifier: GPL-2.0
/* /proc parsers, the restart fix-up, small helpers. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "files.h"
#include "proc.h"
#include "ptrace.h"
#include "util.h"

static void test_stat(void **s)
{
	struct ckpt_proc_stat st;
	char *buf;

	(void)s;
	assert_int_equal(ckpt_proc_parse_stat("7 (a) (b) S 1 7 7 0 -1 2097216 0 0 0 0 0 0 0 0 20 0 3 0 "
					      "5 0 0 0 4194304 4198400 140730000000000",
					      &st), 0);
	assert_string_equal(st.comm, "a) (b");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.flags & PF_KTHREAD, PF_KTHREAD);
	assert_int_equal(st.num_threads, 3);
	assert_int_equal(st.start_code, 4194304);
	assert_int_equal(ckpt_proc_parse_stat("7 (x) S 1 2", &st), -EINVAL);
	assert_int_equal(ckpt_proc_parse_stat("garbage", &st), -EINVAL);
	assert_int_equal(ckpt_proc_parse_stat("7 (x)S", &st), -EINVAL);
	/* our own */
	assert_int_equal(ckpt_read_file(AT_FDCWD, "/proc/self/stat", &buf, NULL), 0);
	assert_int_equal(ckpt_proc_parse_stat(buf, &st), 0);
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.num_threads, 1);
	assert_true(st.arg_start && st.arg_end > st.arg_start && st.env_end > st.env_start);
	free(buf);
}

static void test_status(void **s)
{
	static const char text[] = "Name:\tx\nUmask:\t0027\nState:\tS\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\n"
				   "Groups:\t10 20 30 \nCapInh:\t0000000000000001\nCapPrm:\t00000000000000ff\n"
				   "CapEff:\t000000000000000f\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n"
				   "NoNewPrivs:\t1\n";
	struct ckpt_task t = { 0 };

	(void)s;
	assert_int_equal(ckpt_proc_parse_status(text, &t), 0);
	assert_int_equal(t.umask, 027);
	assert_int_equal(t.creds.uid, 1);
	assert_int_equal(t.creds.fsuid, 4);
	assert_int_equal(t.creds.sgid, 7);
	assert_int_equal(t.creds.n_groups, 3);
	assert_int_equal(t.creds.groups[2], 30);
	assert_int_equal(t.creds.cap_prm, 0xff);
	assert_int_equal(t.creds.cap_bnd, 0x1ffffffffffULL);
	assert_true(t.creds.no_new_privs);
	free(t.creds.groups);
	memset(&t, 0, sizeof(t));
	assert_int_equal(ckpt_proc_parse_status("Umask:\t0022\nGid:\t0 0 0 0\nGroups:\t\n", &t), -EINVAL);
	free(t.creds.groups);
}

static void free_mm(struct ckpt_mm *mm)
{
	ckpt_vmas_free(mm->vmas, mm->n_vmas);
	memset(mm, 0, sizeof(*mm));
}

static void test_smaps(void **s)
{
	static const char text[] =
		"00400000-00401000 r-xp 00000000 fe:00 123                      /usr/bin/with space\n"
		"Size:                  4 kB\n"
		"VmFlags: rd ex mr mw me \n"
		"7f0000000000-7f0000010000 rw-p 00000000 00:00 0 \n"
		"AnonHugePages:         0 kB\n"
		"VmFlags: rd wr mr mw me ac dc wf \n"
		"7f0000010000-7f0000011000 rw-s 00000000 00:01 99                         /dev/zero (deleted)\n"
		"VmFlags: rd wr sh mr mw me ms \n"
		"7f0000020000-7f0000021000 rw-p 00000000 00:00 0                          [anon:name]\n"
		"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n"
		"VmFlags: rd wr mr mw me gd ac \n"
		"7ffd00100000-7ffd00104000 r--p 00000000 00:00 0                          [vvar]\n"
		"7ffd00104000-7ffd00106000 r--p 00000000 00:00 0                          [vvar_vclock]\n"
		"7ffd00106000-7ffd00108000 r-xp 00000000 00:00 0                          [vdso]\n"
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";
	struct ckpt_mm mm = { 0 };

	(void)s;
	assert_int_equal(ckpt_proc_parse_smaps(text, &mm), 0);
	assert_int_equal(mm.n_vmas, 9);
	assert_int_equal(mm.vmas[0].kind, CKPT_VMA_FILE_PRIVATE);
	assert_string_equal(mm.vmas[0].path, "/usr/bin/with space");
	assert_int_equal(mm.vmas[0].prot, PROT_READ | PROT_EXEC);
	/* An unnamed VMA ends its header line right after the inode. */
	assert_int_equal(mm.vmas[1].kind, CKPT_VMA_ANON);
	assert_null(mm.vmas[1].name);
	assert_int_equal(mm.vmas[1].attrs, CKPT_VMA_ACCOUNT | CKPT_VMA_DONTFORK | CKPT_VMA_WIPEONFORK |
						   CKPT_VMA_MAYWRITE);
	assert_int_equal(mm.vmas[2].kind, CKPT_VMA_SHANON);
	assert_int_equal(mm.vmas[3].kind, CKPT_VMA_ANON);
	assert_int_equal(mm.vmas[4].attrs & (CKPT_VMA_STACK | CKPT_VMA_GROWSDOWN),
			 CKPT_VMA_STACK | CKPT_VMA_GROWSDOWN);
	assert_int_equal(mm.vmas[5].kind, CKPT_VMA_VVAR);
	assert_int_equal(mm.vmas[6].kind, CKPT_VMA_VVAR_VCLOCK);
	assert_int_equal(mm.vmas[7].kind, CKPT_VMA_VDSO);
	assert_int_equal(mm.vmas[8].kind, CKPT_VMA_VSYSCALL);
	free_mm(&mm);
	assert_int_equal(ckpt_proc_parse_smaps("7f0000000000-7f0000001000 r--p 00000000 00:00 0 [uprobes]\n", &mm),
			 -EOPNOTSUPP);
	free_mm(&mm);
}

static void test_own_layout(void **s)
{
	struct ckpt_mm mm = { 0 };
	int procfd, heap = 0, stack = 0, vdso = 0;
	size_t i;

	(void)s;
	free(malloc(200000)); /* make sure there is a heap */
	assert_int_equal(ckpt_proc_open(getpid(), &procfd), 0);
	assert_int_equal(ckpt_proc_vmas(procfd, &mm), 0);
	for (i = 0; i < mm.n_vmas; i++) {
		heap |= !!(mm.vmas[i].attrs & CKPT_VMA_HEAP);
		stack |= !!(mm.vmas[i].attrs & CKPT_VMA_STACK);
		vdso |= mm.vmas[i].kind == CKPT_VMA_VDSO;
		if (i)
			assert_true(mm.vmas[i].start >= mm.vmas[i - 1].end);
	}
	assert_true(stack);
	assert_true(vdso || !getauxval(AT_SYSINFO_EHDR)); /* valgrind hides it */
	(void)heap;
	free_mm(&mm);
	close(procfd);
}

static void test_fdinfo(void **s)
{
	uint64_t pos;
	uint32_t flags;

	(void)s;
	assert_int_equal(ckpt_proc_parse_fdinfo("pos:\t1234\nflags:\t02100002\nmnt_id:\t3\n", &pos, &flags), 0);
	assert_int_equal(pos, 1234);
	assert_int_equal(flags, 02100002);
	assert_int_equal(ckpt_proc_parse_fdinfo("flags:\t0\n", &pos, &flags), -EINVAL);
}

static void test_restart_fixup(void **s)
{
	static const long codes[] = { -512, -513, -514 };
	struct user_regs_struct r;
	size_t i;

	(void)s;
	for (i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		r.orig_rax = 35;
		r.rax = codes[i];
		r.rip = 0x1002;
		ckpt_regs_fixup_restart(&r, false);
		assert_int_equal(r.rax, 35);
		assert_int_equal(r.rip, 0x1000);
		assert_int_equal((long)r.orig_rax, -1);
	}
	memset(&r, 0, sizeof(r));
	r.orig_rax = 230;
	r.rax = -516;
	r.rip = 0x2002;
	ckpt_regs_fixup_restart(&r, true);
	assert_int_equal(r.rax, SYS_restart_syscall);
	assert_int_equal(r.rip, 0x2000);
	r.orig_rax = 230;
	r.rax = -516;
	r.rip = 0x2002;
	ckpt_regs_fixup_restart(&r, false); /* a new task has no restart block: re-issue */
	assert_int_equal(r.rax, 230);
	r.orig_rax = -1;
	r.rax = -512;
	r.rip = 0x3000;
	ckpt_regs_fixup_restart(&r, false); /* not in a syscall: untouched */
	assert_int_equal((long)r.rax, -512);
	assert_int_equal(r.rip, 0x3000);
	r.orig_rax = 0;
	r.rax = 5;
	ckpt_regs_fixup_restart(&r, false); /* a finished syscall */
	assert_int_equal(r.rax, 5);
	assert_int_equal(r.rip, 0x3000);
}

static void test_util(void **s)
{
	char *buf, *link;
	int *arr = NULL;
	size_t cap = 0, len, i;

	(void)s;
	assert_int_equal(ckpt_read_file(AT_FDCWD, "/proc/self/smaps", &buf, &len), 0);
	assert_true(len > 4096 && strlen(buf) == len);
	free(buf);
	assert_int_equal(ckpt_read_file(AT_FDCWD, "/nonexistent", &buf, NULL), -ENOENT);
	assert_int_equal(ckpt_readlink(AT_FDCWD, "/proc/self/exe", &link), 0);
	assert_non_null(strstr(link, "test_proc"));
	free(link);
	assert_int_equal(ckpt_grow((void **)&arr, &cap, 5, sizeof(int)), 0);
	assert_true(cap >= 5);
	for (i = 0; i < cap; i++)
		assert_int_equal(arr[i], 0);
	assert_int_equal(ckpt_grow((void **)&arr, &cap, 1000, sizeof(int)), 0);
	assert_true(cap >= 1000);
	assert_int_equal(arr[999], 0);
	free(arr);
	assert_null(ckpt_strdup(NULL));
}

static void test_fd_types(void **s)
{
	char b[32];

	(void)s;
	assert_string_equal(ckpt_fd_type_name("pipe:[12]", S_IFIFO, b, sizeof(b)), "pipe");
	assert_string_equal(ckpt_fd_type_name("/tmp/f", S_IFIFO, b, sizeof(b)), "fifo");
	assert_string_equal(ckpt_fd_type_name("socket:[5]", S_IFSOCK, b, sizeof(b)), "socket");
	assert_string_equal(ckpt_fd_type_name("anon_inode:[eventfd]", 0, b, sizeof(b)), "eventfd");
	assert_string_equal(ckpt_fd_type_name("anon_inode:inotify", 0, b, sizeof(b)), "inotify");
	assert_string_equal(ckpt_fd_type_name("/memfd:x (deleted)", S_IFREG, b, sizeof(b)), "memfd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat), cmocka_unit_test(test_status),
		cmocka_unit_test(test_smaps), cmocka_unit_test(test_own_layout),
		cmocka_unit_test(test_fdinfo), cmocka_unit_test(test_restart_fixup),
		cmocka_unit_test(test_util), cmocka_unit_test(test_fd_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
