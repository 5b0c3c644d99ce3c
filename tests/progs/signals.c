// SPDX-License-Identifier: GPL-2.0
/*
 * Process attributes: signal actions (handler, flags, mask, ignore), the
 * blocked mask, pending signals (a standard one raised twice while
 * blocked: delivered once; a real-time one queued twice with values:
 * delivered twice, in order, with their values, sender and si_code),
 * umask, rlimits, cwd, comm.  Usage: signals DIR (an existing directory)
 */
#include <errno.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "progs.h"

static volatile sig_atomic_t got_usr2, got_rt, got_hup;
static volatile int rt_value[4], rt_code[4], rt_pid[4];

static void on_usr2(int s)
{
	(void)s;
	got_usr2++;
}

static void on_rt(int s, siginfo_t *si, void *uc)
{
	(void)s;
	(void)uc;
	if (got_rt < 4) {
		rt_value[got_rt] = si->si_value.sival_int;
		rt_code[got_rt] = si->si_code;
		rt_pid[got_rt] = si->si_pid;
	}
	got_rt++;
}

static void on_hup(int s)
{
	(void)s;
	got_hup++;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { 0 }, cur;
	struct rlimit rl, nofile = { 64, 128 }, core = { 0, 4096 };
	sigset_t block, pend;
	char cwd[512], comm[17];
	union sigval v1 = { .sival_int = 4242 }, v2 = { .sival_int = -77 };

	if (argc < 2)
		return 2;
	prog_init();
	sa.sa_handler = on_usr2;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGRTMIN + 3, &sa, NULL);
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGRTMIN + 3);
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, NULL);
	raise(SIGUSR2);
	raise(SIGUSR2);
	if (sigqueue(getpid(), SIGRTMIN + 3, v1) || sigqueue(getpid(), SIGRTMIN + 3, v2))
		return 2;
	umask(027);
	setrlimit(RLIMIT_NOFILE, &nofile);
	setrlimit(RLIMIT_CORE, &core);
	if (chdir(argv[1]))
		return 2;
	prctl(PR_SET_NAME, "sig-test", 0, 0, 0);
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	sigaction(SIGUSR2, NULL, &cur);
	CHECK(cur.sa_handler == on_usr2 && (cur.sa_flags & SA_RESTART) &&
		      sigismember(&cur.sa_mask, SIGTERM), "SIGUSR2 action differs");
	sigaction(SIGRTMIN + 3, NULL, &cur);
	CHECK(cur.sa_sigaction == on_rt && (cur.sa_flags & SA_SIGINFO), "real-time action differs");
	sigaction(SIGHUP, NULL, &cur);
	CHECK(cur.sa_handler == on_hup && (cur.sa_flags & SA_RESETHAND) && (cur.sa_flags & SA_NODEFER),
	      "SIGHUP flags differ");
	sigaction(SIGPIPE, NULL, &cur);
	CHECK(cur.sa_handler == SIG_IGN, "SIGPIPE no longer ignored");
	sigaction(SIGQUIT, NULL, &cur);
	CHECK(cur.sa_handler == SIG_IGN, "SIGQUIT no longer ignored");
	sigaction(SIGTERM, NULL, &cur);
	CHECK(cur.sa_handler == SIG_DFL, "SIGTERM not default");
	sigprocmask(SIG_BLOCK, NULL, &pend);
	CHECK(sigismember(&pend, SIGWINCH) && sigismember(&pend, SIGUSR2) &&
		      !sigismember(&pend, SIGUSR1), "blocked mask differs");
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGUSR2), "pending SIGUSR2 lost");
	CHECK(sigismember(&pend, SIGRTMIN + 3), "queued real-time signal lost");
	CHECK(got_usr2 == 0 && got_rt == 0, "a blocked signal was delivered");
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	CHECK(got_usr2 == 1, "SIGUSR2 delivered %d times", (int)got_usr2);
	CHECK(got_rt == 2, "queued real-time signal delivered %d times, want 2", (int)got_rt);
	CHECK(rt_value[0] == 4242 && rt_value[1] == -77, "real-time signal values %d, %d, want 4242, -77",
	      rt_value[0], rt_value[1]);
	CHECK(rt_code[0] == SI_QUEUE && rt_code[1] == SI_QUEUE, "si_code %d, %d, want SI_QUEUE",
	      rt_code[0], rt_code[1]);
	CHECK(rt_pid[0] == getpid() && rt_pid[1] == getpid(), "si_pid %d, want %d", rt_pid[0], getpid());
	raise(SIGHUP);
	CHECK(got_hup == 1, "SIGHUP handler not run");
	CHECK(umask(0) == 027, "umask differs");
	getrlimit(RLIMIT_NOFILE, &rl);
	CHECK(rl.rlim_cur == 64 && rl.rlim_max == 128, "RLIMIT_NOFILE %lu/%lu", (unsigned long)rl.rlim_cur,
	      (unsigned long)rl.rlim_max);
	getrlimit(RLIMIT_CORE, &rl);
	CHECK(rl.rlim_cur == 0 && rl.rlim_max == 4096, "RLIMIT_CORE differs");
	CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, argv[1]), "cwd is %.200s", cwd);
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	CHECK(!strcmp(comm, "sig-test"), "comm is %s", comm);
	say("PASS actions, mask, pending and queued signals, umask, rlimits, cwd, comm\n");
	return 0;
}
