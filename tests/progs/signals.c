// SPDX-License-Identifier: GPL-2.0
/*
 * Process attributes: signal actions (handler, flags, mask, ignore), the
 * blocked mask, pending signals (standard and queued real-time with a
 * value), umask, rlimits, cwd, comm.  Usage: signals DIR
 */
#include <errno.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "progs.h"

static volatile sig_atomic_t got_usr2, got_rt, rt_value = -1, got_hup;

static void on_usr2(int s)
{
	(void)s;
	got_usr2++;
}

static void on_rt(int s, siginfo_t *si, void *uc)
{
	(void)s;
	(void)uc;
	got_rt++;
	rt_value = si->si_value.sival_int;
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
	union sigval v = { .sival_int = 4242 };

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
	sigqueue(getpid(), SIGRTMIN + 3, v);
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
	CHECK(got_rt == 1 && rt_value == 4242, "real-time signal value %d", (int)rt_value);
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
	say("PASS actions, mask, pending, queued value, umask, rlimits, cwd, comm\n");
	return 0;
}
