// SPDX-License-Identifier: GPL-2.0
/*
 * State source: the ckpt kernel module (kmod/, lib/kmod.c).  The module
 * reads ids, credentials and the thread list, registers and xstate, the
 * memory layout with file identities, the fd table and page presence; this
 * file turns its answers into the same structures src-ptrace.c fills.  What
 * the module does not read (signal handlers, timers, rlimits... through the
 * parasite and /proc; signal queues, rseq through ptrace; fdinfo-only state)
 * comes from the ptrace source's pieces, so everything above is shared.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ckpt.h"
#include "files.h"
#include "kmod.h"
#include "log.h"
#include "proc.h"
#include "ptrace.h"
#include "source.h"
#include "util.h"

struct kmod_priv {
	struct ckpt_kmod *k;
	/* Page runs of the whole address space, read once (one dump, not one per VMA). */
	struct ckpt_genl_page_run *runs;
	size_t n_runs, cursor;
	uint64_t last_start; /* of the previous VMA asked about */
	bool have_runs;
};

#define USER_END 0x7ffffffff000ULL /* the end of user space with 4-level page tables */

static struct ckpt_kmod *kmod_of(struct ckpt_source *src)
{
	return ((struct kmod_priv *)src->priv)->k;
}

int ckpt_source_select(int backend, const struct ckpt_source_ops **ret)
{
	uint32_t version;
	int err;

	if (backend == CKPT_BACKEND_PTRACE) {
		*ret = &ckpt_src_ptrace;
		return 0;
	}
	err = ckpt_kmod_probe(&version);
	if (backend == CKPT_BACKEND_AUTO) {
		if (!err && version != CKPT_GENL_VERSION) {
			pr_warn("the ckpt kernel module speaks protocol version %u, this ckpt needs "
				"%u: using the ptrace backend", version, CKPT_GENL_VERSION);
			err = -EPROTO;
		}
		*ret = err ? &ckpt_src_ptrace : &ckpt_src_kmod;
		pr_info("state source: %s", (*ret)->name);
		return 0;
	}
	if (err == -ENOENT) {
		pr_err("--backend kmod: the ckpt kernel module is not loaded (no generic netlink "
		       "family \"%s\"; insmod ckpt.ko)", CKPT_GENL_NAME);
		return err;
	}
	if (err) {
		pr_err("--backend kmod: cannot query generic netlink: %s", strerror(-err));
		return err;
	}
	*ret = &ckpt_src_kmod;
	return 0;
}

static int src_open(struct ckpt_source *src)
{
	struct kmod_priv *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	err = ckpt_kmod_open(&p->k);
	if (err == -ENOENT)
		pr_err("pid %d: the ckpt kernel module went away", src->pid);
	if (err) {
		free(p);
		return err;
	}
	src->priv = p;
	return 0;
}

static void src_close(struct ckpt_source *src)
{
	struct kmod_priv *p = src->priv;

	if (!p)
		return;
	ckpt_kmod_close(p->k);
	free(p->runs);
	free(p);
	src->priv = NULL;
}

static int src_task(struct ckpt_source *src, struct ckpt_task *t)
{
	struct ckpt_kmod_task kt;
	size_t i, j;
	int err;

	/* rlimits, personality, cwd/root, caps, handlers, timers, pending signals */
	err = ckpt_src_ptrace.task(src, t);
	if (err)
		return err;
	err = ckpt_kmod_task(kmod_of(src), src->pid, &kt);
	if (err)
		return err;
	t->pid = kt.pid;
	t->ppid = kt.ppid;
	t->pgid = kt.pgid;
	t->sid = kt.sid;
	memcpy(t->comm, kt.comm, sizeof(t->comm));
	t->creds.uid = kt.uid;
	t->creds.euid = kt.euid;
	t->creds.suid = kt.suid;
	t->creds.fsuid = kt.fsuid;
	t->creds.gid = kt.gid;
	t->creds.egid = kt.egid;
	t->creds.sgid = kt.sgid;
	t->creds.fsgid = kt.fsgid;
	/* The threads the module lists must be the ones frozen. */
	err = kt.n_tids == t->n_threads ? 0 : -EAGAIN;
	for (i = 0; !err && i < kt.n_tids; i++) {
		for (j = 0; j < t->n_threads && t->threads[j].tid != kt.tids[i]; j++)
			;
		if (j == t->n_threads)
			err = -EAGAIN;
	}
	if (err)
		pr_err("pid %d: the module lists %zu threads, %zu were frozen", src->pid, kt.n_tids,
		       t->n_threads);
	free(kt.tids);
	return err;
}

static int src_thread(struct ckpt_source *src, pid_t tid, struct ckpt_thread *th)
{
	int err;

	err = ckpt_kmod_regs(kmod_of(src), src->pid, tid, th);
	if (err)
		return err;
	err = ckpt_ptrace_get_thread_signals(tid, th);
	if (err) {
		pr_err("pid %d: cannot read the signal state of thread %d: %s", src->pid, tid,
		       strerror(-err));
		return err;
	}
	return ckpt_src_ptrace_thread_misc(src, tid, th);
}

static uint32_t vma_attrs(uint64_t f)
{
	static const struct {
		uint64_t vm;
		uint32_t attr;
	} map[] = {
		{ CKPT_VM_GROWSDOWN, CKPT_VMA_GROWSDOWN }, { CKPT_VM_DONTCOPY, CKPT_VMA_DONTFORK },
		{ CKPT_VM_WIPEONFORK, CKPT_VMA_WIPEONFORK }, { CKPT_VM_DONTDUMP, CKPT_VMA_DONTDUMP },
		{ CKPT_VM_HUGEPAGE, CKPT_VMA_HUGEPAGE }, { CKPT_VM_NOHUGEPAGE, CKPT_VMA_NOHUGEPAGE },
		{ CKPT_VM_LOCKED, CKPT_VMA_LOCKED },     { CKPT_VM_RAND_READ, CKPT_VMA_RANDREAD },
		{ CKPT_VM_SEQ_READ, CKPT_VMA_SEQREAD },  { CKPT_VM_MERGEABLE, CKPT_VMA_MERGEABLE },
		{ CKPT_VM_MAYWRITE, CKPT_VMA_MAYWRITE }, { CKPT_VM_ACCOUNT, CKPT_VMA_ACCOUNT },
	};
	uint32_t a = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (f & map[i].vm)
			a |= map[i].attr;
	return a;
}

/* The gate page ([vsyscall]) is no VMA of the task; it is the same in every 64-bit process. */
static int add_vsyscall(struct ckpt_mm *mm, size_t *cap)
{
	char *maps, *l;
	int err;

	if (ckpt_read_file(AT_FDCWD, "/proc/self/maps", &maps, NULL))
		return 0;
	l = strstr(maps, "[vsyscall]");
	err = 0;
	if (l) {
		unsigned long long s, e;
		char perms[5];

		while (l > maps && l[-1] != '\n')
			l--;
		if (sscanf(l, "%llx-%llx %4s", &s, &e, perms) == 3) {
			struct ckpt_vma *v;

			err = ckpt_grow((void **)&mm->vmas, cap, mm->n_vmas + 1, sizeof(*v));
			if (!err) {
				v = &mm->vmas[mm->n_vmas++];
				memset(v, 0, sizeof(*v));
				v->start = s;
				v->end = e;
				v->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[2] == 'x' ? PROT_EXEC : 0);
				v->kind = CKPT_VMA_VSYSCALL;
				v->name = strdup("[vsyscall]");
				err = v->name ? 0 : -ENOMEM;
			}
		}
	}
	free(maps);
	return err;
}

static int src_mm(struct ckpt_source *src, struct ckpt_mm *mm)
{
	struct ckpt_kmod_vma *kv = NULL;
	size_t i, n = 0, cap;
	int err;

	err = ckpt_kmod_mm(kmod_of(src), src->pid, mm);
	if (!err)
		err = ckpt_kmod_vmas(kmod_of(src), src->pid, &kv, &n);
	if (err)
		return err;
	mm->vmas = calloc(n + 1, sizeof(*mm->vmas));
	cap = n + 1;
	if (!mm->vmas) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct ckpt_vma *v = &mm->vmas[mm->n_vmas++];

		v->start = kv[i].start;
		v->end = kv[i].end;
		v->pgoff = kv[i].pgoff;
		v->prot = kv[i].prot;
		v->attrs = vma_attrs(kv[i].vm_flags);
		v->name = kv[i].name; /* taken over */
		kv[i].name = NULL;
		err = ckpt_proc_vma_classify(v, kv[i].vm_flags & CKPT_VM_MAYSHARE ? 's' : 'p',
					     v->name ? v->name : "");
		if (err == -EOPNOTSUPP) {
			pr_err("pid %d: mapping %" PRIx64 "-%" PRIx64 " %s: unsupported kind", src->pid,
			       v->start, v->end, v->name ? v->name : "");
			goto out;
		}
		if (err)
			goto out;
		if (kv[i].has_id)
			ckpt_file_id_set(&v->file, &kv[i].st);
	}
	err = add_vsyscall(mm, &cap);
	if (!err)
		err = ckpt_src_ptrace_vmas_finish(src, mm, true);
out:
	ckpt_kmod_vmas_free(kv, n);
	return err;
}

static int src_fds(struct ckpt_source *src, struct ckpt_task *t)
{
	struct ckpt_kmod_fd *kf = NULL;
	size_t i, n = 0;
	int err;

	err = ckpt_kmod_fds(kmod_of(src), src->pid, &kf, &n);
	if (err)
		return err;
	t->fds = calloc(n ? n : 1, sizeof(*t->fds));
	if (!t->fds) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n && !err; i++) {
		struct ckpt_fd *f = &t->fds[t->n_fds++];
		uint32_t flags = kf[i].flags | (kf[i].fd_flags ? O_CLOEXEC : 0); /* as fdinfo shows */

		f->fd = kf[i].fd;
		f->pos = kf[i].pos;
		f->fd_flags = (flags & O_CLOEXEC) ? FD_CLOEXEC : 0;
		f->flags = flags & ~O_CLOEXEC;
		if (!kf[i].path || !kf[i].has_id) {
			pr_err("pid %d fd %d: the module could not name or stat it", src->pid, f->fd);
			err = -EIO;
			break;
		}
		err = ckpt_fd_classify(src->pid, f, kf[i].path, &kf[i].st, src->shell_job);
	}
	if (!err)
		err = ckpt_files_finish(src->pid, src->procfd, t);
out:
	ckpt_kmod_fds_free(kf, n);
	return err;
}

static bool run_wanted(const struct ckpt_vma *v, uint32_t flags)
{
	if (!(flags & (CKPT_PAGE_PRESENT | CKPT_PAGE_SWAPPED)) || (flags & CKPT_PAGE_ZERO))
		return false;
	/* In a private file mapping only pages copied on write differ from the file. */
	return !(v->kind == CKPT_VMA_FILE_PRIVATE && (flags & CKPT_PAGE_FILE));
}

static int src_scan_pages(struct ckpt_source *src, const struct ckpt_vma *v,
			  struct ckpt_range **ret, size_t *ret_n)
{
	struct kmod_priv *p = src->priv;
	struct ckpt_range *out = *ret;
	size_t i, n = *ret_n, cap = n;
	int err = 0;

	if ((v->kind == CKPT_VMA_SHANON || v->kind == CKPT_VMA_SYSVSHM ||
	     v->kind == CKPT_VMA_MEMFD) && !ckpt_src_ptrace_scan_shmem(src, v, ret, ret_n))
		return 0;
	if (!p->have_runs) {
		/* VMAs come in address order: everything from the first one up. */
		err = ckpt_kmod_pages(p->k, src->pid, v->start, MAX(v->end, USER_END), &p->runs,
				      &p->n_runs);
		if (err)
			return err;
		p->have_runs = true;
	}
	if (v->start < p->last_start)
		p->cursor = 0; /* not in address order after all: search from the start */
	p->last_start = v->start;
	while (p->cursor < p->n_runs &&
	       p->runs[p->cursor].start + ((uint64_t)p->runs[p->cursor].nr_pages << 12) <= v->start)
		p->cursor++;
	for (i = p->cursor; !err && i < p->n_runs && p->runs[i].start < v->end; i++) {
		uint64_t s = MAX(p->runs[i].start, v->start);
		uint64_t e = MIN(p->runs[i].start + ((uint64_t)p->runs[i].nr_pages << 12), v->end);

		if (!run_wanted(v, p->runs[i].flags))
			continue;
		if (n && out[n - 1].end == s) {
			out[n - 1].end = e;
			continue;
		}
		err = ckpt_grow((void **)&out, &cap, n + 1, sizeof(*out));
		if (err)
			break;
		out[n].start = s;
		out[n].end = e;
		n++;
	}
	*ret = out;
	*ret_n = n;
	return err;
}

const struct ckpt_source_ops ckpt_src_kmod = {
	.name = "kmod",
	.open = src_open,
	.task = src_task,
	.thread = src_thread,
	.mm = src_mm,
	.fds = src_fds,
	.scan_pages = src_scan_pages,
	.close = src_close,
};
