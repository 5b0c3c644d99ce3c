// SPDX-License-Identifier: GPL-2.0
/*
 * Orphans under a subreaper, whose session and process group leaders are
 * dead: the root is a child subreaper; A calls setsid(), forks B and
 * exits (B: session A, group A, reparented to the root); C makes a group
 * of its own, forks D and exits (D: the root's session, group C).  A
 * restore must make session A and group C again without A or C.  On
 * SIGUSR1 the root checks the ids, its subreaper flag, and that B and D
 * are its children: it kills and reaps them with their exit status.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "progs.h"

static void idle(void)
{
	for (;;)
		pause(); /* killed by the root's check */
}

/* fork a leader that makes a session (setsid) or a group, forks the orphan and exits */
static pid_t orphan(bool session, pid_t *leader)
{
	int p[2], status;
	pid_t got = 0;

	if (pipe(p))
		CHECK(0, "pipe: %s", strerror(errno));
	*leader = fork();
	if (*leader == 0) {
		pid_t o;

		if (session ? setsid() < 0 : setpgid(0, 0) < 0)
			_exit(1);
		o = fork();
		if (o == 0)
			idle();
		if (write(p[1], &o, sizeof(o)) != sizeof(o))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &got, sizeof(got)) != sizeof(got))
		CHECK(0, "no orphan");
	close(p[0]);
	CHECK(waitpid(*leader, &status, 0) == *leader && WIFEXITED(status) && !WEXITSTATUS(status),
	      "leader %d failed", *leader);
	return got;
}

int main(void)
{
	pid_t a, b, c, d, w;
	int on = 0, status, i;

	prog_init();
	CHECK(!prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	b = orphan(true, &a);
	d = orphan(false, &c);
	for (i = 0; i < 500 && (getpgid(d) != c || getsid(b) != a); i++)
		usleep(10000);
	say("MEMBER B %d\nMEMBER D %d\n", b, d);
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	CHECK(!prctl(PR_GET_CHILD_SUBREAPER, &on, 0, 0, 0) && on == 1, "not a subreaper any more");
	CHECK(getsid(b) == a && getpgid(b) == a, "B: session %d group %d, want %d", getsid(b), getpgid(b), a);
	CHECK(getsid(d) == getsid(0) && getpgid(d) == c, "D: session %d group %d, want %d %d",
	      getsid(d), getpgid(d), getsid(0), c);
	CHECK(kill(a, 0) && errno == ESRCH && kill(c, 0) && errno == ESRCH, "a leader is alive");
	kill(b, SIGTERM);
	kill(d, SIGHUP);
	w = waitpid(b, &status, 0);
	CHECK(w == b && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "B: waitpid %d status 0x%x", w, status);
	w = waitpid(d, &status, 0);
	CHECK(w == d && WIFSIGNALED(status) && WTERMSIG(status) == SIGHUP, "D: waitpid %d status 0x%x", w, status);
	CHECK(waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD, "an extra child is waitable");
	finish(0, "orphans keep session, group and parent; reaped with their status");
}
