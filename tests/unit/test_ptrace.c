// SPDX-License-Identifier: GPL-2.0
/*
 * lib/ptrace.c: the restart fix-up on fixed registers, then seize, freeze,
 * thread state, pending signals, syscall injection, detach and memory
 * access on a helper process (this binary in child mode) that spins in
 * user space with some signals blocked and pending.
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
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ptrace.h"
#include "unit.h"
#include "util.h"

#ifndef PTRACE_GETSIGMASK
#define PTRACE_GETSIGMASK 0x420a
#endif

#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

#define SIGBIT(s) (1ULL << ((s) - 1))
#define CHILD_MASK (SIGBIT(SIGUSR1) | SIGBIT(SIGUSR2) | SIGBIT(SIGHUP))
#define EXIT_BASE 40 /* the child exits with EXIT_BASE + SIGURG handler runs */

/* A syscall instruction for injection; int3 stops a runaway tracee. */
__asm__(".pushsection .text\n"
	".globl test_syscall_insn\n"
	".type test_syscall_insn, @function\n"
	"test_syscall_insn:\n"
	"\tsyscall\n"
	"\tint3\n"
	".size test_syscall_insn, . - test_syscall_insn\n"
	".popsection\n");
extern char test_syscall_insn[];

/* ---- the helper process ---- */

static volatile long child_release;
static volatile long child_urgs;
static volatile unsigned long child_spins;
static char child_scratch[64] = "scratch text in the child";

struct child_info {
	uint64_t release, urgs, spins, scratch, syscall_insn;
	uint64_t rseq;     /* its rseq area, 0 if glibc registered none */
	uint64_t edge;     /* a readable page followed by an unmapped one */
	uint64_t readonly; /* a read-only page */
};

static void child_on_urg(int sig)
{
	(void)sig;
	child_urgs++;
}

/* Block USR1, USR2, HUP; raise USR1 (thread-directed); spin until released. */
static int child_main(int ready)
{
	struct sigaction sa = { .sa_handler = child_on_urg };
	struct child_info info = { 0 };
	sigset_t set;
	char *p;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGHUP);
	if (sigaction(SIGURG, &sa, NULL) || sigprocmask(SIG_SETMASK, &set, NULL) || raise(SIGUSR1))
		_exit(2);
	p = mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || munmap(p + PAGE_SIZE, PAGE_SIZE) ||
	    mprotect(p + 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ))
		_exit(3);
	info.release = (uintptr_t)&child_release;
	info.urgs = (uintptr_t)&child_urgs;
	info.spins = (uintptr_t)&child_spins;
	info.scratch = (uintptr_t)child_scratch;
	info.syscall_insn = (uintptr_t)test_syscall_insn;
	if (__rseq_size)
		info.rseq = (uintptr_t)__builtin_thread_pointer() + __rseq_offset;
	info.edge = (uintptr_t)p;
	info.readonly = (uintptr_t)p + 2 * PAGE_SIZE;
	unit_child_ready(ready, &info, sizeof(info));
	while (!child_release)
		child_spins++;
	_exit(EXIT_BASE + (int)child_urgs);
}

/* ---- helpers ---- */

static pid_t kid;
static struct child_info info;

static int kid_setup(void **state)
{
	int i;

	(void)state;
	unit_log_reset();
	kid = unit_child_start("ptrace", NULL, &info, sizeof(info));
	if (kid <= 0)
		return -1;
	/* Past its last syscall: in the loop, in user space. */
	for (i = 0; i < 2000 && unit_child_peek(kid, info.spins) <= 0; i++)
		unit_sleep_ms(1);
	return i < 2000 ? 0 : -1;
}

static int kid_teardown(void **state)
{
	(void)state;
	unit_child_kill(&kid);
	return 0;
}

static void seize_and_freeze(void)
{
	assert_int_equal(ckpt_ptrace_seize(kid, true), 0);
	assert_int_equal(ckpt_ptrace_freeze(kid), 0);
}

/* Let the helper leave its loop; it must exit with EXIT_BASE + urgs. */
static void release_and_expect_exit(int urgs)
{
	int st;

	assert_int_equal(unit_child_poke(kid, info.release, 1), 0);
	st = unit_child_wait(&kid, 2000);
	assert_int_not_equal(st, -1);
	if (!WIFEXITED(st))
		fail_msg("the helper did not exit (status 0x%x)", st);
	assert_int_equal(WEXITSTATUS(st), EXIT_BASE + urgs);
}

static void free_thread(struct ckpt_thread *th)
{
	free(th->xsave);
	free(th->pending.info);
	memset(th, 0, sizeof(*th));
}

static siginfo_t siginfo_at(const struct ckpt_sigqueue *q, size_t i)
{
	siginfo_t si;

	assert_true(i < q->n);
	UNIT_MARK_DEFINED(&q->info[i], sizeof(q->info[i]));
	memcpy(&si, q->info[i].raw, sizeof(si));
	return si;
}

static struct user_regs_struct regs_in_syscall(long nr, long ret, uint64_t rip)
{
	struct user_regs_struct r;

	memset(&r, 0, sizeof(r));
	r.orig_rax = nr;
	r.rax = ret;
	r.rip = rip;
	r.rdi = 11;
	return r;
}

/* ---- ckpt_regs_fixup_restart ---- */

static void expect_reissue(long code, bool same_task)
{
	struct user_regs_struct r = regs_in_syscall(SYS_read, -code, 0x401002);

	ckpt_regs_fixup_restart(&r, same_task);
	assert_int_equal(r.rax, SYS_read);
	assert_int_equal(r.rip, 0x401000);
	assert_int_equal((long)r.orig_rax, -1);
	assert_int_equal(r.rdi, 11);
}

static void test_fixup_erestartsys(void **state)
{
	(void)state;
	expect_reissue(ERESTARTSYS, false);
	expect_reissue(ERESTARTSYS, true);
}

static void test_fixup_erestartnointr(void **state)
{
	(void)state;
	expect_reissue(ERESTARTNOINTR, false);
	expect_reissue(ERESTARTNOINTR, true);
}

static void test_fixup_erestartnohand(void **state)
{
	(void)state;
	expect_reissue(ERESTARTNOHAND, false);
	expect_reissue(ERESTARTNOHAND, true);
}

static void test_fixup_restartblock_same_task(void **state)
{
	struct user_regs_struct r = regs_in_syscall(SYS_clock_nanosleep, -ERESTART_RESTARTBLOCK,
						    0x7000);

	(void)state;
	ckpt_regs_fixup_restart(&r, true);
	assert_int_equal(r.rax, SYS_restart_syscall);
	assert_int_equal(r.rip, 0x6ffe);
	assert_int_equal((long)r.orig_rax, -1);
}

static void test_fixup_restartblock_new_task(void **state)
{
	struct user_regs_struct r = regs_in_syscall(SYS_clock_nanosleep, -ERESTART_RESTARTBLOCK,
						    0x7000);

	(void)state;
	/* A new task has no restart block: issue the original syscall again. */
	ckpt_regs_fixup_restart(&r, false);
	assert_int_equal(r.rax, SYS_clock_nanosleep);
	assert_int_equal(r.rip, 0x6ffe);
	assert_int_equal((long)r.orig_rax, -1);
}

static void test_fixup_not_in_syscall(void **state)
{
	static const long codes[] = { ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND,
				      ERESTART_RESTARTBLOCK };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(codes); i++) {
		struct user_regs_struct r = regs_in_syscall(-1, -codes[i], 0x3000), before = r;

		ckpt_regs_fixup_restart(&r, false);
		assert_memory_equal(&r, &before, sizeof(r));
		ckpt_regs_fixup_restart(&r, true);
		assert_memory_equal(&r, &before, sizeof(r));
	}
}

static void test_fixup_finished_syscall(void **state)
{
	static const long results[] = { 0, 5, -EINTR, -EAGAIN, -515 /* ENOIOCTLCMD */,
					-ERESTART_RESTARTBLOCK - 1, -ERESTARTSYS + 1, -4095 };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(results); i++) {
		struct user_regs_struct r = regs_in_syscall(SYS_write, results[i], 0x5002);

		ckpt_regs_fixup_restart(&r, i % 2);
		assert_int_equal((long)r.rax, results[i]);
		assert_int_equal(r.rip, 0x5002);
		assert_int_equal((long)r.orig_rax, -1);
		assert_int_equal(r.rdi, 11);
	}
}

static void test_fixup_syscall_zero(void **state)
{
	struct user_regs_struct r = regs_in_syscall(0 /* read */, -ERESTARTSYS, 0x10);

	(void)state;
	ckpt_regs_fixup_restart(&r, false);
	assert_int_equal(r.rax, 0);
	assert_int_equal(r.rip, 0xe);
}

/* ---- errors without a traced task ---- */

static void test_not_traced(void **state)
{
	struct ckpt_thread th = { 0 };
	struct ckpt_inject in;
	struct ckpt_sigqueue q = { 0 };

	(void)state;
	assert_int_equal(ckpt_ptrace_freeze(kid), -ESRCH);
	assert_int_equal(ckpt_ptrace_detach(kid), -ESRCH);
	assert_int_equal(ckpt_ptrace_get_thread(kid, &th), -ESRCH);
	free_thread(&th);
	assert_int_equal(ckpt_ptrace_get_shared_pending(kid, &q), -ESRCH);
	assert_int_equal(ckpt_inject_init(&in, kid, info.syscall_insn), -ESRCH);
	assert_int_equal(ckpt_ptrace_set_thread(kid, &th, true), -ESRCH);
	release_and_expect_exit(0);
}

static void test_seize_errors(void **state)
{
	int st;

	(void)state;
	assert_int_equal(ckpt_ptrace_seize(kid, false), 0);
	assert_int_equal(ckpt_ptrace_seize(kid, false), -EPERM);
	assert_int_equal(ckpt_ptrace_seize(getpid(), false), -EPERM);
	assert_int_equal(ckpt_ptrace_seize(0x3ffffff0, false), -ESRCH);
	assert_int_equal(ckpt_ptrace_wait(1, &st), -ECHILD);
	assert_int_equal(unit_log_errors(), 0);
}

static void test_seized_not_stopped(void **state)
{
	struct ckpt_thread th = { 0 };

	(void)state;
	assert_int_equal(ckpt_ptrace_seize(kid, true), 0);
	/* Seized but running: no registers to read. */
	assert_int_equal(ckpt_ptrace_get_thread(kid, &th), -ESRCH);
	free_thread(&th);
	assert_int_equal(ckpt_ptrace_detach(kid), -ESRCH);
	assert_int_equal(ckpt_ptrace_freeze(kid), 0);
	assert_int_equal(ckpt_ptrace_detach(kid), 0);
	release_and_expect_exit(0);
}

/* ---- a frozen task ---- */

static void test_thread_state(void **state)
{
	struct ckpt_thread th = { 0 };
	siginfo_t si;

	(void)state;
	seize_and_freeze();
	assert_int_equal(ckpt_ptrace_get_thread(kid, &th), 0);
	assert_int_equal(th.tid, kid);
	assert_true(th.regs.rip != 0);
	assert_true(th.regs.rsp != 0);
	assert_int_equal((long)th.regs.orig_rax, -1); /* spinning, not in a syscall */
	assert_non_null(th.xsave);
	assert_true(th.xsave_size > 512);
	assert_int_equal(th.sigmask, CHILD_MASK);
	assert_int_equal(th.pending.n, 1);
	si = siginfo_at(&th.pending, 0);
	assert_int_equal(si.si_signo, SIGUSR1);
	assert_int_equal(si.si_code, SI_TKILL);
	assert_int_equal(si.si_pid, kid);
	if (info.rseq) {
		assert_int_equal(th.rseq_ptr, info.rseq);
		assert_true(th.rseq_len >= 32);
	} else {
		assert_int_equal(th.rseq_len, 0);
	}
	free_thread(&th);
	assert_int_equal(ckpt_ptrace_detach(kid), 0);
	release_and_expect_exit(0);
}

static void test_thread_state_is_stable(void **state)
{
	struct ckpt_thread a = { 0 }, b = { 0 };

	(void)state;
	seize_and_freeze();
	assert_int_equal(ckpt_ptrace_get_thread(kid, &a), 0);
	assert_int_equal(ckpt_ptrace_get_thread(kid, &b), 0);
	assert_memory_equal(&a.regs, &b.regs, sizeof(a.regs));
	assert_int_equal(a.xsave_size, b.xsave_size);
	assert_memory_equal(a.xsave, b.xsave, a.xsave_size);
	free_thread(&a);
	free_thread(&b);
	assert_int_equal(ckpt_ptrace_detach(kid), 0);
	release_and_expect_exit(0);
}

static void test_shared_pending(void **state)
{
	struct ckpt_sigqueue q = { 0 };
	struct ckpt_thread th = { 0 };
	union sigval v = { .sival_int = 4321 };
	siginfo_t si;

	(void)state;
	seize_and_freeze();
	assert_int_equal(ckpt_ptrace_get_shared_pending(kid, &q), 0);
	assert_int_equal(q.n, 0);
	assert_int_equal(kill(kid, SIGUSR2), 0);
	assert_int_equal(sigqueue(kid, SIGHUP, v), 0);
	assert_int_equal(ckpt_ptrace_get_shared_pending(kid, &q), 0);
	assert_int_equal(q.n, 2);
	si = siginfo_at(&q, 0);
	assert_int_equal(si.si_signo, SIGUSR2);
	assert_int_equal(si.si_code, SI_USER);
	assert_int_equal(si.si_pid, getpid());
	si = siginfo_at(&q, 1);
	assert_int_equal(si.si_signo, SIGHUP);
	assert_int_equal(si.si_code, SI_QUEUE);
	assert_int_equal(si.si_value.sival_int, 4321);
	free(q.info);
	/* The thread's own queue still holds only its raise(). */
	assert_int_equal(ckpt_ptrace_get_thread(kid, &th), 0);
	assert_int_equal(th.pending.n, 1);
	assert_int_equal(siginfo_at(&th.pending, 0).si_signo, SIGUSR1);
	free_thread(&th);
	assert_int_equal(ckpt_ptrace_detach(kid), 0);
	release_and_expect_exit(0);
}

static void test_set_thread(void **state)
{
	struct ckpt_thread th = { 0 }, again = { 0 };
	int st;

	(void)state;
	seize_and_freeze();
	assert_int_equal(ckpt_ptrace_get_thread(kid, &th), 0);
	th.sigmask = SIGBIT(SIGUSR2);
	assert_int_equal(ckpt_ptrace_set_thread(kid, &th, true), 0);
	assert_int_equal(ckpt_ptrace_get_thread(kid, &again), 0);
	assert_int_equal(again.sigmask, SIGBIT(SIGUSR2));
	assert_int_equal(again.regs.rip, th.regs.rip);
	assert_int_equal(again.regs.rsp, th.regs.rsp);
	assert_int_equal(again.xsave_size, th.xsave_size);
	free_thread(&th);
	free_thread(&again);
	assert_int_equal(ckpt_ptrace_detach(kid), 0);
	/* SIGUSR1 is pending and no longer blocked: its default action kills. */
	st = unit_child_wait(&kid, 2000);
	assert_int_not_equal(st, -1);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGUSR1);
}

/* ---- syscall injection ---- */

static void test_inject(void **state)
{
	struct user_regs_struct after;
	struct ckpt_inject in;
	char cwd[64] = "", got[64];
	long ret = 0;

	(void)state;
	seize_and_freeze();
	assert_int_equal(ckpt_inject_init(&in, kid, info.syscall_insn), 0);
	assert_int_equal(in.pid, kid);
	assert_int_equal(in.ip, info.syscall_insn);
	assert_int_equal(ckpt_inject(&in, SYS_getpid, 0, 0, 0, 0, 0, 0, &ret), 0);
	assert_int_equal(ret, kid);
	assert_int_equal(ckpt_inject(&in, SYS_getppid, 0, 0, 0, 0, 0, 0, &ret), 0);
	assert_int_equal(ret, getpid());
	/* The syscall's own error is a result, not a failure. */
	assert_int_equal(ckpt_inject(&in, SYS_close, -1, 0, 0, 0, 0, 0, &ret), 0);
	assert_int_equal(ret, -EBADF);
	/* Arguments and memory effects. */
	assert_non_null(getcwd(cwd, sizeof(cwd) - 1));
	assert_int_equal(ckpt_inject(&in, SYS_getcwd, info.scratch, sizeof(got), 0, 0, 0, 0, &ret), 0);
	assert_int_equal(ret, strlen(cwd) + 1);
	assert_int_equal(ckpt_vm_read(kid, info.scratch, got, sizeof(got)), 0);
	assert_string_equal(got, cwd);
	/* All six argument registers: mmap, then munmap. */
	assert_int_equal(ckpt_inject(&in, SYS_mmap, 0, PAGE_SIZE, PROT_READ,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &ret), 0);
	assert_true(ret > 0 && ret % PAGE_SIZE == 0);
	assert_int_equal(ckpt_inject(&in, SYS_munmap, ret, PAGE_SIZE, 0, 0, 0, 0, &ret), 0);
	assert_int_equal(ret, 0);
	/* The tracee sits after the syscall instruction; put it back. */
	assert_int_equal(ptrace(PTRACE_GETREGS, kid, NULL, &after), 0);
	assert_int_equal(after.rip, info.syscall_insn + 2);
	assert_int_equal(ptrace(PTRACE_SETREGS, kid, NULL, &in.base), 0);
	assert_int_equal(ckpt_ptrace_detach(kid), 0);
	release_and_expect_exit(0);
}

static void test_inject_bad_ip(void **state)
{
	struct ckpt_inject in;
	long ret = 12345;

	(void)state;
	seize_and_freeze();
	assert_int_equal(ckpt_inject_init(&in, kid, 0x1000), 0);
	/* The tracee faults instead of reaching a syscall stop. */
	assert_int_equal(ckpt_inject(&in, SYS_getpid, 0, 0, 0, 0, 0, 0, &ret), -EINTR);
	assert_int_equal(ret, 12345);
	/* Back to where it was; detaching drops the SIGSEGV. */
	assert_int_equal(ptrace(PTRACE_SETREGS, kid, NULL, &in.base), 0);
	assert_int_equal(ckpt_ptrace_detach(kid), 0);
	release_and_expect_exit(0);
}

static void test_inject_dead_task(void **state)
{
	struct ckpt_inject in;
	long ret;
	int st;

	(void)state;
	seize_and_freeze();
	assert_int_equal(ckpt_inject_init(&in, kid, info.syscall_insn), 0);
	assert_int_equal(kill(kid, SIGKILL), 0);
	/* A task with SIGKILL pending takes no more ptrace requests. */
	assert_int_equal(ckpt_inject(&in, SYS_getpid, 0, 0, 0, 0, 0, 0, &ret), -ESRCH);
	st = unit_child_wait(&kid, 2000);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
}

/* ---- detach, freeze with signals, death ---- */

static void test_detach_keeps_running(void **state)
{
	long before, now;
	int i;

	(void)state;
	seize_and_freeze();
	before = unit_child_peek(kid, info.spins);
	unit_sleep_ms(5);
	assert_int_equal(unit_child_peek(kid, info.spins), before); /* frozen */
	assert_int_equal(ckpt_ptrace_detach(kid), 0);
	for (i = 0; i < 2000 && (now = unit_child_peek(kid, info.spins)) == before; i++)
		unit_sleep_ms(1);
	assert_int_not_equal(now, before);
	release_and_expect_exit(0);
}

static void test_freeze_redelivers_signal(void **state)
{
	siginfo_t si = { 0 };

	(void)state;
	assert_int_equal(ckpt_ptrace_seize(kid, true), 0);
	assert_int_equal(kill(kid, SIGURG), 0);
	/* Wait until it stopped for the signal, without consuming the stop. */
	assert_int_equal(waitid(P_PID, kid, &si, WSTOPPED | WNOWAIT | __WALL), 0);
	assert_int_equal(si.si_status, SIGURG);
	assert_int_equal(ckpt_ptrace_freeze(kid), 0);
	assert_int_equal(ckpt_ptrace_detach(kid), 0);
	release_and_expect_exit(1); /* delivered once: not lost, not doubled */
}

static void test_wait_reports_death(void **state)
{
	int st = 0;

	(void)state;
	seize_and_freeze();
	assert_int_equal(kill(kid, SIGKILL), 0);
	assert_int_equal(ckpt_ptrace_wait(kid, &st), -ESRCH);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	kid = 0;
}

/* A tracer process seizes the helper, then exits. */
static void seize_from_other_process(bool exitkill)
{
	pid_t tracer = fork();
	int st;

	assert_true(tracer >= 0);
	if (!tracer)
		_exit(ckpt_ptrace_seize(kid, exitkill) ? 1 : 0);
	assert_int_equal(waitpid(tracer, &st, 0), tracer);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_exitkill(void **state)
{
	int st;

	(void)state;
	seize_from_other_process(true);
	st = unit_child_wait(&kid, 2000);
	assert_int_not_equal(st, -1);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
}

static void test_no_exitkill(void **state)
{
	(void)state;
	seize_from_other_process(false);
	release_and_expect_exit(0);
}

/* ---- memory ---- */

static void test_vm_read_write(void **state)
{
	char buf[64];
	long flag = -1;

	(void)state;
	assert_int_equal(ckpt_vm_read(kid, info.scratch, buf, sizeof(buf)), 0);
	assert_string_equal(buf, child_scratch);
	assert_int_equal(ckpt_vm_write(kid, info.scratch, "written by the test", 20), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ckpt_vm_read(kid, info.scratch, buf, 20), 0);
	assert_string_equal(buf, "written by the test");
	assert_int_equal(ckpt_vm_read(kid, info.release, &flag, sizeof(flag)), 0);
	assert_int_equal(flag, 0);
	/* Frozen or not makes no difference. */
	seize_and_freeze();
	assert_int_equal(ckpt_vm_write(kid, info.edge, "x", 1), 0);
	assert_int_equal(ckpt_vm_read(kid, info.edge, buf, 1), 0);
	assert_int_equal(buf[0], 'x');
	assert_int_equal(ckpt_ptrace_detach(kid), 0);
	/* Releasing it through ckpt_vm_write. */
	flag = 1;
	assert_int_equal(ckpt_vm_write(kid, info.release, &flag, sizeof(flag)), 0);
	flag = unit_child_wait(&kid, 2000);
	assert_true(WIFEXITED(flag));
	assert_int_equal(WEXITSTATUS(flag), EXIT_BASE);
}

static void test_vm_errors(void **state)
{
	char buf[16] = "0123456789abcdef";
	int st;

	(void)state;
	assert_int_equal(ckpt_vm_read(kid, 0, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(ckpt_vm_write(kid, 0, buf, sizeof(buf)), -EFAULT);
	/* Half readable: a short transfer is an error. */
	assert_int_equal(ckpt_vm_read(kid, info.edge + PAGE_SIZE - 8, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(ckpt_vm_write(kid, info.edge + PAGE_SIZE - 8, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(ckpt_vm_read(kid, info.edge + PAGE_SIZE - 8, buf, 8), 0);
	/* Read-only memory is not written behind the task's back. */
	assert_int_equal(ckpt_vm_read(kid, info.readonly, buf, sizeof(buf)), 0);
	assert_int_equal(ckpt_vm_write(kid, info.readonly, buf, sizeof(buf)), -EFAULT);
	kill(kid, SIGKILL);
	assert_int_equal(waitpid(kid, &st, 0), kid);
	assert_int_equal(ckpt_vm_read(kid, info.scratch, buf, sizeof(buf)), -ESRCH);
	assert_int_equal(ckpt_vm_write(kid, info.scratch, buf, sizeof(buf)), -ESRCH);
	kid = 0;
}

#define K(f) cmocka_unit_test_setup_teardown(f, kid_setup, kid_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixup_erestartsys),
		cmocka_unit_test(test_fixup_erestartnointr),
		cmocka_unit_test(test_fixup_erestartnohand),
		cmocka_unit_test(test_fixup_restartblock_same_task),
		cmocka_unit_test(test_fixup_restartblock_new_task),
		cmocka_unit_test(test_fixup_not_in_syscall),
		cmocka_unit_test(test_fixup_finished_syscall),
		cmocka_unit_test(test_fixup_syscall_zero),
		K(test_not_traced),
		K(test_seize_errors),
		K(test_seized_not_stopped),
		K(test_thread_state),
		K(test_thread_state_is_stable),
		K(test_shared_pending),
		K(test_set_thread),
		K(test_inject),
		K(test_inject_bad_ip),
		K(test_inject_dead_task),
		K(test_detach_keeps_running),
		K(test_freeze_redelivers_signal),
		K(test_wait_reports_death),
		K(test_exitkill),
		K(test_no_exitkill),
		K(test_vm_read_write),
		K(test_vm_errors),
	};

	if (argc == 5 && !strcmp(argv[1], UNIT_CHILD_ARG))
		return child_main(atoi(argv[4]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
