// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-side helper of tests/kmod (static, raw netlink so that it can send
 * anything, including what libnl would refuse to build):
 *   ktool runas UID GID CMD...      drop to UID/GID (no groups) and exec CMD
 *   ktool undumpable                PR_SET_DUMPABLE 0, print READY PID, sleep
 *   ktool sleep                     print READY PID, sleep
 *   ktool q CMD PID [ARGS]          one request (task|regs TID|mm|vmas|fds|sock FD|pages START END);
 *                                   prints "ok N" (N reply messages) or "err ERRNO MSG"
 *   ktool fuzz N SEED PID           N malformed or random requests; every answer must be
 *                                   an error or a well-formed reply; prints "ok fuzz ..."
 *   ktool hold PID SECONDS          start a VMA dump, read one part, wait, then exit
 *   ktool many NVMAS NFDS DIR       NVMAS separate mappings (and as many PROT_NONE gaps) and
 *                                   NFDS files open (DIR "-": dups of /dev/null); READY PID
 *   ktool bigmap GIB                GIB GiB reserved, one page touched per GiB; READY PID START END
 *   ktool bad KIND PID              TASK_GET with a bad pid attribute (KIND: short, long,
 *                                   nested, unknown, none); prints like q
 *   ktool tcp                       a connected loopback TCP pair, 5 bytes sent; READY PID FD
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "uapi/ckpt_genl.h"

static int nl_fd;
static uint32_t seq = 1;
static char reply_msg[256];

static void die(const char *m)
{
	fprintf(stderr, "ktool: %s: %s\n", m, strerror(errno));
	exit(2);
}

struct req {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char buf[65536];
};

static void put_attr(struct req *r, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void init_req(struct req *r, uint16_t family, uint8_t cmd, uint16_t flags)
{
	memset(r, 0, sizeof(r->n) + sizeof(r->g));
	r->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->n.nlmsg_type = family;
	r->n.nlmsg_flags = NLM_F_REQUEST | flags;
	r->n.nlmsg_seq = seq++;
	r->g.cmd = cmd;
	r->g.version = CKPT_GENL_VERSION;
}

static void open_nl(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, rcv = 1 << 20;

	nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl_fd < 0 || bind(nl_fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("netlink socket");
	setsockopt(nl_fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(nl_fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	{
		struct timeval tv = { .tv_sec = 20 };

		setsockopt(nl_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
}

static void send_req(struct req *r)
{
	if (send(nl_fd, r, r->n.nlmsg_len, 0) < 0)
		die("send");
}

static void extack(const struct nlmsghdr *h, size_t off)
{
	const struct nlattr *a = (const void *)((const char *)h + NLMSG_HDRLEN + off);
	long left = (long)h->nlmsg_len - NLMSG_HDRLEN - (long)off;

	while (left >= (long)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= left) {
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			snprintf(reply_msg, sizeof(reply_msg), "%.*s", a->nla_len - NLA_HDRLEN,
				 (const char *)a + NLA_HDRLEN);
		left -= NLA_ALIGN(a->nla_len);
		a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
}

/* Checks a reply's attributes are well formed (within the message). */
static int check_attrs(const struct nlmsghdr *h)
{
	const struct nlattr *a = (const void *)((const char *)NLMSG_DATA(h) + GENL_HDRLEN);
	long left = (long)h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	while (left >= (long)NLA_HDRLEN) {
		if (a->nla_len < NLA_HDRLEN || a->nla_len > left)
			return -1;
		left -= NLA_ALIGN(a->nla_len);
		a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
	return left == 0 || left < (long)NLA_HDRLEN ? 0 : -1;
}

typedef void (*msg_fn)(const struct nlmsghdr *h, void *arg);

/*
 * Receive until the ack / done / error: 0 or -errno; *ret_n reply messages.
 * max_msgs > 0: return after that many reply messages (leaving the rest).
 */
static int recv_all(int *ret_n, msg_fn fn, void *arg, int max_msgs)
{
	static char buf[1 << 17];
	int n = 0;

	reply_msg[0] = '\0';
	for (;;) {
		ssize_t len = recv(nl_fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len < 0)
			return -errno;
		for (h = (void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				size_t off = sizeof(*e);

				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - NLMSG_HDRLEN;
				if (h->nlmsg_flags & NLM_F_ACK_TLVS)
					extack(h, off);
				*ret_n = n;
				return e->error;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				int e = *(int *)NLMSG_DATA(h);

				if (e < 0 && (h->nlmsg_flags & NLM_F_ACK_TLVS))
					extack(h, sizeof(int));
				*ret_n = n;
				return e;
			}
			if (check_attrs(h)) {
				*ret_n = n;
				snprintf(reply_msg, sizeof(reply_msg), "malformed reply attributes");
				return -EBADMSG;
			}
			if (fn)
				fn(h, arg);
			n++;
			if (max_msgs && n >= max_msgs) {
				*ret_n = n;
				return 0;
			}
		}
	}
}

static uint16_t resolve(const char *name)
{
	struct req r;
	char buf[8192];
	ssize_t len;
	struct nlmsghdr *h = (void *)buf;

	init_req(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	r.g.version = 1;
	put_attr(&r, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	send_req(&r);
	len = recv(nl_fd, buf, sizeof(buf), 0);
	if (len < 0)
		die("recv");
	for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		struct nlattr *a = (void *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
		long left = (long)h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

		if (h->nlmsg_type == NLMSG_ERROR)
			return 0;
		while (left >= (long)NLA_HDRLEN) {
			if (a->nla_type == CTRL_ATTR_FAMILY_ID)
				return *(uint16_t *)((char *)a + NLA_HDRLEN);
			left -= NLA_ALIGN(a->nla_len);
			a = (void *)((char *)a + NLA_ALIGN(a->nla_len));
		}
	}
	return 0;
}

static uint16_t family(void)
{
	uint16_t id;

	open_nl();
	id = resolve(CKPT_GENL_NAME);
	if (!id) {
		fprintf(stderr, "ktool: family %s not registered\n", CKPT_GENL_NAME);
		exit(2);
	}
	return id;
}

/* The socket reply, as "family F type T proto P state S [tcp unacked N]". */
static void print_sock(const struct nlmsghdr *h, void *arg)
{
	const struct nlattr *a = (const void *)((const char *)NLMSG_DATA(h) + GENL_HDRLEN);
	long left = (long)h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	uint32_t v[CKPT_A_MAX + 1] = { 0 };
	struct ckpt_genl_tcp_seq seq;
	int tcp = 0;

	(void)arg;
	while (left >= (long)NLA_HDRLEN) {
		if (a->nla_type <= CKPT_A_MAX && a->nla_len == NLA_HDRLEN + 4)
			v[a->nla_type] = *(const uint32_t *)((const char *)a + NLA_HDRLEN);
		if (a->nla_type == CKPT_A_TCP_SEQ && a->nla_len == NLA_HDRLEN + sizeof(seq)) {
			memcpy(&seq, (const char *)a + NLA_HDRLEN, sizeof(seq));
			tcp = 1;
		}
		left -= NLA_ALIGN(a->nla_len);
		a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
	printf("family %u type %u proto %u state %u", v[CKPT_A_SK_FAMILY], v[CKPT_A_SK_TYPE],
	       v[CKPT_A_SK_PROTO], v[CKPT_A_SK_STATE]);
	if (tcp)
		printf(" tcp unacked %u sent %u", seq.write_seq - seq.snd_una, seq.snd_nxt - seq.snd_una);
	printf("\n");
}

static int query(int argc, char **argv)
{
	static const struct {
		const char *name;
		uint8_t cmd;
		int dump;
	} cmds[] = {
		{ "task", CKPT_CMD_TASK_GET, 0 }, { "regs", CKPT_CMD_REGS_GET, 0 },
		{ "mm", CKPT_CMD_MM_GET, 0 },     { "vmas", CKPT_CMD_VMA_GET, 1 },
		{ "fds", CKPT_CMD_FD_GET, 1 },    { "sock", CKPT_CMD_SOCK_GET, 0 },
		{ "pages", CKPT_CMD_PAGES_GET, 1 },
	};
	uint16_t fam = family();
	struct req r;
	uint32_t pid;
	size_t i;
	int n, err;

	if (argc < 2)
		return 2;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]) && strcmp(cmds[i].name, argv[0]); i++)
		;
	if (i == sizeof(cmds) / sizeof(cmds[0]))
		return 2;
	pid = strtoul(argv[1], NULL, 0);
	init_req(&r, fam, cmds[i].cmd, cmds[i].dump ? NLM_F_DUMP : NLM_F_ACK);
	put_attr(&r, CKPT_A_PID, &pid, 4);
	if (cmds[i].cmd == CKPT_CMD_REGS_GET && argc > 2) {
		uint32_t tid = strtoul(argv[2], NULL, 0);

		put_attr(&r, CKPT_A_TID, &tid, 4);
	}
	if (cmds[i].cmd == CKPT_CMD_SOCK_GET && argc > 2) {
		uint32_t fd = strtoul(argv[2], NULL, 0);

		put_attr(&r, CKPT_A_FD, &fd, 4);
	}
	if (cmds[i].cmd == CKPT_CMD_PAGES_GET && argc > 3) {
		uint64_t s = strtoull(argv[2], NULL, 0), e = strtoull(argv[3], NULL, 0);

		put_attr(&r, CKPT_A_START, &s, 8);
		put_attr(&r, CKPT_A_END, &e, 8);
	}
	send_req(&r);
	err = recv_all(&n, cmds[i].cmd == CKPT_CMD_SOCK_GET ? print_sock : NULL, NULL, 0);
	if (err) {
		printf("err %d %s\n", -err, reply_msg);
		return 1;
	}
	printf("ok %d\n", n);
	return 0;
}

static int bad(int argc, char **argv)
{
	uint16_t fam = family();
	unsigned char big[600] = { 0 };
	struct req r;
	uint32_t pid;
	int n, err;

	if (argc < 2)
		return 2;
	pid = strtoul(argv[1], NULL, 0);
	memcpy(big, &pid, 4);
	init_req(&r, fam, CKPT_CMD_TASK_GET, NLM_F_ACK);
	if (!strcmp(argv[0], "short"))
		put_attr(&r, CKPT_A_PID, &pid, 2);
	else if (!strcmp(argv[0], "long"))
		put_attr(&r, CKPT_A_PID, big, sizeof(big));
	else if (!strcmp(argv[0], "nested"))
		put_attr(&r, CKPT_A_PID | NLA_F_NESTED, &pid, 4);
	else if (!strcmp(argv[0], "unknown"))
		put_attr(&r, CKPT_A_MAX + 5, &pid, 4);
	else if (strcmp(argv[0], "none"))
		return 2;
	send_req(&r);
	err = recv_all(&n, NULL, NULL, 0);
	if (err) {
		printf("err %d %s\n", -err, reply_msg);
		return 1;
	}
	printf("ok %d\n", n);
	return 0;
}

/* ---- fuzzing ---- */

static uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fuzz_one(uint16_t fam, uint32_t pid, int i, int *errors, int *replies)
{
	struct req r;
	int n, err, k, nattr;
	uint8_t cmd = rnd() % 10; /* includes 0 and unknown commands */
	uint16_t flags = (rnd() & 1) ? NLM_F_DUMP : NLM_F_ACK;

	init_req(&r, fam, cmd, flags);
	if (i % 7 == 0)
		r.g.version = rnd();
	if (rnd() & 1) /* half the requests name a real, readable task: the handlers run */
		put_attr(&r, CKPT_A_PID, &pid, 4);
	if (cmd == CKPT_CMD_PAGES_GET && (rnd() & 1)) { /* a valid range now and then */
		uint64_t s0 = (rnd() % 0x800000) << 12, e0 = s0 + ((rnd() % 4096 + 1) << 12);

		put_attr(&r, CKPT_A_START, &s0, 8);
		put_attr(&r, CKPT_A_END, &e0, 8);
	}
	nattr = rnd() % 6;
	for (k = 0; k < nattr; k++) {
		unsigned char data[600];
		uint16_t type = rnd() % (CKPT_A_MAX + 3);
		uint16_t len;
		uint64_t v;

		switch (rnd() % 6) {
		case 0: /* right attribute, right size, boundary values */
			type = (uint16_t[]){ CKPT_A_PID, CKPT_A_TID, CKPT_A_FD }[rnd() % 3];
			v = (uint32_t[]){ 0, 1, pid, 0x7fffffff, 0x80000000u, 0xffffffffu }[rnd() % 6];
			put_attr(&r, type, &v, 4);
			continue;
		case 1: /* ranges */
			type = (rnd() & 1) ? CKPT_A_START : CKPT_A_END;
			v = (uint64_t[]){ 0, 4096, 4095, 1ULL << 47, ~0ULL, 0x7ffffffff000ULL }[rnd() % 6];
			put_attr(&r, type, &v, 8);
			continue;
		case 2: /* wrong sizes */
			len = (uint16_t[]){ 0, 1, 2, 3, 5, 7, 9, 16 }[rnd() % 8];
			break;
		case 3: /* oversized */
			len = 300 + rnd() % 300;
			break;
		case 4: /* nested flag or unknown type */
			type |= (rnd() & 1) ? NLA_F_NESTED : 0;
			len = rnd() % 16;
			break;
		default:
			len = rnd() % 12;
			break;
		}
		for (n = 0; n < len; n++)
			data[n] = rnd();
		put_attr(&r, type, data, len);
	}
	if (i % 11 == 0) /* a truncated attribute header at the end */
		r.n.nlmsg_len += 2;
	send_req(&r);
	err = recv_all(&n, NULL, NULL, 0);
	if (err == -EBADMSG && !strcmp(reply_msg, "malformed reply attributes")) {
		printf("FAIL fuzz: malformed reply to request %d\n", i);
		exit(1);
	}
	if (err)
		(*errors)++;
	else
		(*replies)++;
}

static int fuzz(int argc, char **argv)
{
	int i, n, errors = 0, replies = 0;
	uint16_t fam;
	uint32_t pid;

	if (argc < 3)
		return 2;
	n = atoi(argv[0]);
	rng = strtoull(argv[1], NULL, 0) | 1;
	pid = strtoul(argv[2], NULL, 0);
	fam = family();
	for (i = 0; i < n; i++)
		fuzz_one(fam, pid, i, &errors, &replies);
	printf("ok fuzz %d requests: %d errors, %d replies\n", n, errors, replies);
	return 0;
}

/* ---- target processes ---- */

static void ready_and_sleep(const char *extra)
{
	printf("READY %d%s\n", getpid(), extra);
	fflush(stdout);
	for (;;)
		pause();
}

static int many(int argc, char **argv)
{
	int nv, nf, i;
	struct rlimit rl;
	char *base;

	if (argc < 3)
		return 2;
	close_range(3, ~0U, 0); /* no inherited fds */
	nv = atoi(argv[0]);
	nf = atoi(argv[1]);
	rl.rlim_cur = rl.rlim_max = nf + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
	/* One reservation, every other page mapped with alternating protections: no merging. */
	base = mmap(NULL, (size_t)nv * 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		die("mmap");
	for (i = 0; i < nv; i++)
		if (mprotect(base + (size_t)i * 2 * 4096, 4096, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE))
			die("mprotect");
	for (i = 0; i < nf; i++) {
		char path[4096];
		int fd;

		/* DIR "-": dups of one /dev/null fd (quick), else distinct files. */
		if (!strcmp(argv[2], "-")) {
			fd = i ? dup(3) : open("/dev/null", O_RDONLY);
		} else {
			snprintf(path, sizeof(path), "%s/f%d", argv[2], i);
			fd = open(path, O_RDWR | O_CREAT, 0600);
		}
		if (fd < 0)
			die("open");
	}
	ready_and_sleep("");
	return 0;
}

static int bigmap(int argc, char **argv)
{
	size_t gib, i;
	char *m, extra[64];

	if (argc < 1)
		return 2;
	gib = strtoul(argv[0], NULL, 0);
	m = mmap(NULL, gib << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (m == MAP_FAILED)
		die("mmap");
	madvise(m, gib << 30, MADV_NOHUGEPAGE);
	for (i = 0; i < gib; i++)
		m[i << 30] = 1;
	snprintf(extra, sizeof(extra), " %p %p", (void *)m, (void *)(m + (gib << 30)));
	ready_and_sleep(extra);
	return 0;
}

static int tcp(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int l, c, a;
	char extra[32];

	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sa, &len))
		die("listen");
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect");
	a = accept(l, NULL, NULL);
	if (a < 0 || write(c, "hello", 5) != 5)
		die("accept");
	usleep(100000);
	snprintf(extra, sizeof(extra), " %d", c);
	ready_and_sleep(extra);
	return 0;
}

static int hold(int argc, char **argv)
{
	uint16_t fam;
	struct req r;
	uint32_t pid;
	int n;

	if (argc < 2)
		return 2;
	fam = family();
	pid = strtoul(argv[0], NULL, 0);
	init_req(&r, fam, CKPT_CMD_VMA_GET, NLM_F_DUMP);
	put_attr(&r, CKPT_A_PID, &pid, 4);
	send_req(&r);
	if (recv_all(&n, NULL, NULL, 1) || n < 1) {
		printf("hold: no first part\n");
		return 1;
	}
	printf("HOLDING\n");
	fflush(stdout);
	sleep(atoi(argv[1]));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "runas") && argc > 4) {
		gid_t g = atoi(argv[3]);

		if (setgroups(0, NULL) || setgid(g) || setuid(atoi(argv[2])))
			die("setuid");
		execv(argv[4], argv + 4);
		die(argv[4]);
	}
	if (!strcmp(argv[1], "undumpable")) {
		prctl(PR_SET_DUMPABLE, 0);
		ready_and_sleep("");
	}
	if (!strcmp(argv[1], "sleep"))
		ready_and_sleep("");
	if (!strcmp(argv[1], "q"))
		return query(argc - 2, argv + 2);
	if (!strcmp(argv[1], "bad"))
		return bad(argc - 2, argv + 2);
	if (!strcmp(argv[1], "fuzz"))
		return fuzz(argc - 2, argv + 2);
	if (!strcmp(argv[1], "many"))
		return many(argc - 2, argv + 2);
	if (!strcmp(argv[1], "bigmap"))
		return bigmap(argc - 2, argv + 2);
	if (!strcmp(argv[1], "tcp"))
		return tcp();
	if (!strcmp(argv[1], "hold"))
		return hold(argc - 2, argv + 2);
usage:
	fprintf(stderr, "usage: see tests/kmod/ktool.c\n");
	return 2;
}
