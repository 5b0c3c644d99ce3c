// SPDX-License-Identifier: GPL-2.0
/*
 * struct ckpt_task <-> core-PID.img and files-PID.img, and the entry points
 * that write or read all of a task's images (mm and pagemap: img-mm.c).
 * Everything read is checked: images are untrusted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.pb-c.h"
#include "files.pb-c.h"
#include "img-io.h"
#include "img-fdext.h"
#include "img-mm.h"
#include "img.h"
#include "log.h"
#include "sk.h"
#include "sockets.pb-c.h"
#include "util.h"

#define MAX_FD (1 << 20)
#define MAX_THREADS 65536
#define MAX_GROUPS 65536         /* NGROUPS_MAX */
#define MAX_PENDING 4096         /* queued signals, per queue */
#define MAX_TIMERS 4096
#define MAX_TIMER_NS (1ULL << 62)
#define MAX_ITIMER_US (1ULL << 50)
#define XSAVE_MAX (64 * 1024)
#define NR_ITIMERS 3

/* comm may fill its array: never read past it. */
static void comm_out(const char *comm, protobuf_c_boolean *has, ProtobufCBinaryData *b)
{
	*has = true;
	b->data = (uint8_t *)comm;
	b->len = strnlen(comm, CKPT_COMM_LEN - 1);
}

/* ---- core-PID.img: task -> message ------------------------------------ */

static void regs_to_pb(UserRegsX86 *p, const struct user_regs_struct *r)
{
	user_regs_x86__init(p);
#define R(x) (p->has_##x = true, p->x = r->x)
	R(r15); R(r14); R(r13); R(r12); R(rbp); R(rbx); R(r11); R(r10); R(r9); R(r8);
	R(rax); R(rcx); R(rdx); R(rsi); R(rdi); R(orig_rax); R(rip); R(cs); R(eflags);
	R(rsp); R(ss); R(fs_base); R(gs_base); R(ds); R(es); R(fs); R(gs);
#undef R
}

static void regs_from_pb(struct user_regs_struct *r, const UserRegsX86 *p)
{
#define R(x) r->x = p->x
	R(r15); R(r14); R(r13); R(r12); R(rbp); R(rbx); R(r11); R(r10); R(r9); R(r8);
	R(rax); R(rcx); R(rdx); R(rsi); R(rdi); R(orig_rax); R(rip); R(cs); R(eflags);
	R(rsp); R(ss); R(fs_base); R(gs_base); R(ds); R(es); R(fs); R(gs);
#undef R
}

static void creds_to_pb(CredsEntry *p, const struct ckpt_creds *c)
{
	creds_entry__init(p);
#define F(x) (p->has_##x = true, p->x = c->x)
	F(uid); F(euid); F(suid); F(fsuid); F(gid); F(egid); F(sgid); F(fsgid);
	F(cap_inh); F(cap_prm); F(cap_eff); F(cap_bnd); F(cap_amb);
	F(securebits); F(no_new_privs);
#undef F
	p->n_groups = c->n_groups;
	p->groups = c->groups;
}

/* siginfo records as bytes fields; the array is the caller's to free. */
static ProtobufCBinaryData *sigq_to_pb(const struct ckpt_sigqueue *q)
{
	ProtobufCBinaryData *b = calloc(MAX(q->n, 1), sizeof(*b));
	size_t i;

	if (!b)
		return NULL;
	for (i = 0; i < q->n; i++) {
		b[i].len = CKPT_SIGINFO_SIZE;
		b[i].data = (uint8_t *)q->info[i].raw;
	}
	return b;
}

/* A thread; th->pending is allocated (NULL: out of memory). */
static void thread_to_pb(ThreadEntry *p, UserRegsX86 *regs, const struct ckpt_thread *s)
{
	thread_entry__init(p);
	regs_to_pb(regs, &s->regs);
	p->has_tid = true;
	p->tid = s->tid;
	comm_out(s->comm, &p->has_comm, &p->comm);
	p->regs = regs;
	p->has_xsave = true;
	p->xsave.data = s->xsave;
	p->xsave.len = s->xsave_size;
	p->has_sigmask = true;
	p->sigmask = s->sigmask;
	p->n_pending = s->pending.n;
	p->pending = sigq_to_pb(&s->pending);
#define F(x) (p->has_##x = true, p->x = s->x)
	F(rseq_ptr); F(rseq_len); F(rseq_sig);
	F(altstack_sp); F(altstack_size); F(altstack_flags);
	F(robust_list); F(robust_len); F(clear_child_tid);
#undef F
}

static void timer_to_pb(PosixTimerEntry *p, const struct ckpt_posix_timer *s)
{
	posix_timer_entry__init(p);
#define F(x) (p->has_##x = true, p->x = s->x)
	F(id); F(clock); F(notify); F(signo); F(notify_tid); F(sival); F(value_ns); F(interval_ns);
#undef F
}

/* Everything a CoreEntry points to, allocated for one write. */
struct core_bufs {
	CredsEntry creds;
	RlimitEntry rl[CKPT_NRLIMITS], *rlp[CKPT_NRLIMITS];
	SigactionEntry sa[CKPT_NSIG], *sap[CKPT_NSIG];
	ItimerEntry it[NR_ITIMERS], *itp[NR_ITIMERS];
	ThreadEntry *th, **thp;
	UserRegsX86 *regs;
	PosixTimerEntry *pt, **ptp;
};

static void core_bufs_free(struct core_bufs *b, CoreEntry *c)
{
	size_t i;

	for (i = 0; b->th && i < c->n_threads; i++)
		free(b->th[i].pending);
	free(c->shared_pending);
	free(b->th);
	free(b->thp);
	free(b->regs);
	free(b->pt);
	free(b->ptp);
}

static int core_signals_to_pb(CoreEntry *c, struct core_bufs *b, const struct ckpt_task *t)
{
	size_t i;

	for (i = 0; i < CKPT_NSIG; i++) {
		const struct ckpt_sigaction *s = &t->sigactions[i];

		sigaction_entry__init(&b->sa[i]);
		b->sa[i].has_handler = b->sa[i].has_flags = true;
		b->sa[i].has_restorer = b->sa[i].has_mask = true;
		b->sa[i].handler = s->handler;
		b->sa[i].flags = s->flags;
		b->sa[i].restorer = s->restorer;
		b->sa[i].mask = s->mask;
		b->sap[i] = &b->sa[i];
	}
	c->n_sigactions = CKPT_NSIG;
	c->sigactions = b->sap;
	c->shared_pending = sigq_to_pb(&t->shared_pending);
	c->n_shared_pending = t->shared_pending.n;
	for (i = 0; i < NR_ITIMERS; i++) {
		itimer_entry__init(&b->it[i]);
		b->it[i].has_value_us = b->it[i].has_interval_us = true;
		b->it[i].value_us = t->itimers[i].value_us;
		b->it[i].interval_us = t->itimers[i].interval_us;
		b->itp[i] = &b->it[i];
	}
	c->n_itimers = NR_ITIMERS;
	c->itimers = b->itp;
	b->pt = calloc(MAX(t->n_timers, 1), sizeof(*b->pt));
	b->ptp = calloc(MAX(t->n_timers, 1), sizeof(*b->ptp));
	if (!c->shared_pending || !b->pt || !b->ptp)
		return -ENOMEM;
	for (i = 0; i < t->n_timers; i++) {
		timer_to_pb(&b->pt[i], &t->timers[i]);
		b->ptp[i] = &b->pt[i];
	}
	c->n_posix_timers = t->n_timers;
	c->posix_timers = b->ptp;
	return 0;
}

static int core_threads_to_pb(CoreEntry *c, struct core_bufs *b, const struct ckpt_task *t)
{
	size_t i, n = MAX(t->n_threads, 1);

	b->th = calloc(n, sizeof(*b->th));
	b->thp = calloc(n, sizeof(*b->thp));
	b->regs = calloc(n, sizeof(*b->regs));
	if (!b->th || !b->thp || !b->regs)
		return -ENOMEM;
	c->threads = b->thp;
	for (i = 0; i < t->n_threads; i++) {
		thread_to_pb(&b->th[i], &b->regs[i], &t->threads[i]);
		b->thp[i] = &b->th[i];
		c->n_threads = i + 1;
		if (!b->th[i].pending)
			return -ENOMEM;
	}
	return 0;
}

static void core_ids_to_pb(CoreEntry *c, const struct ckpt_task *t)
{
	c->has_pid = c->has_ppid = c->has_pgid = c->has_sid = true;
	c->pid = t->pid;
	c->ppid = t->ppid;
	c->pgid = t->pgid;
	c->sid = t->sid;
	comm_out(t->comm, &c->has_comm, &c->comm);
	c->has_stopped = true;
	c->stopped = t->stopped;
	c->has_zombie = c->has_exit_status = t->zombie;
	c->zombie = t->zombie;
	c->exit_status = t->exit_status;
	c->has_child_subreaper = t->subreaper;
	c->child_subreaper = t->subreaper;
}

static int write_core(int dirfd, const struct ckpt_task *t)
{
	CoreEntry c = CORE_ENTRY__INIT;
	struct core_bufs b = { 0 };
	struct ckpt_img_w w;
	char name[64];
	size_t i;
	int err = 0;

	snprintf(name, sizeof(name), "core-%d.img", t->pid);
	core_ids_to_pb(&c, t);
	if (!t->zombie) {
		c.has_umask = c.has_personality = true;
		c.umask = t->umask;
		c.personality = t->personality;
		ckpt_img_str_out(t->cwd, &c.has_cwd, &c.cwd);
		ckpt_img_str_out(t->root, &c.has_root, &c.root);
		creds_to_pb(&b.creds, &t->creds);
		c.creds = &b.creds;
		for (i = 0; i < CKPT_NRLIMITS; i++) {
			rlimit_entry__init(&b.rl[i]);
			b.rl[i].has_cur = b.rl[i].has_max = true;
			b.rl[i].cur = t->rlimits[i].cur;
			b.rl[i].max = t->rlimits[i].max;
			b.rlp[i] = &b.rl[i];
		}
		c.n_rlimits = CKPT_NRLIMITS;
		c.rlimits = b.rlp;
		err = core_signals_to_pb(&c, &b, t);
		if (!err)
			err = core_threads_to_pb(&c, &b, t);
		if (err) {
			err = ckpt_img_oom(name);
			goto out_free;
		}
	}
	err = ckpt_img_w_open(dirfd, name, CKPT_MAGIC_CORE, &w);
	if (err)
		goto out_free;
	err = ckpt_img_w_msg(&w, &c.base);
	if (err)
		ckpt_img_w_abort(&w);
	else
		err = ckpt_img_w_close(&w);
out_free:
	core_bufs_free(&b, &c);
	return err;
}

/* ---- core-PID.img: message -> task (checked) -------------------------- */

static int sigq_from_pb(struct ckpt_sigqueue *q, ProtobufCBinaryData *b, size_t n,
			const char *name, const char *what)
{
	size_t i;

	if (n > MAX_PENDING)
		return ckpt_img_bad("%s: %zu %s signals, more than %d", name, n, what, MAX_PENDING);
	q->info = calloc(MAX(n, 1), sizeof(*q->info));
	if (!q->info)
		return ckpt_img_oom(name);
	for (i = 0; i < n; i++) {
		int32_t sig;

		if (b[i].len != CKPT_SIGINFO_SIZE)
			return ckpt_img_bad("%s: %s signal %zu has %zu bytes, not %d", name, what, i,
					    b[i].len, CKPT_SIGINFO_SIZE);
		memcpy(q->info[i].raw, b[i].data, CKPT_SIGINFO_SIZE);
		memcpy(&sig, b[i].data, sizeof(sig)); /* si_signo */
		if (sig < 1 || sig > CKPT_NSIG)
			return ckpt_img_bad("%s: %s signal %zu has number %d", name, what, i, sig);
	}
	q->n = n;
	return 0;
}

static int creds_from_pb(struct ckpt_creds *c, const CredsEntry *p, const char *name)
{
	if (!p || !p->has_uid || !p->has_euid || !p->has_suid || !p->has_fsuid || !p->has_gid ||
	    !p->has_egid || !p->has_sgid || !p->has_fsgid)
		return ckpt_img_bad("%s: no credentials, or not all eight ids", name);
	if (p->n_groups > MAX_GROUPS)
		return ckpt_img_bad("%s: %zu groups, more than %d", name, p->n_groups, MAX_GROUPS);
	c->groups = calloc(MAX(p->n_groups, 1), sizeof(uint32_t));
	if (!c->groups)
		return ckpt_img_oom(name);
	if (p->n_groups)
		memcpy(c->groups, p->groups, p->n_groups * sizeof(uint32_t));
	c->n_groups = p->n_groups;
#define F(x) c->x = p->x
	F(uid); F(euid); F(suid); F(fsuid); F(gid); F(egid); F(sgid); F(fsgid);
	F(cap_inh); F(cap_prm); F(cap_eff); F(cap_bnd); F(cap_amb);
	F(securebits); F(no_new_privs);
#undef F
	return 0;
}

static int limits_from_pb(struct ckpt_task *t, const CoreEntry *c, const char *name)
{
	size_t i;

	if (c->n_rlimits > CKPT_NRLIMITS || c->n_sigactions > CKPT_NSIG || c->n_itimers > NR_ITIMERS)
		return ckpt_img_bad("%s: %zu rlimits, %zu signal actions, %zu interval timers: "
				    "more than %d, %d, %d", name, c->n_rlimits, c->n_sigactions,
				    c->n_itimers, CKPT_NRLIMITS, CKPT_NSIG, NR_ITIMERS);
	for (i = 0; i < CKPT_NRLIMITS; i++)
		t->rlimits[i].cur = t->rlimits[i].max = ~0ULL; /* a newer kernel's: unlimited */
	for (i = 0; i < c->n_rlimits; i++) {
		const RlimitEntry *r = c->rlimits[i];

		if (!r->has_cur || !r->has_max || r->cur > r->max)
			return ckpt_img_bad("%s: rlimit %zu is missing or has soft > hard", name, i);
		t->rlimits[i].cur = r->cur;
		t->rlimits[i].max = r->max;
	}
	for (i = 0; i < c->n_sigactions; i++) {
		t->sigactions[i].handler = c->sigactions[i]->handler;
		t->sigactions[i].flags = c->sigactions[i]->flags;
		t->sigactions[i].restorer = c->sigactions[i]->restorer;
		t->sigactions[i].mask = c->sigactions[i]->mask;
	}
	for (i = 0; i < c->n_itimers; i++) {
		const ItimerEntry *it = c->itimers[i];

		if (it->value_us > MAX_ITIMER_US || it->interval_us > MAX_ITIMER_US)
			return ckpt_img_bad("%s: interval timer %zu out of range", name, i);
		t->itimers[i].value_us = it->value_us;
		t->itimers[i].interval_us = it->interval_us;
	}
	return 0;
}

static int timer_from_pb(struct ckpt_posix_timer *pt, const PosixTimerEntry *p,
			 const char *name, size_t i)
{
	if (!p->has_id || !p->has_clock || !p->has_notify || p->id < 0 || p->clock < 0 ||
	    p->clock > 11 /* CLOCK_TAI */ || p->signo < 0 || p->signo > CKPT_NSIG ||
	    (p->notify & ~7) || p->value_ns > MAX_TIMER_NS || p->interval_ns > MAX_TIMER_NS)
		return ckpt_img_bad("%s: POSIX timer %zu (id %d, clock %d, signal %d, notify %d) is "
				    "invalid", name, i, p->id, p->clock, p->signo, p->notify);
	pt->id = p->id;
	pt->clock = p->clock;
	pt->notify = p->notify;
	pt->signo = p->signo;
	pt->notify_tid = p->notify_tid;
	pt->sival = p->sival;
	pt->value_ns = p->value_ns;
	pt->interval_ns = p->interval_ns;
	return 0;
}

static int timers_from_pb(struct ckpt_task *t, const CoreEntry *c, const char *name)
{
	int64_t *ids;
	size_t i;
	int err = 0, rep;

	if (c->n_posix_timers > MAX_TIMERS)
		return ckpt_img_bad("%s: %zu POSIX timers, more than %d", name, c->n_posix_timers,
				    MAX_TIMERS);
	t->timers = calloc(MAX(c->n_posix_timers, 1), sizeof(*t->timers));
	ids = calloc(MAX(c->n_posix_timers, 1), sizeof(*ids));
	if (!t->timers || !ids) {
		free(ids);
		return ckpt_img_oom(name);
	}
	for (i = 0; i < c->n_posix_timers && !err; i++) {
		err = timer_from_pb(&t->timers[i], c->posix_timers[i], name, i);
		ids[i] = t->timers[i].id;
	}
	t->n_timers = i;
	rep = err ? 0 : ckpt_img_has_repeats(ids, c->n_posix_timers);
	free(ids);
	if (rep < 0)
		return ckpt_img_oom(name);
	if (rep)
		return ckpt_img_bad("%s: two POSIX timers have the same id", name);
	return err;
}

static int thread_from_pb(struct ckpt_thread *th, const ThreadEntry *p, const char *name,
			  size_t i)
{
	if (!p->has_tid || p->tid <= 0 || !p->regs || p->xsave.len > XSAVE_MAX)
		return ckpt_img_bad("%s: thread %zu: no registers, or bad tid %d or xsave size %zu",
				    name, i, p->tid, p->xsave.len);
	th->tid = p->tid;
	regs_from_pb(&th->regs, p->regs);
	if (p->xsave.len) {
		th->xsave = malloc(p->xsave.len);
		if (!th->xsave)
			return ckpt_img_oom(name);
		memcpy(th->xsave, p->xsave.data, p->xsave.len);
		th->xsave_size = p->xsave.len;
	}
	th->sigmask = p->sigmask;
	th->rseq_ptr = p->rseq_ptr;
	th->rseq_len = p->rseq_len;
	th->rseq_sig = p->rseq_sig;
	th->altstack_sp = p->altstack_sp;
	th->altstack_size = p->altstack_size;
	th->altstack_flags = p->has_altstack_flags ? p->altstack_flags : 2 /* SS_DISABLE */;
	th->robust_list = p->robust_list;
	th->robust_len = p->robust_len;
	th->clear_child_tid = p->clear_child_tid;
	return ckpt_img_comm_in(th->comm, p->has_comm, &p->comm, name, "thread name") ?:
	       sigq_from_pb(&th->pending, p->pending, p->n_pending, name, "thread pending");
}

/* Every thread; the first is the main thread, whose tid is the pid; no tid twice. */
static int threads_from_pb(struct ckpt_task *t, const CoreEntry *c, const char *name)
{
	int64_t *tids;
	size_t i;
	int err = 0, rep;

	if (c->n_threads < 1 || c->n_threads > MAX_THREADS)
		return ckpt_img_bad("%s: %zu threads (1 to %d)", name, c->n_threads, MAX_THREADS);
	t->threads = calloc(c->n_threads, sizeof(*t->threads));
	tids = calloc(c->n_threads, sizeof(*tids));
	if (!t->threads || !tids) {
		free(tids);
		return ckpt_img_oom(name);
	}
	for (i = 0; i < c->n_threads && !err; i++) {
		t->n_threads = i + 1; /* owns what thread_from_pb allocates, even on failure */
		err = thread_from_pb(&t->threads[i], c->threads[i], name, i);
		tids[i] = t->threads[i].tid;
	}
	rep = err ? 0 : ckpt_img_has_repeats(tids, c->n_threads);
	free(tids);
	if (err)
		return err;
	if (rep < 0)
		return ckpt_img_oom(name);
	if (rep)
		return ckpt_img_bad("%s: two threads have the same tid", name);
	if (t->threads[0].tid != t->pid)
		return ckpt_img_bad("%s: the main thread is %d, not %d", name, t->threads[0].tid,
				    t->pid);
	return 0;
}

static int core_ids_from_pb(struct ckpt_task *t, const CoreEntry *c, pid_t pid, const char *name)
{
	if (!c->has_pid || c->pid != pid)
		return ckpt_img_bad("%s: holds pid %d", name, c->pid);
	if (c->ppid < 0 || c->pgid < 0 || c->sid < 0)
		return ckpt_img_bad("%s: parent %d, group %d or session %d is negative", name,
				    c->ppid, c->pgid, c->sid);
	t->pid = c->pid;
	t->ppid = c->ppid;
	t->pgid = c->pgid;
	t->sid = c->sid;
	t->stopped = c->stopped;
	t->zombie = c->zombie;
	t->exit_status = c->exit_status;
	t->subreaper = c->child_subreaper;
	return ckpt_img_comm_in(t->comm, c->has_comm, &c->comm, name, "command name");
}

static int core_from_pb(struct ckpt_task *t, const CoreEntry *c, const char *name)
{
	int err;

	if (c->umask & ~0777)
		return ckpt_img_bad("%s: umask 0%o", name, c->umask);
	t->umask = c->umask;
	t->personality = c->personality;
	err = ckpt_img_str_in(&t->cwd, c->has_cwd, &c->cwd, name, "working directory", true);
	if (!err)
		err = ckpt_img_str_in(&t->root, c->has_root, &c->root, name, "root directory", false);
	if (err)
		return err;
	if (t->cwd[0] != '/' || (t->root && t->root[0] != '/'))
		return ckpt_img_bad("%s: working or root directory is not an absolute path", name);
	err = creds_from_pb(&t->creds, c->creds, name);
	if (!err)
		err = limits_from_pb(t, c, name);
	if (!err)
		err = sigq_from_pb(&t->shared_pending, c->shared_pending, c->n_shared_pending, name,
				   "shared pending");
	if (!err)
		err = timers_from_pb(t, c, name);
	if (!err)
		err = threads_from_pb(t, c, name);
	return err;
}

static int read_core(int dirfd, pid_t pid, struct ckpt_task *t)
{
	CoreEntry *c = NULL;
	char name[64];
	int err;

	snprintf(name, sizeof(name), "core-%d.img", pid);
	err = ckpt_img_read_one(dirfd, name, CKPT_MAGIC_CORE, &core_entry__descriptor,
				(ProtobufCMessage **)&c);
	if (err)
		return err;
	err = core_ids_from_pb(t, c, pid, name);
	if (!err && !t->zombie) /* a zombie keeps its ids and exit status only */
		err = core_from_pb(t, c, name);
	core_entry__free_unpacked(c, NULL);
	return err;
}

/* ---- files-PID.img ------------------------------------------------------ */

static int write_files(int dirfd, const struct ckpt_task *t)
{
	struct ckpt_img_w w;
	char name[64];
	size_t i;
	int err;

	snprintf(name, sizeof(name), "files-%d.img", t->pid);
	err = ckpt_img_w_open(dirfd, name, CKPT_MAGIC_FILES, &w);
	if (err)
		return err;
	for (i = 0; i < t->n_fds && !err; i++) {
		const struct ckpt_fd *f = &t->fds[i];
		FdEntry e = FD_ENTRY__INIT;
		EpollTarget *ep = NULL, **epp = NULL;
		FileLock *lk = NULL, **lkp = NULL;
		struct ckpt_fdext_buf *xb = NULL;
		TimerfdState tfd;
		SocketEntry sk;
		FileId id;

		e.has_fd = e.has_kind = e.has_fd_flags = e.has_flags = e.has_pos = true;
		e.has_rdev = e.has_dup_of = e.has_parent_fd = true;
		e.fd = f->fd;
		e.kind = f->kind;
		e.fd_flags = f->fd_flags;
		e.flags = f->flags;
		e.pos = f->pos;
		e.rdev = f->rdev;
		e.dup_of = f->dup_of;
		e.parent_fd = f->parent_fd;
		e.has_peer_pid = f->peer_pid != 0;
		e.peer_pid = f->peer_pid;
		ckpt_img_str_out(f->path, &e.has_path, &e.path);
		ckpt_img_file_id_out(&id, &f->file);
		e.file = &id;
		if (f->kind == CKPT_FD_MEMFD || f->kind == CKPT_FD_DELETED) {
			e.has_data = e.has_seals = true;
			e.data.data = f->data;
			e.data.len = f->data_len;
			e.seals = f->seals;
		}
		if (f->kind == CKPT_FD_TIMERFD) {
			timerfd_state__init(&tfd);
			tfd.has_clock = tfd.has_flags = tfd.has_ticks = true;
			tfd.has_value_ns = tfd.has_interval_ns = true;
			tfd.clock = f->tfd_clock;
			tfd.flags = f->tfd_settime_flags;
			tfd.ticks = f->tfd_ticks;
			tfd.value_ns = f->tfd_value_ns;
			tfd.interval_ns = f->tfd_interval_ns;
			e.timerfd = &tfd;
		}
		if (f->sk) {
			ckpt_img_sk_out(f->sk, &sk);
			e.sk = &sk;
		}
		e.has_sigmask = f->kind == CKPT_FD_SIGNALFD;
		e.sigmask = f->sigmask;
		if (f->kind == CKPT_FD_EPOLL && f->n_epoll) {
			size_t k;

			ep = calloc(f->n_epoll, sizeof(*ep));
			epp = calloc(f->n_epoll, sizeof(*epp));
			if (!ep || !epp) {
				free(ep);
				free(epp);
				err = ckpt_img_oom(name);
				break;
			}
			for (k = 0; k < f->n_epoll; k++) {
				epoll_target__init(&ep[k]);
				ep[k].has_tfd = ep[k].has_events = ep[k].has_data = true;
				ep[k].has_ino = ep[k].has_dev = true;
				ep[k].tfd = f->epoll[k].tfd;
				ep[k].events = f->epoll[k].events;
				ep[k].data = f->epoll[k].data;
				ep[k].ino = f->epoll[k].ino;
				ep[k].dev = f->epoll[k].dev;
				epp[k] = &ep[k];
			}
			e.n_epoll = f->n_epoll;
			e.epoll = epp;
		}
		e.has_eventfd_count = e.has_eventfd_semaphore = f->kind == CKPT_FD_EVENTFD;
		e.eventfd_count = f->eventfd_count;
		e.eventfd_semaphore = f->eventfd_semaphore;
		if (f->n_locks) {
			size_t k;

			lk = calloc(f->n_locks, sizeof(*lk));
			lkp = calloc(f->n_locks, sizeof(*lkp));
			if (!lk || !lkp) {
				free(lk);
				free(lkp);
				free(ep);
				free(epp);
				err = ckpt_img_oom(name);
				break;
			}
			for (k = 0; k < f->n_locks; k++) {
				file_lock__init(&lk[k]);
				lk[k].has_kind = lk[k].has_write = lk[k].has_start = lk[k].has_end = true;
				lk[k].kind = f->locks[k].kind;
				lk[k].write = f->locks[k].write;
				lk[k].start = f->locks[k].start;
				lk[k].end = f->locks[k].end;
				lkp[k] = &lk[k];
			}
			e.n_locks = f->n_locks;
			e.locks = lkp;
		}
		if (ckpt_img_fdext_out(&e, f, &xb))
			err = ckpt_img_oom(name);
		else
			err = ckpt_img_w_msg(&w, &e.base);
		ckpt_img_fdext_free(xb);
		free(lk);
		free(lkp);
		lk = NULL;
		lkp = NULL;
		free(ep);
		free(epp);
		ep = NULL;
		epp = NULL;
	}
	if (err) {
		ckpt_img_w_abort(&w);
		return err;
	}
	return ckpt_img_w_close(&w);
}

/* An fd before the last one (fds are sorted) that is not itself a dup. */
static bool fd_is_original(const struct ckpt_fd *fds, size_t n, int fd)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fds[mid].fd < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && fds[lo].fd == fd && fds[lo].dup_of < 0;
}

/* timerfd, signalfd and epoll state: bounded, epoll targets sorted and unique. */
static int event_from_pb(struct ckpt_fd *f, const FdEntry *e, const char *name)
{
	size_t k;

	if (f->kind == CKPT_FD_TIMERFD) {
		const TimerfdState *t = e->timerfd;

		if (!t || !t->has_clock || t->clock < 0 || t->clock > 11 /* CLOCK_TAI */)
			return ckpt_img_bad("%s: fd %d: timerfd without a valid clock", name, f->fd);
		f->tfd_clock = t->clock;
		f->tfd_settime_flags = t->flags;
		f->tfd_ticks = t->ticks;
		f->tfd_value_ns = t->value_ns;
		f->tfd_interval_ns = t->interval_ns;
		if (f->tfd_value_ns > (1ULL << 62) || f->tfd_interval_ns > (1ULL << 62))
			return ckpt_img_bad("%s: fd %d: timerfd time out of range", name, f->fd);
	}
	f->sigmask = e->sigmask;
	if (e->n_locks) {
		if (e->n_locks > 4096)
			return ckpt_img_bad("%s: fd %d: %zu file locks", name, f->fd, e->n_locks);
		f->locks = calloc(e->n_locks, sizeof(*f->locks));
		if (!f->locks)
			return ckpt_img_oom(name);
		for (k = 0; k < e->n_locks; k++) {
			const FileLock *l = e->locks[k];

			if (!l->has_kind || l->kind < CKPT_LOCK_FLOCK || l->kind > CKPT_LOCK_OFD ||
			    l->start > l->end)
				return ckpt_img_bad("%s: fd %d: file lock %zu is invalid", name, f->fd, k);
			f->locks[k] = (struct ckpt_lock){ .kind = l->kind, .write = l->write,
							  .start = l->start, .end = l->end };
			f->n_locks++;
		}
	}
	if (!e->n_epoll)
		return 0;
	if (f->kind != CKPT_FD_EPOLL || e->n_epoll > MAX_FD)
		return ckpt_img_bad("%s: fd %d: %zu epoll targets", name, f->fd, e->n_epoll);
	f->epoll = calloc(e->n_epoll, sizeof(*f->epoll));
	if (!f->epoll)
		return ckpt_img_oom(name);
	for (k = 0; k < e->n_epoll; k++) {
		const EpollTarget *p = e->epoll[k];

		if (!p->has_tfd || p->tfd < 0 || p->tfd >= MAX_FD ||
		    (k && p->tfd <= f->epoll[k - 1].tfd))
			return ckpt_img_bad("%s: fd %d: epoll target %zu (fd %d) is invalid, repeated "
					    "or out of order", name, f->fd, k, p->tfd);
		f->epoll[k] = (struct ckpt_epoll_target){ .tfd = p->tfd, .events = p->events,
							  .data = p->data, .ino = p->ino, .dev = p->dev };
		f->n_epoll++;
	}
	return 0;
}

static bool fd_kind_known(int k)
{
	return (k >= CKPT_FD_REG && k <= CKPT_FD_DELETED) || k == CKPT_FD_UNIX ||
	       k == CKPT_FD_INET || k == CKPT_FD_INOTIFY || k == CKPT_FD_PTMX || k == CKPT_FD_PTS;
}

/* One entry; fds[0..n-1] are the entries before it. */
static int fd_from_pb(struct ckpt_fd *f, const FdEntry *e, const struct ckpt_fd *fds, size_t n,
		      const char *name)
{
	int err;

	if (!e->has_fd || !e->has_kind || e->fd < 0 || e->fd >= MAX_FD ||
	    !fd_kind_known((int)e->kind) || (n && e->fd <= fds[n - 1].fd))
		return ckpt_img_bad("%s: fd entry %zu: fd %d (kind %d) is invalid, repeated or out "
				    "of order", name, n, e->fd, (int)e->kind);
	f->fd = e->fd;
	f->kind = e->kind;
	f->dup_of = e->has_dup_of ? e->dup_of : -1;
	f->parent_fd = e->has_parent_fd ? e->parent_fd : -1;
	if (f->dup_of < -1 || (f->dup_of >= 0 && !fd_is_original(fds, n, f->dup_of)))
		return ckpt_img_bad("%s: fd %d shares fd %d, which is not an earlier fd", name, f->fd,
				    f->dup_of);
	if (f->parent_fd < -1 || f->parent_fd >= MAX_FD)
		return ckpt_img_bad("%s: fd %d: invalid parent fd %d", name, f->fd, f->parent_fd);
	f->peer_pid = e->peer_pid;
	if (f->peer_pid < 0 || (f->peer_pid && f->parent_fd < 0))
		return ckpt_img_bad("%s: fd %d: invalid peer %d", name, f->fd, f->peer_pid);
	f->fd_flags = e->fd_flags;
	f->flags = e->flags;
	f->pos = e->pos;
	f->rdev = e->rdev;
	f->eventfd_count = e->eventfd_count;
	f->eventfd_semaphore = e->eventfd_semaphore;
	f->seals = e->seals;
	ckpt_img_file_id_in(&f->file, e->file);
	err = ckpt_img_str_in(&f->path, e->has_path, &e->path, name, "fd path",
			      f->kind == CKPT_FD_REG || f->kind == CKPT_FD_FIFO ||
			      f->kind == CKPT_FD_DELETED);
	if (err)
		return err;
	if ((f->kind == CKPT_FD_REG || f->kind == CKPT_FD_FIFO || f->kind == CKPT_FD_DELETED) &&
	    f->path[0] != '/')
		return ckpt_img_bad("%s: fd %d: path is not absolute", name, f->fd);
	err = event_from_pb(f, e, name);
	if (!err && (f->kind == CKPT_FD_UNIX || f->kind == CKPT_FD_INET))
		err = ckpt_img_sk_in(f, e->sk, name);
	if (err)
		return err;
	err = ckpt_img_fdext_in(f, e, name);
	if (err)
		return err;
	if (e->data.len) {
		f->data = malloc(e->data.len);
		if (!f->data)
			return ckpt_img_oom(name);
		memcpy(f->data, e->data.data, e->data.len);
		f->data_len = e->data.len;
	}
	return 0;
}

static int read_files(int dirfd, pid_t pid, struct ckpt_task *t)
{
	struct ckpt_img_r r;
	size_t cap = 0;
	char name[64];
	int err;

	snprintf(name, sizeof(name), "files-%d.img", pid);
	err = ckpt_img_r_open(dirfd, name, CKPT_MAGIC_FILES, &r);
	if (err)
		return err;
	for (;;) {
		FdEntry *e = NULL;

		err = ckpt_img_r_msg(&r, &fd_entry__descriptor, (ProtobufCMessage **)&e);
		if (err || !e)
			break;
		if (ckpt_grow((void **)&t->fds, &cap, t->n_fds + 1, sizeof(*t->fds))) {
			err = ckpt_img_oom(name);
		} else {
			memset(&t->fds[t->n_fds], 0, sizeof(*t->fds));
			err = fd_from_pb(&t->fds[t->n_fds], e, t->fds, t->n_fds, name);
			t->n_fds++; /* owns what fd_from_pb allocated, even on failure */
		}
		fd_entry__free_unpacked(e, NULL);
		if (err)
			break;
	}
	ckpt_img_r_close(&r);
	return err;
}

/* ---- a task's images ------------------------------------------------------ */

int ckpt_img_write_task(int dirfd, const struct ckpt_task *t)
{
	int err = write_core(dirfd, t);

	if (err || t->zombie) /* a zombie has nothing else to keep */
		return err;
	err = ckpt_img_write_mm(dirfd, t->pid, &t->mm);
	if (!err)
		err = write_files(dirfd, t);
	if (!err)
		err = ckpt_img_write_pagemap(dirfd, t->pid, &t->mm);
	return err;
}

int ckpt_img_read_task(int dirfd, pid_t pid, struct ckpt_task *ret)
{
	struct ckpt_task t = { 0 };
	int err;

	err = read_core(dirfd, pid, &t);
	if (!err && !t.zombie) {
		err = ckpt_img_read_mm(dirfd, pid, &t.mm);
		if (!err)
			err = read_files(dirfd, pid, &t);
		if (!err)
			err = ckpt_img_read_pagemap(dirfd, pid, &t.mm);
	}
	if (err) {
		ckpt_task_free(&t);
		return err;
	}
	*ret = t;
	return 0;
}
