// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets of a dumped tree: which kind each socket fd is, the pass over all
 * of them at dump (sock_diag, then per family), their creation at restore.
 *
 * At restore every socket object is made by ckpt before any task exists,
 * above the image's fds, so that each task inherits all of them (as pipes
 * are); a task's fd takes its socket from that table by inode
 * (ckpt_sk_restore_fd, in the task: the table is in inherited memory).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "img.h"
#include "log.h"
#include "sk.h"
#include "sockdiag.h"
#include "util.h"

#ifndef SO_PEEK_OFF
#define SO_PEEK_OFF 42
#endif

static int get_copy(pid_t pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), got, e;

	if (pidfd < 0)
		return -errno;
	got = syscall(SYS_pidfd_getfd, pidfd, fd, 0); /* O_CLOEXEC always */
	e = errno;
	close(pidfd);
	return got < 0 ? -e : got;
}

static int get_int(int fd, int level, int opt)
{
	int v = 0;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, level, opt, &v, &l))
		return -1;
	return v;
}

const char *ckpt_sk_describe(const struct ckpt_sock *s, char *buf, size_t len)
{
	const char *fam = s->family == AF_UNIX ? "unix" : s->family == AF_INET ? "IPv4" : "IPv6";
	const char *type = s->type == SOCK_STREAM ? (s->family == AF_UNIX ? "stream" : "TCP") :
			   s->type == SOCK_DGRAM ? (s->family == AF_UNIX ? "datagram" : "UDP") :
			   "seqpacket";

	snprintf(buf, len, "%s %s socket:[%" PRIu64 "]", fam, type, s->ino);
	return buf;
}

int ckpt_sk_collect(pid_t pid, struct ckpt_fd *f)
{
	static const char *const names[] = { [AF_NETLINK] = "netlink", [AF_PACKET] = "packet",
					     [AF_INET] = "IPv4", [AF_INET6] = "IPv6" };
	int copy = get_copy(pid, f->fd), family, type, proto;

	if (copy < 0) {
		pr_err("pid %d fd %d: cannot take a copy of the socket: %s", pid, f->fd,
		       strerror(-copy));
		return copy;
	}
	family = get_int(copy, SOL_SOCKET, SO_DOMAIN);
	type = get_int(copy, SOL_SOCKET, SO_TYPE);
	proto = get_int(copy, SOL_SOCKET, SO_PROTOCOL);
	close(copy);
	if (family == AF_UNIX && (type == SOCK_STREAM || type == SOCK_DGRAM || type == SOCK_SEQPACKET)) {
		f->kind = CKPT_FD_UNIX;
	} else if ((family == AF_INET || family == AF_INET6) &&
		   ((type == SOCK_STREAM && proto == IPPROTO_TCP) ||
		    (type == SOCK_DGRAM && proto == IPPROTO_UDP))) {
		f->kind = CKPT_FD_INET;
	} else {
		char fam[16];

		if (family >= 0 && (size_t)family < ARRAY_SIZE(names) && names[family])
			snprintf(fam, sizeof(fam), "%s", names[family]);
		else
			snprintf(fam, sizeof(fam), "family %d", family);
		pr_err("pid %d fd %d: unsupported socket: %s (type %d, protocol %d), %s", pid, f->fd,
		       fam, type, proto, f->path ? f->path : "");
		return -EOPNOTSUPP;
	}
	f->sk = calloc(1, sizeof(*f->sk));
	if (!f->sk)
		return -ENOMEM;
	f->sk->family = family;
	f->sk->type = type;
	f->sk->protocol = proto;
	f->sk->ino = f->file.ino;
	return 0;
}

/* ---- options and queues ------------------------------------------------ */

void ckpt_sk_opts_read(int fd, struct ckpt_sock *s)
{
	s->reuseaddr = get_int(fd, SOL_SOCKET, SO_REUSEADDR) > 0;
	s->reuseport = get_int(fd, SOL_SOCKET, SO_REUSEPORT) > 0;
	s->keepalive = get_int(fd, SOL_SOCKET, SO_KEEPALIVE) > 0;
	s->passcred = get_int(fd, SOL_SOCKET, SO_PASSCRED) > 0;
	if (s->family == AF_INET6)
		s->v6only = get_int(fd, IPPROTO_IPV6, IPV6_V6ONLY) > 0;
	if (s->family != AF_UNIX && s->type == SOCK_STREAM)
		s->nodelay = get_int(fd, IPPROTO_TCP, TCP_NODELAY) > 0;
	/*
	 * Buffer sizes: only when not what a new socket of this kind gets (set
	 * by the program); setting them would turn TCP's autotuning off.
	 */
	if (s->family == AF_UNIX || s->type == SOCK_DGRAM) {
		int fresh = socket(s->family, s->type | SOCK_CLOEXEC, 0), r, w;

		r = get_int(fd, SOL_SOCKET, SO_RCVBUF);
		w = get_int(fd, SOL_SOCKET, SO_SNDBUF);
		if (fresh >= 0) {
			if (r != get_int(fresh, SOL_SOCKET, SO_RCVBUF))
				s->rcvbuf = r / 2;
			if (w != get_int(fresh, SOL_SOCKET, SO_SNDBUF))
				s->sndbuf = w / 2;
			close(fresh);
		}
	}
}

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v)) ? -errno : 0;
}

int ckpt_sk_opts_apply(int fd, const struct ckpt_sock *s, const char *what)
{
	int err = 0;

	if (s->reuseaddr)
		err = err ?: set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (s->reuseport)
		err = err ?: set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (s->keepalive)
		err = err ?: set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	if (s->passcred)
		err = err ?: set_int(fd, SOL_SOCKET, SO_PASSCRED, 1);
	if (s->family == AF_INET6)
		err = err ?: set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, s->v6only);
	if (s->nodelay)
		err = err ?: set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	/* FORCE: ckpt is root, and the task's limit may have been raised for it. */
	if (s->rcvbuf > 0 && set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, s->rcvbuf))
		err = err ?: set_int(fd, SOL_SOCKET, SO_RCVBUF, s->rcvbuf);
	if (s->sndbuf > 0 && set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, s->sndbuf))
		err = err ?: set_int(fd, SOL_SOCKET, SO_SNDBUF, s->sndbuf);
	if (err)
		pr_err("%s: cannot set its socket options: %s", what, strerror(-err));
	return err;
}

#define MAX_QUEUE (64u << 20)

/* One peek buffer for all sockets (the dump reads them one after the other). */
static uint8_t *scratch;
static size_t scratch_len;

int ckpt_sk_peek_queue(struct ckpt_sk_ent *e, bool dgram, bool unix_rights)
{
	struct ckpt_sock *s = e->f->sk;
	size_t cap = 0, dcap = 0, chunk = MAX(scratch_len, 256u << 10);
	int old = get_int(e->copy, SOL_SOCKET, SO_PEEK_OFF), err = 0;
	char cbuf[CMSG_SPACE(253 * sizeof(int))];

	/* The task's peek offset is put back below (-1: peeking not offset). */
	if (set_int(e->copy, SOL_SOCKET, SO_PEEK_OFF, 0)) {
		err = -errno;
		pr_err("pid %d fd %d: cannot read its queue (SO_PEEK_OFF): %s", e->task->pid,
		       e->f->fd, strerror(-err));
		return err;
	}
	for (;;) {
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct cmsghdr *c;
		ssize_t n;

		if (s->rq_len + chunk > MAX_QUEUE) {
			pr_err("pid %d fd %d: more than %u MiB queued; not supported", e->task->pid,
			       e->f->fd, MAX_QUEUE >> 20);
			err = -EOPNOTSUPP;
			break;
		}
		if (scratch_len < chunk) {
			uint8_t *p = realloc(scratch, chunk);

			if (!p) {
				err = -ENOMEM;
				break;
			}
			scratch = p;
			scratch_len = chunk;
		}
		iov.iov_base = scratch;
		iov.iov_len = chunk;
		if (unix_rights) {
			mh.msg_control = cbuf;
			mh.msg_controllen = sizeof(cbuf);
		}
		n = recvmsg(e->copy, &mh, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno != EAGAIN)
				err = -errno;
			break;
		}
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t k = 0; k < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++)
				close(((int *)CMSG_DATA(c))[k]);
			pr_err("pid %d fd %d: %s: file descriptors in flight (SCM_RIGHTS) are not "
			       "supported", e->task->pid, e->f->fd, e->f->path ? e->f->path : "socket");
			err = -EOPNOTSUPP;
		}
		if (err)
			break;
		if (dgram && (size_t)n > chunk) {
			chunk = n; /* a datagram larger than the buffer: again, whole */
			set_int(e->copy, SOL_SOCKET, SO_PEEK_OFF, s->rq_len);
			continue;
		}
		if (!dgram && n == 0)
			break; /* the peer shut down: end of the stream */
		if (dgram) {
			err = ckpt_grow((void **)&s->dgrams, &dcap, s->n_dgrams + 1, sizeof(*s->dgrams));
			if (err)
				break;
			s->dgrams[s->n_dgrams++] = n;
			if (n == 0) {
				pr_err("pid %d fd %d: an empty datagram is queued; not supported",
				       e->task->pid, e->f->fd);
				err = -EOPNOTSUPP;
				break;
			}
		}
		if (n) {
			err = ckpt_grow((void **)&s->rq, &cap, s->rq_len + n, 1);
			if (err)
				break;
			memcpy(s->rq + s->rq_len, scratch, n);
		}
		s->rq_len += n;
	}
	if (err && err != -EOPNOTSUPP)
		pr_err("pid %d fd %d: cannot read its queue: %s", e->task->pid, e->f->fd,
		       strerror(-err));
	set_int(e->copy, SOL_SOCKET, SO_PEEK_OFF, old);
	return err;
}

/* ---- dump -------------------------------------------------------------- */

struct ckpt_sk_dump {
	struct ckpt_sk_ent *e;
	size_t n;
	struct ckpt_netlock *lock;
	struct ckpt_netlock_id id;
	bool detached;
};

static bool is_established_tcp(const struct ckpt_sock *s)
{
	return s->family != AF_UNIX && s->type == SOCK_STREAM && s->state == 1 /* TCP_ESTABLISHED */;
}

int ckpt_sk_dump_tree(struct ckpt_task *const *tasks, size_t n, const struct ckpt_sk_opts *o,
		      struct ckpt_sk_dump **ret)
{
	struct ckpt_sockdiag_set diag = { 0 };
	const struct ckpt_sock **est = NULL;
	int *fds = NULL;
	struct ckpt_sk_dump *d;
	bool have_unix = false, have[2][2] = { { 0 } };
	size_t i, j, cap = 0, n_est = 0;
	int err = 0;

	*ret = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++)
		for (j = 0; j < tasks[i]->n_fds && !err; j++) {
			struct ckpt_fd *f = &tasks[i]->fds[j];
			struct ckpt_sk_ent *e;

			if (!f->sk)
				continue;
			if (f->dup_of >= 0 || f->parent_fd >= 0) {
				free(f->sk); /* another fd of the tree keeps the socket */
				f->sk = NULL;
				continue;
			}
			err = ckpt_grow((void **)&d->e, &cap, d->n + 1, sizeof(*d->e));
			if (err)
				break;
			e = &d->e[d->n];
			*e = (struct ckpt_sk_ent){ .task = tasks[i], .f = f };
			e->copy = get_copy(tasks[i]->pid, f->fd);
			if (e->copy < 0) {
				err = e->copy;
				pr_err("pid %d fd %d: cannot take a copy of the socket: %s",
				       tasks[i]->pid, f->fd, strerror(-err));
				break;
			}
			d->n++;
			if (f->sk->family == AF_UNIX)
				have_unix = true;
			else
				have[f->sk->family == AF_INET6][f->sk->type == SOCK_DGRAM] = true;
		}
	if (!err && have_unix)
		err = ckpt_sockdiag_load(AF_UNIX, 0, &diag);
	for (i = 0; i < 2 && !err; i++)
		for (j = 0; j < 2 && !err; j++)
			if (have[i][j])
				err = ckpt_sockdiag_load(i ? AF_INET6 : AF_INET,
							 j ? IPPROTO_UDP : IPPROTO_TCP, &diag);
	/* Addresses and states first: the lock needs every connection before any is read. */
	for (i = 0; i < d->n && !err; i++)
		if (d->e[i].f->sk->family != AF_UNIX)
			err = ckpt_sk_inet_dump(&d->e[i], &diag, o);
	for (i = 0; i < d->n && !err; i++) {
		struct ckpt_sock *s = d->e[i].f->sk;

		if (!is_established_tcp(s) || s->tcp_closed)
			continue;
		est = realloc(est, (n_est + 1) * sizeof(*est));
		fds = realloc(fds, (n_est + 1) * sizeof(*fds));
		if (!est || !fds) {
			err = -ENOMEM;
			break;
		}
		fds[n_est] = d->e[i].copy;
		est[n_est++] = s;
	}
	if (!err && n_est)
		err = ckpt_netlock_take(est, n_est, fds, n_est, &d->lock);
	if (!err && d->lock)
		ckpt_netlock_id(d->lock, &d->id);
	for (i = 0; i < d->n && !err; i++) {
		struct ckpt_sock *s = d->e[i].f->sk;

		if (s->family == AF_UNIX)
			err = ckpt_sk_unix_dump(d->e, d->n, i, &diag, o);
		else if (is_established_tcp(s) && !s->tcp_closed)
			err = ckpt_sk_tcp_dump(&d->e[i]);
	}
	free(est);
	free(fds);
	ckpt_sockdiag_free(&diag);
	if (err) {
		ckpt_sk_dump_end(d, false);
		return err;
	}
	*ret = d;
	return 0;
}

const struct ckpt_netlock_id *ckpt_sk_dump_lock(const struct ckpt_sk_dump *d)
{
	return d && d->lock ? &d->id : NULL;
}

int ckpt_sk_dump_kill_prep(struct ckpt_sk_dump *d)
{
	size_t i;
	int err;

	for (i = 0; d && i < d->n; i++) {
		const struct ckpt_sock *s = d->e[i].f->sk;

		if (!is_established_tcp(s) || s->tcp_closed)
			continue;
		err = ckpt_sk_tcp_repair_on(d->e[i].copy);
		if (err) {
			pr_err("pid %d fd %d: cannot put the TCP connection in repair mode: %s",
			       d->e[i].task->pid, d->e[i].f->fd, strerror(-err));
			return err;
		}
		d->e[i].repair = true;
	}
	return 0;
}

void ckpt_sk_dump_end(struct ckpt_sk_dump *d, bool killed)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		/* Killed: the copies close in repair mode, which sends nothing to the peer. */
		if (d->e[i].repair && !killed)
			ckpt_sk_tcp_repair_off(d->e[i].copy);
		close(d->e[i].copy);
	}
	if (d->lock && killed && !ckpt_netlock_detach(d->lock))
		d->lock = NULL;
	ckpt_netlock_drop(d->lock);
	free(d->e);
	free(d);
}

/* ---- restore ----------------------------------------------------------- */

struct sk_made {
	uint64_t ino;
	int fd;
};

/* Made by ckpt before the tasks; the tasks read it from their copy of ckpt's memory. */
static struct sk_made *made;
static size_t n_made, cap_made;

struct ckpt_sk_restore {
	struct ckpt_netlock *lock;
	int *repair; /* restored connections, to be put back in repair mode on failure */
	size_t n_repair;
};

static int add_made(uint64_t ino, int fd, int base)
{
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, base), err;

	if (nfd < 0) {
		err = -errno;
		close(fd);
		pr_err("cannot move a socket above fd %d: %s", base, strerror(-err));
		return err;
	}
	close(fd);
	err = ckpt_grow((void **)&made, &cap_made, n_made + 1, sizeof(*made));
	if (err) {
		close(nfd);
		return err;
	}
	made[n_made].ino = ino;
	made[n_made++].fd = nfd;
	return 0;
}

static const struct ckpt_sock *find_sock(struct ckpt_task *const *tasks, size_t n, uint64_t ino)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < tasks[i]->n_fds; j++)
			if (tasks[i]->fds[j].sk && tasks[i]->fds[j].sk->ino == ino)
				return tasks[i]->fds[j].sk;
	return NULL;
}

static bool is_made(uint64_t ino)
{
	size_t i;

	for (i = 0; i < n_made; i++)
		if (made[i].ino == ino)
			return true;
	return false;
}

/* Unix pass: 0 bound and listening, 1 pairs, 2 the rest (connected to names made in 0). */
static int unix_pass(struct ckpt_task *const *tasks, size_t n, int pass, int base)
{
	size_t i, j;
	int err;

	for (i = 0; i < n; i++)
		for (j = 0; j < tasks[i]->n_fds; j++) {
			const struct ckpt_sock *s = tasks[i]->fds[j].sk, *peer = NULL;
			int fd = -1, pfd = -1, p;
			char what[64];

			if (!s || s->family != AF_UNIX || is_made(s->ino))
				continue;
			p = s->unix_role == CKPT_UNIX_PAIR ? 1 :
			    s->unix_role == CKPT_UNIX_ALONE && s->addr_len > sizeof(sa_family_t) ? 0 : 2;
			if (p != pass)
				continue;
			snprintf(what, sizeof(what), "pid %d fd %d", tasks[i]->pid, tasks[i]->fds[j].fd);
			if (s->unix_role == CKPT_UNIX_PAIR) {
				peer = find_sock(tasks, n, s->peer_ino);
				if (!peer || peer->unix_role != CKPT_UNIX_PAIR || peer->peer_ino != s->ino ||
				    peer->type != s->type) {
					pr_err("%s: its socket pair's other end socket:[%" PRIu64 "] is not "
					       "in the image", what, s->peer_ino);
					return -EBADMSG;
				}
			}
			err = ckpt_sk_unix_restore(s, peer, &fd, &pfd, what);
			if (!err)
				err = add_made(s->ino, fd, base);
			if (!err && peer)
				err = add_made(peer->ino, pfd, base);
			else if (peer && pfd >= 0)
				close(pfd);
			if (err)
				return err;
		}
	return 0;
}

int ckpt_sk_restore_begin(int dirfd, struct ckpt_task *const *tasks, size_t n, int base,
			  struct ckpt_sk_restore **ret)
{
	const struct ckpt_sock **est = NULL;
	struct ckpt_netlock_id old;
	struct ckpt_sk_restore *r;
	size_t i, j, n_est = 0;
	int err, fd, pass;

	*ret = NULL;
	err = ckpt_img_read_netlock(dirfd, &old);
	if (err)
		return err;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		for (j = 0; j < tasks[i]->n_fds; j++) {
			const struct ckpt_sock *s = tasks[i]->fds[j].sk;

			if (!s || !is_established_tcp(s) || s->tcp_closed)
				continue;
			est = realloc(est, (n_est + 1) * sizeof(*est));
			r->repair = realloc(r->repair, (n_est + 1) * sizeof(*r->repair));
			if (!est || !r->repair) {
				err = -ENOMEM;
				goto fail;
			}
			est[n_est++] = s;
		}
	/* Our own lock first, then the dump's holder can go: no gap. */
	if (n_est) {
		err = ckpt_netlock_take(est, n_est, NULL, 0, &r->lock);
		if (err)
			goto fail;
	}
	if (old.pid)
		ckpt_netlock_kill(&old);
	for (pass = 0; pass < 3; pass++) {
		err = unix_pass(tasks, n, pass, base);
		if (err)
			goto fail;
	}
	/* Inet: listening and bound ones before connections on the same ports. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++)
			for (j = 0; j < tasks[i]->n_fds; j++) {
				const struct ckpt_sock *s = tasks[i]->fds[j].sk;
				char what[64];

				if (!s || s->family == AF_UNIX || is_made(s->ino) ||
				    (is_established_tcp(s) && !s->tcp_closed) != pass)
					continue;
				snprintf(what, sizeof(what), "pid %d fd %d", tasks[i]->pid,
					 tasks[i]->fds[j].fd);
				fd = pass ? ckpt_sk_tcp_restore(s, what) : ckpt_sk_inet_restore(s, what);
				if (fd < 0) {
					err = fd;
					goto fail;
				}
				err = add_made(s->ino, fd, base);
				if (err)
					goto fail;
				if (pass)
					r->repair[r->n_repair++] = made[n_made - 1].fd;
			}
	free(est);
	*ret = r;
	return 0;
fail:
	free(est);
	ckpt_sk_restore_end(r, false);
	return err;
}

int ckpt_sk_restore_fd(const struct ckpt_fd *f)
{
	size_t i;
	int fd;

	for (i = 0; i < n_made; i++)
		if (f->sk && made[i].ino == f->sk->ino)
			break;
	if (i == n_made) {
		pr_err("fd %d: its socket was not made again", f->fd);
		errno = ENOENT;
		return -1;
	}
	fd = fcntl(made[i].fd, F_DUPFD_CLOEXEC, 0);
	if (fd >= 0 && fcntl(fd, F_SETFL, f->flags & (O_NONBLOCK | O_ASYNC))) {
		close(fd);
		return -1;
	}
	return fd;
}

void ckpt_sk_restore_end(struct ckpt_sk_restore *r, bool ok)
{
	size_t i;

	if (!r)
		return;
	/* A failed restore closes its connections silently (in repair mode). */
	for (i = 0; !ok && i < r->n_repair; i++)
		set_int(r->repair[i], IPPROTO_TCP, TCP_REPAIR, 1);
	for (i = 0; i < n_made; i++)
		close(made[i].fd);
	free(made);
	made = NULL;
	n_made = cap_made = 0;
	ckpt_netlock_drop(r->lock);
	free(r->repair);
	free(r);
}
