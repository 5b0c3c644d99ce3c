// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink client of the ckpt kernel module, on libnl-genl-3:
 * family and version from the controller, one request at a time, replies
 * in one or many parts (dumps), the module's extack message in errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "kmod.h"
#include "log.h"
#include "util.h"

struct ckpt_kmod {
	struct nl_sock *sk;
	int family;
	uint32_t version;
	char msg[256]; /* extack text of the last error */
};

/* libnl's -NLE_* codes as -errno. */
static int nle_errno(int nle)
{
	static const struct {
		int nle, err;
	} map[] = {
		{ NLE_NOMEM, ENOMEM },      { NLE_AGAIN, EAGAIN },       { NLE_INVAL, EINVAL },
		{ NLE_RANGE, ERANGE },      { NLE_MSGSIZE, EMSGSIZE },   { NLE_OPNOTSUPP, EOPNOTSUPP },
		{ NLE_AF_NOSUPPORT, EAFNOSUPPORT }, { NLE_OBJ_NOTFOUND, ENOENT }, { NLE_NOATTR, ENODATA },
		{ NLE_MISSING_ATTR, EINVAL }, { NLE_EXIST, EEXIST },     { NLE_BUSY, EBUSY },
		{ NLE_PERM, EPERM },        { NLE_NOACCESS, EACCES },    { NLE_SEQ_MISMATCH, EPROTO },
		{ NLE_MSG_OVERFLOW, ENOBUFS }, { NLE_MSG_TRUNC, EMSGSIZE }, { NLE_NOADDR, EADDRNOTAVAIL },
		{ NLE_SRCRT_NOSUPPORT, EOPNOTSUPP }, { NLE_MSG_TOOSHORT, EBADMSG },
		{ NLE_MSGTYPE_NOSUPPORT, EOPNOTSUPP }, { NLE_OBJ_MISMATCH, EINVAL },
		{ NLE_NOCACHE, ENOENT },    { NLE_DUMP_INTR, EINTR },    { NLE_PARSE_ERR, EBADMSG },
		{ NLE_PROTO_MISMATCH, EPROTONOSUPPORT }, { NLE_NODEV, ENODEV }, { NLE_IMMUTABLE, EPERM },
		{ NLE_BAD_SOCK, EBADF },    { NLE_INTR, EINTR },
	};
	size_t i;

	if (nle < 0)
		nle = -nle;
	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].nle == nle)
			return -map[i].err;
	return -EIO;
}

static int kmod_connect(struct nl_sock **ret)
{
	struct nl_sock *sk = nl_socket_alloc();
	int one = 1, err;

	if (!sk)
		return -ENOMEM;
	err = genl_connect(sk);
	if (err) {
		nl_socket_free(sk);
		return nle_errno(err);
	}
	/* Error messages from the module; acks without the request echoed. */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl_socket_set_buffer_size(sk, 1 << 20, 0);
	nl_socket_set_msg_buf_size(sk, 64 << 10);
	*ret = sk;
	return 0;
}

/* The family id and version; -ENOENT when no such family. */
static int kmod_resolve(struct nl_sock *sk, int *ret_id, uint32_t *ret_version)
{
	struct nl_cache *cache = NULL;
	struct genl_family *fam;
	int err;

	err = genl_ctrl_alloc_cache(sk, &cache);
	if (err)
		return nle_errno(err);
	fam = genl_ctrl_search_by_name(cache, CKPT_GENL_NAME);
	if (!fam) {
		nl_cache_free(cache);
		return -ENOENT;
	}
	*ret_id = genl_family_get_id(fam);
	*ret_version = genl_family_get_version(fam);
	genl_family_put(fam);
	nl_cache_free(cache);
	return 0;
}

int ckpt_kmod_probe(uint32_t *ret_version)
{
	struct nl_sock *sk = NULL;
	int id, err;

	err = kmod_connect(&sk);
	if (!err)
		err = kmod_resolve(sk, &id, ret_version);
	if (sk)
		nl_socket_free(sk);
	return err;
}

int ckpt_kmod_open(struct ckpt_kmod **ret)
{
	struct ckpt_kmod *k = calloc(1, sizeof(*k));
	int err;

	if (!k)
		return -ENOMEM;
	err = kmod_connect(&k->sk);
	if (err) {
		pr_err("kernel module: cannot open a generic netlink socket: %s", strerror(-err));
		free(k);
		return err;
	}
	err = kmod_resolve(k->sk, &k->family, &k->version);
	if (!err && k->version != CKPT_GENL_VERSION) {
		pr_err("kernel module: speaks protocol version %u, this ckpt needs %u (load the "
		       "matching module)", k->version, CKPT_GENL_VERSION);
		err = -EPROTO;
	} else if (err && err != -ENOENT) {
		pr_err("kernel module: cannot look up family %s: %s", CKPT_GENL_NAME, strerror(-err));
	}
	if (err) {
		nl_socket_free(k->sk);
		free(k);
		return err;
	}
	*ret = k;
	return 0;
}

void ckpt_kmod_close(struct ckpt_kmod *k)
{
	if (!k)
		return;
	nl_socket_free(k->sk);
	free(k);
}

/* ---- one request ---------------------------------------------------- */

struct kmod_req {
	uint8_t cmd;
	bool dump;
	uint32_t pid, tid;
	int32_t fd;   /* -1: none */
	uint64_t start, end;
	bool range;
	int (*handle)(struct nlattr **tb, void *arg);
	void *arg;
};

struct kmod_rx {
	struct ckpt_kmod *k;
	const struct kmod_req *req;
	bool done, intr;
	int err;
};

static void kmod_extack(struct ckpt_kmod *k, struct nlattr *attrs, int len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX, attrs, len, NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(k->msg, sizeof(k->msg), "%s", (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
}

static int kmod_on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)e - 1;
	struct kmod_rx *rx = arg;
	int off = sizeof(*e);

	(void)nla;
	rx->err = e->error ? e->error : -EIO;
	rx->done = true;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
		kmod_extack(rx->k, (struct nlattr *)((char *)e + off),
			    (int)nlh->nlmsg_len - NLMSG_HDRLEN - off);
	}
	return NL_STOP;
}

static int kmod_on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct kmod_rx *rx = arg;

	rx->done = true;
	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
		int e = *(int *)nlmsg_data(nlh);

		if (e < 0) {
			rx->err = e;
			if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
				kmod_extack(rx->k, (struct nlattr *)((char *)nlmsg_data(nlh) + sizeof(int)),
					    (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)sizeof(int));
		}
	}
	return NL_STOP;
}

static int kmod_on_ack(struct nl_msg *msg, void *arg)
{
	struct kmod_rx *rx = arg;

	(void)msg;
	rx->done = true;
	return NL_STOP;
}

static int kmod_on_valid(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[CKPT_A_MAX + 1];
	struct kmod_rx *rx = arg;
	int err;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		rx->intr = true;
	if (rx->err)
		return NL_SKIP; /* keep draining */
	err = genlmsg_parse(nlh, 0, tb, CKPT_A_MAX, NULL);
	if (err) {
		rx->err = nle_errno(err);
		snprintf(rx->k->msg, sizeof(rx->k->msg), "malformed reply");
		return NL_SKIP;
	}
	err = rx->req->handle(tb, rx->req->arg);
	if (err)
		rx->err = err;
	return NL_SKIP;
}

static int kmod_put_req(struct nl_msg *m, const struct kmod_req *r)
{
	if (nla_put_u32(m, CKPT_A_PID, r->pid))
		return -EMSGSIZE;
	if (r->tid && nla_put_u32(m, CKPT_A_TID, r->tid))
		return -EMSGSIZE;
	if (r->fd >= 0 && nla_put_u32(m, CKPT_A_FD, r->fd))
		return -EMSGSIZE;
	if (r->range && (nla_put_u64(m, CKPT_A_START, r->start) || nla_put_u64(m, CKPT_A_END, r->end)))
		return -EMSGSIZE;
	return 0;
}

/* Send r and run r->handle on every reply message; -errno with k->msg set. */
static int kmod_request(struct ckpt_kmod *k, const struct kmod_req *r)
{
	struct kmod_rx rx = { .k = k, .req = r };
	struct nl_msg *m;
	struct nl_cb *cb;
	int err;

	k->msg[0] = '\0';
	m = nlmsg_alloc();
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!m || !cb) {
		err = -ENOMEM;
		goto out;
	}
	if (!genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, k->family, 0,
			 r->dump ? NLM_F_DUMP : 0, r->cmd, CKPT_GENL_VERSION)) {
		err = -ENOMEM;
		goto out;
	}
	err = kmod_put_req(m, r);
	if (err)
		goto out;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, kmod_on_valid, &rx);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, kmod_on_finish, &rx);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, kmod_on_ack, &rx);
	nl_cb_err(cb, NL_CB_CUSTOM, kmod_on_error, &rx);
	err = nl_send_auto(k->sk, m);
	if (err < 0) {
		err = nle_errno(err);
		goto out;
	}
	err = 0;
	while (!rx.done) {
		int e = nl_recvmsgs(k->sk, cb);

		if (e < 0 && !rx.done) {
			err = nle_errno(e);
			break;
		}
	}
	if (!err)
		err = rx.err;
	if (!err && rx.intr) {
		snprintf(k->msg, sizeof(k->msg), "state changed during the dump");
		err = -EAGAIN;
	}
out:
	nl_cb_put(cb);
	nlmsg_free(m);
	return err;
}

/* One line: "pid 12: kernel module: no such process (No such process)". */
static int kmod_fail(struct ckpt_kmod *k, pid_t pid, const char *what, int err)
{
	if (k->msg[0])
		pr_err("pid %d: kernel module: %s: %s (%s)", pid, what, k->msg, strerror(-err));
	else
		pr_err("pid %d: kernel module: %s: %s", pid, what, strerror(-err));
	return err;
}

/* Dumps are retried when the state changed under them (NLM_F_DUMP_INTR). */
static int kmod_request_retry(struct ckpt_kmod *k, const struct kmod_req *r, void (*reset)(void *))
{
	int i, err = 0;

	for (i = 0; i < 3; i++) {
		err = kmod_request(k, r);
		if (err != -EAGAIN)
			break;
		if (reset)
			reset(r->arg);
		usleep(1000 << i);
	}
	return err;
}

static uint32_t get_u32(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u32(tb[a]) : 0;
}

static uint64_t get_u64(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u64(tb[a]) : 0;
}

static char *get_str(struct nlattr **tb, int a)
{
	if (!tb[a] || nla_len(tb[a]) < 1)
		return NULL;
	return strndup(nla_data(tb[a]), nla_len(tb[a]));
}

/* ---- commands ------------------------------------------------------- */

static int on_task(struct nlattr **tb, void *arg)
{
	struct ckpt_kmod_task *t = arg;
	struct nlattr *a;
	size_t cap = 0;
	int rem, err;

	if (!tb[CKPT_A_PID] || !tb[CKPT_A_THREADS])
		return -EBADMSG;
	t->pid = get_u32(tb, CKPT_A_PID);
	t->tgid = get_u32(tb, CKPT_A_TGID);
	t->ppid = get_u32(tb, CKPT_A_PPID);
	t->pgid = get_u32(tb, CKPT_A_PGID);
	t->sid = get_u32(tb, CKPT_A_SID);
	t->state = get_u32(tb, CKPT_A_STATE);
	if (tb[CKPT_A_COMM])
		snprintf(t->comm, sizeof(t->comm), "%.*s", nla_len(tb[CKPT_A_COMM]),
			 (const char *)nla_data(tb[CKPT_A_COMM]));
	t->uid = get_u32(tb, CKPT_A_UID);
	t->euid = get_u32(tb, CKPT_A_EUID);
	t->suid = get_u32(tb, CKPT_A_SUID);
	t->fsuid = get_u32(tb, CKPT_A_FSUID);
	t->gid = get_u32(tb, CKPT_A_GID);
	t->egid = get_u32(tb, CKPT_A_EGID);
	t->sgid = get_u32(tb, CKPT_A_SGID);
	t->fsgid = get_u32(tb, CKPT_A_FSGID);
	nla_for_each_nested(a, tb[CKPT_A_THREADS], rem) {
		if (nla_type(a) != CKPT_A_TID || nla_len(a) != 4)
			continue;
		err = ckpt_grow((void **)&t->tids, &cap, t->n_tids + 1, sizeof(*t->tids));
		if (err)
			return err;
		t->tids[t->n_tids++] = nla_get_u32(a);
	}
	return 0;
}

int ckpt_kmod_task(struct ckpt_kmod *k, pid_t pid, struct ckpt_kmod_task *ret)
{
	struct kmod_req r = { .cmd = CKPT_CMD_TASK_GET, .pid = pid, .fd = -1, .handle = on_task,
			      .arg = ret };
	int err;

	memset(ret, 0, sizeof(*ret));
	err = kmod_request(k, &r);
	if (err) {
		free(ret->tids);
		ret->tids = NULL;
		return kmod_fail(k, pid, "task", err);
	}
	return 0;
}

static int on_regs(struct nlattr **tb, void *arg)
{
	struct ckpt_thread *th = arg;

	if (!tb[CKPT_A_REGS] || nla_len(tb[CKPT_A_REGS]) != sizeof(th->regs))
		return -EBADMSG;
	memcpy(&th->regs, nla_data(tb[CKPT_A_REGS]), sizeof(th->regs));
	if (tb[CKPT_A_XSTATE]) {
		free(th->xsave);
		th->xsave_size = nla_len(tb[CKPT_A_XSTATE]);
		th->xsave = malloc(th->xsave_size);
		if (!th->xsave)
			return -ENOMEM;
		memcpy(th->xsave, nla_data(tb[CKPT_A_XSTATE]), th->xsave_size);
	}
	return 0;
}

int ckpt_kmod_regs(struct ckpt_kmod *k, pid_t pid, pid_t tid, struct ckpt_thread *th)
{
	struct kmod_req r = { .cmd = CKPT_CMD_REGS_GET, .pid = pid, .tid = tid, .fd = -1,
			      .handle = on_regs, .arg = th };
	int i, err = 0;

	/* A thread just stopped may still be leaving the CPU. */
	for (i = 0; i < 50; i++) {
		err = kmod_request(k, &r);
		if (err != -EAGAIN)
			break;
		usleep(200);
	}
	if (err)
		return kmod_fail(k, pid, "registers", err);
	th->tid = tid;
	return 0;
}

static int on_mm(struct nlattr **tb, void *arg)
{
	struct ckpt_mm *mm = arg;
	struct ckpt_genl_mm g;
	const uint64_t *w;
	size_t n;

	if (!tb[CKPT_A_MM] || nla_len(tb[CKPT_A_MM]) != sizeof(g) || !tb[CKPT_A_AUXV])
		return -EBADMSG;
	memcpy(&g, nla_data(tb[CKPT_A_MM]), sizeof(g));
	mm->start_code = g.start_code;
	mm->end_code = g.end_code;
	mm->start_data = g.start_data;
	mm->end_data = g.end_data;
	mm->start_brk = g.start_brk;
	mm->brk = g.brk;
	mm->start_stack = g.start_stack;
	mm->arg_start = g.arg_start;
	mm->arg_end = g.arg_end;
	mm->env_start = g.env_start;
	mm->env_end = g.env_end;
	/* saved_auxv is a fixed array: up to and including the AT_NULL pair, as /proc shows it. */
	w = nla_data(tb[CKPT_A_AUXV]);
	for (n = 0; n + 1 < (size_t)nla_len(tb[CKPT_A_AUXV]) / 8; n += 2)
		if (!w[n])
			break;
	n = MIN(n + 2, (size_t)nla_len(tb[CKPT_A_AUXV]) / 8);
	free(mm->auxv);
	mm->auxv = malloc(n * 8);
	if (!mm->auxv)
		return -ENOMEM;
	memcpy(mm->auxv, w, n * 8);
	mm->n_auxv = n;
	free(mm->exe_path);
	mm->exe_path = get_str(tb, CKPT_A_PATH);
	mm->exe.dev = get_u64(tb, CKPT_A_DEV);
	mm->exe.ino = get_u64(tb, CKPT_A_INO);
	mm->exe.size = get_u64(tb, CKPT_A_SIZE);
	mm->exe.mode = get_u32(tb, CKPT_A_MODE);
	return 0;
}

int ckpt_kmod_mm(struct ckpt_kmod *k, pid_t pid, struct ckpt_mm *mm)
{
	struct kmod_req r = { .cmd = CKPT_CMD_MM_GET, .pid = pid, .fd = -1, .handle = on_mm,
			      .arg = mm };
	int err = kmod_request(k, &r);

	return err ? kmod_fail(k, pid, "memory layout", err) : 0;
}

static void get_stat(struct nlattr **tb, bool *has, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	*has = tb[CKPT_A_INO] != NULL;
	st->st_dev = get_u64(tb, CKPT_A_DEV);
	st->st_ino = get_u64(tb, CKPT_A_INO);
	st->st_size = get_u64(tb, CKPT_A_SIZE);
	st->st_rdev = get_u64(tb, CKPT_A_RDEV);
	st->st_mode = get_u32(tb, CKPT_A_MODE);
	st->st_nlink = get_u32(tb, CKPT_A_NLINK);
}

struct vma_list {
	struct ckpt_kmod_vma *v;
	size_t n, cap;
};

static int on_vma(struct nlattr **tb, void *arg)
{
	struct vma_list *l = arg;
	struct ckpt_kmod_vma *v;
	int err;

	if (!tb[CKPT_A_START] || !tb[CKPT_A_END])
		return -EBADMSG;
	err = ckpt_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	if (err)
		return err;
	v = &l->v[l->n++];
	memset(v, 0, sizeof(*v));
	v->start = get_u64(tb, CKPT_A_START);
	v->end = get_u64(tb, CKPT_A_END);
	v->pgoff = get_u64(tb, CKPT_A_PGOFF);
	v->vm_flags = get_u64(tb, CKPT_A_VM_FLAGS);
	v->prot = get_u32(tb, CKPT_A_PROT);
	v->name = get_str(tb, CKPT_A_NAME);
	get_stat(tb, &v->has_id, &v->st);
	return 0;
}

void ckpt_kmod_vmas_free(struct ckpt_kmod_vma *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static void vma_list_reset(void *arg)
{
	struct vma_list *l = arg;

	ckpt_kmod_vmas_free(l->v, l->n);
	memset(l, 0, sizeof(*l));
}

int ckpt_kmod_vmas(struct ckpt_kmod *k, pid_t pid, struct ckpt_kmod_vma **ret, size_t *ret_n)
{
	struct vma_list l = { 0 };
	struct kmod_req r = { .cmd = CKPT_CMD_VMA_GET, .dump = true, .pid = pid, .fd = -1,
			      .handle = on_vma, .arg = &l };
	int err = kmod_request_retry(k, &r, vma_list_reset);

	if (err) {
		vma_list_reset(&l);
		return kmod_fail(k, pid, "mappings", err);
	}
	*ret = l.v;
	*ret_n = l.n;
	return 0;
}

struct fd_list {
	struct ckpt_kmod_fd *f;
	size_t n, cap;
};

static int on_fd(struct nlattr **tb, void *arg)
{
	struct fd_list *l = arg;
	struct ckpt_kmod_fd *f;
	int err;

	if (!tb[CKPT_A_FD])
		return -EBADMSG;
	err = ckpt_grow((void **)&l->f, &l->cap, l->n + 1, sizeof(*l->f));
	if (err)
		return err;
	f = &l->f[l->n++];
	memset(f, 0, sizeof(*f));
	f->fd = get_u32(tb, CKPT_A_FD);
	f->fd_flags = get_u32(tb, CKPT_A_FD_FLAGS);
	f->flags = get_u32(tb, CKPT_A_FLAGS);
	f->pos = get_u64(tb, CKPT_A_POS);
	f->path = get_str(tb, CKPT_A_PATH);
	get_stat(tb, &f->has_id, &f->st);
	return 0;
}

void ckpt_kmod_fds_free(struct ckpt_kmod_fd *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(f[i].path);
	free(f);
}

static void fd_list_reset(void *arg)
{
	struct fd_list *l = arg;

	ckpt_kmod_fds_free(l->f, l->n);
	memset(l, 0, sizeof(*l));
}

int ckpt_kmod_fds(struct ckpt_kmod *k, pid_t pid, struct ckpt_kmod_fd **ret, size_t *ret_n)
{
	struct fd_list l = { 0 };
	struct kmod_req r = { .cmd = CKPT_CMD_FD_GET, .dump = true, .pid = pid, .fd = -1,
			      .handle = on_fd, .arg = &l };
	int err = kmod_request_retry(k, &r, fd_list_reset);

	if (err) {
		fd_list_reset(&l);
		return kmod_fail(k, pid, "fd table", err);
	}
	*ret = l.f;
	*ret_n = l.n;
	return 0;
}

static int on_sock(struct nlattr **tb, void *arg)
{
	struct ckpt_kmod_sock *s = arg;

	s->family = get_u32(tb, CKPT_A_SK_FAMILY);
	s->type = get_u32(tb, CKPT_A_SK_TYPE);
	s->proto = get_u32(tb, CKPT_A_SK_PROTO);
	s->state = get_u32(tb, CKPT_A_SK_STATE);
	if (tb[CKPT_A_SK_LOCAL]) {
		s->local_len = MIN((size_t)nla_len(tb[CKPT_A_SK_LOCAL]), sizeof(s->local));
		memcpy(&s->local, nla_data(tb[CKPT_A_SK_LOCAL]), s->local_len);
	}
	if (tb[CKPT_A_SK_PEER]) {
		s->peer_len = MIN((size_t)nla_len(tb[CKPT_A_SK_PEER]), sizeof(s->peer));
		memcpy(&s->peer, nla_data(tb[CKPT_A_SK_PEER]), s->peer_len);
	}
	if (tb[CKPT_A_TCP_SEQ] && nla_len(tb[CKPT_A_TCP_SEQ]) == sizeof(s->seq)) {
		s->tcp = true;
		memcpy(&s->seq, nla_data(tb[CKPT_A_TCP_SEQ]), sizeof(s->seq));
	}
	return 0;
}

int ckpt_kmod_sock(struct ckpt_kmod *k, pid_t pid, int fd, struct ckpt_kmod_sock *ret)
{
	struct kmod_req r = { .cmd = CKPT_CMD_SOCK_GET, .pid = pid, .fd = fd, .handle = on_sock,
			      .arg = ret };
	int err;

	memset(ret, 0, sizeof(*ret));
	err = kmod_request(k, &r);
	return err ? kmod_fail(k, pid, "socket", err) : 0;
}

struct run_list {
	struct ckpt_genl_page_run **r;
	size_t *n, cap;
};

static int on_pages(struct nlattr **tb, void *arg)
{
	struct run_list *l = arg;
	const struct ckpt_genl_page_run *in;
	size_t i, cnt;
	int err;

	if (!tb[CKPT_A_RUNS] || nla_len(tb[CKPT_A_RUNS]) % sizeof(*in))
		return -EBADMSG;
	in = nla_data(tb[CKPT_A_RUNS]);
	cnt = nla_len(tb[CKPT_A_RUNS]) / sizeof(*in);
	for (i = 0; i < cnt; i++) {
		struct ckpt_genl_page_run *last = *l->n ? &(*l->r)[*l->n - 1] : NULL;

		if (last && last->flags == in[i].flags &&
		    last->start + ((uint64_t)last->nr_pages << 12) == in[i].start &&
		    (uint64_t)last->nr_pages + in[i].nr_pages <= UINT32_MAX) {
			last->nr_pages += in[i].nr_pages; /* a run split between messages */
			continue;
		}
		err = ckpt_grow((void **)l->r, &l->cap, *l->n + 1, sizeof(**l->r));
		if (err)
			return err;
		(*l->r)[(*l->n)++] = in[i];
	}
	return 0;
}

int ckpt_kmod_pages(struct ckpt_kmod *k, pid_t pid, uint64_t start, uint64_t end,
		    struct ckpt_genl_page_run **ret, size_t *ret_n)
{
	struct run_list l = { .r = ret, .n = ret_n, .cap = *ret_n };
	struct kmod_req r = { .cmd = CKPT_CMD_PAGES_GET, .dump = true, .pid = pid, .fd = -1,
			      .start = start, .end = end, .range = true, .handle = on_pages,
			      .arg = &l };
	size_t n0 = *ret_n;
	int i, err = 0;

	for (i = 0; i < 3; i++) {
		*ret_n = n0;
		err = kmod_request(k, &r);
		if (err != -EAGAIN)
			break;
	}
	return err ? kmod_fail(k, pid, "page presence", err) : 0;
}
