// SPDX-License-Identifier: GPL-2.0
/*
 * IPv4/IPv6 TCP and UDP sockets: addresses from the socket (getsockname,
 * getpeername on ckpt's copy), state and queue lengths from sock_diag.
 * Listening TCP sockets and UDP sockets (bound, connected) are made again
 * by ckpt; established TCP connections are sk-tcp.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sk.h"
#include "sockdiag.h"
#include "util.h"

static const char *const tcp_states[] = {
	"", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
	"CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
};

static const char *addr_str(const uint8_t *sa, uint32_t len, char *buf, size_t blen)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;

	if (len >= sizeof(struct sockaddr_in) && ((const struct sockaddr *)sa)->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		port = ntohs(a->sin_port);
		snprintf(buf, blen, "%s:%u", ip, port);
	} else if (len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *a = (const void *)sa;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		port = ntohs(a->sin6_port);
		snprintf(buf, blen, "[%s]:%u", ip, port);
	} else {
		snprintf(buf, blen, "*");
	}
	return buf;
}

/* "10.0.0.1:80 -> 10.0.0.2:4000" for messages. */
static const char *conn_str(const struct ckpt_sock *s, char *buf, size_t len)
{
	char a[64], b[64];

	snprintf(buf, len, "%s -> %s", addr_str(s->addr, s->addr_len, a, sizeof(a)),
		 addr_str(s->peer, s->peer_len, b, sizeof(b)));
	return buf;
}

int ckpt_sk_inet_dump(struct ckpt_sk_ent *e, const struct ckpt_sockdiag_set *diag,
		      const struct ckpt_sk_opts *o)
{
	struct ckpt_sock *s = e->f->sk;
	const struct ckpt_sockdiag *d = ckpt_sockdiag_find(diag, s->ino);
	pid_t pid = e->task->pid;
	int fd = e->f->fd;
	socklen_t l;
	char desc[80], conn[160];

	ckpt_sk_describe(s, desc, sizeof(desc));
	if (!d) {
		pr_err("pid %d fd %d: %s is not listed by sock_diag", pid, fd, desc);
		return -ENOENT;
	}
	s->state = d->state;
	s->shutdown = d->shutdown & (CKPT_SK_SHUT_RD | CKPT_SK_SHUT_WR);
	l = sizeof(s->addr);
	if (getsockname(e->copy, (struct sockaddr *)s->addr, &l))
		l = 0;
	s->addr_len = l;
	/* Unbound: port 0 (the address is all zeros too) */
	if (d->sport == 0)
		s->addr_len = 0;
	l = sizeof(s->peer);
	if (getpeername(e->copy, (struct sockaddr *)s->peer, &l))
		l = 0;
	s->peer_len = l;
	ckpt_sk_opts_read(e->copy, s);
	if (s->type == SOCK_DGRAM) {
		if (d->rq)
			pr_warn("pid %d fd %d: %s: %u bytes of datagrams waiting are dropped (as the "
				"network may drop them), skipping", pid, fd, desc, d->rq);
		return 0;
	}
	switch (s->state) {
	case 10: /* TCP_LISTEN */
		if (d->rq) {
			pr_err("pid %d fd %d: listening %s (%s) has %u connection%s not accepted yet; "
			       "not supported", pid, fd, desc, addr_str(s->addr, s->addr_len, conn,
			       sizeof(conn)), d->rq, d->rq > 1 ? "s" : "");
			return -EOPNOTSUPP;
		}
		s->backlog = d->wq;
		return 0;
	case 7: /* TCP_CLOSE: never connected (maybe bound) */
		s->peer_len = 0;
		return 0;
	case 1: /* TCP_ESTABLISHED */
		if (o->tcp_close) {
			s->tcp_closed = true;
			return 0;
		}
		if (!o->tcp_established) {
			pr_err("pid %d fd %d: established TCP connection %s; dump with "
			       "--tcp-established (or --tcp-close)", pid, fd,
			       conn_str(s, conn, sizeof(conn)));
			return -EOPNOTSUPP;
		}
		if (s->shutdown) {
			pr_err("pid %d fd %d: TCP connection %s is half shut down; not supported", pid,
			       fd, conn_str(s, conn, sizeof(conn)));
			return -EOPNOTSUPP;
		}
		return 0;
	default:
		pr_err("pid %d fd %d: TCP connection %s is in state %s; not supported", pid, fd,
		       conn_str(s, conn, sizeof(conn)),
		       s->state < ARRAY_SIZE(tcp_states) ? tcp_states[s->state] : "unknown");
		return -EOPNOTSUPP;
	}
}

int ckpt_sk_inet_restore(const struct ckpt_sock *s, const char *what)
{
	char a[80];
	int fd, err = 0;

	fd = socket(s->family, s->type | SOCK_CLOEXEC, s->protocol);
	if (fd < 0) {
		err = -errno;
		pr_err("%s: socket: %s", what, strerror(-err));
		return err;
	}
	err = ckpt_sk_opts_apply(fd, s, what);
	if (err)
		goto fail;
	if (s->tcp_closed) /* --tcp-close: a new unconnected socket */
		return fd;
	if (s->addr_len && bind(fd, (const struct sockaddr *)s->addr, s->addr_len)) {
		err = -errno;
		pr_err("%s: cannot bind to %s: %s", what, addr_str(s->addr, s->addr_len, a, sizeof(a)),
		       strerror(-err));
		goto fail;
	}
	if (s->type == SOCK_STREAM && s->state == 10 && listen(fd, s->backlog)) {
		err = -errno;
		pr_err("%s: listen on %s: %s", what, addr_str(s->addr, s->addr_len, a, sizeof(a)),
		       strerror(-err));
		goto fail;
	}
	if (s->type == SOCK_DGRAM && s->peer_len &&
	    connect(fd, (const struct sockaddr *)s->peer, s->peer_len)) {
		err = -errno;
		pr_err("%s: cannot connect to %s: %s", what, addr_str(s->peer, s->peer_len, a,
		       sizeof(a)), strerror(-err));
		goto fail;
	}
	if (s->shutdown) {
		int how = s->shutdown == 3 ? SHUT_RDWR : s->shutdown == 1 ? SHUT_RD : SHUT_WR;

		if (shutdown(fd, how) && errno != ENOTCONN) {
			err = -errno;
			pr_err("%s: shutdown: %s", what, strerror(-err));
			goto fail;
		}
	}
	return fd;
fail:
	close(fd);
	return err;
}
