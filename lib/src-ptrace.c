// SPDX-License-Identifier: GPL-2.0
/* State source: ptrace, /proc, a few injected syscalls and PAGEMAP_SCAN. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "compat-pagemap.h"
#include "files.h"
#include "log.h"
#include "parasite.h"
#include "proc.h"
#include "ptrace.h"
#include "source.h"
#include "util.h"

struct ptrace_priv {
	int pagemap_fd;
};

static int src_open(struct ckpt_source *src)
{
	struct ptrace_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->pagemap_fd = openat(src->procfd, "pagemap", O_RDONLY | O_CLOEXEC);
	if (p->pagemap_fd < 0) {
		int err = -errno;

		pr_err("pid %d: cannot open its pagemap: %s", src->pid, strerror(errno));
		free(p);
		return err;
	}
	src->priv = p;
	return 0;
}

static void src_close(struct ckpt_source *src)
{
	struct ptrace_priv *p = src->priv;

	if (!p)
		return;
	close(p->pagemap_fd);
	free(p);
	src->priv = NULL;
}

/* sigaltstack and the clear_child_tid address of the (stopped, main) thread. */
static int parasite_thread(struct ckpt_parasite *par, struct ckpt_thread *th)
{
	struct {
		uint64_t sp;
		int32_t flags;
		uint32_t pad;
		uint64_t size;
	} ss;
	uint64_t tidaddr = 0;
	long r;
	int err;

	err = ckpt_parasite_syscall(par, SYS_sigaltstack, 0, par->scratch, 0, 0, &r);
	if (!err && r < 0)
		err = (int)r;
	if (!err)
		err = ckpt_vm_read(par->in.pid, par->scratch, &ss, sizeof(ss));
	if (err)
		return err;
	th->altstack_sp = ss.sp;
	th->altstack_size = ss.size;
	th->altstack_flags = ss.flags & ~SS_ONSTACK;
	err = ckpt_parasite_syscall(par, SYS_prctl, PR_GET_TID_ADDRESS, par->scratch, 0, 0, &r);
	if (!err && r < 0)
		err = (int)r;
	if (!err)
		err = ckpt_vm_read(par->in.pid, par->scratch, &tidaddr, sizeof(tidaddr));
	th->clear_child_tid = tidaddr;
	return err;
}

/* POSIX timers: ids and notification from /proc, the time left from timer_gettime. */
static int parasite_timers(struct ckpt_source *src, struct ckpt_parasite *par, struct ckpt_task *t)
{
	char *buf;
	size_t i;
	long r;
	int err;

	err = ckpt_read_file(src->procfd, "timers", &buf, NULL);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	err = ckpt_proc_parse_timers(buf, &t->timers, &t->n_timers);
	free(buf);
	for (i = 0; !err && i < t->n_timers; i++) {
		struct ckpt_posix_timer *pt = &t->timers[i];
		int64_t its[4]; /* interval sec, nsec, value sec, nsec */

		err = ckpt_parasite_syscall(par, SYS_timer_gettime, pt->id, par->scratch, 0, 0, &r);
		if (!err && r < 0)
			err = (int)r;
		if (!err)
			err = ckpt_vm_read(src->pid, par->scratch, its, sizeof(its));
		if (!err) {
			pt->interval_ns = its[0] * 1000000000ULL + its[1];
			pt->value_ns = its[2] * 1000000000ULL + its[3];
		}
	}
	return err;
}

/*
 * Signals whose action is not the default (SigCgt | SigIgn of
 * /proc/PID/status), and SIGCHLD, whose SA_NOCLDSTOP/SA_NOCLDWAIT matter
 * even with SIG_DFL: the others are SIG_DFL, and their flags and mask do
 * nothing, so they are not asked (one injected syscall each).
 */
static int signals_set(pid_t pid, int procfd, uint64_t *ret)
{
	static const char *const keys[] = { "\nSigIgn:", "\nSigCgt:" };
	uint64_t set = 1ULL << (SIGCHLD - 1);
	char *buf, *p;
	size_t i;
	int err;

	err = ckpt_read_file(procfd, "status", &buf, NULL);
	if (err) {
		pr_err("pid %d: cannot read its status: %s", pid, strerror(-err));
		return err;
	}
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		p = strstr(buf, keys[i]);
		if (!p) {
			set = ~0ULL;
			break;
		}
		set |= strtoull(p + strlen(keys[i]), NULL, 16);
	}
	free(buf);
	*ret = set;
	return 0;
}

/* Signal handlers and securebits: only the task itself can tell. */
static int parasite_collect(struct ckpt_source *src, struct ckpt_task *t, uint64_t *ret_brk)
{
	struct ckpt_parasite par;
	int sig, err;
	uint64_t asked;
	size_t i;
	long r;

	err = signals_set(src->pid, src->procfd, &asked);
	if (!err)
		err = ckpt_parasite_start(&par, src->pid, src->procfd);
	if (err)
		return err;
	for (sig = 1; sig <= CKPT_NSIG; sig++) {
		struct ckpt_sigaction *sa = &t->sigactions[sig - 1];

		if (sig == SIGKILL || sig == SIGSTOP || !(asked & (1ULL << (sig - 1)))) {
			memset(sa, 0, sizeof(*sa)); /* SIG_DFL */
			continue;
		}
		err = ckpt_parasite_syscall(&par, SYS_rt_sigaction, sig, 0, par.scratch, 8, &r);
		if (!err && r < 0)
			err = (int)r;
		if (!err)
			err = ckpt_vm_read(src->pid, par.scratch, sa, sizeof(*sa));
		if (err) {
			pr_err("pid %d: cannot read the handler of signal %d: %s", src->pid, sig,
			       strerror(-err));
			goto out;
		}
	}
	err = ckpt_parasite_syscall(&par, SYS_prctl, PR_GET_SECUREBITS, 0, 0, 0, &r);
	if (!err && r < 0)
		err = (int)r;
	if (!err) {
		t->creds.securebits = r;
		err = ckpt_parasite_syscall(&par, SYS_prctl, PR_GET_CHILD_SUBREAPER, par.scratch, 0,
					    0, &r);
	}
	if (!err && r < 0)
		err = (int)r;
	if (!err) {
		int32_t on = 0;

		err = ckpt_vm_read(src->pid, par.scratch, &on, sizeof(on));
		t->subreaper = on;
	}
	if (!err)
		err = ckpt_parasite_syscall(&par, SYS_brk, 0, 0, 0, 0, &r);
	if (!err && r < 0 && r > -4096) /* brk cannot fail: a failed injection */
		err = (int)r;
	if (err) {
		pr_err("pid %d: cannot read its securebits, subreaper flag or brk: %s", src->pid,
		       strerror(-err));
		goto out;
	}
	*ret_brk = r;
	for (sig = 0; !err && sig < 3; sig++) {
		struct { uint64_t is, ius, vs, vus; } itv; /* struct itimerval */

		err = ckpt_parasite_syscall(&par, SYS_getitimer, sig, par.scratch, 0, 0, &r);
		if (!err && r < 0)
			err = (int)r;
		if (!err)
			err = ckpt_vm_read(src->pid, par.scratch, &itv, sizeof(itv));
		if (!err) {
			t->itimers[sig].interval_us = itv.is * 1000000 + itv.ius;
			t->itimers[sig].value_us = itv.vs * 1000000 + itv.vus;
		}
	}
	if (err) {
		pr_err("pid %d: cannot read its interval timers: %s", src->pid, strerror(-err));
		goto out;
	}
	err = parasite_timers(src, &par, t);
	if (err)
		pr_err("pid %d: cannot read its POSIX timers: %s", src->pid, strerror(-err));
	for (i = 0; !err && i < t->n_threads; i++) {
		struct ckpt_parasite tp;

		if (i == 0) {
			err = parasite_thread(&par, &t->threads[0]);
		} else {
			err = ckpt_parasite_enter_thread(&par, t->threads[i].tid, &tp);
			if (!err) {
				err = parasite_thread(&tp, &t->threads[i]);
				if (err)
					pr_err("pid %d: thread %d: cannot read its state: %s", src->pid,
					       t->threads[i].tid, strerror(-err));
				err = ckpt_parasite_stop(&tp, err); /* it says its own error */
				continue;
			}
		}
		if (err)
			pr_err("pid %d: thread %d: cannot read its state: %s", src->pid,
			       t->threads[i].tid, strerror(-err));
	}
out:
	return ckpt_parasite_stop(&par, err);
}

static int src_task(struct ckpt_source *src, struct ckpt_task *t)
{
	struct ckpt_proc_stat st;
	char *buf = NULL;
	uint64_t brk = 0;
	int i, err;

	err = ckpt_proc_stat(src->procfd, &st);
	if (err)
		goto fail;
	t->pid = src->pid;
	t->ppid = st.ppid;
	t->pgid = st.pgid;
	t->sid = st.sid;
	memcpy(t->comm, st.comm, sizeof(t->comm));
	err = ckpt_proc_status(src->procfd, t);
	if (err)
		goto fail;
	for (i = 0; i < CKPT_NRLIMITS; i++) {
		struct rlimit rl;

		if (prlimit(src->pid, i, NULL, &rl)) {
			err = -errno;
			goto fail;
		}
		t->rlimits[i].cur = rl.rlim_cur;
		t->rlimits[i].max = rl.rlim_max;
	}
	err = ckpt_read_file(src->procfd, "personality", &buf, NULL);
	if (err)
		goto fail;
	t->personality = strtoul(buf, NULL, 16);
	free(buf);
	err = ckpt_readlink(src->procfd, "cwd", &t->cwd);
	if (!err)
		err = ckpt_readlink(src->procfd, "root", &t->root);
	if (err)
		goto fail;
	err = parasite_collect(src, t, &brk);
	if (err)
		return err;
	t->mm.brk = brk;
	/*
	 * Pending signals after the timers: a timer that fired in between
	 * shows as disarmed, and its signal must then be in the queue.
	 */
	err = ckpt_ptrace_get_shared_pending(src->pid, &t->shared_pending);
	for (i = 0; !err && (size_t)i < t->n_threads; i++) {
		free(t->threads[i].pending.info);
		memset(&t->threads[i].pending, 0, sizeof(t->threads[i].pending));
		err = ckpt_ptrace_get_thread_pending(t->threads[i].tid, &t->threads[i].pending);
	}
	if (err)
		goto fail;
	return 0;
fail:
	pr_err("pid %d: cannot read its state: %s", src->pid, strerror(-err));
	return err;
}

static int src_thread(struct ckpt_source *src, pid_t tid, struct ckpt_thread *th)
{
	int err;

	err = ckpt_ptrace_get_thread(tid, th);
	if (err) {
		pr_err("pid %d: cannot read the registers of thread %d: %s", src->pid, tid,
		       strerror(-err));
		return err;
	}
	return ckpt_src_ptrace_thread_misc(src, tid, th);
}

int ckpt_src_ptrace_thread_misc(struct ckpt_source *src, pid_t tid, struct ckpt_thread *th)
{
	char path[64], *comm;
	uint64_t head = 0;
	size_t len = 0;
	int err;

	if (syscall(SYS_get_robust_list, tid, &head, &len)) {
		err = -errno;
		pr_err("pid %d: thread %d: get_robust_list: %s", src->pid, tid, strerror(errno));
		return err;
	}
	th->robust_list = head;
	th->robust_len = len;
	snprintf(path, sizeof(path), "task/%d/comm", tid);
	err = ckpt_read_file(src->procfd, path, &comm, NULL);
	if (err) {
		pr_err("pid %d: thread %d: cannot read its name: %s", src->pid, tid, strerror(-err));
		return err;
	}
	comm[strcspn(comm, "\n")] = '\0';
	snprintf(th->comm, sizeof(th->comm), "%s", comm);
	free(comm);
	return 0;
}

static int vma_check_deleted(struct ckpt_source *src, const struct ckpt_vma *v)
{
	size_t l = strlen(v->path);

	if (l > 10 && !strcmp(v->path + l - 10, " (deleted)")) {
		pr_err("pid %d: mapping %" PRIx64 "-%" PRIx64 ": file %s was deleted (not supported yet)",
		       src->pid, v->start, v->end, v->path);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int vma_file_id(struct ckpt_source *src, struct ckpt_vma *v)
{
	int err = vma_check_deleted(src, v);
	char mf[64];
	struct stat st;

	if (err)
		return err;
	snprintf(mf, sizeof(mf), "map_files/%" PRIx64 "-%" PRIx64, v->start, v->end);
	if (fstatat(src->procfd, mf, &st, 0) && stat(v->path, &st)) {
		err = -errno;

		pr_err("pid %d: mapping %" PRIx64 "-%" PRIx64 ": cannot stat %s: %s", src->pid,
		       v->start, v->end, v->path, strerror(errno));
		return err;
	}
	ckpt_file_id_set(&v->file, &st);
	return 0;
}

/* The segment behind a SysV shm VMA: its shmem inode number is the shmid. */
static int sysv_shm_read(struct ckpt_source *src, struct ckpt_vma *v)
{
	struct shmid_ds ds;
	struct stat st;
	char mf[64];

	snprintf(mf, sizeof(mf), "map_files/%" PRIx64 "-%" PRIx64, v->start, v->end);
	if (fstatat(src->procfd, mf, &st, 0) || shmctl((int)st.st_ino, IPC_STAT, &ds)) {
		int err = -errno;

		pr_err("pid %d: mapping %" PRIx64 "-%" PRIx64 ": cannot read SysV segment %s: %s",
		       src->pid, v->start, v->end, v->name, strerror(errno));
		return err;
	}
	/* A deleted file that merely has such a name is no segment. */
	if (major(st.st_dev) || (uint64_t)st.st_size != ds.shm_segsz) {
		pr_err("pid %d: mapping %" PRIx64 "-%" PRIx64 ": %s is not a SysV segment (a deleted "
		       "file?); not supported", src->pid, v->start, v->end, v->name);
		return -EOPNOTSUPP;
	}
	ckpt_file_id_set(&v->file, &st);
	v->shm.id = (int32_t)st.st_ino;
	v->shm.key = ds.shm_perm.__key;
	v->shm.size = ds.shm_segsz;
	v->shm.mode = ds.shm_perm.mode & 07777;
	v->shm.uid = ds.shm_perm.uid;
	v->shm.gid = ds.shm_perm.gid;
	return 0;
}

/*
 * A SysV attach is restored with shmat(), which maps the whole segment: each
 * attach must be one VMA at offset 0, or contiguous VMAs (mprotect splits
 * them) covering the segment.
 */
static int sysv_shm_check(struct ckpt_source *src, const struct ckpt_mm *mm)
{
	size_t i, j;

	for (i = 0; i < mm->n_vmas; i = j) {
		const struct ckpt_vma *v = &mm->vmas[i];
		uint64_t len = (v->shm.size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

		j = i + 1;
		if (v->kind != CKPT_VMA_SYSVSHM)
			continue;
		while (j < mm->n_vmas && mm->vmas[j].kind == CKPT_VMA_SYSVSHM &&
		       mm->vmas[j].shm.id == v->shm.id && mm->vmas[j].start == mm->vmas[j - 1].end &&
		       mm->vmas[j].pgoff == v->pgoff + (mm->vmas[j].start - v->start))
			j++;
		if (v->pgoff || mm->vmas[j - 1].end - v->start != len) {
			pr_err("pid %d: mapping %" PRIx64 "-%" PRIx64 ": only part of SysV segment %d "
			       "is attached (partly unmapped?); not supported", src->pid, v->start,
			       mm->vmas[j - 1].end, v->shm.id);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/*
 * Checks and identities of VMAs read from smaps or from the module
 * (have_ids: their files' identities are filled in already).
 */
int ckpt_src_ptrace_vmas_finish(struct ckpt_source *src, struct ckpt_mm *mm, bool have_ids)
{
	size_t i;
	int err;

	for (i = 0; i < mm->n_vmas; i++) {
		struct ckpt_vma *v = &mm->vmas[i];

		if (v->kind == CKPT_VMA_SHANON && v->name && v->name[0] == '/' &&
		    strcmp(v->name, "/dev/zero (deleted)")) {
			pr_err("pid %d: mapping %" PRIx64 "-%" PRIx64 ": %s: unsupported shared memory",
			       src->pid, v->start, v->end, v->name);
			return -EOPNOTSUPP;
		}
		if (v->kind == CKPT_VMA_SYSVSHM) {
			err = sysv_shm_read(src, v);
			if (err)
				return err;
		} else if (v->path) {
			err = have_ids ? vma_check_deleted(src, v) : vma_file_id(src, v);
			if (err)
				return err;
		} else if (v->kind == CKPT_VMA_SHANON || v->kind == CKPT_VMA_MEMFD) {
			char mf[64];
			struct stat st;

			/* Its shmem identity, to find memory shared with another task or an fd. */
			snprintf(mf, sizeof(mf), "map_files/%" PRIx64 "-%" PRIx64, v->start, v->end);
			if (!fstatat(src->procfd, mf, &st, 0)) {
				ckpt_file_id_set(&v->file, &st);
			} else if (v->kind == CKPT_VMA_MEMFD) {
				err = -errno;
				pr_err("pid %d: mapping %" PRIx64 "-%" PRIx64 ": cannot stat %s: %s",
				       src->pid, v->start, v->end, v->name, strerror(errno));
				return err;
			}
		}
	}
	return sysv_shm_check(src, mm);
}

static int src_mm(struct ckpt_source *src, struct ckpt_mm *mm)
{
	struct ckpt_proc_stat st;
	struct stat est;
	int err;

	err = ckpt_proc_vmas(src->procfd, mm);
	if (err == -EOPNOTSUPP) {
		struct ckpt_vma *v = &mm->vmas[mm->n_vmas - 1];

		pr_err("pid %d: mapping %" PRIx64 "-%" PRIx64 " %s: unsupported kind", src->pid,
		       v->start, v->end, v->name ? v->name : "");
		return err;
	}
	if (err)
		goto fail;
	err = ckpt_src_ptrace_vmas_finish(src, mm, false);
	if (err)
		return err;
	err = ckpt_proc_stat(src->procfd, &st);
	if (err)
		goto fail;
	mm->start_code = st.start_code;
	mm->end_code = st.end_code;
	mm->start_data = st.start_data;
	mm->end_data = st.end_data;
	mm->start_brk = st.start_brk;
	mm->start_stack = st.start_stack;
	mm->arg_start = st.arg_start;
	mm->arg_end = st.arg_end;
	mm->env_start = st.env_start;
	mm->env_end = st.env_end;
	err = ckpt_proc_auxv(src->procfd, mm);
	if (err)
		goto fail;
	err = ckpt_readlink(src->procfd, "exe", &mm->exe_path);
	if (err)
		goto fail;
	if (fstatat(src->procfd, "exe", &est, 0)) {
		err = -errno;
		goto fail;
	}
	ckpt_file_id_set(&mm->exe, &est);
	return 0;
fail:
	pr_err("pid %d: cannot read its memory layout: %s", src->pid, strerror(-err));
	return err;
}

static int src_fds(struct ckpt_source *src, struct ckpt_task *t)
{
	return ckpt_files_collect(src->pid, src->procfd, src->shell_job, t);
}

/*
 * Shared anonymous memory: the pages of the object, wherever they are mapped
 * (another process may have written pages this one never touched), found
 * with SEEK_DATA/SEEK_HOLE on the object itself.
 */
int ckpt_src_ptrace_scan_shmem(struct ckpt_source *src, const struct ckpt_vma *v,
			       struct ckpt_range **ret, size_t *ret_n)
{
	off_t lo = v->pgoff, hi = v->pgoff + (v->end - v->start), pos = lo;
	struct ckpt_range *out = *ret;
	size_t n = *ret_n, cap = n;
	char mf[64];
	int fd, err = 0;

	snprintf(mf, sizeof(mf), "map_files/%" PRIx64 "-%" PRIx64, v->start, v->end);
	fd = openat(src->procfd, mf, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno; /* caller falls back to the page tables */
	while (pos < hi) {
		off_t d = lseek(fd, pos, SEEK_DATA), h;

		if (d < 0 || d >= hi)
			break;
		h = lseek(fd, d, SEEK_HOLE);
		/* The object's end may not be a page multiple (a SysV segment): round up. */
		h = (h + PAGE_SIZE - 1) & ~(off_t)(PAGE_SIZE - 1);
		d &= ~(off_t)(PAGE_SIZE - 1);
		if (h < 0 || h > hi)
			h = hi;
		err = ckpt_grow((void **)&out, &cap, n + 1, sizeof(*out));
		if (err)
			break;
		out[n].start = v->start + (d - lo);
		out[n].end = v->start + (h - lo);
		n++;
		pos = h;
	}
	close(fd);
	*ret = out;
	*ret_n = n;
	return err;
}

/*
 * The PFN of the shared zero page, from ckpt's own pagemap (0: unknown,
 * PFNs are hidden without CAP_SYS_ADMIN; zero pages are then saved).
 */
static uint64_t zero_pfn(void)
{
	static uint64_t pfn = UINT64_MAX;
	uint64_t e = 0;
	volatile char *m;
	int fd;

	if (pfn != UINT64_MAX)
		return pfn;
	pfn = 0;
	m = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 0;
	(void)m[0]; /* maps the zero page */
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && pread(fd, &e, sizeof(e), (uintptr_t)m / PAGE_SIZE * 8) == sizeof(e) &&
	    (e >> 63))
		pfn = e & ((1ULL << 55) - 1);
	if (fd >= 0)
		close(fd);
	munmap((void *)m, PAGE_SIZE);
	return pfn;
}

/*
 * Kernels before 6.7 have no PAGEMAP_SCAN: the same selection from
 * /proc/PID/pagemap entries (bit 63 present, 62 swapped, 61 page cache or
 * shared, PFN in bits 0-54), read in large preads.
 */
static int scan_pagemap_read(struct ckpt_source *src, const struct ckpt_vma *v,
			     struct ckpt_range **ret, size_t *ret_n)
{
	struct ptrace_priv *p = src->priv;
	enum { CHUNK = 65536 }; /* entries per pread: 256 MiB of address space */
	struct ckpt_range *out = *ret;
	size_t n = *ret_n, cap = n;
	uint64_t zpfn = zero_pfn(), addr = v->start, *ent;
	int err = 0;

	ent = malloc(MIN((v->end - v->start) / PAGE_SIZE, (uint64_t)CHUNK) * sizeof(*ent));
	if (!ent)
		return -ENOMEM;
	while (addr < v->end && !err) {
		size_t want = MIN((v->end - addr) / PAGE_SIZE, (uint64_t)CHUNK), i;
		ssize_t got = ckpt_pread_all(p->pagemap_fd, ent, want * sizeof(*ent),
					     addr / PAGE_SIZE * sizeof(*ent));

		if (got <= 0) {
			err = got < 0 ? (int)got : -EIO;
			pr_err("pid %d: /proc/PID/pagemap %" PRIx64 "-%" PRIx64 ": %s", src->pid,
			       v->start, v->end, strerror(-err));
			break;
		}
		for (i = 0; i < (size_t)got / sizeof(*ent); i++, addr += PAGE_SIZE) {
			uint64_t e = ent[i];

			if (!(e >> 62))
				continue; /* neither present nor swapped */
			if ((e >> 63) && zpfn && (e & ((1ULL << 55) - 1)) == zpfn)
				continue;
			if (v->kind == CKPT_VMA_FILE_PRIVATE && ((e >> 61) & 1))
				continue; /* not copied on write */
			if (n && out[n - 1].end == addr) {
				out[n - 1].end = addr + PAGE_SIZE;
				continue;
			}
			err = ckpt_grow((void **)&out, &cap, n + 1, sizeof(*out));
			if (err)
				break;
			out[n].start = addr;
			out[n].end = addr + PAGE_SIZE;
			n++;
		}
	}
	free(ent);
	*ret = out;
	*ret_n = n;
	return err;
}

static int src_scan_pages(struct ckpt_source *src, const struct ckpt_vma *v,
			  struct ckpt_range **ret, size_t *ret_n)
{
	struct ptrace_priv *p = src->priv;
	struct page_region regs[512];
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = v->start,
		.end = v->end,
		.vec = (uintptr_t)regs,
		.vec_len = ARRAY_SIZE(regs),
		.category_inverted = PAGE_IS_PFNZERO,
		.category_mask = PAGE_IS_PFNZERO,
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
	};
	struct ckpt_range *out = *ret;
	size_t n = *ret_n, cap = n;
	int err;

	if ((v->kind == CKPT_VMA_SHANON || v->kind == CKPT_VMA_SYSVSHM ||
	     v->kind == CKPT_VMA_MEMFD) && !ckpt_src_ptrace_scan_shmem(src, v, ret, ret_n))
		return 0;
	if (v->kind == CKPT_VMA_FILE_PRIVATE) {
		/* Only pages copied on write differ from the file. */
		arg.category_inverted |= PAGE_IS_FILE;
		arg.category_mask |= PAGE_IS_FILE;
	}
	while (arg.start < v->end) {
		long i, got = ioctl(p->pagemap_fd, PAGEMAP_SCAN, &arg);

		if (got < 0 && (errno == ENOTTY || errno == EINVAL) && arg.start == v->start)
			return scan_pagemap_read(src, v, ret, ret_n);
		if (got < 0) {
			err = -errno;
			pr_err("pid %d: PAGEMAP_SCAN %" PRIx64 "-%" PRIx64 ": %s", src->pid, v->start,
			       v->end, strerror(errno));
			return err;
		}
		for (i = 0; i < got; i++) {
			if (n && out[n - 1].end == regs[i].start) {
				out[n - 1].end = regs[i].end;
				continue;
			}
			err = ckpt_grow((void **)&out, &cap, n + 1, sizeof(*out));
			if (err)
				return err;
			*ret = out;
			out[n].start = regs[i].start;
			out[n].end = regs[i].end;
			n++;
		}
		*ret_n = n;
		if (arg.walk_end <= arg.start)
			break;
		arg.start = arg.walk_end;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

const struct ckpt_source_ops ckpt_src_ptrace = {
	.name = "ptrace",
	.open = src_open,
	.task = src_task,
	.thread = src_thread,
	.mm = src_mm,
	.fds = src_fds,
	.scan_pages = src_scan_pages,
	.close = src_close,
};
