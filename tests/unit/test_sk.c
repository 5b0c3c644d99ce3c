// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets: the sock_diag reply parser (lib/sockdiag.c), the network lock's
 * nft script (lib/netlock.c), the socket image conversion (lib/img-sk.c),
 * and a live sock_diag query of a socket pair.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "sk.h"
#include "sockdiag.h"
#include "sockets.pb-c.h"
#include "unit.h"

static size_t put_attr(uint8_t *p, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)p;

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(p + NLA_HDRLEN, data, len);
	return NLA_ALIGN(a->nla_len);
}

/* One unix reply: ino 77, peer 78, abstract name "@x1", RQLEN 5/6, shutdown 2. */
static size_t unix_msg(uint8_t *buf)
{
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct unix_diag_msg *m = NLMSG_DATA(h);
	struct unix_diag_rqlen rq = { 5, 6 };
	uint32_t peer = 78, icons[2] = { 1, 2 };
	uint8_t shut = 2;
	size_t off = NLMSG_LENGTH(sizeof(*m));

	memset(buf, 0, 512);
	h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m->udiag_family = AF_UNIX;
	m->udiag_type = SOCK_STREAM;
	m->udiag_state = 1;
	m->udiag_ino = 77;
	off = NLMSG_ALIGN(off);
	off += put_attr(buf + off, UNIX_DIAG_NAME, "\0x1", 3);
	off += put_attr(buf + off, UNIX_DIAG_PEER, &peer, 4);
	off += put_attr(buf + off, UNIX_DIAG_RQLEN, &rq, sizeof(rq));
	off += put_attr(buf + off, UNIX_DIAG_SHUTDOWN, &shut, 1);
	off += put_attr(buf + off, UNIX_DIAG_ICONS, icons, sizeof(icons));
	h->nlmsg_len = off;
	return off;
}

static void test_parse_unix(void **state)
{
	uint8_t buf[1024];
	struct ckpt_sockdiag_set set = { 0 };
	const struct ckpt_sockdiag *d;
	size_t len = unix_msg(buf);
	struct nlmsghdr *done = (struct nlmsghdr *)(buf + len);

	(void)state;
	done->nlmsg_len = NLMSG_LENGTH(4);
	done->nlmsg_type = NLMSG_DONE;
	assert_int_equal(ckpt_sockdiag_parse(buf, len + NLMSG_LENGTH(4), AF_UNIX, &set), 1);
	assert_int_equal(set.n, 1);
	d = ckpt_sockdiag_find(&set, 77);
	assert_non_null(d);
	assert_null(ckpt_sockdiag_find(&set, 78));
	assert_int_equal(d->peer_ino, 78);
	assert_int_equal(d->name_len, 3);
	assert_memory_equal(d->name, "\0x1", 3);
	assert_int_equal(d->rq, 5);
	assert_int_equal(d->wq, 6);
	assert_int_equal(d->shutdown, 2);
	assert_int_equal(d->n_icons, 2);
	ckpt_sockdiag_free(&set);
}

static void test_parse_truncated_and_error(void **state)
{
	uint8_t buf[1024];
	struct ckpt_sockdiag_set set = { 0 };
	size_t len = unix_msg(buf);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct nlmsgerr *e;

	(void)state;
	/* An attribute that claims more than the message has is ignored, not read past. */
	((struct nlattr *)(buf + NLMSG_ALIGN(NLMSG_LENGTH(sizeof(struct unix_diag_msg)))))->nla_len = 400;
	assert_int_equal(ckpt_sockdiag_parse(buf, len, AF_UNIX, &set), 0);
	assert_int_equal(set.n, 1);
	assert_int_equal(set.v[0].name_len, 0);
	ckpt_sockdiag_free(&set);
	/* A message shorter than its header. */
	h->nlmsg_len = NLMSG_LENGTH(4);
	assert_int_equal(ckpt_sockdiag_parse(buf, NLMSG_LENGTH(4), AF_UNIX, &set), -EBADMSG);
	ckpt_sockdiag_free(&set);
	/* A netlink error is returned. */
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*e));
	e = NLMSG_DATA(h);
	e->error = -EPERM;
	assert_int_equal(ckpt_sockdiag_parse(buf, h->nlmsg_len, AF_UNIX, &set), -EPERM);
	ckpt_sockdiag_free(&set);
}

static void test_parse_inet(void **state)
{
	uint8_t buf[512] = { 0 };
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct inet_diag_msg *m = NLMSG_DATA(h);
	struct ckpt_sockdiag_set set = { 0 };
	uint8_t shut = 1;
	size_t off = NLMSG_ALIGN(NLMSG_LENGTH(sizeof(*m)));

	(void)state;
	h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m->idiag_family = AF_INET;
	m->idiag_state = 10;
	m->idiag_inode = 99;
	m->idiag_rqueue = 3;
	m->idiag_wqueue = 128;
	m->id.idiag_sport = htons(8080);
	m->id.idiag_src[0] = htonl(0x7f000001);
	off += put_attr(buf + off, INET_DIAG_SHUTDOWN, &shut, 1);
	h->nlmsg_len = off;
	assert_int_equal(ckpt_sockdiag_parse(buf, off, AF_INET, &set), 0);
	assert_int_equal(set.n, 1);
	assert_int_equal(set.v[0].ino, 99);
	assert_int_equal(set.v[0].state, 10);
	assert_int_equal(set.v[0].sport, 8080);
	assert_int_equal(set.v[0].rq, 3);
	assert_int_equal(set.v[0].wq, 128);
	assert_int_equal(set.v[0].shutdown, 1);
	ckpt_sockdiag_free(&set);
}

/* The kernel's view of a socket pair, through libnl. */
static void test_load_unix_pair(void **state)
{
	struct ckpt_sockdiag_set set = { 0 };
	const struct ckpt_sockdiag *a, *b;
	struct stat sa, sb;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(shutdown(sv[0], SHUT_WR), 0);
	assert_int_equal(send(sv[1], "abc", 3, 0), 3);
	fstat(sv[0], &sa);
	fstat(sv[1], &sb);
	assert_int_equal(ckpt_sockdiag_load(AF_UNIX, 0, &set), 0);
	a = ckpt_sockdiag_find(&set, sa.st_ino);
	b = ckpt_sockdiag_find(&set, sb.st_ino);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->peer_ino, sb.st_ino);
	assert_int_equal(b->peer_ino, sa.st_ino);
	assert_int_equal(a->type, SOCK_SEQPACKET);
	assert_int_equal(a->shutdown, 2); /* SEND_SHUTDOWN */
	assert_int_equal(b->shutdown, 1); /* RCV_SHUTDOWN */
	assert_int_equal(a->rq, 3);
	ckpt_sockdiag_free(&set);
	close(sv[0]);
	close(sv[1]);
}

static void test_netlock_script(void **state)
{
	struct ckpt_sock s4 = { .family = AF_INET }, s6 = { .family = AF_INET6 };
	struct sockaddr_in *l4 = (void *)s4.addr, *r4 = (void *)s4.peer;
	struct sockaddr_in6 *l6 = (void *)s6.addr, *r6 = (void *)s6.peer;
	const struct ckpt_sock *v[2] = { &s4, &s6 };
	char buf[4096], small[100];

	(void)state;
	l4->sin_family = r4->sin_family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", &l4->sin_addr);
	inet_pton(AF_INET, "10.0.0.2", &r4->sin_addr);
	l4->sin_port = htons(80);
	r4->sin_port = htons(4000);
	l6->sin6_family = r6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::1", &l6->sin6_addr);
	inet_pton(AF_INET6, "::1", &r6->sin6_addr);
	l6->sin6_port = htons(5);
	r6->sin6_port = htons(6);
	assert_int_equal(ckpt_netlock_script(v, 2, "ckpt_lock_1", buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "add table inet ckpt_lock_1 { flags owner; }\n"));
	assert_non_null(strstr(buf, "add set inet ckpt_lock_1 v4 { type ipv4_addr . inet_service . "
				    "ipv4_addr . inet_service; }\n"));
	assert_non_null(strstr(buf, "add element inet ckpt_lock_1 v4 { 10.0.0.1 . 80 . 10.0.0.2 . "
				    "4000, 10.0.0.2 . 4000 . 10.0.0.1 . 80 }\n"));
	assert_non_null(strstr(buf, "add rule inet ckpt_lock_1 in ip saddr . tcp sport . ip daddr . "
				    "tcp dport @v4 drop\n"));
	assert_non_null(strstr(buf, "add rule inet ckpt_lock_1 out ip6 saddr . tcp sport . ip6 daddr "
				    ". tcp dport @v6 drop\n"));
	assert_non_null(strstr(buf, "add element inet ckpt_lock_1 v6 { ::1 . 5 . ::1 . 6, ::1 . 6 . "
				    "::1 . 5 }\n"));
	/* both ends of one connection in the tree: each pair once */
	v[1] = &s4;
	assert_int_equal(ckpt_netlock_script(v, 2, "t", buf, sizeof(buf)), 0);
	assert_null(strstr(strstr(buf, "10.0.0.2 . 4000 . 10.0.0.1 . 80") + 1,
			   "10.0.0.2 . 4000 . 10.0.0.1 . 80"));
	assert_null(strstr(buf, "@v6"));
	v[1] = &s6;
	assert_int_equal(ckpt_netlock_script(v, 2, "ckpt_lock_1", small, sizeof(small)), -ENOSPC);
}

/* SocketEntry round trip, and what a damaged one is refused for. */
static void test_img_round_trip(void **state)
{
	struct ckpt_sock s = { .family = AF_UNIX, .type = SOCK_DGRAM, .ino = 5, .unix_role = 2,
			       .peer_ino = 6, .shutdown = 1, .passcred = true };
	uint32_t dg[2] = { 2, 3 };
	struct ckpt_fd f = { .fd = 3, .kind = CKPT_FD_UNIX, .dup_of = -1, .parent_fd = -1 };
	SocketEntry e;

	(void)state;
	s.rq = (uint8_t *)"abcde";
	s.rq_len = 5;
	s.dgrams = dg;
	s.n_dgrams = 2;
	ckpt_img_sk_out(&s, &e);
	assert_int_equal(ckpt_img_sk_in(&f, &e, "t"), 0);
	assert_non_null(f.sk);
	assert_int_equal(f.sk->n_dgrams, 2);
	assert_int_equal(f.sk->dgrams[1], 3);
	assert_memory_equal(f.sk->rq, "abcde", 5);
	assert_true(f.sk->passcred);
	assert_int_equal(f.sk->peer_ino, 6);
	free(f.sk->rq);
	free(f.sk->dgrams);
	free(f.sk);
	f.sk = NULL;
	/* datagram lengths that do not add up */
	dg[1] = 4;
	ckpt_img_sk_out(&s, &e);
	unit_log_reset();
	assert_int_equal(ckpt_img_sk_in(&f, &e, "t"), -EBADMSG);
	free(f.sk->rq);
	free(f.sk->dgrams);
	free(f.sk);
	f.sk = NULL;
	/* a unix entry on an inet fd; no state at all on a first fd */
	dg[1] = 3;
	ckpt_img_sk_out(&s, &e);
	f.kind = CKPT_FD_INET;
	assert_int_equal(ckpt_img_sk_in(&f, &e, "t"), -EBADMSG);
	assert_int_equal(ckpt_img_sk_in(&f, NULL, "t"), -EBADMSG);
	f.dup_of = 2;
	assert_int_equal(ckpt_img_sk_in(&f, NULL, "t"), 0);
	assert_true(unit_log_errors() >= 3);
}

/* Which kind a socket fd is (the test's own fds, taken with pidfd_getfd). */
static void test_collect_kinds(void **state)
{
	struct ckpt_fd f = { 0 };
	struct stat st;
	int sv[2], nl, udp;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	fstat(sv[0], &st);
	f.fd = sv[0];
	f.file.ino = st.st_ino;
	assert_int_equal(ckpt_sk_collect(getpid(), &f), 0);
	assert_int_equal(f.kind, CKPT_FD_UNIX);
	assert_int_equal(f.sk->type, SOCK_DGRAM);
	assert_int_equal(f.sk->ino, st.st_ino);
	free(f.sk);
	udp = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	f = (struct ckpt_fd){ .fd = udp };
	assert_int_equal(ckpt_sk_collect(getpid(), &f), 0);
	assert_int_equal(f.kind, CKPT_FD_INET);
	assert_int_equal(f.sk->family, AF_INET6);
	assert_int_equal(f.sk->protocol, IPPROTO_UDP);
	free(f.sk);
	/* netlink: refused, one error naming the fd and the family */
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	f = (struct ckpt_fd){ .fd = nl };
	unit_log_reset();
	assert_int_equal(ckpt_sk_collect(getpid(), &f), -EOPNOTSUPP);
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "netlink"));
	assert_null(f.sk);
	/* an fd that is not there */
	f = (struct ckpt_fd){ .fd = 1000 };
	assert_int_equal(ckpt_sk_collect(getpid(), &f), -EBADF);
	close(sv[0]);
	close(sv[1]);
	close(udp);
	close(nl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_unix),
		cmocka_unit_test(test_parse_truncated_and_error),
		cmocka_unit_test(test_parse_inet),
		cmocka_unit_test(test_load_unix_pair),
		cmocka_unit_test(test_netlock_script),
		cmocka_unit_test(test_img_round_trip),
		cmocka_unit_test(test_collect_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
