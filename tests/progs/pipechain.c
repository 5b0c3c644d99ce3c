// SPDX-License-Identifier: GPL-2.0
/*
 * A 3-level pipe chain carrying a numbered stream: root -> A -> G.  G reads
 * slowly, so both pipes are full (bytes in flight, writers blocked in
 * write) when the tree is dumped.  On SIGUSR1 the root stops writing and
 * closes its end; each stage checks the sequence had no gap and reports
 * through its exit status.
 */
#include <sys/wait.h>

#include "progs.h"

static int stage(int in, int out, int slow)
{
	uint64_t v, expect = 0;
	ssize_t n;

	while ((n = read(in, &v, sizeof(v))) == sizeof(v)) {
		if (v != expect)
			return 1; /* a gap or a repeat */
		expect++;
		if (out >= 0 && write(out, &v, sizeof(v)) != sizeof(v))
			return 2;
		if (slow && !(v % 64))
			usleep(2000);
	}
	return n == 0 && expect > 0 ? 0 : 3;
}

int main(void)
{
	int p1[2], p2[2], status, mine;
	pid_t a, g;
	uint64_t seq = 0;

	prog_init();
	if (pipe(p1))
		return 2;
	a = fork();
	if (a == 0) {
		close(p1[1]);
		if (pipe(p2))
			_exit(2);
		g = fork();
		if (g == 0) {
			close(p2[1]);
			close(p1[0]);
			_exit(stage(p2[0], -1, 1));
		}
		close(p2[0]);
		mine = stage(p1[0], p2[1], 0);
		close(p2[1]);
		if (waitpid(g, &status, 0) != g || !WIFEXITED(status) || WEXITSTATUS(status))
			_exit(10 + (WIFEXITED(status) ? WEXITSTATUS(status) : 9));
		_exit(mine);
	}
	close(p1[0]);
	say("READY %d\n", getpid());
	while (!verify_req) {
		int i;

		for (i = 0; i < 32 && !verify_req; i++, seq++)
			if (write(p1[1], &seq, sizeof(seq)) != sizeof(seq))
				break;
		heartbeat();
	}
	close(p1[1]);
	CHECK(waitpid(a, &status, 0) == a, "waitpid");
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "the stream broke: stage status %d",
	      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	say("PASS %llu numbers through 2 pipes without a gap\n", (unsigned long long)seq);
	return 0;
}
