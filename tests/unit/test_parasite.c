// SPDX-License-Identifier: GPL-2.0
/*
 * lib/parasite.c: run syscalls in a frozen helper process (this binary in
 * child mode) and leave no trace: registers, blocked mask and address space
 * are as before, and the helper keeps running afterwards.  The helper
 * installs a SIGUSR1 handler (SA_RESTART, with a mask), ignores SIGUSR2,
 * blocks SIGHUP, then spins in user space or sleeps in pause() or
 * nanosleep() so the restart of an interrupted syscall is covered too.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "parasite.h"
#include "proc.h"
#include "ptrace.h"
#include "unit.h"
#include "util.h"

#ifndef PTRACE_GETSIGMASK
#define PTRACE_GETSIGMASK 0x420a
#endif
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

#define SIGBIT(s) (1ULL << ((s) - 1))
#define HANDLER_MASK (SIGBIT(SIGTERM) | SIGBIT(SIGPIPE))
#define EXIT_BASE 40 /* + SIGUSR1 handler runs */

/* ---- the helper process ---- */

static volatile long child_release;
static volatile long child_usr1;
static volatile unsigned long child_spins;
static char child_zero_page[2 * 4096] __attribute__((aligned(4096)));

struct child_info {
	uint64_t handler, release, usr1, spins, zero_page;
};

static void child_on_usr1(int sig)
{
	(void)sig;
	child_usr1++;
}

static int child_main(const char *how, int ready)
{
	struct sigaction sa = { .sa_handler = child_on_usr1, .sa_flags = SA_RESTART };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct child_info info = { 0 };
	sigset_t blocked;

	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGPIPE);
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGHUP);
	if (sigaction(SIGUSR1, &sa, NULL) || sigaction(SIGUSR2, &ign, NULL) ||
	    sigprocmask(SIG_SETMASK, &blocked, NULL))
		_exit(2);
	info.handler = (uintptr_t)child_on_usr1;
	info.release = (uintptr_t)&child_release;
	info.usr1 = (uintptr_t)&child_usr1;
	info.spins = (uintptr_t)&child_spins;
	info.zero_page = (uintptr_t)child_zero_page;
	unit_child_ready(ready, &info, sizeof(info));
	if (!strcmp(how, "pause")) {
		/* Restarted transparently until a handler runs: then EINTR. */
		if (pause() == -1 && errno == EINTR)
			_exit(EXIT_BASE + (int)child_usr1);
		_exit(3);
	}
	if (!strcmp(how, "nanosleep")) {
		struct timespec ts = { 100, 0 };

		if (nanosleep(&ts, NULL) == -1 && errno == EINTR)
			_exit(EXIT_BASE + (int)child_usr1);
		_exit(4);
	}
	while (!child_release)
		child_spins++;
	_exit(EXIT_BASE + (int)child_usr1);
}

/* ---- helpers ---- */

static pid_t kid;
static int kid_procfd = -1;
static struct child_info info;
static char *fake_dir;

static int start_kid(const char *how)
{
	struct ckpt_proc_stat st;
	int i;

	unit_log_reset();
	kid = unit_child_start(how, NULL, &info, sizeof(info));
	if (kid <= 0)
		return -1;
	/* Wait until it is where the test wants it: in its loop, or asleep. */
	for (i = 0; !ckpt_proc_open(kid, &kid_procfd) && i < 2000; i++) {
		if (!strcmp(how, "spin") ? unit_child_peek(kid, info.spins) > 0
					 : !ckpt_proc_stat(kid_procfd, &st) && st.state == 'S')
			return 0;
		close(kid_procfd);
		kid_procfd = -1;
		unit_sleep_ms(1);
	}
	unit_child_kill(&kid); /* no teardown after a failed setup */
	return -1;
}

static int spin_setup(void **state)
{
	(void)state;
	return start_kid("spin");
}

static int pause_setup(void **state)
{
	(void)state;
	return start_kid("pause");
}

static int nanosleep_setup(void **state)
{
	(void)state;
	return start_kid("nanosleep");
}

static int kid_teardown(void **state)
{
	(void)state;
	if (kid_procfd >= 0)
		close(kid_procfd);
	kid_procfd = -1;
	unit_child_kill(&kid);
	if (fake_dir) {
		unit_rm_rf(fake_dir);
		free(fake_dir);
		fake_dir = NULL;
	}
	return 0;
}

static void seize_and_freeze(void)
{
	assert_int_equal(ckpt_ptrace_seize(kid, true), 0);
	assert_int_equal(ckpt_ptrace_freeze(kid), 0);
}

static struct user_regs_struct get_regs(void)
{
	struct user_regs_struct r;

	assert_int_equal(ptrace(PTRACE_GETREGS, kid, NULL, &r), 0);
	return r;
}

static uint64_t get_sigmask(void)
{
	uint64_t mask = 0;

	assert_int_equal(ptrace(PTRACE_GETSIGMASK, kid, (void *)sizeof(mask), &mask), 0);
	return mask;
}

/* Is addr inside one of the helper's mappings? */
static bool mapped(uint64_t addr)
{
	unsigned long long start, end;
	char *maps, *line;
	bool found = false;

	assert_int_equal(ckpt_read_file(kid_procfd, "maps", &maps, NULL), 0);
	for (line = maps; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (sscanf(line, "%llx-%llx", &start, &end) == 2 && start <= addr && addr < end)
			found = true;
	free(maps);
	return found;
}

static void assert_same_regs(const struct user_regs_struct *a, const struct user_regs_struct *b)
{
	assert_int_equal(a->rip, b->rip);
	assert_int_equal(a->rsp, b->rsp);
	assert_int_equal(a->rbp, b->rbp);
	assert_int_equal(a->rax, b->rax);
	assert_int_equal(a->rbx, b->rbx);
	assert_int_equal(a->rcx, b->rcx);
	assert_int_equal(a->rdx, b->rdx);
	assert_int_equal(a->rsi, b->rsi);
	assert_int_equal(a->rdi, b->rdi);
	assert_int_equal(a->r8, b->r8);
	assert_int_equal(a->r9, b->r9);
	assert_int_equal(a->r10, b->r10);
	assert_int_equal(a->r11, b->r11);
	assert_int_equal(a->r12, b->r12);
	assert_int_equal(a->r15, b->r15);
	assert_int_equal(a->orig_rax, b->orig_rax);
	assert_int_equal(a->fs_base, b->fs_base);
}

/* The syscall the helper sleeps in (/proc/PID/syscall), -1 if running. */
static long sleeping_in(void)
{
	struct ckpt_proc_stat st;
	char *buf;
	long nr;

	if (ckpt_proc_stat(kid_procfd, &st) || st.state != 'S')
		return -1;
	assert_int_equal(ckpt_read_file(kid_procfd, "syscall", &buf, NULL), 0);
	nr = strtol(buf, NULL, 10);
	free(buf);
	return nr;
}

/*
 * Detach, then have the handler run once and the helper exit with it.
 * A helper that slept in a syscall must be asleep in it again (nr) first.
 */
static void detach_and_expect_handler_in(long nr)
{
	long n = 0;
	int i, st;

	assert_int_equal(ckpt_ptrace_detach(kid), 0);
	if (nr >= 0) {
		for (i = 0; i < 2000 && sleeping_in() != nr; i++)
			unit_sleep_ms(1);
		assert_int_equal(sleeping_in(), nr);
	}
	assert_int_equal(kill(kid, SIGUSR1), 0);
	/* A sleeping helper exits by itself: it is then unreadable (-1). */
	for (i = 0; i < 2000 && (n = unit_child_peek(kid, info.usr1)) == 0; i++)
		unit_sleep_ms(1);
	assert_true(n == 1 || n == -1);
	unit_child_poke(kid, info.release, 1);
	st = unit_child_wait(&kid, 2000);
	assert_int_not_equal(st, -1);
	if (!WIFEXITED(st))
		fail_msg("the helper did not exit (status 0x%x)", st);
	assert_int_equal(WEXITSTATUS(st), EXIT_BASE + 1);
}

static void detach_and_expect_handler(void)
{
	detach_and_expect_handler_in(-1);
}

struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};

static struct ksigaction get_sigaction(struct ckpt_parasite *p, int sig)
{
	struct ksigaction ka;
	long ret = -1;

	memset(&ka, 0xa5, sizeof(ka));
	assert_int_equal(ckpt_vm_write(kid, p->scratch, &ka, sizeof(ka)), 0);
	assert_int_equal(ckpt_parasite_syscall(p, SYS_rt_sigaction, sig, 0, p->scratch, 8, &ret), 0);
	assert_int_equal(ret, 0);
	assert_int_equal(ckpt_vm_read(kid, p->scratch, &ka, sizeof(ka)), 0);
	return ka;
}

/* A fake /proc/PID with only a maps file. */
static int fake_procfd(const char *maps)
{
	char *path;
	int fd;

	if (!fake_dir)
		fake_dir = unit_tmpdir();
	assert_non_null(fake_dir);
	if (maps) {
		assert_true(asprintf(&path, "%s/maps", fake_dir) > 0);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		free(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, maps, strlen(maps)), (ssize_t)strlen(maps));
		close(fd);
	}
	fd = open(fake_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* ---- a helper spinning in user space ---- */

static void test_start_stop_leaves_no_trace(void **state)
{
	struct user_regs_struct before, after;
	struct ckpt_parasite p;
	uint64_t mask, scratch;

	(void)state;
	seize_and_freeze();
	before = get_regs();
	mask = get_sigmask();
	assert_int_equal(mask, SIGBIT(SIGHUP));
	assert_int_equal(ckpt_parasite_start(&p, kid, kid_procfd), 0);
	assert_int_equal(p.in.pid, kid);
	assert_true(p.scratch != 0);
	assert_int_equal(p.scratch % PAGE_SIZE, 0);
	assert_int_equal(p.scratch_len, PAGE_SIZE);
	assert_true(mapped(p.scratch));
	assert_int_equal(p.saved_mask, SIGBIT(SIGHUP));
	/* While it runs our syscalls, no signal may get in. */
	assert_int_equal(get_sigmask() | SIGBIT(SIGKILL) | SIGBIT(SIGSTOP), ~0ULL);
	scratch = p.scratch;
	assert_int_equal(ckpt_parasite_stop(&p, 0), 0);
	after = get_regs();
	assert_same_regs(&after, &before);
	assert_int_equal(get_sigmask(), mask);
	assert_false(mapped(scratch));
	assert_int_equal(p.scratch, 0);
	assert_int_equal(unit_log_errors(), 0);
	detach_and_expect_handler();
}

static void test_rt_sigaction(void **state)
{
	struct ckpt_parasite p;
	struct ksigaction ka;

	(void)state;
	seize_and_freeze();
	assert_int_equal(ckpt_parasite_start(&p, kid, kid_procfd), 0);
	ka = get_sigaction(&p, SIGUSR1);
	assert_int_equal(ka.handler, info.handler);
	assert_true(ka.flags & SA_RESTART);
	assert_true(ka.flags & SA_RESTORER);
	assert_true(ka.restorer != 0);
	assert_int_equal(ka.mask, HANDLER_MASK);
	ka = get_sigaction(&p, SIGUSR2);
	assert_int_equal(ka.handler, (uintptr_t)SIG_IGN);
	ka = get_sigaction(&p, SIGURG);
	assert_int_equal(ka.handler, (uintptr_t)SIG_DFL);
	assert_int_equal(ckpt_parasite_stop(&p, 0), 0);
	detach_and_expect_handler();
}

static void test_syscall_results(void **state)
{
	struct ckpt_parasite p;
	long ret = 0, brk;

	(void)state;
	seize_and_freeze();
	assert_int_equal(ckpt_parasite_start(&p, kid, kid_procfd), 0);
	assert_int_equal(ckpt_parasite_syscall(&p, SYS_getpid, 0, 0, 0, 0, &ret), 0);
	assert_int_equal(ret, kid);
	assert_int_equal(ckpt_parasite_syscall(&p, SYS_brk, 0, 0, 0, 0, &brk), 0);
	assert_true(brk > 0);
	assert_int_equal(ckpt_parasite_syscall(&p, SYS_brk, 0, 0, 0, 0, &ret), 0);
	assert_int_equal(ret, brk);
	/* Errors of the syscall itself are results. */
	assert_int_equal(ckpt_parasite_syscall(&p, SYS_rt_sigaction, SIGUSR1, 0, p.scratch, 4, &ret),
			 0);
	assert_int_equal(ret, -EINVAL);
	assert_int_equal(ckpt_parasite_syscall(&p, SYS_close, -1, 0, 0, 0, &ret), 0);
	assert_int_equal(ret, -EBADF);
	assert_int_equal(ckpt_parasite_stop(&p, 0), 0);
	detach_and_expect_handler();
}

static void test_stop_twice(void **state)
{
	struct user_regs_struct before, after;
	struct ckpt_parasite p;

	(void)state;
	seize_and_freeze();
	before = get_regs();
	assert_int_equal(ckpt_parasite_start(&p, kid, kid_procfd), 0);
	assert_int_equal(ckpt_parasite_stop(&p, 0), 0);
	assert_int_equal(ckpt_parasite_stop(&p, 0), 0);
	after = get_regs();
	assert_same_regs(&after, &before);
	detach_and_expect_handler();
}

static void test_start_then_start_again(void **state)
{
	struct ckpt_parasite p;
	struct ksigaction ka;

	(void)state;
	seize_and_freeze();
	assert_int_equal(ckpt_parasite_start(&p, kid, kid_procfd), 0);
	assert_int_equal(ckpt_parasite_stop(&p, 0), 0);
	assert_int_equal(ckpt_parasite_start(&p, kid, kid_procfd), 0);
	ka = get_sigaction(&p, SIGUSR1);
	assert_int_equal(ka.handler, info.handler);
	assert_int_equal(ckpt_parasite_stop(&p, 0), 0);
	assert_int_equal(get_sigmask(), SIGBIT(SIGHUP));
	detach_and_expect_handler();
}

/* ---- failures of start ---- */

static void test_start_not_traced(void **state)
{
	struct ckpt_parasite p;

	(void)state;
	assert_int_equal(ckpt_parasite_start(&p, kid, kid_procfd), -ESRCH);
	assert_int_equal(unit_log_errors(), 1);
	assert_int_equal(p.scratch, 0);
	seize_and_freeze(); /* it is still fine */
	detach_and_expect_handler();
}

static void test_start_mmap_fails(void **state)
{
	struct rlimit old, tiny;
	struct user_regs_struct before, after;
	struct ckpt_parasite p;

	(void)state;
	seize_and_freeze();
	before = get_regs();
	assert_int_equal(prlimit(kid, RLIMIT_AS, NULL, &old), 0);
	tiny.rlim_cur = PAGE_SIZE;
	tiny.rlim_max = old.rlim_max;
	assert_int_equal(prlimit(kid, RLIMIT_AS, &tiny, NULL), 0);
	assert_int_equal(ckpt_parasite_start(&p, kid, kid_procfd), -ENOMEM);
	assert_int_equal(prlimit(kid, RLIMIT_AS, &old, NULL), 0);
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "cannot run syscalls"));
	/* Undone on the way out. */
	after = get_regs();
	assert_same_regs(&after, &before);
	assert_int_equal(get_sigmask(), SIGBIT(SIGHUP));
	detach_and_expect_handler();
}

static void test_start_no_maps(void **state)
{
	struct ckpt_parasite p;
	int fd;

	(void)state;
	seize_and_freeze();
	fd = fake_procfd(NULL);
	assert_int_equal(ckpt_parasite_start(&p, kid, fd), -ENOENT);
	close(fd);
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "vDSO"));
	assert_int_equal(get_sigmask(), SIGBIT(SIGHUP));
	detach_and_expect_handler();
}

static void test_start_no_vdso(void **state)
{
	struct ckpt_parasite p;
	int fd;

	(void)state;
	seize_and_freeze();
	fd = fake_procfd("00400000-00401000 r-xp 00000000 fe:00 1 /bin/x\n"
			 "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n");
	assert_int_equal(ckpt_parasite_start(&p, kid, fd), -ENOENT);
	close(fd);
	assert_int_equal(unit_log_errors(), 1);
	detach_and_expect_handler();
}

static void test_start_vdso_without_syscall(void **state)
{
	struct ckpt_parasite p;
	char maps[128];
	int fd;

	(void)state;
	seize_and_freeze();
	/* The "vDSO" is a page of zeroes. */
	snprintf(maps, sizeof(maps), "%llx-%llx r-xp 00000000 00:00 0 [vdso]\n",
		 (unsigned long long)info.zero_page, (unsigned long long)info.zero_page + PAGE_SIZE);
	fd = fake_procfd(maps);
	assert_int_equal(ckpt_parasite_start(&p, kid, fd), -ENOENT);
	close(fd);
	assert_int_equal(unit_log_errors(), 1);
	detach_and_expect_handler();
}

static void test_start_vdso_unreadable(void **state)
{
	struct ckpt_parasite p;
	int fd;

	(void)state;
	seize_and_freeze();
	fd = fake_procfd("10000-12000 r-xp 00000000 00:00 0 [vdso]\n");
	assert_int_equal(ckpt_parasite_start(&p, kid, fd), -EFAULT);
	close(fd);
	assert_int_equal(unit_log_errors(), 1);
	detach_and_expect_handler();
}

static void test_start_vdso_absurd_size(void **state)
{
	struct ckpt_parasite p;
	int fd;

	(void)state;
	seize_and_freeze();
	fd = fake_procfd("10000-80000000 r-xp 00000000 00:00 0 [vdso]\n");
	assert_int_equal(ckpt_parasite_start(&p, kid, fd), -ENOENT);
	close(fd);
	fd = fake_procfd("20000-10000 r-xp 00000000 00:00 0 [vdso]\n");
	assert_int_equal(ckpt_parasite_start(&p, kid, fd), -ENOENT);
	close(fd);
	assert_int_equal(unit_log_errors(), 2);
	detach_and_expect_handler();
}

/* ---- a helper asleep in a restartable syscall ---- */

static void expect_restart(long nr_after, long nr_asleep)
{
	struct user_regs_struct before, after;
	struct ckpt_parasite p;
	struct ksigaction ka;

	seize_and_freeze();
	before = get_regs();
	/* Stopped on the way out of the interrupted syscall. */
	assert_true((long)before.orig_rax >= 0);
	assert_int_equal(ckpt_parasite_start(&p, kid, kid_procfd), 0);
	ka = get_sigaction(&p, SIGUSR1);
	assert_int_equal(ka.handler, info.handler);
	assert_int_equal(ckpt_parasite_stop(&p, 0), 0);
	after = get_regs();
	/* What the kernel would have done: back to the syscall instruction. */
	assert_int_equal(after.rip, before.rip - 2);
	assert_int_equal(after.rax, nr_after);
	assert_int_equal((long)after.orig_rax, -1);
	assert_int_equal(after.rsp, before.rsp);
	assert_int_equal(after.rdi, before.rdi);
	assert_int_equal(after.rsi, before.rsi);
	/* Asleep again after the detach, until the handler interrupts it. */
	detach_and_expect_handler_in(nr_asleep);
}

static void test_restart_pause(void **state)
{
	(void)state;
	expect_restart(SYS_pause, SYS_pause);
}

static void test_restart_nanosleep(void **state)
{
	(void)state;
	expect_restart(SYS_restart_syscall, SYS_restart_syscall);
}

#define SPIN(f) cmocka_unit_test_setup_teardown(f, spin_setup, kid_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		SPIN(test_start_stop_leaves_no_trace),
		SPIN(test_rt_sigaction),
		SPIN(test_syscall_results),
		SPIN(test_stop_twice),
		SPIN(test_start_then_start_again),
		SPIN(test_start_not_traced),
		SPIN(test_start_mmap_fails),
		SPIN(test_start_no_maps),
		SPIN(test_start_no_vdso),
		SPIN(test_start_vdso_without_syscall),
		SPIN(test_start_vdso_unreadable),
		SPIN(test_start_vdso_absurd_size),
		cmocka_unit_test_setup_teardown(test_restart_pause, pause_setup, kid_teardown),
		cmocka_unit_test_setup_teardown(test_restart_nanosleep, nanosleep_setup, kid_teardown),
	};

	if (argc == 5 && !strcmp(argv[1], UNIT_CHILD_ARG))
		return child_main(argv[2], atoi(argv[4]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
