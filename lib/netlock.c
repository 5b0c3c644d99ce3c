// SPDX-License-Identifier: GPL-2.0
/*
 * The network lock for established TCP connections: while a connection's
 * socket is gone (between the dump's kill and the restore) a segment from
 * the peer would be answered with a RST.  nftables rules drop the
 * connection's packets, in both directions, meanwhile.
 *
 * The rules are in a table with the "owner" flag, which the kernel deletes
 * when the netlink socket that made it is closed: by a small holder process
 * (comm "ckpt-netlock") forked by ckpt.  The lock cannot outlive ckpt: the
 * holder dies with ckpt (PR_SET_PDEATHSIG) until a dump that succeeded
 * detaches it; a detached holder is killed by the restore once the
 * restore's own lock holds, or exits after CKPT_NETLOCK_TIMEOUT seconds.
 * Killing any of them (even with SIGKILL) removes its rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "nft.h"
#include "sk.h"
#include "util.h"

#define CKPT_NETLOCK_TIMEOUT 600 /* seconds a detached lock waits for its restore */

struct ckpt_netlock {
	pid_t pid;
	int ctl; /* closing it (undetached) ends the holder */
	int rep; /* the holder's answers */
	char table[64];
};

/* "a . port . b . port" for the set of the address family; deduplicated. */
static int add_elem(char *buf, size_t len, size_t *off, size_t set_start, int family,
		    const void *sa, unsigned sp, const void *da, unsigned dp)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], e[2 * INET6_ADDRSTRLEN + 32];
	int n;

	inet_ntop(family, sa, s, sizeof(s));
	inet_ntop(family, da, d, sizeof(d));
	snprintf(e, sizeof(e), " %s . %u . %s . %u,", s, sp, d, dp);
	buf[*off] = '\0';
	if (strstr(buf + set_start, e))
		return 0; /* both ends of a connection of the tree give the same pair */
	n = snprintf(buf + *off, len - *off, "%s", e);
	if (n < 0 || (size_t)n >= len - *off)
		return -ENOSPC;
	*off += n;
	return 0;
}

/*
 * One set of (address, port, address, port) per family holding both
 * directions of every connection; one rule per family and chain drops what
 * matches it, on input and output.
 */
int ckpt_netlock_script(const struct ckpt_sock *const *socks, size_t n, const char *table,
			char *buf, size_t len)
{
	static const char *const sets[2] = { "v4", "v6" };
	static const char *const types[2] = { "ipv4_addr", "ipv6_addr" };
	static const char *const ips[2] = { "ip", "ip6" };
	size_t off, i, f, c, start;
	int k, err;

	k = snprintf(buf, len,
		     "add table inet %s { flags owner; }\n"
		     "add chain inet %s in { type filter hook input priority -300; policy accept; }\n"
		     "add chain inet %s out { type filter hook output priority -300; policy accept; }\n",
		     table, table, table);
	if (k < 0 || (size_t)k >= len)
		return -ENOSPC;
	off = k;
	for (f = 0; f < 2; f++) {
		bool any = false;

		for (i = 0; i < n; i++)
			any |= (socks[i]->family == AF_INET6) == f;
		if (!any)
			continue;
		k = snprintf(buf + off, len - off,
			     "add set inet %s %s { type %s . inet_service . %s . inet_service; }\n"
			     "add element inet %s %s {", table, sets[f], types[f], types[f], table,
			     sets[f]);
		if (k < 0 || (size_t)k >= len - off)
			return -ENOSPC;
		off += k;
		start = off;
		for (i = 0; i < n; i++) {
			const struct ckpt_sock *s = socks[i];
			const void *la, *ra;
			unsigned lp, rp;

			if ((s->family == AF_INET6) != f)
				continue;
			if (s->family == AF_INET) {
				const struct sockaddr_in *l = (const void *)s->addr, *r = (const void *)s->peer;

				la = &l->sin_addr, ra = &r->sin_addr;
				lp = ntohs(l->sin_port), rp = ntohs(r->sin_port);
			} else {
				const struct sockaddr_in6 *l = (const void *)s->addr,
							  *r = (const void *)s->peer;

				la = &l->sin6_addr, ra = &r->sin6_addr;
				lp = ntohs(l->sin6_port), rp = ntohs(r->sin6_port);
			}
			err = add_elem(buf, len, &off, start, s->family, la, lp, ra, rp);
			if (!err)
				err = add_elem(buf, len, &off, start, s->family, ra, rp, la, lp);
			if (err)
				return err;
		}
		off--; /* the last comma */
		for (c = 0; c < 2; c++) {
			k = snprintf(buf + off, len - off, "%s\nadd rule inet %s %s %s saddr . tcp sport . "
				     "%s daddr . tcp dport @%s drop\n", c ? "" : " }", table,
				     c ? "out" : "in", ips[f], ips[f], sets[f]);
			if (k < 0 || (size_t)k >= len - off)
				return -ENOSPC;
			off += k;
		}
	}
	return 0;
}

/*
 * The dump's copies of the connections (in repair mode), kept by the holder:
 * if ckpt dies in the middle of a dump, the tasks run on, and their
 * connections must leave repair mode.  After a dump that succeeded they are
 * closed in repair mode (silently).
 */
static int keep[16384];
static size_t n_keep;

static void repair_off(void)
{
	size_t i;

	for (i = 0; i < n_keep; i++)
		ckpt_sk_tcp_repair_off(keep[i]);
}

static void on_parent_death(int sig)
{
	(void)sig;
	repair_off();
	_exit(0);
}

static int int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The holder: makes the table, reports, then waits (see the file comment). */
static void __attribute__((noreturn)) holder(const char *script, pid_t parent, int ctl, int rep)
{
	size_t i;
	int fd;
	char c, err[256];

	signal(SIGTERM, on_parent_death);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		on_parent_death(0);
	prctl(PR_SET_NAME, "ckpt-netlock", 0, 0, 0);
	if (dup2(ctl, 0) < 0 || dup2(rep, 1) < 0)
		_exit(1);
	/* Close ckpt's fds (its other socket copies above all) but the kept ones. */
	qsort(keep, n_keep, sizeof(*keep), int_cmp);
	for (i = 0, fd = 2; i < n_keep; i++) {
		if (keep[i] > fd)
			syscall(SYS_close_range, fd, keep[i] - 1, 0);
		fd = MAX(fd, keep[i] + 1);
	}
	syscall(SYS_close_range, fd, ~0U, 0);
	if (ckpt_nft_run(script, err, sizeof(err))) {
		dprintf(1, "%s", err);
		_exit(1);
	}
	if (write(1, "", 1) != 1)
		_exit(1);
	if (read(0, &c, 1) != 1)
		on_parent_death(0); /* ckpt dropped the lock (repair mode is off already), or died */
	/* Detached: stay until the restore kills us, or the timeout. */
	prctl(PR_SET_PDEATHSIG, 0);
	signal(SIGTERM, SIG_DFL);
	setsid();
	for (i = 0; i < n_keep; i++)
		close(keep[i]); /* in repair mode: no FIN, no RST */
	if (write(1, "d", 1) != 1) /* ckpt may exit now */
		_exit(1);
	close(0);
	close(1);
	signal(SIGALRM, SIG_DFL);
	alarm(CKPT_NETLOCK_TIMEOUT);
	for (;;)
		pause();
}

int ckpt_netlock_take(const struct ckpt_sock *const *socks, size_t n, const int *fds,
		      size_t n_fds, struct ckpt_netlock **ret)
{
	size_t len = 512 + n * 4 * 200;
	char *script = malloc(len), msg[512];
	struct ckpt_netlock *l = calloc(1, sizeof(*l));
	int ctl[2] = { -1, -1 }, rep[2] = { -1, -1 }, err, status;
	pid_t parent = getpid();
	struct timespec t0, t1;
	ssize_t got;

	*ret = NULL;
	if (!script || !l) {
		err = -ENOMEM;
		goto out;
	}
	snprintf(l->table, sizeof(l->table), "ckpt_lock_%d", parent);
	err = ckpt_netlock_script(socks, n, l->table, script, len);
	if (err)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pipe2(ctl, O_CLOEXEC) || pipe2(rep, O_CLOEXEC)) {
		err = -errno;
		goto out;
	}
	if (n_fds > ARRAY_SIZE(keep)) {
		pr_err("cannot lock the network for more than %zu TCP connections", ARRAY_SIZE(keep));
		err = -EOPNOTSUPP;
		goto out;
	}
	l->pid = fork();
	if (l->pid == 0) {
		memcpy(keep, fds, n_fds * sizeof(*fds));
		n_keep = n_fds;
		holder(script, parent, ctl[0], rep[1]);
	}
	if (l->pid < 0) {
		err = -errno;
		goto out;
	}
	close(rep[1]);
	rep[1] = -1;
	close(ctl[0]);
	ctl[0] = -1;
	got = read(rep[0], msg, sizeof(msg) - 1);
	if (got == 1 && msg[0] == '\0') {
		l->ctl = ctl[1];
		ctl[1] = -1;
		l->rep = rep[0];
		rep[0] = -1;
		*ret = l;
		l = NULL;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		pr_info("network locked for %zu TCP socket%s (nftables table inet %s) in %.1f ms", n,
			n > 1 ? "s" : "", (*ret)->table,
			(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
		goto out;
	}
	msg[got > 0 ? got : 0] = '\0';
	pr_err("cannot lock the network for %zu TCP connection%s with nftables: %s", n,
	       n > 1 ? "s" : "", got > 0 ? msg : "the lock holder died");
	err = -EIO;
	waitpid(l->pid, &status, 0);
out:
	free(script);
	free(l);
	if (ctl[0] >= 0)
		close(ctl[0]);
	if (ctl[1] >= 0)
		close(ctl[1]);
	if (rep[0] >= 0)
		close(rep[0]);
	if (rep[1] >= 0)
		close(rep[1]);
	return err;
}

/* Field 22 of /proc/PID/stat (start time in ticks) and comm; 0 if gone. */
static uint64_t start_time(pid_t pid, char *comm, size_t len)
{
	char path[64], buf[1024], *p, *q;
	uint64_t t = 0;
	int fd, i;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strchr(buf, '(');
	q = strrchr(buf, ')');
	if (!p || !q || q < p)
		return 0;
	snprintf(comm, len, "%.*s", (int)(q - p - 1), p + 1);
	for (p = q + 2, i = 0; p && i < 19; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		t = strtoull(p, NULL, 10);
	return t;
}

void ckpt_netlock_id(const struct ckpt_netlock *l, struct ckpt_netlock_id *ret_id)
{
	char comm[32];

	ret_id->pid = l->pid;
	ret_id->start_time = start_time(l->pid, comm, sizeof(comm));
	snprintf(ret_id->table, sizeof(ret_id->table), "%s", l->table);
}

int ckpt_netlock_detach(struct ckpt_netlock *l)
{
	char c = 0;

	/* Until the holder answers it still dies with ckpt (PR_SET_PDEATHSIG). */
	if (write(l->ctl, "d", 1) != 1 || read(l->rep, &c, 1) != 1 || c != 'd') {
		pr_warn("the network lock (pid %d) could not be kept for the restore; peers may "
			"reset their connections, skipping", l->pid);
		return -EIO;
	}
	close(l->ctl);
	close(l->rep);
	free(l);
	return 0;
}

void ckpt_netlock_drop(struct ckpt_netlock *l)
{
	int status;

	if (!l)
		return;
	close(l->ctl); /* the holder exits, and the kernel deletes its table */
	close(l->rep);
	waitpid(l->pid, &status, 0);
	free(l);
}

void ckpt_netlock_kill(const struct ckpt_netlock_id *id)
{
	char comm[32] = "";
	struct pollfd p;
	int pidfd;

	if (start_time(id->pid, comm, sizeof(comm)) != id->start_time ||
	    strcmp(comm, "ckpt-netlock")) {
		pr_warn("the dump's network lock (pid %d) is gone already (timed out or killed): "
			"peers may have reset their connections, skipping", id->pid);
		return;
	}
	pidfd = syscall(SYS_pidfd_open, id->pid, 0);
	if (pidfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0)) {
		pr_warn("cannot end the dump's network lock (pid %d): %s, skipping", id->pid,
			strerror(errno));
	} else {
		p = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		poll(&p, 1, 5000);
	}
	if (pidfd >= 0)
		close(pidfd);
}
