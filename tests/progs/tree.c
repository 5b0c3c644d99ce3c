// SPDX-License-Identifier: GPL-2.0
/*
 * A process tree: root -> A -> A1, root -> B (own process group).  Each
 * keeps a checksummed buffer and its stdout is the one file all share
 * (inherited).  On SIGUSR1 the root asks its children (SIGUSR2) to check
 * themselves: parent, process group, buffer; A first collects A1.  Exit
 * statuses travel up through waitpid, so the relations must be real.
 * With argv[1] "pgrp", A1 leads a process group of its own and A joins it:
 * a group whose leader a restore creates after the member.
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "progs.h"

static volatile sig_atomic_t asked;

static void on_usr2(int sig)
{
	(void)sig;
	asked = 1;
}

static uint64_t fill(uint64_t *buf, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = xorshift(&seed);
	return sum64(buf, n * 8);
}

/* Wait for a child's verdict: its exit status. */
static int collect(pid_t pid, const char *name)
{
	int status;

	if (waitpid(pid, &status, 0) != pid) {
		say("FAIL %s: waitpid failed\n", name);
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		say("FAIL %s: exit status 0x%x\n", name, status);
		return 1;
	}
	return 0;
}

static int pipe_fds[2]; /* A writes, B reads: a pipe between siblings */
static volatile uint64_t *shm; /* MAP_SHARED|MAP_ANONYMOUS, inherited by all: one object */
#define PAGE_WORDS 512

static bool in_a1_group; /* "pgrp": A is in the process group of its child A1 */

static void member(const char *name, pid_t parent, pid_t grandchild, bool own_group)
{
	static uint64_t buf[64 * 1024];
	uint64_t sum = fill(buf, 64 * 1024, getpid());
	char msg[32];
	int bad = 0;

	signal(SIGUSR2, on_usr2);
	if (!strcmp(name, "A")) {
		shm[5 * PAGE_WORDS] = 0xa5a5; /* a page the root never touches */
		close(pipe_fds[0]);
		if (write(pipe_fds[1], "first", 6) != 6) /* in flight at the dump */
			bad = 1;
	} else if (!strcmp(name, "B")) {
		close(pipe_fds[1]);
	} else {
		close(pipe_fds[0]);
		close(pipe_fds[1]);
	}
	if (in_a1_group && !strcmp(name, "A") && setpgid(0, grandchild))
		bad = 1;
	if (in_a1_group && !strcmp(name, "A"))
		shm[2] = 1; /* the root waits for it */
	say("MEMBER %s %d\n", name, getpid());
	while (!asked) {
		if (sum64(buf, sizeof(buf)) != sum)
			bad = 1;
		usleep(20000);
	}
	if (!strcmp(name, "A") && write(pipe_fds[1], "second", 7) != 7)
		say("FAIL A: cannot write to B\n"), bad = 1;
	if (shm[0] != 0x1111 || shm[5 * PAGE_WORDS] != 0xa5a5)
		say("FAIL %s: shared memory differs\n", name), bad = 1;
	if (!strcmp(name, "A"))
		shm[7 * PAGE_WORDS] = 0x7777; /* the root must see it: still one object */
	if (!strcmp(name, "B") && (read(pipe_fds[0], msg, 6) != 6 || strcmp(msg, "first") ||
				   read(pipe_fds[0], msg, 7) != 7 || strcmp(msg, "second")))
		say("FAIL B: the pipe from A lost data\n"), bad = 1;
	if (grandchild) {
		kill(grandchild, SIGUSR2);
		bad |= collect(grandchild, "A1");
	}
	if (getppid() != parent)
		say("FAIL %s: parent is %d, not %d\n", name, getppid(), parent), bad = 1;
	if (own_group && getpgid(0) != getpid())
		say("FAIL %s: not its own process group\n", name), bad = 1;
	if (in_a1_group && !strcmp(name, "A") && getpgid(0) != grandchild)
		say("FAIL A: in process group %d, not A1's %d\n", getpgid(0), grandchild), bad = 1;
	if (sum64(buf, sizeof(buf)) != sum)
		say("FAIL %s: buffer differs\n", name), bad = 1;
	_exit(bad);
}

/* argv[1] "pgrp": see above; "socket": B also holds a netlink socket, which a dump must refuse for the whole tree. */
int main(int argc, char **argv)
{
	static uint64_t buf[128 * 1024];
	pid_t root = getpid(), a, b, a1 = 0;
	uint64_t sum;
	int bad = 0;

	prog_init();
	in_a1_group = argc > 1 && !strcmp(argv[1], "pgrp");
	sum = fill(buf, 128 * 1024, 1);
	if (pipe(pipe_fds))
		return 2;
	shm = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		return 2;
	shm[0] = 0x1111;
	a = fork();
	if (a == 0) {
		pid_t me = getpid();

		a1 = fork();
		if (a1 == 0)
			member("A1", me, 0, in_a1_group);
		if (in_a1_group)
			setpgid(a1, a1); /* before A joins it, whoever runs first */
		member("A", root, a1, false);
	}
	b = fork();
	if (b == 0) {
		int sv[2];

		if (argc > 1 && !strcmp(argv[1], "socket") &&
		    (sv[0] = sv[1] = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)) < 0)
			_exit(2);
		setpgid(0, 0);
		member("B", root, 0, true);
	}
	setpgid(b, b);
	while (in_a1_group && !shm[2])
		usleep(1000);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	usleep(100000);
	say("READY %d\n", root);
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	kill(a, SIGUSR2);
	kill(b, SIGUSR2);
	bad |= collect(a, "A");
	bad |= collect(b, "B");
	CHECK(sum64(buf, sizeof(buf)) == sum, "root buffer differs");
	CHECK(shm[7 * PAGE_WORDS] == 0x7777, "shared memory is no longer shared with A");
	CHECK(shm[5 * PAGE_WORDS] == 0xa5a5, "A's page of shared memory lost");
	CHECK(!bad, "a member of the tree failed");
	say("PASS tree of 4: parents, process groups, buffers, a pipe A->B, shared memory, exit statuses\n");
	return 0;
}
