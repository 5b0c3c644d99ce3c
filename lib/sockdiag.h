/* SPDX-License-Identifier: GPL-2.0 */
/* Socket state from the kernel's sock_diag netlink interface (through libnl). */
#ifndef CKPT_SOCKDIAG_H
#define CKPT_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

/* One socket as sock_diag reports it. */
struct ckpt_sockdiag {
	uint64_t ino;
	uint8_t family, type, state, shutdown; /* shutdown: RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2 */
	/* unix */
	uint64_t peer_ino;
	char name[108];    /* bound address (sun_path bytes; abstract: starts with NUL) */
	uint32_t name_len; /* 0: unbound */
	uint64_t vfs_ino;  /* a path socket's file inode (0: none) */
	uint32_t n_icons;  /* listening: connections not accepted yet */
	/* unix: RQLEN (listening: queued connections and backlog; else bytes queued); inet: queues */
	uint32_t rq, wq;
	/* inet */
	uint16_t sport, dport; /* host order */
	uint8_t src[16], dst[16];
};

struct ckpt_sockdiag_set {
	struct ckpt_sockdiag *v;
	size_t n, cap;
};

/* Dump every socket of family (AF_UNIX; AF_INET/AF_INET6 with protocol) into set. */
int ckpt_sockdiag_load(int family, int protocol, struct ckpt_sockdiag_set *set);
/* Parse one reply buffer (netlink messages) into set; 1 at NLMSG_DONE. Pure. */
int ckpt_sockdiag_parse(const void *buf, size_t len, int family, struct ckpt_sockdiag_set *set);
const struct ckpt_sockdiag *ckpt_sockdiag_find(const struct ckpt_sockdiag_set *set, uint64_t ino);
void ckpt_sockdiag_free(struct ckpt_sockdiag_set *set);

#endif
