// SPDX-License-Identifier: GPL-2.0
/* Runs under a seccomp filter (allow everything): a dump must refuse it, not drop it. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

#include "progs.h"

int main(void)
{
	struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_fprog prog = { .len = 1, .filter = allow };

	prog_init();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 2;
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	say("PASS still filtered\n");
	return 0;
}
