// SPDX-License-Identifier: GPL-2.0
/* ckpt show: decode every image of a directory, as text or JSON. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "img.h"
#include "log.h"
#include "print.h"
#include "util.h"

static const char *const vma_kinds[] = {
	[CKPT_VMA_ANON] = "anon", [CKPT_VMA_SHANON] = "shared_anon",
	[CKPT_VMA_FILE_PRIVATE] = "file_private", [CKPT_VMA_FILE_SHARED] = "file_shared",
	[CKPT_VMA_VDSO] = "vdso", [CKPT_VMA_VVAR] = "vvar",
	[CKPT_VMA_VVAR_VCLOCK] = "vvar_vclock", [CKPT_VMA_VSYSCALL] = "vsyscall",
};
static const char *const fd_kinds[] = {
	[CKPT_FD_REG] = "regular", [CKPT_FD_DEVNULL] = "devnull", [CKPT_FD_TTY] = "tty",
	[CKPT_FD_MEMDEV] = "memdev", [CKPT_FD_EVENTFD] = "eventfd", [CKPT_FD_PIPE] = "pipe",
	[CKPT_FD_MEMFD] = "memfd",
};

static void show_creds(struct ckpt_pr *p, const struct ckpt_creds *c)
{
	size_t i;

	ckpt_pr_obj_open(p, "creds");
	ckpt_pr_u64(p, "uid", c->uid);
	ckpt_pr_u64(p, "euid", c->euid);
	ckpt_pr_u64(p, "suid", c->suid);
	ckpt_pr_u64(p, "fsuid", c->fsuid);
	ckpt_pr_u64(p, "gid", c->gid);
	ckpt_pr_u64(p, "egid", c->egid);
	ckpt_pr_u64(p, "sgid", c->sgid);
	ckpt_pr_u64(p, "fsgid", c->fsgid);
	if (p->json || c->n_groups) {
		ckpt_pr_arr_open(p, "groups");
		for (i = 0; i < c->n_groups; i++)
			ckpt_pr_u64(p, NULL, c->groups[i]);
		ckpt_pr_arr_close(p);
	}
	ckpt_pr_hex(p, "cap_inh", c->cap_inh);
	ckpt_pr_hex(p, "cap_prm", c->cap_prm);
	ckpt_pr_hex(p, "cap_eff", c->cap_eff);
	ckpt_pr_hex(p, "cap_bnd", c->cap_bnd);
	ckpt_pr_hex(p, "cap_amb", c->cap_amb);
	ckpt_pr_hex(p, "securebits", c->securebits);
	ckpt_pr_bool(p, "no_new_privs", c->no_new_privs);
	ckpt_pr_obj_close(p);
}

static void show_sigq(struct ckpt_pr *p, const char *key, const struct ckpt_sigqueue *q)
{
	size_t i;

	if (!p->json && !q->n)
		return;
	ckpt_pr_arr_open(p, key);
	for (i = 0; i < q->n; i++) {
		int32_t v[4];

		memcpy(v, q->info[i].raw, sizeof(v));
		ckpt_pr_obj_open(p, NULL);
		ckpt_pr_i64(p, "signo", v[0]);
		ckpt_pr_i64(p, "code", v[2]);
		ckpt_pr_obj_close(p);
	}
	ckpt_pr_arr_close(p);
}

static void show_regs(struct ckpt_pr *p, const struct user_regs_struct *r)
{
	ckpt_pr_obj_open(p, "regs");
#define R(x) ckpt_pr_hex(p, #x, r->x)
	R(rip); R(rsp); R(rax); R(orig_rax);
	if (p->json) {
		R(r15); R(r14); R(r13); R(r12); R(rbp); R(rbx); R(r11); R(r10); R(r9); R(r8);
		R(rcx); R(rdx); R(rsi); R(rdi); R(cs); R(eflags); R(ss); R(ds); R(es); R(fs); R(gs);
	}
	R(fs_base); R(gs_base);
#undef R
	ckpt_pr_obj_close(p);
}

static void show_threads(struct ckpt_pr *p, const struct ckpt_task *t)
{
	size_t i;

	ckpt_pr_arr_open(p, "threads");
	for (i = 0; i < t->n_threads; i++) {
		const struct ckpt_thread *th = &t->threads[i];
		char hex[129] = "";
		size_t k;

		ckpt_pr_obj_open(p, NULL);
		ckpt_pr_i64(p, "tid", th->tid);
		ckpt_pr_str(p, "comm", th->comm);
		show_regs(p, &th->regs);
		ckpt_pr_u64(p, "xsave_size", th->xsave_size);
		for (k = 0; k < MIN(th->xsave_size, 64); k++)
			snprintf(hex + 2 * k, 3, "%02x", th->xsave[k]);
		if (p->json)
			ckpt_pr_str(p, "xsave_head", hex);
		ckpt_pr_hex(p, "sigmask", th->sigmask);
		show_sigq(p, "pending", &th->pending);
		if (p->json || th->rseq_len) {
			ckpt_pr_hex(p, "rseq_ptr", th->rseq_ptr);
			ckpt_pr_u64(p, "rseq_len", th->rseq_len);
			ckpt_pr_hex(p, "rseq_sig", th->rseq_sig);
		}
		if (p->json) {
			ckpt_pr_hex(p, "altstack_sp", th->altstack_sp);
			ckpt_pr_u64(p, "altstack_size", th->altstack_size);
			ckpt_pr_u64(p, "altstack_flags", th->altstack_flags);
			ckpt_pr_hex(p, "robust_list", th->robust_list);
			ckpt_pr_u64(p, "robust_len", th->robust_len);
			ckpt_pr_hex(p, "clear_child_tid", th->clear_child_tid);
		}
		ckpt_pr_obj_close(p);
	}
	ckpt_pr_arr_close(p);
}

static void show_signals(struct ckpt_pr *p, const struct ckpt_task *t)
{
	int i;

	ckpt_pr_arr_open(p, "sigactions");
	for (i = 0; i < CKPT_NSIG; i++) {
		const struct ckpt_sigaction *sa = &t->sigactions[i];

		if (!p->json && !sa->handler && !sa->flags && !sa->mask)
			continue;
		ckpt_pr_obj_open(p, NULL);
		ckpt_pr_i64(p, "signo", i + 1);
		ckpt_pr_str(p, "handler", sa->handler == 0 ? "default" : sa->handler == 1 ? "ignore" : "function");
		ckpt_pr_hex(p, "address", sa->handler);
		ckpt_pr_hex(p, "flags", sa->flags);
		ckpt_pr_hex(p, "restorer", sa->restorer);
		ckpt_pr_hex(p, "mask", sa->mask);
		ckpt_pr_obj_close(p);
	}
	ckpt_pr_arr_close(p);
	show_sigq(p, "shared_pending", &t->shared_pending);
	if (p->json || t->n_timers) {
		size_t k;

		ckpt_pr_arr_open(p, "posix_timers");
		for (k = 0; k < t->n_timers; k++) {
			const struct ckpt_posix_timer *pt = &t->timers[k];

			ckpt_pr_obj_open(p, NULL);
			ckpt_pr_i64(p, "id", pt->id);
			ckpt_pr_i64(p, "clock", pt->clock);
			ckpt_pr_i64(p, "notify", pt->notify);
			ckpt_pr_i64(p, "signo", pt->signo);
			ckpt_pr_i64(p, "notify_tid", pt->notify_tid);
			ckpt_pr_hex(p, "sival", pt->sival);
			ckpt_pr_u64(p, "value_ns", pt->value_ns);
			ckpt_pr_u64(p, "interval_ns", pt->interval_ns);
			ckpt_pr_obj_close(p);
		}
		ckpt_pr_arr_close(p);
	}
	ckpt_pr_arr_open(p, "itimers");
	for (i = 0; i < 3; i++) {
		ckpt_pr_obj_open(p, NULL);
		ckpt_pr_u64(p, "value_us", t->itimers[i].value_us);
		ckpt_pr_u64(p, "interval_us", t->itimers[i].interval_us);
		ckpt_pr_obj_close(p);
	}
	ckpt_pr_arr_close(p);
}

static void show_file_id(struct ckpt_pr *p, const struct ckpt_file_id *id)
{
	ckpt_pr_u64(p, "dev", id->dev);
	ckpt_pr_u64(p, "ino", id->ino);
	ckpt_pr_u64(p, "size", id->size);
	ckpt_pr_u64(p, "mode", id->mode);
}

static void show_mm(struct ckpt_pr *p, const struct ckpt_mm *mm)
{
	size_t i;

	ckpt_pr_obj_open(p, "mm");
#define F(x) ckpt_pr_hex(p, #x, mm->x)
	F(start_code); F(end_code); F(start_data); F(end_data); F(start_brk); F(brk);
	F(start_stack); F(arg_start); F(arg_end); F(env_start); F(env_end);
#undef F
	ckpt_pr_str(p, "exe", mm->exe_path);
	if (p->json) {
		ckpt_pr_arr_open(p, "auxv");
		for (i = 0; i < mm->n_auxv; i++)
			ckpt_pr_u64(p, NULL, mm->auxv[i]);
		ckpt_pr_arr_close(p);
	}
	ckpt_pr_arr_open(p, "vmas");
	for (i = 0; i < mm->n_vmas; i++) {
		const struct ckpt_vma *v = &mm->vmas[i];
		char prot[4] = { v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
				 v->prot & PROT_EXEC ? 'x' : '-', 0 };
		const char *kind = v->kind < ARRAY_SIZE(vma_kinds) && vma_kinds[v->kind] ?
					   vma_kinds[v->kind] : "?";

		if (!p->json) {
			fprintf(p->out, "%*s%012" PRIx64 "-%012" PRIx64 " %s %08" PRIx64 " %-12s %s\n",
				2 * p->depth, "", v->start, v->end, prot, v->pgoff, kind,
				v->path ? v->path : v->name ? v->name : "");
			continue;
		}
		ckpt_pr_obj_open(p, NULL);
		ckpt_pr_hex(p, "start", v->start);
		ckpt_pr_hex(p, "end", v->end);
		ckpt_pr_str(p, "prot", prot);
		ckpt_pr_hex(p, "pgoff", v->pgoff);
		ckpt_pr_str(p, "kind", kind);
		ckpt_pr_hex(p, "attrs", v->attrs);
		if (v->name)
			ckpt_pr_str(p, "name", v->name);
		if (v->path) {
			ckpt_pr_str(p, "path", v->path);
			show_file_id(p, &v->file);
		}
		ckpt_pr_obj_close(p);
	}
	ckpt_pr_arr_close(p);
	ckpt_pr_obj_open(p, "pagemap");
	ckpt_pr_u64(p, "entries", mm->n_pagemap);
	ckpt_pr_u64(p, "pages", mm->nr_pages);
	ckpt_pr_u64(p, "bytes", mm->nr_pages * PAGE_SIZE);
	if (p->json) {
		ckpt_pr_arr_open(p, "runs");
		for (i = 0; i < mm->n_pagemap; i++) {
			ckpt_pr_obj_open(p, NULL);
			ckpt_pr_hex(p, "vaddr", mm->pagemap[i].vaddr);
			ckpt_pr_u64(p, "nr_pages", mm->pagemap[i].nr_pages);
			ckpt_pr_u64(p, "offset", mm->pagemap[i].offset);
			ckpt_pr_obj_close(p);
		}
		ckpt_pr_arr_close(p);
	}
	ckpt_pr_obj_close(p);
	ckpt_pr_obj_close(p);
}

static void show_fds(struct ckpt_pr *p, const struct ckpt_task *t)
{
	size_t i;

	ckpt_pr_arr_open(p, "fds");
	for (i = 0; i < t->n_fds; i++) {
		const struct ckpt_fd *f = &t->fds[i];
		const char *kind = f->kind < ARRAY_SIZE(fd_kinds) && fd_kinds[f->kind] ? fd_kinds[f->kind] : "?";

		if (!p->json) {
			if (f->dup_of >= 0)
				fprintf(p->out, "%*s%d: same file as fd %d%s\n", 2 * p->depth, "", f->fd,
					f->dup_of, f->fd_flags ? " cloexec" : "");
			else
				fprintf(p->out, "%*s%d: %s %s flags 0%o pos %" PRIu64 "%s\n", 2 * p->depth,
					"", f->fd, kind, f->path ? f->path : "", f->flags, f->pos,
					f->fd_flags ? " cloexec" : "");
			continue;
		}
		ckpt_pr_obj_open(p, NULL);
		ckpt_pr_i64(p, "fd", f->fd);
		ckpt_pr_str(p, "kind", kind);
		ckpt_pr_str(p, "path", f->path);
		ckpt_pr_u64(p, "flags", f->flags);
		ckpt_pr_u64(p, "fd_flags", f->fd_flags);
		ckpt_pr_u64(p, "pos", f->pos);
		ckpt_pr_i64(p, "dup_of", f->dup_of);
		if (f->kind == CKPT_FD_MEMFD) {
			ckpt_pr_u64(p, "memfd_bytes", f->data_len);
			ckpt_pr_hex(p, "seals", f->seals);
		}
		if (f->kind == CKPT_FD_EVENTFD) {
			ckpt_pr_u64(p, "eventfd_count", f->eventfd_count);
			ckpt_pr_bool(p, "eventfd_semaphore", f->eventfd_semaphore);
		}
		show_file_id(p, &f->file);
		ckpt_pr_obj_close(p);
	}
	ckpt_pr_arr_close(p);
}

static void show_task(struct ckpt_pr *p, const struct ckpt_task *t)
{
	int i;

	if (t->zombie) {
		ckpt_pr_obj_open(p, NULL);
		ckpt_pr_i64(p, "pid", t->pid);
		ckpt_pr_i64(p, "ppid", t->ppid);
		ckpt_pr_bool(p, "zombie", true);
		ckpt_pr_hex(p, "exit_status", t->exit_status);
		ckpt_pr_obj_close(p);
		return;
	}
	ckpt_pr_obj_open(p, NULL);
	ckpt_pr_i64(p, "pid", t->pid);
	ckpt_pr_i64(p, "ppid", t->ppid);
	ckpt_pr_i64(p, "pgid", t->pgid);
	ckpt_pr_i64(p, "sid", t->sid);
	ckpt_pr_str(p, "comm", t->comm);
	ckpt_pr_bool(p, "stopped", t->stopped);
	ckpt_pr_str(p, "cwd", t->cwd);
	ckpt_pr_str(p, "root", t->root);
	{
		char um[8];

		snprintf(um, sizeof(um), "%04o", t->umask & 07777);
		ckpt_pr_str(p, "umask", um);
	}
	ckpt_pr_hex(p, "personality", t->personality);
	show_creds(p, &t->creds);
	if (p->json) {
		ckpt_pr_arr_open(p, "rlimits");
		for (i = 0; i < CKPT_NRLIMITS; i++) {
			ckpt_pr_obj_open(p, NULL);
			ckpt_pr_u64(p, "cur", t->rlimits[i].cur);
			ckpt_pr_u64(p, "max", t->rlimits[i].max);
			ckpt_pr_obj_close(p);
		}
		ckpt_pr_arr_close(p);
	}
	show_threads(p, t);
	show_signals(p, t);
	show_fds(p, t);
	show_mm(p, &t->mm);
	ckpt_pr_obj_close(p);
}

/* One line per process, indented under its parent, like pstree. */
static void show_tree_line(struct ckpt_pr *p, const struct ckpt_task *t, size_t n, size_t i)
{
	size_t depth = 0, k, j = i;
	char line[128];

	/* Parents come before their children in the image. */
	for (k = i; k-- > 0;)
		if (t[k].pid == t[j].ppid) {
			depth++;
			j = k;
		}
	if (p->json) {
		ckpt_pr_obj_open(p, NULL);
		ckpt_pr_i64(p, "pid", t[i].pid);
		ckpt_pr_i64(p, "ppid", t[i].ppid);
		ckpt_pr_i64(p, "pgid", t[i].pgid);
		ckpt_pr_i64(p, "sid", t[i].sid);
		ckpt_pr_u64(p, "threads", t[i].n_threads);
		ckpt_pr_bool(p, "zombie", t[i].zombie);
		ckpt_pr_str(p, "comm", t[i].comm);
		ckpt_pr_obj_close(p);
		return;
	}
	snprintf(line, sizeof(line), "%*s%s(%d) pgid %d sid %d%s", (int)(2 * depth), "", t[i].comm,
		 t[i].pid, t[i].pgid, t[i].sid,
		 t[i].zombie ? " <zombie>" : t[i].n_threads > 1 ? " +threads" : "");
	ckpt_pr_str(p, NULL, line);
	(void)n;
}

int ckpt_show(int dirfd, const char *dirname, bool json, FILE *out)
{
	struct ckpt_inventory inv = { 0 };
	struct ckpt_task *t;
	struct ckpt_pr p;
	size_t i, n = 0;
	int err;

	err = ckpt_img_read_inventory(dirfd, &inv);
	if (err)
		return err;
	t = calloc(inv.n_pids, sizeof(*t));
	if (!t) {
		err = -ENOMEM;
		goto out;
	}
	for (n = 0; n < inv.n_pids; n++) {
		err = ckpt_img_read_task(dirfd, inv.pids[n], &t[n]);
		if (err)
			goto out_tasks;
	}
	ckpt_pr_init(&p, out, json);
	ckpt_pr_obj_open(&p, json ? NULL : "image");
	ckpt_pr_str(&p, "dir", dirname);
	ckpt_pr_obj_open(&p, "inventory");
	ckpt_pr_u64(&p, "img_version", inv.img_version);
	ckpt_pr_str(&p, "tool_version", inv.tool_version);
	ckpt_pr_str(&p, "kernel", inv.kernel);
	ckpt_pr_str(&p, "arch", inv.arch);
	ckpt_pr_i64(&p, "root_pid", inv.root_pid);
	ckpt_pr_u64(&p, "n_tasks", inv.n_tasks);
	ckpt_pr_u64(&p, "dump_time_ns", inv.dump_time_ns);
	ckpt_pr_bool(&p, "shell_job", inv.shell_job);
	ckpt_pr_obj_close(&p);
	ckpt_pr_arr_open(&p, "tree");
	for (i = 0; i < n; i++)
		show_tree_line(&p, t, n, i);
	ckpt_pr_arr_close(&p);
	ckpt_pr_arr_open(&p, "tasks");
	for (i = 0; i < n; i++)
		show_task(&p, &t[i]);
	ckpt_pr_arr_close(&p);
	ckpt_pr_obj_close(&p);
	ckpt_pr_end(&p);
out_tasks:
	for (i = 0; i < n; i++)
		ckpt_task_free(&t[i]);
	free(t);
out:
	ckpt_inventory_free(&inv);
	return err;
}
