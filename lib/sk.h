/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sockets: unix (sk-unix.c), inet TCP/UDP (sk-inet.c), TCP repair
 * (sk-tcp.c); state from sock_diag (sockdiag.c); the network lock
 * (netlock.c).  Entry points used by files.c, dump.c and restore.c.
 */
#ifndef CKPT_SK_H
#define CKPT_SK_H

#include <stdbool.h>
#include <sys/types.h>

#include "state.h"

struct ckpt_sk_opts {
	bool tcp_established; /* dump established TCP connections (TCP_REPAIR) */
	bool tcp_close;       /* dump them as closed instead */
	bool ext_unix_sk;     /* allow unix sockets connected outside the tree */
};

/* The process holding the network lock between a dump and its restore. */
struct ckpt_netlock_id {
	pid_t pid;
	uint64_t start_time;
	char table[64];
};

/*
 * Per fd while collecting (files.c): the socket's family and type, and its
 * kind (CKPT_FD_UNIX, CKPT_FD_INET); other families are refused naming the fd.
 */
int ckpt_sk_collect(pid_t pid, struct ckpt_fd *f);

/*
 * The dump pass over every socket of the tree (after the fds of every task
 * are collected and shared fds found): peers, queues, TCP repair state.
 * Locks the network when there are established connections.  *ret: what
 * ckpt_sk_dump_end() must undo.
 */
struct ckpt_sk_dump;
int ckpt_sk_dump_tree(struct ckpt_task *const *tasks, size_t n, const struct ckpt_sk_opts *o,
		      struct ckpt_sk_dump **ret);
/* The lock holder to record in the image (NULL if none). */
const struct ckpt_netlock_id *ckpt_sk_dump_lock(const struct ckpt_sk_dump *d);
/* Just before the tasks are killed: connections into repair mode (their close is silent). */
int ckpt_sk_dump_kill_prep(struct ckpt_sk_dump *d);
/*
 * After the dump: killed (the tasks are gone: the lock stays with its
 * holder, detached, for the restore) or not (a failed dump, or
 * --leave-running: sockets leave repair mode, the lock is dropped).
 */
void ckpt_sk_dump_end(struct ckpt_sk_dump *d, bool killed);

/*
 * At restore, in ckpt before any task exists: take over the network lock,
 * make every socket of the tree (above base: every task inherits them),
 * TCP connections in repair mode.  ckpt_sk_restore_fd() (in a task) gives
 * a socket's fd by inode.  ckpt_sk_restore_end(): success or not, after
 * the tasks run or were killed; the lock goes.
 */
struct ckpt_sk_restore;
int ckpt_sk_restore_begin(int dirfd, struct ckpt_task *const *tasks, size_t n, int base,
			  struct ckpt_sk_restore **ret);
int ckpt_sk_restore_fd(const struct ckpt_fd *f);
void ckpt_sk_restore_end(struct ckpt_sk_restore *r, bool ok);

/* ---- inside lib/sk*.c ---- */

/* One socket of the dump: the first fd of the tree holding it, and ckpt's copy of it. */
struct ckpt_sk_ent {
	struct ckpt_task *task;
	struct ckpt_fd *f;
	int copy; /* pidfd_getfd() of it */
	bool repair; /* TCP_REPAIR turned on through copy */
};
struct ckpt_sockdiag_set;
int ckpt_sk_unix_dump(struct ckpt_sk_ent *e, size_t n, size_t i, const struct ckpt_sockdiag_set *diag,
		      const struct ckpt_sk_opts *o);
int ckpt_sk_inet_dump(struct ckpt_sk_ent *e, const struct ckpt_sockdiag_set *diag,
		      const struct ckpt_sk_opts *o);
/* Receive queue without taking it (MSG_PEEK, SO_PEEK_OFF); datagram boundaries kept. */
int ckpt_sk_peek_queue(struct ckpt_sk_ent *e, bool dgram, bool unix_rights);
/* SO_* options common to every family: read, and set on a new socket. */
void ckpt_sk_opts_read(int fd, struct ckpt_sock *s);
int ckpt_sk_opts_apply(int fd, const struct ckpt_sock *s, const char *what);
int ckpt_sk_tcp_dump(struct ckpt_sk_ent *e);
void ckpt_sk_tcp_repair_off(int fd);
int ckpt_sk_tcp_repair_on(int fd);
/* A connection made again in repair mode and let out of it; returns the fd or -errno. */
int ckpt_sk_tcp_restore(const struct ckpt_sock *s, const char *what);
/* The restore of one socket object (ckpt, before any task). */
int ckpt_sk_unix_restore(const struct ckpt_sock *s, const struct ckpt_sock *peer, int *ret_fd,
			 int *ret_peer_fd, const char *what);
int ckpt_sk_inet_restore(const struct ckpt_sock *s, const char *what);
/* "unix stream socket:[123]"-like description for messages. */
const char *ckpt_sk_describe(const struct ckpt_sock *s, char *buf, size_t len);

/* Network lock (netlock.c): nftables table owned by a holder process. */
struct ckpt_netlock;
/*
 * Drop rules for these established TCP sockets.  fds: the dump's copies of
 * them, which the holder keeps to take them out of repair mode if ckpt dies
 * during the dump.
 */
int ckpt_netlock_take(const struct ckpt_sock *const *socks, size_t n, const int *fds,
		      size_t n_fds, struct ckpt_netlock **ret);
/* Let the holder outlive ckpt (until killed by the restore, or its timeout). */
int ckpt_netlock_detach(struct ckpt_netlock *l);
/* Who holds it (for netlock.img). */
void ckpt_netlock_id(const struct ckpt_netlock *l, struct ckpt_netlock_id *ret_id);
void ckpt_netlock_drop(struct ckpt_netlock *l);
/* Kill a detached holder recorded in an image (the restore's own lock holds now). */
void ckpt_netlock_kill(const struct ckpt_netlock_id *id);
/* The nft script of a lock (pure, unit-tested); -ENOSPC if buf is short. */
int ckpt_netlock_script(const struct ckpt_sock *const *socks, size_t n, const char *table,
			char *buf, size_t len);

/* Image conversion (img-sk.c). */
struct SocketEntry;
void ckpt_img_sk_out(const struct ckpt_sock *s, struct SocketEntry *e);
int ckpt_img_sk_in(struct ckpt_fd *f, const struct SocketEntry *e, const char *name);
int ckpt_img_write_netlock(int dirfd, const struct ckpt_netlock_id *id);
int ckpt_img_read_netlock(int dirfd, struct ckpt_netlock_id *ret); /* pid 0: none */

#endif
