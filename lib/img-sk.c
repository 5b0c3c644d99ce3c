// SPDX-License-Identifier: GPL-2.0
/* struct ckpt_sock <-> SocketEntry (FdEntry.sk), and netlock.img.  Images are untrusted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "img-io.h"
#include "log.h"
#include "sk.h"
#include "sockets.pb-c.h"
#include "util.h"

#define MAX_QUEUE (64u << 20)
#define MAX_DGRAMS (1u << 20)

enum { OPT_REUSEADDR = 1, OPT_REUSEPORT = 2, OPT_KEEPALIVE = 4, OPT_PASSCRED = 8,
       OPT_NODELAY = 16, OPT_V6ONLY = 32 };

void ckpt_img_sk_out(const struct ckpt_sock *s, SocketEntry *e)
{
	socket_entry__init(e);
#define F(x) (e->has_##x = true, e->x = s->x)
	F(family); F(type); F(protocol); F(state); F(ino); F(backlog); F(shutdown);
	F(rcvbuf); F(sndbuf); F(unix_role); F(peer_ino);
#undef F
	e->has_opts = true;
	e->opts = (s->reuseaddr ? OPT_REUSEADDR : 0) | (s->reuseport ? OPT_REUSEPORT : 0) |
		  (s->keepalive ? OPT_KEEPALIVE : 0) | (s->passcred ? OPT_PASSCRED : 0) |
		  (s->nodelay ? OPT_NODELAY : 0) | (s->v6only ? OPT_V6ONLY : 0);
	e->has_addr = s->addr_len > 0;
	e->addr.data = (uint8_t *)s->addr;
	e->addr.len = s->addr_len;
	e->has_peer = s->peer_len > 0;
	e->peer.data = (uint8_t *)s->peer;
	e->peer.len = s->peer_len;
	if (s->bound_ino) {
		e->has_bound_dev = e->has_bound_ino = e->has_bound_mode = true;
		e->has_bound_uid = e->has_bound_gid = true;
		e->bound_dev = s->bound_dev;
		e->bound_ino = s->bound_ino;
		e->bound_mode = s->bound_mode;
		e->bound_uid = s->bound_uid;
		e->bound_gid = s->bound_gid;
	}
	e->has_rq = s->rq_len > 0;
	e->rq.data = s->rq;
	e->rq.len = s->rq_len;
	e->n_dgrams = s->n_dgrams;
	e->dgrams = s->dgrams;
	if (s->family != AF_UNIX && s->type == SOCK_STREAM && s->state == 1 && !s->tcp_closed) {
		e->has_sq = s->sq_len > 0;
		e->sq.data = s->sq;
		e->sq.len = s->sq_len;
#define F(x) (e->has_##x = true, e->x = s->x)
		F(sq_unsent); F(snd_seq); F(rcv_seq); F(mss); F(snd_wscale); F(rcv_wscale);
		F(tcp_opts); F(timestamp);
#undef F
		e->n_win = 5;
		e->win = (uint32_t *)s->win;
	}
	e->has_tcp_closed = s->tcp_closed;
	e->tcp_closed = s->tcp_closed;
}

static int copy_bytes(uint8_t **ret, size_t *ret_len, const ProtobufCBinaryData *b,
		      const char *name)
{
	if (!b->len)
		return 0;
	if (b->len > MAX_QUEUE)
		return ckpt_img_bad("%s: socket queue of %zu bytes", name, b->len);
	*ret = malloc(b->len);
	if (!*ret)
		return ckpt_img_oom(name);
	memcpy(*ret, b->data, b->len);
	*ret_len = b->len;
	return 0;
}

int ckpt_img_sk_in(struct ckpt_fd *f, const SocketEntry *e, const char *name)
{
	struct ckpt_sock *s;
	size_t i, sum = 0;
	int err;

	if (!e) {
		if (f->dup_of >= 0 || f->parent_fd >= 0)
			return 0; /* shares another fd's socket */
		return ckpt_img_bad("%s: fd %d: socket without its state", name, f->fd);
	}
	if (!e->has_family || !e->has_type || !e->has_ino ||
	    (f->kind == CKPT_FD_UNIX) != (e->family == AF_UNIX) ||
	    (e->family != AF_UNIX && e->family != AF_INET && e->family != AF_INET6) ||
	    (e->type != SOCK_STREAM && e->type != SOCK_DGRAM && e->type != SOCK_SEQPACKET) ||
	    (e->family != AF_UNIX && e->type == SOCK_SEQPACKET))
		return ckpt_img_bad("%s: fd %d: invalid socket (family %u type %u)", name, f->fd,
				    e->family, e->type);
	if (e->addr.len > sizeof(s->addr) || e->peer.len > sizeof(s->peer) ||
	    (e->has_addr && e->addr.len < sizeof(sa_family_t)) ||
	    (e->n_win && e->n_win != 5) || e->n_dgrams > MAX_DGRAMS ||
	    e->unix_role > CKPT_UNIX_TO_NAME || (e->family == AF_UNIX && !e->unix_role))
		return ckpt_img_bad("%s: fd %d: invalid socket addresses or role", name, f->fd);
	s = calloc(1, sizeof(*s));
	if (!s)
		return ckpt_img_oom(name);
	f->sk = s;
	s->family = e->family;
	s->type = e->type;
	s->protocol = e->protocol;
	s->state = e->state;
	s->ino = e->ino;
	memcpy(s->addr, e->addr.data, e->addr.len);
	s->addr_len = e->addr.len;
	memcpy(s->peer, e->peer.data, e->peer.len);
	s->peer_len = e->peer.len;
	s->backlog = e->backlog;
	s->shutdown = e->shutdown & (CKPT_SK_SHUT_RD | CKPT_SK_SHUT_WR);
	s->rcvbuf = e->rcvbuf;
	s->sndbuf = e->sndbuf;
	s->reuseaddr = e->opts & OPT_REUSEADDR;
	s->reuseport = e->opts & OPT_REUSEPORT;
	s->keepalive = e->opts & OPT_KEEPALIVE;
	s->passcred = e->opts & OPT_PASSCRED;
	s->nodelay = e->opts & OPT_NODELAY;
	s->v6only = e->opts & OPT_V6ONLY;
	s->unix_role = e->unix_role;
	s->peer_ino = e->peer_ino;
	s->bound_dev = e->bound_dev;
	s->bound_ino = e->bound_ino;
	s->bound_mode = e->bound_mode;
	s->bound_uid = e->bound_uid;
	s->bound_gid = e->bound_gid;
	err = copy_bytes(&s->rq, &s->rq_len, &e->rq, name);
	if (!err)
		err = copy_bytes(&s->sq, &s->sq_len, &e->sq, name);
	if (err)
		return err;
	if (e->n_dgrams) {
		s->dgrams = calloc(e->n_dgrams, sizeof(*s->dgrams));
		if (!s->dgrams)
			return ckpt_img_oom(name);
		for (i = 0; i < e->n_dgrams; i++)
			sum += s->dgrams[i] = e->dgrams[i];
		s->n_dgrams = e->n_dgrams;
		if (sum != s->rq_len)
			return ckpt_img_bad("%s: fd %d: datagram lengths add up to %zu, queue has %zu "
					    "bytes", name, f->fd, sum, s->rq_len);
	}
	if (e->sq_unsent > s->sq_len)
		return ckpt_img_bad("%s: fd %d: more unsent bytes than queued", name, f->fd);
	s->sq_unsent = e->sq_unsent;
	s->snd_seq = e->snd_seq;
	s->rcv_seq = e->rcv_seq;
	s->mss = e->mss;
	s->snd_wscale = e->snd_wscale;
	s->rcv_wscale = e->rcv_wscale;
	s->tcp_opts = e->tcp_opts;
	s->timestamp = e->timestamp;
	for (i = 0; i < e->n_win; i++)
		s->win[i] = e->win[i];
	s->tcp_closed = e->tcp_closed;
	return 0;
}

#define NETLOCK "netlock.img"

int ckpt_img_write_netlock(int dirfd, const struct ckpt_netlock_id *id)
{
	NetlockEntry e = NETLOCK_ENTRY__INIT;
	struct ckpt_img_w w;
	int err;

	e.has_pid = e.has_start_time = true;
	e.pid = id->pid;
	e.start_time = id->start_time;
	e.table = (char *)id->table;
	err = ckpt_img_w_open(dirfd, NETLOCK, CKPT_MAGIC_NETLOCK, &w);
	if (err)
		return err;
	err = ckpt_img_w_msg(&w, &e.base);
	if (err) {
		ckpt_img_w_abort(&w);
		return err;
	}
	return ckpt_img_w_close(&w);
}

int ckpt_img_read_netlock(int dirfd, struct ckpt_netlock_id *ret)
{
	NetlockEntry *e = NULL;
	int err;

	memset(ret, 0, sizeof(*ret));
	if (faccessat(dirfd, NETLOCK, F_OK, 0))
		return 0; /* no lock was taken */
	err = ckpt_img_read_one(dirfd, NETLOCK, CKPT_MAGIC_NETLOCK, &netlock_entry__descriptor,
				(ProtobufCMessage **)&e);
	if (err)
		return err;
	if (!e->has_pid || e->pid <= 0 || !e->has_start_time || !e->table ||
	    strlen(e->table) >= sizeof(ret->table)) {
		netlock_entry__free_unpacked(e, NULL);
		return ckpt_img_bad(NETLOCK ": invalid lock holder");
	}
	ret->pid = e->pid;
	ret->start_time = e->start_time;
	snprintf(ret->table, sizeof(ret->table), "%s", e->table);
	netlock_entry__free_unpacked(e, NULL);
	return 0;
}
