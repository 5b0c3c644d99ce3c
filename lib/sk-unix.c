// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets.  Dump: name, peer, state and queue from sock_diag and a
 * copy of the socket (pidfd_getfd); the queue is peeked, never taken.
 * Restore (by ckpt, before the tasks): a pair whose both ends are in the
 * tree is made with socketpair() and each end's queue is sent into it again
 * from the other end; a named socket is bound again (its stale file from
 * the dump removed first), listening ones listen; a datagram socket
 * connected to a named one connects to that name.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "sk.h"
#include "sockdiag.h"
#include "util.h"

#define TCP_LISTEN 10

static bool has_path(const struct ckpt_sock *s)
{
	return s->addr_len > offsetof(struct sockaddr_un, sun_path) &&
	       ((const struct sockaddr_un *)s->addr)->sun_path[0] != '\0';
}

/* The bound name as a sockaddr; a relative path is made absolute with the task's cwd. */
static int set_name(struct ckpt_sk_ent *e, const struct ckpt_sockdiag *d)
{
	struct ckpt_sock *s = e->f->sk;
	struct sockaddr_un *un = (struct sockaddr_un *)s->addr;
	char path[PATH_MAX + 64], abs[sizeof(un->sun_path) + 1];
	struct stat st;
	size_t len = d->name_len;

	un->sun_family = AF_UNIX;
	if (!len) {
		s->addr_len = 0;
		return 0;
	}
	if (d->name[0] != '\0' && d->name[0] != '/') {
		int n = snprintf(abs, sizeof(abs), "%s/%.*s", e->task->cwd ? e->task->cwd : "",
				 (int)strnlen(d->name, len), d->name);

		if (!e->task->cwd || n < 0 || (size_t)n >= sizeof(un->sun_path)) {
			pr_err("pid %d fd %d: unix socket bound to the relative path %.*s: too long "
			       "once made absolute; not supported", e->task->pid, e->f->fd, (int)len,
			       d->name);
			return -EOPNOTSUPP;
		}
		memcpy(un->sun_path, abs, n + 1);
		len = n;
	} else {
		memcpy(un->sun_path, d->name, len);
	}
	if (d->name[0] != '\0')
		len = strnlen(un->sun_path, len);
	s->addr_len = offsetof(struct sockaddr_un, sun_path) + len + (d->name[0] != '\0');
	if (d->name[0] == '\0' || !d->vfs_ino)
		return 0;
	/* The file the socket made, if it is still there (checked again at restore). */
	snprintf(path, sizeof(path), "/proc/%d/root%s", e->task->pid, un->sun_path);
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode) && st.st_ino == d->vfs_ino) {
		s->bound_dev = st.st_dev;
		s->bound_ino = st.st_ino;
		s->bound_mode = st.st_mode;
		s->bound_uid = st.st_uid;
		s->bound_gid = st.st_gid;
	}
	return 0;
}

static const struct ckpt_sk_ent *find_ent(const struct ckpt_sk_ent *e, size_t n, uint64_t ino)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i].f->sk->family == AF_UNIX && e[i].f->sk->ino == ino)
			return &e[i];
	return NULL;
}

int ckpt_sk_unix_dump(struct ckpt_sk_ent *e, size_t n, size_t i, const struct ckpt_sockdiag_set *diag,
		      const struct ckpt_sk_opts *o)
{
	struct ckpt_sk_ent *me = &e[i];
	struct ckpt_sock *s = me->f->sk;
	const struct ckpt_sockdiag *d = ckpt_sockdiag_find(diag, s->ino), *pd;
	pid_t pid = me->task->pid;
	int fd = me->f->fd, err;
	char desc[80];

	ckpt_sk_describe(s, desc, sizeof(desc));
	if (!d) {
		pr_err("pid %d fd %d: %s is not listed by sock_diag", pid, fd, desc);
		return -ENOENT;
	}
	s->state = d->state;
	s->shutdown = d->shutdown & (CKPT_SK_SHUT_RD | CKPT_SK_SHUT_WR);
	s->unix_role = CKPT_UNIX_ALONE;
	err = set_name(me, d);
	if (err)
		return err;
	ckpt_sk_opts_read(me->copy, s);
	if (s->state == TCP_LISTEN) {
		if (d->n_icons || d->rq) {
			pr_err("pid %d fd %d: listening %s has %u connection%s not accepted yet; not "
			       "supported", pid, fd, desc, MAX(d->n_icons, d->rq),
			       MAX(d->n_icons, d->rq) > 1 ? "s" : "");
			return -EOPNOTSUPP;
		}
		s->backlog = d->wq;
		return 0;
	}
	if (s->state == 1 /* TCP_ESTABLISHED */ && s->type != SOCK_DGRAM && !d->peer_ino) {
		/* The peer has no inode: a connection no one accepted yet. */
		struct sockaddr_un pa = { 0 };
		socklen_t pl = sizeof(pa);

		if (getpeername(me->copy, (struct sockaddr *)&pa, &pl) ||
		    pl <= offsetof(struct sockaddr_un, sun_path))
			pl = offsetof(struct sockaddr_un, sun_path) + 1;
		pr_err("pid %d fd %d: %s is connected to %s%.*s, outside the process tree or not "
		       "accepted yet; not supported", pid, fd, desc, pa.sun_path[0] ? "" : "@",
		       (int)(pl - offsetof(struct sockaddr_un, sun_path) - !pa.sun_path[0]),
		       pa.sun_path + !pa.sun_path[0]);
		return -EOPNOTSUPP;
	}
	if (d->peer_ino) {
		const struct ckpt_sk_ent *p = find_ent(e, n, d->peer_ino);

		s->peer_ino = d->peer_ino;
		pd = ckpt_sockdiag_find(diag, d->peer_ino);
		if (p && pd && pd->peer_ino == s->ino) {
			s->unix_role = CKPT_UNIX_PAIR;
		} else if (!p && !o->ext_unix_sk) {
			pr_err("pid %d fd %d: %s is connected to socket:[%" PRIu64 "]%s%.*s%s outside the "
			       "process tree (or not accepted yet); dump with --ext-unix-sk to allow it",
			       pid, fd, desc, d->peer_ino, pd && pd->name_len ? " (" : "",
			       pd && pd->name_len ? (int)pd->name_len - (pd->name[0] == 0) : 0,
			       pd && pd->name_len ? pd->name + (pd->name[0] == 0) : "",
			       pd && pd->name_len ? ")" : "");
			return -EOPNOTSUPP;
		} else if (s->type != SOCK_DGRAM || !pd || !pd->name_len) {
			pr_err("pid %d fd %d: %s is connected to socket:[%" PRIu64 "] %s; only a "
			       "datagram socket connected to a named socket can be connected again",
			       pid, fd, desc, d->peer_ino, p ? "in the tree" : "outside the tree");
			return -EOPNOTSUPP;
		} else {
			struct sockaddr_un *un = (struct sockaddr_un *)s->peer;

			s->unix_role = CKPT_UNIX_TO_NAME;
			un->sun_family = AF_UNIX;
			memcpy(un->sun_path, pd->name, MIN(pd->name_len, sizeof(un->sun_path)));
			s->peer_len = offsetof(struct sockaddr_un, sun_path) +
				      MIN(pd->name_len, sizeof(un->sun_path));
		}
	}
	err = ckpt_sk_peek_queue(me, s->type != SOCK_STREAM, true);
	if (err)
		return err;
	if (s->rq_len && s->unix_role != CKPT_UNIX_PAIR &&
	    !(s->type == SOCK_DGRAM && s->addr_len > offsetof(struct sockaddr_un, sun_path))) {
		pr_err("pid %d fd %d: %s has %zu bytes queued that cannot be sent to it again (no "
		       "peer in the tree, no name); not supported", pid, fd, desc, s->rq_len);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* ---- restore ----------------------------------------------------------- */

static int bind_name(int fd, const struct ckpt_sock *s, const char *what)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)s->addr;
	struct stat st;
	int err;

	if (!bind(fd, (const struct sockaddr *)s->addr, s->addr_len))
		goto bound;
	err = -errno;
	/*
	 * The file a path socket left behind at the dump: removed when it is the
	 * same file (device and inode as the dump saw it), never anything else.
	 */
	if (err == -EADDRINUSE && has_path(s) && s->bound_ino && !lstat(un->sun_path, &st) &&
	    S_ISSOCK(st.st_mode) && st.st_ino == s->bound_ino && st.st_dev == s->bound_dev &&
	    !unlink(un->sun_path) && !bind(fd, (const struct sockaddr *)s->addr, s->addr_len))
		goto bound;
	if (err == -EADDRINUSE && has_path(s))
		pr_err("%s: cannot bind the unix socket to %s: the path is in use by another file "
		       "or socket", what, un->sun_path);
	else
		pr_err("%s: cannot bind the unix socket to %s%.*s: %s", what,
		       un->sun_path[0] ? "" : "@", (int)(s->addr_len - offsetof(struct sockaddr_un,
		       sun_path) - 1), un->sun_path[0] ? un->sun_path : un->sun_path + 1,
		       strerror(-err));
	return err;
bound:
	if (!has_path(s))
		return 0;
	if (!s->bound_ino) {
		unlink(un->sun_path); /* it had no file at the dump (deleted while bound) */
		return 0;
	}
	if (chmod(un->sun_path, s->bound_mode & 07777) ||
	    lchown(un->sun_path, s->bound_uid, s->bound_gid))
		pr_warn("%s: cannot give %s its mode and owner again: %s, skipping", what,
			un->sun_path, strerror(errno));
	return 0;
}

/* Put bytes (datagrams kept whole) into a socket's queue, sent from `from`. */
static int refill(int from, const struct ckpt_sock *s, const struct sockaddr *to, socklen_t tolen,
		  const char *what)
{
	int old = 0, big = (int)MIN(s->rq_len * 2 + (1 << 16), INT_MAX / 2);
	socklen_t l = sizeof(old);
	size_t off = 0, k = 0;

	if (!s->rq_len)
		return 0;
	getsockopt(from, SOL_SOCKET, SO_SNDBUF, &old, &l);
	setsockopt(from, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	while (off < s->rq_len) {
		size_t len = s->n_dgrams ? s->dgrams[k] : s->rq_len - off;
		ssize_t w = sendto(from, s->rq + off, len, MSG_DONTWAIT | MSG_NOSIGNAL, to, tolen);

		if (w < 0 || (s->n_dgrams && (size_t)w != len)) {
			pr_err("%s: cannot queue %zu bytes into the socket again: %s", what,
			       s->rq_len - off, w < 0 ? strerror(errno) : "short send");
			return w < 0 ? -errno : -EIO;
		}
		off += w;
		k++;
	}
	old /= 2;
	if (!s->sndbuf) /* the sender's own size comes back with its options */
		setsockopt(from, SOL_SOCKET, SO_SNDBUFFORCE, &old, sizeof(old));
	return 0;
}

static int do_shutdown(int fd, const struct ckpt_sock *s, const char *what)
{
	int how = (s->shutdown & CKPT_SK_SHUT_RD) && (s->shutdown & CKPT_SK_SHUT_WR) ? SHUT_RDWR :
		  s->shutdown & CKPT_SK_SHUT_RD ? SHUT_RD : SHUT_WR;

	if (!s->shutdown || !shutdown(fd, how) || errno == ENOTCONN)
		return 0;
	pr_err("%s: shutdown: %s", what, strerror(errno));
	return -errno;
}

int ckpt_sk_unix_restore(const struct ckpt_sock *s, const struct ckpt_sock *peer, int *ret_fd,
			 int *ret_peer_fd, const char *what)
{
	int sv[2] = { -1, -1 }, err, tmp;

	if (s->unix_role == CKPT_UNIX_PAIR) {
		if (socketpair(AF_UNIX, s->type | SOCK_CLOEXEC, 0, sv)) {
			err = -errno;
			pr_err("%s: socketpair: %s", what, strerror(-err));
			return err;
		}
		err = refill(sv[1], s, NULL, 0, what);
		if (!err)
			err = refill(sv[0], peer, NULL, 0, what);
		if (!err)
			err = ckpt_sk_opts_apply(sv[0], s, what);
		if (!err)
			err = ckpt_sk_opts_apply(sv[1], peer, what);
		if (!err)
			err = do_shutdown(sv[0], s, what);
		if (!err)
			err = do_shutdown(sv[1], peer, what);
		if (err)
			goto fail;
		*ret_fd = sv[0];
		*ret_peer_fd = sv[1];
		return 0;
	}
	sv[0] = socket(AF_UNIX, s->type | SOCK_CLOEXEC, 0);
	if (sv[0] < 0) {
		err = -errno;
		pr_err("%s: socket: %s", what, strerror(-err));
		return err;
	}
	err = ckpt_sk_opts_apply(sv[0], s, what);
	if (!err && s->addr_len > offsetof(struct sockaddr_un, sun_path))
		err = bind_name(sv[0], s, what);
	if (!err && s->state == TCP_LISTEN && listen(sv[0], s->backlog)) {
		err = -errno;
		pr_err("%s: listen: %s", what, strerror(-err));
	}
	if (!err && s->unix_role == CKPT_UNIX_TO_NAME &&
	    connect(sv[0], (const struct sockaddr *)s->peer, s->peer_len)) {
		err = -errno;
		pr_err("%s: cannot connect the datagram socket to %s%s again: %s", what,
		       s->peer[2] ? "" : "@", (const char *)s->peer + 2 + !s->peer[2], strerror(-err));
	}
	if (!err && s->rq_len) {
		tmp = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		err = tmp < 0 ? -errno : refill(tmp, s, (const struct sockaddr *)s->addr, s->addr_len,
					       what);
		if (tmp >= 0)
			close(tmp);
	}
	if (!err && s->state != TCP_LISTEN)
		err = do_shutdown(sv[0], s, what);
	if (err)
		goto fail;
	*ret_fd = sv[0];
	return 0;
fail:
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return err;
}
