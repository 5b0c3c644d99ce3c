// SPDX-License-Identifier: GPL-2.0
/*
 * Established TCP connections with TCP_REPAIR.  Dump (the network locked,
 * the task frozen): repair mode on ckpt's copy of the socket, then both
 * queues peeked (repair mode lets MSG_PEEK read the send queue), sequence
 * numbers, options, window and timestamp read.  The socket is in repair
 * mode while it is read, and again from just before the kill until it is
 * closed: a repair-mode socket transmits nothing, and its close sends
 * neither FIN nor RST.  Restore: a new socket in repair mode,
 * bound to the old address, sequence numbers set, connect() (no SYN in
 * repair mode), options, queues and window, then repair mode off (the
 * kernel sends a window probe); bytes never sent go out normally.
 */
#include <errno.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sk.h"
#include "util.h"

#ifndef SIOCINQ
#define SIOCINQ 0x541B
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ 0x5411
#endif
#ifndef SIOCOUTQNSD
#define SIOCOUTQNSD 0x894B
#endif

#define MAX_QUEUE (64u << 20)

static int seti(int fd, int opt, int v)
{
	return setsockopt(fd, IPPROTO_TCP, opt, &v, sizeof(v)) ? -errno : 0;
}

static int geti(int fd, int opt, uint32_t *ret)
{
	int v = 0;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, IPPROTO_TCP, opt, &v, &l))
		return -errno;
	*ret = v;
	return 0;
}

void ckpt_sk_tcp_repair_off(int fd)
{
	seti(fd, TCP_REPAIR, TCP_REPAIR_OFF);
}

static int peek_queue(int fd, int queue, size_t len, uint8_t **ret, uint32_t *ret_seq)
{
	ssize_t n = 0;
	int err;

	err = seti(fd, TCP_REPAIR_QUEUE, queue);
	if (!err)
		err = geti(fd, TCP_QUEUE_SEQ, ret_seq);
	if (err || !len)
		return err;
	*ret = malloc(len);
	if (!*ret)
		return -ENOMEM;
	n = recv(fd, *ret, len, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int ckpt_sk_tcp_dump(struct ckpt_sk_ent *e)
{
	struct ckpt_sock *s = e->f->sk;
	struct tcp_info ti;
	struct tcp_repair_window w;
	socklen_t l;
	int inq = 0, outq = 0, unsent = 0, err;
	const char *step;

	step = "TCP_REPAIR (needs CAP_NET_ADMIN)";
	err = seti(e->copy, TCP_REPAIR, TCP_REPAIR_ON);
	if (err)
		goto fail;
	e->repair = true;
	step = "queue sizes";
	if (ioctl(e->copy, SIOCINQ, &inq) || ioctl(e->copy, SIOCOUTQ, &outq) ||
	    ioctl(e->copy, SIOCOUTQNSD, &unsent)) {
		err = -errno;
		goto fail;
	}
	if ((unsigned)inq > MAX_QUEUE || (unsigned)outq > MAX_QUEUE || unsent > outq) {
		pr_err("pid %d fd %d: TCP queues of %d and %d bytes; more than %u MiB is not supported",
		       e->task->pid, e->f->fd, inq, outq, MAX_QUEUE >> 20);
		return -EOPNOTSUPP;
	}
	step = "TCP_INFO";
	l = sizeof(ti);
	if (getsockopt(e->copy, IPPROTO_TCP, TCP_INFO, &ti, &l)) {
		err = -errno;
		goto fail;
	}
	s->tcp_opts = ti.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
	s->snd_wscale = ti.tcpi_snd_wscale;
	s->rcv_wscale = ti.tcpi_rcv_wscale;
	step = "TCP_MAXSEG";
	err = geti(e->copy, TCP_MAXSEG, &s->mss);
	if (err)
		goto fail;
	step = "the receive queue";
	err = peek_queue(e->copy, TCP_RECV_QUEUE, inq, &s->rq, &s->rcv_seq);
	if (err)
		goto fail;
	s->rq_len = inq;
	step = "the send queue";
	err = peek_queue(e->copy, TCP_SEND_QUEUE, outq, &s->sq, &s->snd_seq);
	if (err)
		goto fail;
	s->sq_len = outq;
	s->sq_unsent = unsent;
	seti(e->copy, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
	step = "TCP_TIMESTAMP";
	err = geti(e->copy, TCP_TIMESTAMP, &s->timestamp);
	if (err)
		goto fail;
	step = "TCP_REPAIR_WINDOW";
	l = sizeof(w);
	if (getsockopt(e->copy, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &l)) {
		err = -errno;
		goto fail;
	}
	s->win[0] = w.snd_wl1;
	s->win[1] = w.snd_wnd;
	s->win[2] = w.max_window;
	s->win[3] = w.rcv_wnd;
	s->win[4] = w.rcv_wup;
	/*
	 * Out of repair mode again until just before the kill (ckpt_sk_tcp_repair_on):
	 * a ckpt that dies meanwhile leaves a working connection to the task.  The
	 * lock drops whatever the socket sends, so its state cannot move on.
	 */
	ckpt_sk_tcp_repair_off(e->copy);
	e->repair = false;
	return 0;
fail:
	pr_err("pid %d fd %d: TCP connection: cannot read %s: %s", e->task->pid, e->f->fd, step,
	       strerror(-err));
	return err;
}

int ckpt_sk_tcp_repair_on(int fd)
{
	return seti(fd, TCP_REPAIR, TCP_REPAIR_ON);
}

static int cur_buf(int fd, int opt)
{
	int v = 0;
	socklen_t l = sizeof(v);

	getsockopt(fd, SOL_SOCKET, opt, &v, &l);
	return v;
}

/* Send len bytes into the current repair queue (or normally, out of repair mode). */
static int send_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

int ckpt_sk_tcp_restore(const struct ckpt_sock *s, const char *what)
{
	struct tcp_repair_opt opts[4];
	struct tcp_repair_window w = { s->win[0], s->win[1], s->win[2], s->win[3], s->win[4] };
	size_t n_opts = 0, sent = s->sq_len - s->sq_unsent;
	const char *step;
	int fd, err;

	fd = socket(s->family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0) {
		err = -errno;
		pr_err("%s: socket: %s", what, strerror(-err));
		return err;
	}
	/* Options first: SO_REUSEADDR would undo the forced reuse repair mode gives. */
	err = ckpt_sk_opts_apply(fd, s, what);
	if (err)
		goto out;
	step = "TCP_REPAIR";
	err = seti(fd, TCP_REPAIR, TCP_REPAIR_ON);
	if (err)
		goto fail;
	/* Room for the queues (a new socket's buffers can be smaller than the old ones grew). */
	if (s->rq_len * 2 > (size_t)cur_buf(fd, SO_RCVBUF)) {
		int v = (int)MIN(s->rq_len * 2 + 65536, INT32_MAX / 2);

		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v));
	}
	if (s->sq_len * 2 > (size_t)cur_buf(fd, SO_SNDBUF)) {
		int v = (int)MIN(s->sq_len * 2 + 65536, INT32_MAX / 2);

		setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v));
	}
	step = "bind (the address is in use?)";
	if (bind(fd, (const struct sockaddr *)s->addr, s->addr_len)) {
		err = -errno;
		goto fail;
	}
	step = "the sequence numbers";
	err = seti(fd, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);
	if (!err)
		err = seti(fd, TCP_QUEUE_SEQ, (int)(s->snd_seq - s->sq_len));
	if (!err)
		err = seti(fd, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE);
	if (!err)
		err = seti(fd, TCP_QUEUE_SEQ, (int)(s->rcv_seq - s->rq_len));
	if (!err && (s->tcp_opts & TCPI_OPT_TIMESTAMPS))
		err = seti(fd, TCP_TIMESTAMP, (int)s->timestamp);
	if (err)
		goto fail;
	step = "connect in repair mode";
	if (connect(fd, (const struct sockaddr *)s->peer, s->peer_len)) {
		err = -errno;
		goto fail;
	}
	opts[n_opts++] = (struct tcp_repair_opt){ TCPOPT_MAXSEG, s->mss };
	if (s->tcp_opts & TCPI_OPT_WSCALE)
		opts[n_opts++] = (struct tcp_repair_opt){ TCPOPT_WINDOW,
							  s->snd_wscale | (s->rcv_wscale << 16) };
	if (s->tcp_opts & TCPI_OPT_SACK)
		opts[n_opts++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERMITTED, 0 };
	if (s->tcp_opts & TCPI_OPT_TIMESTAMPS)
		opts[n_opts++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	step = "TCP_REPAIR_OPTIONS";
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts, n_opts * sizeof(opts[0]))) {
		err = -errno;
		goto fail;
	}
	step = "the receive queue";
	err = seti(fd, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE);
	if (!err)
		err = send_all(fd, s->rq, s->rq_len);
	if (err)
		goto fail;
	step = "the send queue";
	err = seti(fd, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);
	if (!err)
		err = send_all(fd, s->sq, sent);
	if (err)
		goto fail;
	seti(fd, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
	step = "TCP_REPAIR_WINDOW";
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w))) {
		err = -errno;
		goto fail;
	}
	step = "leaving repair mode";
	err = seti(fd, TCP_REPAIR, TCP_REPAIR_OFF);
	if (err)
		goto fail;
	step = "the bytes never sent";
	err = send_all(fd, s->sq + sent, s->sq_unsent);
	if (err) {
		seti(fd, TCP_REPAIR, TCP_REPAIR_ON); /* closed silently */
		goto fail;
	}
	return fd;
fail:
	pr_err("%s: TCP connection: %s: %s", what, step, strerror(-err));
out:
	close(fd);
	return err;
}
