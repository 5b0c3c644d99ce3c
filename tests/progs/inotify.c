// SPDX-License-Identifier: GPL-2.0
/*
 * inotify: in directory DIR, watch DIR (create/delete), DIR/file (modify),
 * DIR/gone (removed again: a gap at wd 3) and DIR/sub (create, oneshot)
 * on a non-blocking fd, and DIR/other on a second, blocking fd.  After
 * restore: each change arrives with its old wd, the gap stays a gap, a new
 * watch gets a higher wd, and the flags are as they were.  "inotify DIR
 * deleted": a third fd also watches a file unlinked since (kept open), which
 * has no path: the dump must fail and leave this process running.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "progs.h"

static char dir[3000];

static char *p(const char *name)
{
	static char buf[4][3100];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* Wait for an event of wd with mask bit and (if given) name. */
static int wait_event(int fd, int wd, uint32_t bit, const char *name)
{
	char buf[4096] __attribute__((aligned(8)));
	uint64_t end = now_ms() + 3000;

	while (now_ms() < end) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t n, off;

		if (poll(&pf, 1, 100) != 1)
			continue;
		n = read(fd, buf, sizeof(buf));
		for (off = 0; n > 0 && off < n;) {
			struct inotify_event *e = (struct inotify_event *)(buf + off);

			if (e->wd == wd && (e->mask & bit) && (!name || (e->len && !strcmp(e->name, name))))
				return 1;
			off += sizeof(*e) + e->len;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int fd, fd2, wd1, wd2, wd3, wd4, wd5, wdo, w;

	if (argc < 2)
		return 2;
	prog_init();
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	if (mkdir(p("sub"), 0755) || close(open(p("file"), O_CREAT | O_WRONLY, 0644)) ||
	    close(open(p("gone"), O_CREAT | O_WRONLY, 0644)) ||
	    close(open(p("other"), O_CREAT | O_WRONLY, 0644)))
		return 2;
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	fd2 = inotify_init();
	if (fd < 0 || fd2 < 0)
		return 2;
	wd1 = inotify_add_watch(fd, dir, IN_CREATE | IN_DELETE);
	wd2 = inotify_add_watch(fd, p("file"), IN_MODIFY);
	wd3 = inotify_add_watch(fd, p("gone"), IN_ALL_EVENTS);
	wd4 = inotify_add_watch(fd, p("sub"), IN_CREATE | IN_ONESHOT);
	wdo = inotify_add_watch(fd2, p("other"), IN_ATTRIB);
	if (wd1 != 1 || wd2 != 2 || wd3 != 3 || wd4 != 4 || wdo != 1 || inotify_rm_watch(fd, wd3))
		return 2;
	if (!wait_event(fd, wd3, IN_IGNORED, NULL))
		return 2;
	if (argc > 2 && !strcmp(argv[2], "deleted")) {
		int fd3 = inotify_init1(IN_CLOEXEC), keep = open(p("doomed"), O_CREAT | O_RDWR, 0600);

		char junk[4096];

		if (fd3 < 0 || keep < 0 || inotify_add_watch(fd3, p("doomed"), IN_MODIFY) != 1 ||
		    unlink(p("doomed")) || !wait_event(fd, wd1, IN_DELETE, "doomed"))
			return 2;
		while (read(fd, junk, sizeof(junk)) > 0) /* nothing queued at the dump */
			;
	}
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(10000);
	}
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK, "fd lost O_NONBLOCK");
	CHECK(!(fcntl(fd2, F_GETFL) & O_NONBLOCK), "fd2 became non-blocking");
	CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC && fcntl(fd2, F_GETFD) == 0, "fd flags");
	CHECK(close(open(p("new"), O_CREAT | O_WRONLY, 0644)) == 0, "create");
	CHECK(wait_event(fd, wd1, IN_CREATE, "new"), "no IN_CREATE of new on wd %d", wd1);
	w = open(p("file"), O_WRONLY);
	CHECK(w >= 0 && write(w, "x", 1) == 1 && !close(w), "write");
	CHECK(wait_event(fd, wd2, IN_MODIFY, NULL), "no IN_MODIFY on wd %d", wd2);
	CHECK(close(open(p("sub/in"), O_CREAT | O_WRONLY, 0644)) == 0, "create in sub");
	CHECK(wait_event(fd, wd4, IN_CREATE, "in"), "no IN_CREATE in sub on wd %d", wd4);
	CHECK(chmod(p("other"), 0600) == 0, "chmod");
	{
		struct pollfd pf = { .fd = fd2, .events = POLLIN };
		struct inotify_event e;

		CHECK(poll(&pf, 1, 3000) == 1 && read(fd2, &e, sizeof(e)) == sizeof(e) &&
		      e.wd == wdo && (e.mask & IN_ATTRIB), "no IN_ATTRIB on the second fd");
	}
	wd5 = inotify_add_watch(fd, p("other"), IN_OPEN);
	CHECK(wd5 > 4, "a new watch got wd %d", wd5);
	CHECK(inotify_rm_watch(fd, wd3) < 0, "the removed wd 3 exists again");
	finish(0, "inotify watches, numbers and flags");
	return 0;
}
