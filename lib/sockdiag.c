// SPDX-License-Identifier: GPL-2.0
/*
 * sock_diag: one dump request per family (and protocol) through a libnl
 * socket; replies parsed here (ckpt_sockdiag_parse is pure, unit-tested).
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sockdiag.h"
#include "util.h"

static struct ckpt_sockdiag *add(struct ckpt_sockdiag_set *set)
{
	if (ckpt_grow((void **)&set->v, &set->cap, set->n + 1, sizeof(*set->v)))
		return NULL;
	memset(&set->v[set->n], 0, sizeof(set->v[0]));
	return &set->v[set->n++];
}

/* Attributes after a fixed header: calls fn for each. */
static const struct nlattr *attr_next(const struct nlattr *a, size_t *left)
{
	size_t l = NLA_ALIGN(a->nla_len);

	if (l > *left)
		l = *left;
	*left -= l;
	return (const struct nlattr *)((const char *)a + l);
}

static int parse_unix(const struct nlmsghdr *h, struct ckpt_sockdiag_set *set)
{
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	size_t left = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	const struct nlattr *a;
	struct ckpt_sockdiag *d;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EBADMSG;
	d = add(set);
	if (!d)
		return -ENOMEM;
	d->family = m->udiag_family;
	d->type = m->udiag_type;
	d->state = m->udiag_state;
	d->ino = m->udiag_ino;
	a = (const struct nlattr *)((const char *)m + NLMSG_ALIGN(sizeof(*m)));
	left = h->nlmsg_len > NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*m))) ?
		       h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*m))) : 0;
	for (; left >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= left;
	     a = attr_next(a, &left)) {
		const void *p = (const char *)a + NLA_HDRLEN;
		size_t plen = a->nla_len - NLA_HDRLEN;

		switch (a->nla_type & NLA_TYPE_MASK) {
		case UNIX_DIAG_NAME:
			d->name_len = plen < sizeof(d->name) ? plen : sizeof(d->name);
			memcpy(d->name, p, d->name_len);
			break;
		case UNIX_DIAG_VFS:
			if (plen >= sizeof(struct unix_diag_vfs))
				d->vfs_ino = ((const struct unix_diag_vfs *)p)->udiag_vfs_ino;
			break;
		case UNIX_DIAG_PEER:
			if (plen >= 4)
				d->peer_ino = *(const uint32_t *)p;
			break;
		case UNIX_DIAG_ICONS:
			d->n_icons = plen / 4;
			break;
		case UNIX_DIAG_RQLEN:
			if (plen >= sizeof(struct unix_diag_rqlen)) {
				d->rq = ((const struct unix_diag_rqlen *)p)->udiag_rqueue;
				d->wq = ((const struct unix_diag_rqlen *)p)->udiag_wqueue;
			}
			break;
		case UNIX_DIAG_SHUTDOWN:
			if (plen >= 1)
				d->shutdown = *(const uint8_t *)p;
			break;
		}
	}
	return 0;
}

static int parse_inet(const struct nlmsghdr *h, struct ckpt_sockdiag_set *set)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	const struct nlattr *a;
	struct ckpt_sockdiag *d;
	size_t left;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EBADMSG;
	d = add(set);
	if (!d)
		return -ENOMEM;
	d->family = m->idiag_family;
	d->state = m->idiag_state;
	d->ino = m->idiag_inode;
	d->rq = m->idiag_rqueue;
	d->wq = m->idiag_wqueue;
	d->sport = ntohs(m->id.idiag_sport);
	d->dport = ntohs(m->id.idiag_dport);
	memcpy(d->src, m->id.idiag_src, 16);
	memcpy(d->dst, m->id.idiag_dst, 16);
	a = (const struct nlattr *)((const char *)m + NLMSG_ALIGN(sizeof(*m)));
	left = h->nlmsg_len > NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*m))) ?
		       h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*m))) : 0;
	for (; left >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= left;
	     a = attr_next(a, &left))
		if ((a->nla_type & NLA_TYPE_MASK) == INET_DIAG_SHUTDOWN && a->nla_len > NLA_HDRLEN)
			d->shutdown = *((const uint8_t *)a + NLA_HDRLEN);
	return 0;
}

int ckpt_sockdiag_parse(const void *buf, size_t len, int family, struct ckpt_sockdiag_set *set)
{
	const struct nlmsghdr *h;
	int left = (int)len, err;

	for (h = buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			return e->error ? e->error : 1;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		err = family == AF_UNIX ? parse_unix(h, set) : parse_inet(h, set);
		if (err)
			return err;
	}
	return 0;
}

int ckpt_sockdiag_load(int family, int protocol, struct ckpt_sockdiag_set *set)
{
	struct unix_diag_req ureq = {
		.sdiag_family = AF_UNIX, .udiag_states = ~0u,
		.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER |
			      UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN,
	};
	struct inet_diag_req_v2 ireq = {
		.sdiag_family = family, .sdiag_protocol = protocol, .idiag_states = ~0u,
	};
	struct nl_sock *sk;
	unsigned char *buf = NULL;
	struct sockaddr_nl peer;
	int fd, err, n;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0 || nl_socket_set_fd(sk, NETLINK_SOCK_DIAG, fd) < 0) {
		err = fd < 0 ? -errno : -EIO;
		if (fd >= 0)
			close(fd);
		nl_socket_free(sk);
		pr_err("sock_diag: cannot open a netlink socket: %s", strerror(-err));
		return err;
	}
	nl_socket_disable_auto_ack(sk);
	if (family == AF_UNIX)
		n = nl_send_simple(sk, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &ureq, sizeof(ureq));
	else
		n = nl_send_simple(sk, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &ireq, sizeof(ireq));
	err = n < 0 ? -EIO : 0;
	while (!err) {
		n = nl_recv(sk, &peer, &buf, NULL);
		if (n <= 0) {
			err = -EIO;
			break;
		}
		err = ckpt_sockdiag_parse(buf, n, family, set);
		free(buf);
		buf = NULL;
		if (err == 1) {
			err = 0;
			break;
		}
	}
	if (err)
		pr_err("sock_diag: cannot list %s sockets: %s",
		       family == AF_UNIX ? "unix" : family == AF_INET ? "IPv4" : "IPv6",
		       err == -EIO ? nl_geterror(n) : strerror(-err));
	nl_socket_free(sk); /* closes fd */
	return err;
}

const struct ckpt_sockdiag *ckpt_sockdiag_find(const struct ckpt_sockdiag_set *set, uint64_t ino)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->v[i].ino == ino)
			return &set->v[i];
	return NULL;
}

void ckpt_sockdiag_free(struct ckpt_sockdiag_set *set)
{
	free(set->v);
	memset(set, 0, sizeof(*set));
}
