// SPDX-License-Identifier: GPL-2.0
/* struct ckpt_task <-> core/mm/files/pagemap images, with validation of what is read. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core.pb-c.h"
#include "files.pb-c.h"
#include "img-io.h"
#include "img.h"
#include "inventory.pb-c.h"
#include "log.h"
#include "mm.pb-c.h"
#include "pagemap.pb-c.h"
#include "pipes.pb-c.h"
#include "util.h"

#define TASK_SIZE 0x7ffffffff000ULL
#define MAX_FD (1 << 20)
#define MAX_THREADS 65536
#define MAX_GROUPS 65536
#define XSAVE_MAX (64 * 1024)

/* ---- inventory ------------------------------------------------------- */

int ckpt_img_write_inventory(int dirfd, const struct ckpt_inventory *inv)
{
	InventoryEntry e = INVENTORY_ENTRY__INIT;
	struct ckpt_img_w w;
	char tmp[] = "inventory.img.tmp";
	int err;

	e.img_version = inv->img_version;
	e.tool_version = inv->tool_version;
	e.kernel = inv->kernel;
	e.arch = inv->arch;
	e.root_pid = inv->root_pid;
	e.has_n_tasks = true;
	e.n_tasks = inv->n_tasks;
	e.has_dump_time_ns = true;
	e.dump_time_ns = inv->dump_time_ns;
	e.has_shell_job = true;
	e.shell_job = inv->shell_job;
	e.n_pids = inv->n_pids;
	e.pids = (int32_t *)inv->pids;
	err = ckpt_img_w_open(dirfd, tmp, CKPT_MAGIC_INVENTORY, &w);
	if (err)
		return err;
	err = ckpt_img_w_msg(&w, &e.base);
	if (err) {
		ckpt_img_w_abort(&w);
		goto fail;
	}
	err = ckpt_img_w_close(&w);
	if (err)
		goto fail;
	if (renameat(dirfd, tmp, dirfd, "inventory.img")) {
		err = -errno;
		pr_err("inventory.img: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	unlinkat(dirfd, tmp, 0);
	return err;
}

static char *dup_or_null(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*err = -ENOMEM;
	return d;
}

/* A file that holds exactly one record: open it and unpack that record. */
static int read_one(int dirfd, const char *name, uint32_t magic,
		    const ProtobufCMessageDescriptor *desc, ProtobufCMessage **ret)
{
	struct ckpt_img_r r;
	int err;

	err = ckpt_img_r_open(dirfd, name, magic, &r);
	if (err)
		return err;
	err = ckpt_img_r_msg(&r, desc, ret); /* the message owns copies of its data */
	if (!err && !*ret) {
		pr_err("%s: holds no record", name);
		err = -ENODATA;
	}
	ckpt_img_r_close(&r);
	return err;
}

int ckpt_img_read_inventory(int dirfd, struct ckpt_inventory *ret)
{
	struct ckpt_inventory inv = { 0 };
	InventoryEntry *e = NULL;
	int err;

	err = read_one(dirfd, "inventory.img", CKPT_MAGIC_INVENTORY, &inventory_entry__descriptor,
		       (ProtobufCMessage **)&e);
	if (err)
		return err;
	if (e->img_version != CKPT_IMG_VERSION) {
		pr_err("inventory.img: image version %u, this ckpt reads version %u", e->img_version,
		       CKPT_IMG_VERSION);
		err = -EPROTO;
		goto out;
	}
	if (e->root_pid <= 0 || (e->has_n_tasks && e->n_tasks == 0)) {
		pr_err("inventory.img: invalid root pid %d", e->root_pid);
		err = -EBADMSG;
		goto out;
	}
	inv.img_version = e->img_version;
	inv.tool_version = dup_or_null(e->tool_version, &err);
	inv.kernel = dup_or_null(e->kernel, &err);
	inv.arch = dup_or_null(e->arch, &err);
	inv.root_pid = e->root_pid;
	inv.n_tasks = e->has_n_tasks ? e->n_tasks : 1;
	inv.dump_time_ns = e->dump_time_ns;
	inv.shell_job = e->shell_job;
	if (e->n_pids > 65536 || (e->n_pids && (e->pids[0] != e->root_pid || e->n_pids != inv.n_tasks))) {
		pr_err("inventory.img: the task list does not match the root pid or task count");
		err = -EBADMSG;
		goto out_inv;
	}
	inv.n_pids = e->n_pids ? e->n_pids : 1;
	inv.pids = calloc(inv.n_pids, sizeof(*inv.pids));
	if (!inv.pids) {
		err = -ENOMEM;
		goto out_inv;
	}
	if (e->n_pids) {
		size_t k, m;

		for (k = 0; k < e->n_pids; k++) {
			inv.pids[k] = e->pids[k];
			for (m = 0; m < k; m++)
				if (e->pids[k] <= 0 || e->pids[m] == e->pids[k]) {
					pr_err("inventory.img: task %zu has an invalid or repeated pid", k);
					err = -EBADMSG;
					goto out_inv;
				}
		}
	} else {
		inv.pids[0] = inv.root_pid;
	}
	if (err) {
out_inv:
		ckpt_inventory_free(&inv);
		goto out;
	}
	*ret = inv;
out:
	inventory_entry__free_unpacked(e, NULL);
	return err;
}

/* ---- task -> images -------------------------------------------------- */

static void regs_to_pb(UserRegsX86 *p, const struct user_regs_struct *r)
{
#define R(x) p->x = r->x
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

static ProtobufCBinaryData *siginfo_to_pb(const struct ckpt_sigqueue *q)
{
	ProtobufCBinaryData *b = calloc(MAX(q->n, 1), sizeof(*b));
	size_t i;

	if (!b)
		return NULL;
	for (i = 0; i < q->n; i++) {
		b[i].len = CKPT_SIGINFO_SIZE;
		b[i].data = q->info[i].raw;
	}
	return b;
}

static int write_core(int dirfd, const struct ckpt_task *t)
{
	CoreEntry c = CORE_ENTRY__INIT;
	CredsEntry cr = CREDS_ENTRY__INIT;
	RlimitEntry rl[CKPT_NRLIMITS], *rlp[CKPT_NRLIMITS];
	SigactionEntry sa[CKPT_NSIG], *sap[CKPT_NSIG];
	ThreadEntry *th = NULL, **thp = NULL;
	ItimerEntry it[3], *itp[3];
	PosixTimerEntry *pt = NULL, **ptp = NULL;
	UserRegsX86 *regs = NULL;
	struct ckpt_img_w w;
	char name[64];
	size_t i;
	int err = -ENOMEM;

	c.pid = t->pid;
	c.has_ppid = c.has_pgid = c.has_sid = c.has_umask = c.has_personality = true;
	c.ppid = t->ppid;
	c.pgid = t->pgid;
	c.sid = t->sid;
	c.comm = (char *)t->comm;
	c.has_stopped = true;
	c.stopped = t->stopped;
	c.has_zombie = c.has_exit_status = t->zombie;
	c.zombie = t->zombie;
	c.exit_status = t->exit_status;
	c.umask = t->umask;
	c.personality = t->personality;
	c.cwd = t->cwd;
	c.root = t->root;
	cr.uid = t->creds.uid;
	cr.euid = t->creds.euid;
	cr.suid = t->creds.suid;
	cr.fsuid = t->creds.fsuid;
	cr.gid = t->creds.gid;
	cr.egid = t->creds.egid;
	cr.sgid = t->creds.sgid;
	cr.fsgid = t->creds.fsgid;
	cr.n_groups = t->creds.n_groups;
	cr.groups = t->creds.groups;
	cr.has_cap_inh = cr.has_cap_prm = cr.has_cap_eff = cr.has_cap_bnd = cr.has_cap_amb = true;
	cr.cap_inh = t->creds.cap_inh;
	cr.cap_prm = t->creds.cap_prm;
	cr.cap_eff = t->creds.cap_eff;
	cr.cap_bnd = t->creds.cap_bnd;
	cr.cap_amb = t->creds.cap_amb;
	cr.has_securebits = cr.has_no_new_privs = true;
	cr.securebits = t->creds.securebits;
	cr.no_new_privs = t->creds.no_new_privs;
	c.creds = &cr;
	for (i = 0; i < CKPT_NRLIMITS; i++) {
		rlimit_entry__init(&rl[i]);
		rl[i].cur = t->rlimits[i].cur;
		rl[i].max = t->rlimits[i].max;
		rlp[i] = &rl[i];
	}
	c.n_rlimits = CKPT_NRLIMITS;
	c.rlimits = rlp;
	for (i = 0; i < CKPT_NSIG; i++) {
		sigaction_entry__init(&sa[i]);
		sa[i].handler = t->sigactions[i].handler;
		sa[i].flags = t->sigactions[i].flags;
		sa[i].restorer = t->sigactions[i].restorer;
		sa[i].mask = t->sigactions[i].mask;
		sap[i] = &sa[i];
	}
	c.n_sigactions = CKPT_NSIG;
	c.sigactions = sap;
	c.n_shared_pending = t->shared_pending.n;
	c.shared_pending = siginfo_to_pb(&t->shared_pending);
	th = calloc(MAX(t->n_threads, 1), sizeof(*th));
	thp = calloc(MAX(t->n_threads, 1), sizeof(*thp));
	regs = calloc(MAX(t->n_threads, 1), sizeof(*regs));
	if (!c.shared_pending || !th || !thp || !regs)
		goto out;
	for (i = 0; i < t->n_threads; i++) {
		const struct ckpt_thread *s = &t->threads[i];

		thread_entry__init(&th[i]);
		user_regs_x86__init(&regs[i]);
		regs_to_pb(&regs[i], &s->regs);
		th[i].tid = s->tid;
		th[i].comm = (char *)s->comm;
		th[i].regs = &regs[i];
		th[i].has_xsave = true;
		th[i].xsave.data = s->xsave;
		th[i].xsave.len = s->xsave_size;
		th[i].sigmask = s->sigmask;
		th[i].n_pending = s->pending.n;
		th[i].pending = siginfo_to_pb(&s->pending);
		if (!th[i].pending)
			goto out;
		th[i].has_rseq_ptr = th[i].has_rseq_len = th[i].has_rseq_sig = true;
		th[i].rseq_ptr = s->rseq_ptr;
		th[i].rseq_len = s->rseq_len;
		th[i].rseq_sig = s->rseq_sig;
		th[i].has_altstack_sp = th[i].has_altstack_size = th[i].has_altstack_flags = true;
		th[i].altstack_sp = s->altstack_sp;
		th[i].altstack_size = s->altstack_size;
		th[i].altstack_flags = s->altstack_flags;
		th[i].has_robust_list = th[i].has_robust_len = th[i].has_clear_child_tid = true;
		th[i].robust_list = s->robust_list;
		th[i].robust_len = s->robust_len;
		th[i].clear_child_tid = s->clear_child_tid;
		thp[i] = &th[i];
	}
	c.n_threads = t->n_threads;
	c.threads = thp;
	for (i = 0; i < 3; i++) {
		itimer_entry__init(&it[i]);
		it[i].value_us = t->itimers[i].value_us;
		it[i].interval_us = t->itimers[i].interval_us;
		itp[i] = &it[i];
	}
	c.n_itimers = 3;
	c.itimers = itp;
	pt = calloc(MAX(t->n_timers, 1), sizeof(*pt));
	ptp = calloc(MAX(t->n_timers, 1), sizeof(*ptp));
	if (!pt || !ptp) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < t->n_timers; i++) {
		const struct ckpt_posix_timer *s = &t->timers[i];

		posix_timer_entry__init(&pt[i]);
		pt[i].id = s->id;
		pt[i].clock = s->clock;
		pt[i].notify = s->notify;
		pt[i].has_signo = pt[i].has_notify_tid = pt[i].has_sival = true;
		pt[i].signo = s->signo;
		pt[i].notify_tid = s->notify_tid;
		pt[i].sival = s->sival;
		pt[i].value_ns = s->value_ns;
		pt[i].interval_ns = s->interval_ns;
		ptp[i] = &pt[i];
	}
	c.n_posix_timers = t->n_timers;
	c.posix_timers = ptp;
	snprintf(name, sizeof(name), "core-%d.img", t->pid);
	err = ckpt_img_w_open(dirfd, name, CKPT_MAGIC_CORE, &w);
	if (err)
		goto out;
	err = ckpt_img_w_msg(&w, &c.base);
	if (err)
		ckpt_img_w_abort(&w);
	else
		err = ckpt_img_w_close(&w);
out:
	if (th)
		for (i = 0; i < t->n_threads; i++)
			free(th[i].pending);
	free(c.shared_pending);
	free(pt);
	free(ptp);
	free(th);
	free(thp);
	free(regs);
	return err;
}

static void file_id_to_pb(FileId *f, const struct ckpt_file_id *id)
{
	file_id__init(f);
	f->dev = id->dev;
	f->ino = id->ino;
	f->size = id->size;
	f->mode = id->mode;
}

static int write_mm(int dirfd, const struct ckpt_task *t)
{
	const struct ckpt_mm *mm = &t->mm;
	MmEntry m = MM_ENTRY__INIT;
	VmaEntry *v = calloc(MAX(mm->n_vmas, 1), sizeof(*v));
	VmaEntry **vp = calloc(MAX(mm->n_vmas, 1), sizeof(*vp));
	FileId *ids = calloc(MAX(mm->n_vmas, 1), sizeof(*ids)), exe;
	struct ckpt_img_w w;
	char name[64];
	size_t i;
	int err = -ENOMEM;

	if (!v || !vp || !ids)
		goto out;
#define F(x) m.has_##x = true, m.x = mm->x
	F(start_code); F(end_code); F(start_data); F(end_data); F(start_brk); F(brk);
	F(start_stack); F(arg_start); F(arg_end); F(env_start); F(env_end);
#undef F
	m.n_auxv = mm->n_auxv;
	m.auxv = mm->auxv;
	m.exe_path = mm->exe_path;
	file_id_to_pb(&exe, &mm->exe);
	m.exe = &exe;
	for (i = 0; i < mm->n_vmas; i++) {
		const struct ckpt_vma *s = &mm->vmas[i];

		vma_entry__init(&v[i]);
		v[i].start = s->start;
		v[i].end = s->end;
		v[i].has_pgoff = v[i].has_attrs = true;
		v[i].pgoff = s->pgoff;
		v[i].kind = s->kind;
		v[i].prot = s->prot;
		v[i].attrs = s->attrs;
		v[i].path = s->path;
		v[i].name = s->name;
		if (s->path || s->kind == CKPT_VMA_SHANON) {
			file_id_to_pb(&ids[i], &s->file);
			v[i].file = &ids[i];
		}
		if (s->shared_pid) {
			v[i].has_shared_pid = v[i].has_shared_start = v[i].has_shared_end = true;
			v[i].shared_pid = s->shared_pid;
			v[i].shared_start = s->shared_start;
			v[i].shared_end = s->shared_end;
		}
		vp[i] = &v[i];
	}
	m.n_vmas = mm->n_vmas;
	m.vmas = vp;
	snprintf(name, sizeof(name), "mm-%d.img", t->pid);
	err = ckpt_img_w_open(dirfd, name, CKPT_MAGIC_MM, &w);
	if (err)
		goto out;
	err = ckpt_img_w_msg(&w, &m.base);
	if (err)
		ckpt_img_w_abort(&w);
	else
		err = ckpt_img_w_close(&w);
out:
	free(v);
	free(vp);
	free(ids);
	return err;
}

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
		FileId id;

		e.fd = f->fd;
		e.kind = f->kind;
		e.has_fd_flags = e.has_flags = e.has_pos = e.has_rdev = true;
		e.fd_flags = f->fd_flags;
		e.flags = f->flags;
		e.pos = f->pos;
		e.rdev = f->rdev;
		e.has_dup_of = true;
		e.dup_of = f->dup_of;
		e.has_parent_fd = true;
		e.parent_fd = f->parent_fd;
		if (f->kind == CKPT_FD_MEMFD) {
			e.has_data = e.has_seals = true;
			e.data.data = f->data;
			e.data.len = f->data_len;
			e.seals = f->seals;
		}
		e.has_eventfd_count = e.has_eventfd_semaphore = f->kind == CKPT_FD_EVENTFD;
		e.eventfd_count = f->eventfd_count;
		e.eventfd_semaphore = f->eventfd_semaphore;
		e.path = f->path;
		file_id_to_pb(&id, &f->file);
		e.file = &id;
		err = ckpt_img_w_msg(&w, &e.base);
	}
	if (err) {
		ckpt_img_w_abort(&w);
		return err;
	}
	return ckpt_img_w_close(&w);
}

static int write_pagemap(int dirfd, const struct ckpt_task *t)
{
	struct ckpt_img_w w;
	char name[64];
	size_t i;
	int err;

	snprintf(name, sizeof(name), "pagemap-%d.img", t->pid);
	err = ckpt_img_w_open(dirfd, name, CKPT_MAGIC_PAGEMAP, &w);
	if (err)
		return err;
	for (i = 0; i < t->mm.n_pagemap && !err; i++) {
		PagemapEntry e = PAGEMAP_ENTRY__INIT;

		e.vaddr = t->mm.pagemap[i].vaddr;
		e.nr_pages = t->mm.pagemap[i].nr_pages;
		e.offset = t->mm.pagemap[i].offset;
		err = ckpt_img_w_msg(&w, &e.base);
	}
	if (err) {
		ckpt_img_w_abort(&w);
		return err;
	}
	return ckpt_img_w_close(&w);
}

int ckpt_img_write_task(int dirfd, const struct ckpt_task *t)
{
	int err = write_core(dirfd, t);

	if (!err && t->zombie)
		return 0; /* nothing else to keep */
	if (!err)
		err = write_mm(dirfd, t);
	if (!err)
		err = write_files(dirfd, t);
	if (!err)
		err = write_pagemap(dirfd, t);
	return err;
}

/* ---- images -> task (untrusted input) ------------------------------- */

#define BAD(name, ...)                      \
	({                                  \
		pr_err(__VA_ARGS__);        \
		(void)(name);               \
		-EBADMSG;                   \
	})

static int sigq_from_pb(struct ckpt_sigqueue *q, ProtobufCBinaryData *b, size_t n,
			const char *name)
{
	size_t i;

	if (n > 4096)
		return BAD(name, "%s: %zu pending signals is implausible", name, n);
	q->info = calloc(MAX(n, 1), sizeof(*q->info));
	if (!q->info)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		int sig;

		if (b[i].len != CKPT_SIGINFO_SIZE)
			return BAD(name, "%s: pending signal %zu has %zu bytes, not %d", name, i, b[i].len,
				   CKPT_SIGINFO_SIZE);
		memcpy(q->info[i].raw, b[i].data, CKPT_SIGINFO_SIZE);
		memcpy(&sig, b[i].data, sizeof(sig));
		if (sig < 1 || sig > CKPT_NSIG)
			return BAD(name, "%s: pending signal %d is invalid", name, sig);
	}
	q->n = n;
	return 0;
}

static int str_copy(char **dst, const char *src, const char *name, const char *what, bool need)
{
	if (!src) {
		if (need)
			return BAD(name, "%s: no %s", name, what);
		return 0;
	}
	if (strlen(src) >= 4096)
		return BAD(name, "%s: %s is too long", name, what);
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static int read_core(int dirfd, pid_t pid, struct ckpt_task *t)
{
	CoreEntry *c = NULL;
	char name[64];
	size_t i;
	int err;

	snprintf(name, sizeof(name), "core-%d.img", pid);
	err = read_one(dirfd, name, CKPT_MAGIC_CORE, &core_entry__descriptor, (ProtobufCMessage **)&c);
	if (err)
		return err;
	if (c->pid != pid) {
		err = BAD(name, "%s: holds pid %d", name, c->pid);
		goto out;
	}
	if (c->zombie) {
		t->pid = c->pid;
		t->ppid = c->ppid;
		t->pgid = c->pgid;
		t->sid = c->sid;
		t->zombie = true;
		t->exit_status = c->exit_status;
		if (c->comm)
			snprintf(t->comm, sizeof(t->comm), "%s", c->comm);
		goto out;
	}
	if (c->n_threads < 1 || c->n_threads > MAX_THREADS || c->n_rlimits > CKPT_NRLIMITS ||
	    c->n_sigactions > CKPT_NSIG || c->creds->n_groups > MAX_GROUPS) {
		err = BAD(name, "%s: counts out of range (threads %zu, rlimits %zu, sigactions %zu)",
			  name, c->n_threads, c->n_rlimits, c->n_sigactions);
		goto out;
	}
	t->pid = c->pid;
	t->ppid = c->ppid;
	t->pgid = c->pgid;
	t->sid = c->sid;
	t->stopped = c->stopped;
	if (c->comm)
		snprintf(t->comm, sizeof(t->comm), "%s", c->comm);
	t->umask = c->umask & 0777;
	t->personality = c->personality;
	err = str_copy(&t->cwd, c->cwd, name, "working directory", true);
	if (!err)
		err = str_copy(&t->root, c->root, name, "root directory", false);
	if (err)
		goto out;
	if (t->cwd[0] != '/' || (t->root && t->root[0] != '/')) {
		err = BAD(name, "%s: working or root directory is not an absolute path", name);
		goto out;
	}
	t->creds.uid = c->creds->uid;
	t->creds.euid = c->creds->euid;
	t->creds.suid = c->creds->suid;
	t->creds.fsuid = c->creds->fsuid;
	t->creds.gid = c->creds->gid;
	t->creds.egid = c->creds->egid;
	t->creds.sgid = c->creds->sgid;
	t->creds.fsgid = c->creds->fsgid;
	t->creds.groups = calloc(MAX(c->creds->n_groups, 1), sizeof(uint32_t));
	if (!t->creds.groups) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(t->creds.groups, c->creds->groups, c->creds->n_groups * sizeof(uint32_t));
	t->creds.n_groups = c->creds->n_groups;
	t->creds.cap_inh = c->creds->cap_inh;
	t->creds.cap_prm = c->creds->cap_prm;
	t->creds.cap_eff = c->creds->cap_eff;
	t->creds.cap_bnd = c->creds->cap_bnd;
	t->creds.cap_amb = c->creds->cap_amb;
	t->creds.securebits = c->creds->securebits;
	t->creds.no_new_privs = c->creds->no_new_privs;
	for (i = 0; i < CKPT_NRLIMITS; i++)
		t->rlimits[i].cur = t->rlimits[i].max = ~0ULL;
	for (i = 0; i < c->n_rlimits; i++) {
		if (c->rlimits[i]->cur > c->rlimits[i]->max) {
			err = BAD(name, "%s: rlimit %zu has soft > hard", name, i);
			goto out;
		}
		t->rlimits[i].cur = c->rlimits[i]->cur;
		t->rlimits[i].max = c->rlimits[i]->max;
	}
	for (i = 0; i < c->n_sigactions; i++) {
		t->sigactions[i].handler = c->sigactions[i]->handler;
		t->sigactions[i].flags = c->sigactions[i]->flags;
		t->sigactions[i].restorer = c->sigactions[i]->restorer;
		t->sigactions[i].mask = c->sigactions[i]->mask;
	}
	err = sigq_from_pb(&t->shared_pending, c->shared_pending, c->n_shared_pending, name);
	if (err)
		goto out;
	for (i = 0; i < c->n_itimers && i < 3; i++) {
		if (c->itimers[i]->value_us > (1ULL << 50) || c->itimers[i]->interval_us > (1ULL << 50)) {
			err = BAD(name, "%s: interval timer %zu out of range", name, i);
			goto out;
		}
		t->itimers[i].value_us = c->itimers[i]->value_us;
		t->itimers[i].interval_us = c->itimers[i]->interval_us;
	}
	if (c->n_posix_timers > 4096) {
		err = BAD(name, "%s: %zu POSIX timers is implausible", name, c->n_posix_timers);
		goto out;
	}
	t->timers = calloc(MAX(c->n_posix_timers, 1), sizeof(*t->timers));
	if (!t->timers) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->n_posix_timers; i++) {
		const PosixTimerEntry *p = c->posix_timers[i];
		struct ckpt_posix_timer *pt = &t->timers[i];

		if (p->id < 0 || p->clock < 0 || p->clock > 11 || p->signo < 0 || p->signo > CKPT_NSIG ||
		    (p->notify & ~7) ||
		    p->value_ns > (1ULL << 62) || p->interval_ns > (1ULL << 62)) {
			err = BAD(name, "%s: POSIX timer %zu is invalid", name, i);
			goto out;
		}
		pt->id = p->id;
		pt->clock = p->clock;
		pt->notify = p->notify;
		pt->signo = p->signo;
		pt->notify_tid = p->notify_tid;
		pt->sival = p->sival;
		pt->value_ns = p->value_ns;
		pt->interval_ns = p->interval_ns;
	}
	t->n_timers = c->n_posix_timers;
	t->threads = calloc(c->n_threads, sizeof(*t->threads));
	if (!t->threads) {
		err = -ENOMEM;
		goto out;
	}
	t->n_threads = c->n_threads;
	for (i = 0; i < c->n_threads; i++) {
		const ThreadEntry *p = c->threads[i];
		struct ckpt_thread *th = &t->threads[i];

		if (p->tid <= 0 || p->xsave.len > XSAVE_MAX) {
			err = BAD(name, "%s: thread %zu: bad tid %d or xsave size %zu", name, i, p->tid,
				  p->xsave.len);
			goto out;
		}
		th->tid = p->tid;
		if (p->comm)
			snprintf(th->comm, sizeof(th->comm), "%s", p->comm);
		regs_from_pb(&th->regs, p->regs);
		if (p->xsave.len) {
			th->xsave = malloc(p->xsave.len);
			if (!th->xsave) {
				err = -ENOMEM;
				goto out;
			}
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
		err = sigq_from_pb(&th->pending, p->pending, p->n_pending, name);
		if (err)
			goto out;
	}
	if (t->threads[0].tid != pid) {
		err = BAD(name, "%s: the main thread is %d, not %d", name, t->threads[0].tid, pid);
		goto out;
	}
out:
	core_entry__free_unpacked(c, NULL);
	return err;
}

static void file_id_from_pb(struct ckpt_file_id *id, const FileId *f)
{
	if (!f)
		return;
	id->dev = f->dev;
	id->ino = f->ino;
	id->size = f->size;
	id->mode = f->mode;
}

static int check_vmas(const struct ckpt_mm *mm, const char *name)
{
	size_t i;

	for (i = 0; i < mm->n_vmas; i++) {
		const struct ckpt_vma *v = &mm->vmas[i];
		bool high = v->kind == CKPT_VMA_VSYSCALL;

		if (v->start >= v->end || (v->start | v->end) & (PAGE_SIZE - 1) ||
		    (!high && v->end > TASK_SIZE) || (v->pgoff & (PAGE_SIZE - 1)))
			return BAD(name, "%s: VMA %zu (%" PRIx64 "-%" PRIx64 ") is not a valid range",
				   name, i, v->start, v->end);
		if (i && v->start < mm->vmas[i - 1].end)
			return BAD(name, "%s: VMA %zu overlaps or is out of order", name, i);
		if (v->kind < CKPT_VMA_ANON || v->kind > CKPT_VMA_VSYSCALL ||
		    (v->prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
			return BAD(name, "%s: VMA %zu has an invalid kind or protection", name, i);
		if ((v->kind == CKPT_VMA_FILE_PRIVATE || v->kind == CKPT_VMA_FILE_SHARED) &&
		    (!v->path || v->path[0] != '/'))
			return BAD(name, "%s: file VMA %zu has no absolute path", name, i);
	}
	return 0;
}

static int read_mm(int dirfd, pid_t pid, struct ckpt_mm *mm)
{
	MmEntry *m = NULL;
	char name[64];
	size_t i;
	int err;

	snprintf(name, sizeof(name), "mm-%d.img", pid);
	err = read_one(dirfd, name, CKPT_MAGIC_MM, &mm_entry__descriptor, (ProtobufCMessage **)&m);
	if (err)
		return err;
	if (m->n_auxv > 1024 || m->n_auxv % 2) {
		err = BAD(name, "%s: auxv of %zu words", name, m->n_auxv);
		goto out;
	}
#define F(x) mm->x = m->x
	F(start_code); F(end_code); F(start_data); F(end_data); F(start_brk); F(brk);
	F(start_stack); F(arg_start); F(arg_end); F(env_start); F(env_end);
#undef F
	mm->auxv = calloc(MAX(m->n_auxv, 1), sizeof(uint64_t));
	if (!mm->auxv) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(mm->auxv, m->auxv, m->n_auxv * sizeof(uint64_t));
	mm->n_auxv = m->n_auxv;
	err = str_copy(&mm->exe_path, m->exe_path, name, "executable", true);
	if (err)
		goto out;
	file_id_from_pb(&mm->exe, m->exe);
	mm->vmas = calloc(MAX(m->n_vmas, 1), sizeof(*mm->vmas));
	if (!mm->vmas) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < m->n_vmas; i++) {
		const VmaEntry *p = m->vmas[i];
		struct ckpt_vma *v = &mm->vmas[i];

		mm->n_vmas++;
		v->start = p->start;
		v->end = p->end;
		v->pgoff = p->pgoff;
		v->kind = p->kind;
		v->prot = p->prot;
		v->attrs = p->attrs;
		err = str_copy(&v->path, p->path, name, "VMA path", false);
		if (!err)
			err = str_copy(&v->name, p->name, name, "VMA name", false);
		if (err)
			goto out;
		file_id_from_pb(&v->file, p->file);
		if (p->shared_pid && (p->shared_pid < 0 || v->kind != CKPT_VMA_SHANON ||
				      p->shared_start >= p->shared_end || p->shared_end > TASK_SIZE ||
				      (p->shared_start | p->shared_end) & (PAGE_SIZE - 1))) {
			err = BAD(name, "%s: VMA %zu: invalid shared memory reference", name, i);
			goto out;
		}
		v->shared_pid = p->shared_pid;
		v->shared_start = p->shared_start;
		v->shared_end = p->shared_end;
	}
	err = check_vmas(mm, name);
out:
	mm_entry__free_unpacked(m, NULL);
	return err;
}

static bool fd_present(const struct ckpt_task *t, int fd)
{
	size_t i;

	for (i = 0; i + 1 < t->n_fds; i++)
		if (t->fds[i].fd == fd && t->fds[i].dup_of < 0)
			return true;
	return false;
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
		struct ckpt_fd *f;

		err = ckpt_img_r_msg(&r, &fd_entry__descriptor, (ProtobufCMessage **)&e);
		if (err || !e)
			break;
		if (e->fd < 0 || e->fd >= MAX_FD || (int)e->kind < CKPT_FD_REG || (int)e->kind > CKPT_FD_MEMFD ||
		    (t->n_fds && e->fd <= t->fds[t->n_fds - 1].fd)) {
			err = BAD(name, "%s: fd entry %zu: fd %d is invalid, duplicate or out of order",
				  name, t->n_fds, e->fd);
			fd_entry__free_unpacked(e, NULL);
			break;
		}
		err = ckpt_grow((void **)&t->fds, &cap, t->n_fds + 1, sizeof(*t->fds));
		if (err) {
			fd_entry__free_unpacked(e, NULL);
			break;
		}
		f = &t->fds[t->n_fds++];
		f->fd = e->fd;
		f->kind = e->kind;
		f->fd_flags = e->fd_flags;
		f->flags = e->flags;
		f->pos = e->pos;
		f->rdev = e->rdev;
		f->dup_of = e->has_dup_of ? e->dup_of : -1;
		f->parent_fd = e->has_parent_fd ? e->parent_fd : -1;
		if (f->parent_fd < -1 || f->parent_fd >= MAX_FD) {
			err = BAD(name, "%s: fd %d: invalid parent fd", name, f->fd);
			fd_entry__free_unpacked(e, NULL);
			break;
		}
		f->eventfd_count = e->eventfd_count;
		f->seals = e->seals;
		if (e->data.len) {
			f->data = malloc(e->data.len);
			if (!f->data) {
				err = -ENOMEM;
				fd_entry__free_unpacked(e, NULL);
				break;
			}
			memcpy(f->data, e->data.data, e->data.len);
			f->data_len = e->data.len;
		}
		f->eventfd_semaphore = e->eventfd_semaphore;
		if (f->dup_of >= f->fd || (f->dup_of >= 0 && !fd_present(t, f->dup_of))) {
			err = BAD(name, "%s: fd %d shares an fd that is not before it", name, f->fd);
			fd_entry__free_unpacked(e, NULL);
			break;
		}
		file_id_from_pb(&f->file, e->file);
		err = str_copy(&f->path, e->path, name, "fd path", (int)e->kind == CKPT_FD_REG);
		if (!err && f->kind == CKPT_FD_REG && f->path[0] != '/')
			err = BAD(name, "%s: fd %d: path is not absolute", name, f->fd);
		fd_entry__free_unpacked(e, NULL);
		if (err)
			break;
	}
	ckpt_img_r_close(&r);
	return err;
}

static int read_pagemap(int dirfd, pid_t pid, struct ckpt_mm *mm)
{
	struct ckpt_img_r r;
	size_t cap = 0, vi = 0;
	char name[64];
	int err;

	snprintf(name, sizeof(name), "pagemap-%d.img", pid);
	err = ckpt_img_r_open(dirfd, name, CKPT_MAGIC_PAGEMAP, &r);
	if (err)
		return err;
	for (;;) {
		PagemapEntry *e = NULL;
		struct ckpt_pagemap_entry *p;
		uint64_t end;

		err = ckpt_img_r_msg(&r, &pagemap_entry__descriptor, (ProtobufCMessage **)&e);
		if (err || !e)
			break;
		end = e->vaddr + e->nr_pages * PAGE_SIZE;
		while (vi < mm->n_vmas && mm->vmas[vi].end <= e->vaddr)
			vi++;
		if (!e->nr_pages || e->nr_pages > (TASK_SIZE >> 12) || (e->vaddr | e->offset) & (PAGE_SIZE - 1) ||
		    e->offset < CKPT_PAGES_HDR_SIZE || e->offset > (1ULL << 52) || end <= e->vaddr ||
		    vi == mm->n_vmas || mm->vmas[vi].start > e->vaddr || end > mm->vmas[vi].end ||
		    (mm->n_pagemap && e->vaddr < mm->pagemap[mm->n_pagemap - 1].vaddr +
						     mm->pagemap[mm->n_pagemap - 1].nr_pages * PAGE_SIZE)) {
			err = BAD(name, "%s: entry %zu (%" PRIx64 ", %" PRIu64 " pages) is outside its "
				  "VMA, unaligned or out of order", name, mm->n_pagemap, e->vaddr,
				  e->nr_pages);
			pagemap_entry__free_unpacked(e, NULL);
			break;
		}
		err = ckpt_grow((void **)&mm->pagemap, &cap, mm->n_pagemap + 1, sizeof(*p));
		if (!err) {
			p = &mm->pagemap[mm->n_pagemap++];
			p->vaddr = e->vaddr;
			p->nr_pages = e->nr_pages;
			p->offset = e->offset;
			mm->nr_pages += e->nr_pages;
		}
		pagemap_entry__free_unpacked(e, NULL);
		if (err)
			break;
	}
	ckpt_img_r_close(&r);
	return err;
}

int ckpt_img_read_task(int dirfd, pid_t pid, struct ckpt_task *ret)
{
	struct ckpt_task t = { 0 };
	int err;

	err = read_core(dirfd, pid, &t);
	if (!err && t.zombie) {
		*ret = t;
		return 0;
	}
	if (!err)
		err = read_mm(dirfd, pid, &t.mm);
	if (!err)
		err = read_files(dirfd, pid, &t);
	if (!err)
		err = read_pagemap(dirfd, pid, &t.mm);
	if (err) {
		ckpt_task_free(&t);
		return err;
	}
	*ret = t;
	return 0;
}

/* ---- pipes ----------------------------------------------------------- */

#define MAX_PIPE_SIZE (1u << 20) /* /proc/sys/fs/pipe-max-size default */

int ckpt_img_write_pipes(int dirfd, const struct ckpt_pipe *pipes, size_t n)
{
	struct ckpt_img_w w;
	size_t i;
	int err;

	err = ckpt_img_w_open(dirfd, "pipes.img", CKPT_MAGIC_PIPES, &w);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++) {
		PipeEntry e = PIPE_ENTRY__INIT;

		e.ino = pipes[i].ino;
		e.size = pipes[i].size;
		e.has_data = true;
		e.data.data = pipes[i].data;
		e.data.len = pipes[i].len;
		err = ckpt_img_w_msg(&w, &e.base);
	}
	if (err) {
		ckpt_img_w_abort(&w);
		return err;
	}
	return ckpt_img_w_close(&w);
}

void ckpt_pipes_free(struct ckpt_pipe *pipes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(pipes[i].data);
	free(pipes);
}

int ckpt_img_read_pipes(int dirfd, struct ckpt_pipe **ret, size_t *ret_n)
{
	struct ckpt_pipe *p = NULL;
	struct ckpt_img_r r;
	size_t n = 0, cap = 0, i;
	int err;

	err = ckpt_img_r_open(dirfd, "pipes.img", CKPT_MAGIC_PIPES, &r);
	if (err)
		return err;
	for (;;) {
		PipeEntry *e = NULL;

		err = ckpt_img_r_msg(&r, &pipe_entry__descriptor, (ProtobufCMessage **)&e);
		if (err || !e)
			break;
		for (i = 0; i < n && p[i].ino != e->ino; i++)
			;
		if (i < n || e->size > MAX_PIPE_SIZE || e->data.len > e->size) {
			err = BAD(0, "pipes.img: pipe %zu is repeated or larger than its capacity", n);
			pipe_entry__free_unpacked(e, NULL);
			break;
		}
		err = ckpt_grow((void **)&p, &cap, n + 1, sizeof(*p));
		if (!err) {
			p[n].ino = e->ino;
			p[n].size = e->size;
			p[n].len = e->data.len;
			p[n].data = malloc(MAX(e->data.len, 1));
			if (!p[n].data)
				err = -ENOMEM;
			else
				memcpy(p[n].data, e->data.data, e->data.len);
			n++;
		}
		pipe_entry__free_unpacked(e, NULL);
		if (err)
			break;
	}
	ckpt_img_r_close(&r);
	if (err) {
		ckpt_pipes_free(p, n);
		return err;
	}
	*ret = p;
	*ret_n = n;
	return 0;
}
