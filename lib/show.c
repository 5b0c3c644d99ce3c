// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt show: decode an image directory (the inventory, then every task it
 * lists) and print it as a text summary or as complete JSON, through one
 * print path (print.h).
 */
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
	[CKPT_VMA_SYSVSHM] = "sysv_shm", [CKPT_VMA_MEMFD] = "memfd",
};
static const char *const fd_kinds[] = {
	[CKPT_FD_REG] = "regular", [CKPT_FD_DEVNULL] = "devnull", [CKPT_FD_TTY] = "tty",
	[CKPT_FD_MEMDEV] = "memdev", [CKPT_FD_EVENTFD] = "eventfd", [CKPT_FD_PIPE] = "pipe",
	[CKPT_FD_MEMFD] = "memfd", [CKPT_FD_FIFO] = "fifo", [CKPT_FD_TIMERFD] = "timerfd",
	[CKPT_FD_SIGNALFD] = "signalfd", [CKPT_FD_EPOLL] = "epoll", [CKPT_FD_DELETED] = "deleted",
	[CKPT_FD_UNIX] = "unix", [CKPT_FD_INET] = "inet",
	[CKPT_FD_INOTIFY] = "inotify", [CKPT_FD_PTMX] = "ptmx", [CKPT_FD_PTS] = "pts",
};
static const char *const itimer_names[] = { "real", "virtual", "prof" };

#define NAME_OF(table, i) ((i) < ARRAY_SIZE(table) && (table)[i] ? (table)[i] : "unknown")

static void show_creds(struct ckpt_pr *p, const struct ckpt_creds *c)
{
	size_t i;

	ckpt_pr_obj_open(p, "creds");
	ckpt_pr_text_line_open(p, "uids");
	ckpt_pr_u64f(p, "uid", "%" PRIu64, c->uid);
	ckpt_pr_u64f(p, "euid", " %" PRIu64, c->euid);
	ckpt_pr_u64f(p, "suid", " %" PRIu64, c->suid);
	ckpt_pr_u64f(p, "fsuid", " %" PRIu64, c->fsuid);
	ckpt_pr_text_line_close(p);
	ckpt_pr_text_line_open(p, "gids");
	ckpt_pr_u64f(p, "gid", "%" PRIu64, c->gid);
	ckpt_pr_u64f(p, "egid", " %" PRIu64, c->egid);
	ckpt_pr_u64f(p, "sgid", " %" PRIu64, c->sgid);
	ckpt_pr_u64f(p, "fsgid", " %" PRIu64, c->fsgid);
	ckpt_pr_text_line_close(p);
	ckpt_pr_line_arr_open(p, "groups");
	for (i = 0; i < c->n_groups; i++)
		ckpt_pr_u64f(p, NULL, i ? " %" PRIu64 : "%" PRIu64, c->groups[i]);
	if (!c->n_groups)
		ckpt_pr_text(p, "none");
	ckpt_pr_line_close(p);
	ckpt_pr_text_line_open(p, "caps");
	ckpt_pr_hexf(p, "cap_eff", "eff 0x%" PRIx64, c->cap_eff);
	ckpt_pr_hexf(p, "cap_prm", " prm 0x%" PRIx64, c->cap_prm);
	ckpt_pr_hexf(p, "cap_inh", " inh 0x%" PRIx64, c->cap_inh);
	ckpt_pr_hexf(p, "cap_bnd", " bnd 0x%" PRIx64, c->cap_bnd);
	ckpt_pr_hexf(p, "cap_amb", " amb 0x%" PRIx64, c->cap_amb);
	ckpt_pr_text_line_close(p);
	ckpt_pr_hex(p, "securebits", c->securebits);
	ckpt_pr_bool(p, "no_new_privs", c->no_new_privs);
	ckpt_pr_obj_close(p);
}

/* Pending signals: number and si_code of each. */
static void show_sigq(struct ckpt_pr *p, const char *key, const struct ckpt_sigqueue *q)
{
	size_t i;

	if (!p->json && !q->n)
		return;
	ckpt_pr_line_arr_open(p, key);
	for (i = 0; i < q->n; i++) {
		int32_t v[3]; /* si_signo, si_errno, si_code */

		memcpy(v, q->info[i].raw, sizeof(v));
		ckpt_pr_obj_open(p, NULL);
		ckpt_pr_i64f(p, "signo", i ? " %" PRId64 : "%" PRId64, v[0]);
		ckpt_pr_i64f(p, "code", "(code %" PRId64 ")", v[2]);
		ckpt_pr_obj_close(p);
	}
	ckpt_pr_line_close(p);
}

/* Text: the registers that locate the thread; JSON: all of them. */
static void show_regs(struct ckpt_pr *p, const struct user_regs_struct *r)
{
	ckpt_pr_line_open(p, "regs");
#define T(x, fmt) ckpt_pr_hexf(p, #x, fmt, r->x)
#define J(x) ckpt_pr_hexf(p, #x, NULL, r->x)
	T(rip, "rip 0x%" PRIx64); T(rsp, " rsp 0x%" PRIx64); T(rax, " rax 0x%" PRIx64);
	T(orig_rax, " orig_rax 0x%" PRIx64); T(fs_base, " fs_base 0x%" PRIx64);
	J(r15); J(r14); J(r13); J(r12); J(rbp); J(rbx); J(r11); J(r10); J(r9); J(r8);
	J(rcx); J(rdx); J(rsi); J(rdi); J(cs); J(eflags); J(ss); J(gs_base);
	J(ds); J(es); J(fs); J(gs);
#undef J
#undef T
	ckpt_pr_line_close(p);
}

static void show_thread(struct ckpt_pr *p, const struct ckpt_thread *th)
{
	char hex[2 * 64 + 1] = "";
	size_t k;

	ckpt_pr_obj_open(p, NULL);
	ckpt_pr_i64(p, "tid", th->tid);
	ckpt_pr_str(p, "comm", th->comm);
	show_regs(p, &th->regs);
	ckpt_pr_text_line_open(p, "xsave");
	ckpt_pr_u64f(p, "xsave_size", "%" PRIu64 " bytes", th->xsave_size);
	for (k = 0; k < MIN(th->xsave_size, 64); k++)
		snprintf(hex + 2 * k, 3, "%02x", th->xsave[k]);
	ckpt_pr_strf(p, "xsave_head", NULL, hex); /* the first 64 bytes, in hex */
	ckpt_pr_text_line_close(p);
	ckpt_pr_hex(p, "sigmask", th->sigmask);
	show_sigq(p, "pending", &th->pending);
	if (p->json || th->rseq_len) {
		ckpt_pr_text_line_open(p, "rseq");
		ckpt_pr_hexf(p, "rseq_ptr", "0x%" PRIx64, th->rseq_ptr);
		ckpt_pr_u64f(p, "rseq_len", " len %" PRIu64, th->rseq_len);
		ckpt_pr_hexf(p, "rseq_sig", " sig 0x%" PRIx64, th->rseq_sig);
		ckpt_pr_text_line_close(p);
	}
	if (p->json || !(th->altstack_flags & 2 /* SS_DISABLE */)) {
		ckpt_pr_text_line_open(p, "altstack");
		ckpt_pr_hexf(p, "altstack_sp", "0x%" PRIx64, th->altstack_sp);
		ckpt_pr_u64f(p, "altstack_size", " size %" PRIu64, th->altstack_size);
		ckpt_pr_u64f(p, "altstack_flags", " flags %" PRIu64, th->altstack_flags);
		ckpt_pr_text_line_close(p);
	}
	ckpt_pr_hexf(p, "robust_list", NULL, th->robust_list);
	ckpt_pr_u64f(p, "robust_len", NULL, th->robust_len);
	ckpt_pr_hexf(p, "clear_child_tid", NULL, th->clear_child_tid);
	ckpt_pr_obj_close(p);
}

/* Text: the actions that are not the default; JSON: all 64. */
static void show_sigactions(struct ckpt_pr *p, const struct ckpt_task *t)
{
	int i;

	ckpt_pr_arr_open(p, "sigactions");
	for (i = 0; i < CKPT_NSIG; i++) {
		const struct ckpt_sigaction *sa = &t->sigactions[i];

		if (!p->json && !sa->handler && !sa->flags && !sa->mask)
			continue;
		ckpt_pr_line_open(p, NULL);
		ckpt_pr_i64f(p, "signo", "%" PRId64 ":", i + 1);
		ckpt_pr_strf(p, "handler", " %s",
			     sa->handler == 0 ? "default" : sa->handler == 1 ? "ignore" : "function");
		ckpt_pr_hexf(p, "address", sa->handler > 1 ? " 0x%" PRIx64 : NULL, sa->handler);
		ckpt_pr_hexf(p, "flags", " flags 0x%" PRIx64, sa->flags);
		ckpt_pr_hexf(p, "mask", " mask 0x%" PRIx64, sa->mask);
		ckpt_pr_hexf(p, "restorer", " restorer 0x%" PRIx64, sa->restorer);
		ckpt_pr_line_close(p);
	}
	ckpt_pr_arr_close(p);
}

static void show_timers(struct ckpt_pr *p, const struct ckpt_task *t)
{
	size_t i;

	if (p->json || t->n_timers) {
		ckpt_pr_arr_open(p, "posix_timers");
		for (i = 0; i < t->n_timers; i++) {
			const struct ckpt_posix_timer *pt = &t->timers[i];

			ckpt_pr_line_open(p, NULL);
			ckpt_pr_i64f(p, "id", "%" PRId64 ":", pt->id);
			ckpt_pr_i64f(p, "clock", " clock %" PRId64, pt->clock);
			ckpt_pr_i64f(p, "notify", " notify %" PRId64, pt->notify);
			ckpt_pr_i64f(p, "signo", " signal %" PRId64, pt->signo);
			ckpt_pr_i64f(p, "notify_tid", " tid %" PRId64, pt->notify_tid);
			ckpt_pr_hexf(p, "sival", NULL, pt->sival);
			ckpt_pr_u64f(p, "value_ns", " value %" PRIu64 "ns", pt->value_ns);
			ckpt_pr_u64f(p, "interval_ns", " interval %" PRIu64 "ns", pt->interval_ns);
			ckpt_pr_line_close(p);
		}
		ckpt_pr_arr_close(p);
	}
	ckpt_pr_arr_open(p, "itimers");
	for (i = 0; i < ARRAY_SIZE(itimer_names); i++) {
		if (!p->json && !t->itimers[i].value_us && !t->itimers[i].interval_us)
			continue;
		ckpt_pr_line_open(p, NULL);
		ckpt_pr_strf(p, "which", "%s:", itimer_names[i]);
		ckpt_pr_u64f(p, "value_us", " value %" PRIu64 "us", t->itimers[i].value_us);
		ckpt_pr_u64f(p, "interval_us", " interval %" PRIu64 "us", t->itimers[i].interval_us);
		ckpt_pr_line_close(p);
	}
	ckpt_pr_arr_close(p);
}

static void show_file_id(struct ckpt_pr *p, const struct ckpt_file_id *id)
{
	ckpt_pr_u64f(p, "dev", NULL, id->dev);
	ckpt_pr_u64f(p, "ino", NULL, id->ino);
	ckpt_pr_u64f(p, "size", NULL, id->size);
	ckpt_pr_u64f(p, "mode", NULL, id->mode);
}

/* Like a line of /proc/PID/maps, with the kind. */
static void show_vma(struct ckpt_pr *p, const struct ckpt_vma *v)
{
	char prot[4] = { v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
			 v->prot & PROT_EXEC ? 'x' : '-', 0 };

	ckpt_pr_line_open(p, NULL);
	ckpt_pr_hexf(p, "start", "%012" PRIx64, v->start);
	ckpt_pr_hexf(p, "end", "-%012" PRIx64, v->end);
	ckpt_pr_strf(p, "prot", " %s", prot);
	ckpt_pr_hexf(p, "pgoff", " %08" PRIx64, v->pgoff);
	ckpt_pr_strf(p, "kind", v->path || v->name ? " %-12s" : " %s", NAME_OF(vma_kinds, v->kind));
	ckpt_pr_hexf(p, "attrs", NULL, v->attrs);
	if (v->path)
		ckpt_pr_strf(p, "path", " %s", v->path);
	if (v->name)
		ckpt_pr_strf(p, "name", v->path ? NULL : " %s", v->name);
	if (v->path || v->kind == CKPT_VMA_SHANON)
		show_file_id(p, &v->file);
	if (v->kind == CKPT_VMA_SYSVSHM) {
		ckpt_pr_obj_open(p, "shm");
		ckpt_pr_i64f(p, "id", " shmid %" PRId64, v->shm.id);
		ckpt_pr_hexf(p, "key", " key 0x%" PRIx64, (uint32_t)v->shm.key);
		ckpt_pr_u64f(p, "size", " size %" PRIu64, v->shm.size);
		ckpt_pr_u64f(p, "mode", " mode 0%" PRIo64, v->shm.mode);
		ckpt_pr_u64f(p, "uid", " uid %" PRIu64, v->shm.uid);
		ckpt_pr_u64f(p, "gid", " gid %" PRIu64, v->shm.gid);
		ckpt_pr_obj_close(p);
	}
	if (v->kind == CKPT_VMA_MEMFD) {
		show_file_id(p, &v->file);
		ckpt_pr_i64f(p, "memfd_fd", v->memfd_fd >= 0 ? " (mapped from fd %" PRId64 ")" : NULL,
			     v->memfd_fd);
	}
	if (v->shared_pid) {
		ckpt_pr_i64f(p, "shared_pid", " (pages in pid %" PRId64, v->shared_pid);
		ckpt_pr_hexf(p, "shared_start", " at %" PRIx64, v->shared_start);
		ckpt_pr_hexf(p, "shared_end", "-%" PRIx64 ")", v->shared_end);
	}
	ckpt_pr_line_close(p);
}

static void show_pagemap(struct ckpt_pr *p, const struct ckpt_mm *mm)
{
	size_t i;

	ckpt_pr_line_open(p, "pagemap");
	ckpt_pr_u64f(p, "entries", "%" PRIu64 " entries", mm->n_pagemap);
	ckpt_pr_u64f(p, "pages", ", %" PRIu64 " pages", mm->nr_pages);
	ckpt_pr_u64f(p, "bytes", ", %" PRIu64 " bytes", mm->nr_pages * PAGE_SIZE);
	ckpt_pr_u64f(p, "files", " in %" PRIu64 " pages file(s)", mm->n_parts);
	ckpt_pr_arr_open(p, "runs");
	for (i = 0; i < mm->n_pagemap && p->json; i++) {
		ckpt_pr_obj_open(p, NULL);
		ckpt_pr_hex(p, "vaddr", mm->pagemap[i].vaddr);
		ckpt_pr_u64(p, "nr_pages", mm->pagemap[i].nr_pages);
		ckpt_pr_u64(p, "offset", mm->pagemap[i].offset);
		ckpt_pr_u64(p, "part", mm->pagemap[i].part);
		ckpt_pr_obj_close(p);
	}
	ckpt_pr_arr_close(p);
	ckpt_pr_line_close(p);
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
	ckpt_pr_line_open(p, "exe_id");
	ckpt_pr_u64f(p, "dev", "dev %" PRIu64, mm->exe.dev);
	ckpt_pr_u64f(p, "ino", " ino %" PRIu64, mm->exe.ino);
	ckpt_pr_u64f(p, "size", " size %" PRIu64, mm->exe.size);
	ckpt_pr_u64f(p, "mode", " mode 0%" PRIo64, mm->exe.mode);
	ckpt_pr_line_close(p);
	if (p->json) {
		ckpt_pr_arr_open(p, "auxv");
		for (i = 0; i < mm->n_auxv; i++)
			ckpt_pr_u64(p, NULL, mm->auxv[i]);
		ckpt_pr_arr_close(p);
	}
	ckpt_pr_arr_open(p, "vmas");
	for (i = 0; i < mm->n_vmas; i++)
		show_vma(p, &mm->vmas[i]);
	ckpt_pr_arr_close(p);
	show_pagemap(p, mm);
	ckpt_pr_obj_close(p);
}

/* inotify watches and pseudo-terminal settings. */
static void show_fd_ext(struct ckpt_pr *p, const struct ckpt_fd *f)
{
	size_t k;

	if (f->kind == CKPT_FD_INOTIFY) {
		ckpt_pr_arr_open(p, "watches");
		for (k = 0; k < f->n_watches; k++) {
			ckpt_pr_obj_open(p, NULL);
			ckpt_pr_i64f(p, "wd", " [wd %" PRId64, f->watches[k].wd);
			ckpt_pr_strf(p, "path", " %s", f->watches[k].path);
			ckpt_pr_hexf(p, "mask", " mask 0x%" PRIx64 "]", f->watches[k].mask);
			ckpt_pr_u64f(p, "ino", NULL, f->watches[k].ino);
			ckpt_pr_u64f(p, "dev", NULL, f->watches[k].dev);
			ckpt_pr_obj_close(p);
		}
		ckpt_pr_arr_close(p);
	}
	if (f->kind == CKPT_FD_PTMX || f->kind == CKPT_FD_PTS) {
		const struct ckpt_pty *t = &f->pty;

		ckpt_pr_obj_open(p, "pty");
		ckpt_pr_u64f(p, "index", " pts %" PRIu64, t->index);
		ckpt_pr_hexf(p, "iflag", " iflag 0x%" PRIx64, t->iflag);
		ckpt_pr_hexf(p, "oflag", " oflag 0x%" PRIx64, t->oflag);
		ckpt_pr_hexf(p, "cflag", " cflag 0x%" PRIx64, t->cflag);
		ckpt_pr_hexf(p, "lflag", " lflag 0x%" PRIx64, t->lflag);
		ckpt_pr_u64f(p, "rows", " %" PRIu64, t->rows);
		ckpt_pr_u64f(p, "cols", "x%" PRIu64, t->cols);
		ckpt_pr_boolf(p, "packet", t->packet ? " packet" : NULL, t->packet);
		ckpt_pr_boolf(p, "locked", t->locked ? " locked" : NULL, t->locked);
		ckpt_pr_boolf(p, "ctty", t->ctty ? " ctty" : NULL, t->ctty);
		ckpt_pr_obj_close(p);
	}
}

/* One line per fd: "3: regular /tmp/f flags 02 pos 7 cloexec". */
static void show_fd(struct ckpt_pr *p, const struct ckpt_fd *f)
{
	ckpt_pr_line_open(p, NULL);
	ckpt_pr_i64f(p, "fd", "%" PRId64 ":", f->fd);
	ckpt_pr_strf(p, "kind", " %s", NAME_OF(fd_kinds, f->kind));
	ckpt_pr_strf(p, "path", f->path ? " %s" : NULL, f->path);
	ckpt_pr_u64f(p, "flags", " flags 0%" PRIo64, f->flags);
	ckpt_pr_u64f(p, "pos", " pos %" PRIu64, f->pos);
	ckpt_pr_boolf(p, "cloexec", f->fd_flags & 1 /* FD_CLOEXEC */ ? " cloexec" : NULL,
		      f->fd_flags & 1);
	ckpt_pr_u64f(p, "fd_flags", NULL, f->fd_flags);
	ckpt_pr_i64f(p, "dup_of", f->dup_of >= 0 ? " same file as fd %" PRId64 : NULL, f->dup_of);
	ckpt_pr_i64f(p, "parent_fd", f->parent_fd >= 0 && !f->peer_pid ?
			 " inherited (parent's fd %" PRId64 ")" : NULL, f->parent_fd);
	ckpt_pr_i64f(p, "peer_pid", f->peer_pid ? " shared with pid %" PRId64 : NULL, f->peer_pid);
	if (f->peer_pid)
		ckpt_pr_text(p, "'s fd %d", f->parent_fd);
	ckpt_pr_hexf(p, "rdev", f->kind == CKPT_FD_MEMDEV ? " rdev 0x%" PRIx64 : NULL, f->rdev);
	if (f->kind == CKPT_FD_DELETED)
		ckpt_pr_u64f(p, "bytes", " %" PRIu64 " bytes saved", f->data_len);
	if (f->kind == CKPT_FD_MEMFD) {
		ckpt_pr_u64f(p, "memfd_bytes", " %" PRIu64 " bytes", f->data_len);
		ckpt_pr_hexf(p, "seals", " seals 0x%" PRIx64, f->seals);
	}
	if (f->kind == CKPT_FD_TIMERFD) {
		ckpt_pr_i64f(p, "clock", " clock %" PRId64, f->tfd_clock);
		ckpt_pr_u64f(p, "value_ns", " left %" PRIu64 " ns", f->tfd_value_ns);
		ckpt_pr_u64f(p, "interval_ns", " every %" PRIu64 " ns", f->tfd_interval_ns);
		ckpt_pr_u64f(p, "ticks", " ticks %" PRIu64, f->tfd_ticks);
		ckpt_pr_hexf(p, "settime_flags", NULL, f->tfd_settime_flags);
	}
	if (f->n_locks) {
		static const char *const kinds[] = { "?", "flock", "posix", "ofd" };
		size_t k;

		ckpt_pr_arr_open(p, "locks");
		for (k = 0; k < f->n_locks; k++) {
			ckpt_pr_obj_open(p, NULL);
			ckpt_pr_strf(p, "kind", " [%s", kinds[f->locks[k].kind % 4]);
			ckpt_pr_boolf(p, "write", f->locks[k].write ? " write" : " read", f->locks[k].write);
			ckpt_pr_u64f(p, "start", " %" PRIu64, f->locks[k].start);
			ckpt_pr_u64f(p, "end", "-%" PRIu64 "]", f->locks[k].end);
			ckpt_pr_obj_close(p);
		}
		ckpt_pr_arr_close(p);
	}
	if (f->sk) {
		const struct ckpt_sock *k = f->sk;

		ckpt_pr_obj_open(p, "socket");
		ckpt_pr_u64f(p, "family", " [family %" PRIu64, k->family);
		ckpt_pr_u64f(p, "type", " type %" PRIu64, k->type);
		ckpt_pr_u64f(p, "state", " state %" PRIu64, k->state);
		ckpt_pr_u64f(p, "ino", " socket:[%" PRIu64 "]", k->ino);
		ckpt_pr_u64f(p, "unix_role", k->unix_role ? " role %" PRIu64 : NULL, k->unix_role);
		ckpt_pr_u64f(p, "peer_ino", k->peer_ino ? " peer socket:[%" PRIu64 "]" : NULL,
			     k->peer_ino);
		ckpt_pr_u64f(p, "addr_len", " addr %" PRIu64 " bytes", k->addr_len);
		ckpt_pr_u64f(p, "peer_len", " peer %" PRIu64 " bytes", k->peer_len);
		ckpt_pr_u64f(p, "backlog", k->state == 10 ? " backlog %" PRIu64 : NULL, k->backlog);
		ckpt_pr_u64f(p, "rq_bytes", " rq %" PRIu64, k->rq_len);
		ckpt_pr_u64f(p, "datagrams", k->n_dgrams ? " in %" PRIu64 " datagrams" : NULL,
			     k->n_dgrams);
		ckpt_pr_u64f(p, "sq_bytes", " sq %" PRIu64, k->sq_len);
		ckpt_pr_u64f(p, "snd_seq", k->family != 1 && k->state == 1 ? " snd_seq %" PRIu64 : NULL,
			     k->snd_seq);
		ckpt_pr_u64f(p, "rcv_seq", k->family != 1 && k->state == 1 ? " rcv_seq %" PRIu64 : NULL,
			     k->rcv_seq);
		ckpt_pr_boolf(p, "tcp_closed", k->tcp_closed ? " closed" : NULL, k->tcp_closed);
		ckpt_pr_text(p, "]");
		ckpt_pr_obj_close(p);
	}
	if (f->kind == CKPT_FD_SIGNALFD)
		ckpt_pr_hexf(p, "sigmask", " mask 0x%" PRIx64, f->sigmask);
	if (f->kind == CKPT_FD_EPOLL) {
		size_t k;

		ckpt_pr_arr_open(p, "targets");
		for (k = 0; k < f->n_epoll; k++) {
			ckpt_pr_obj_open(p, NULL);
			ckpt_pr_i64f(p, "tfd", " [fd %" PRId64, f->epoll[k].tfd);
			ckpt_pr_hexf(p, "events", " events 0x%" PRIx64, f->epoll[k].events);
			ckpt_pr_hexf(p, "data", " data 0x%" PRIx64 "]", f->epoll[k].data);
			ckpt_pr_obj_close(p);
		}
		ckpt_pr_arr_close(p);
	}
	if (f->kind == CKPT_FD_EVENTFD) {
		ckpt_pr_u64f(p, "eventfd_count", " count %" PRIu64, f->eventfd_count);
		ckpt_pr_boolf(p, "eventfd_semaphore", f->eventfd_semaphore ? " semaphore" : NULL,
			      f->eventfd_semaphore);
	}
	show_fd_ext(p, f);
	show_file_id(p, &f->file);
	ckpt_pr_line_close(p);
}

static void show_pipe(struct ckpt_pr *p, const struct ckpt_pipe *pp)
{
	ckpt_pr_line_open(p, NULL);
	ckpt_pr_strf(p, "kind", "%s", pp->path ? "fifo" : "pipe");
	ckpt_pr_strf(p, "path", pp->path ? " %s" : NULL, pp->path);
	ckpt_pr_u64f(p, "ino", " inode %" PRIu64, pp->ino);
	ckpt_pr_hexf(p, "dev", " dev 0x%" PRIx64, pp->dev);
	ckpt_pr_u64f(p, "size", " capacity %" PRIu64, pp->size);
	ckpt_pr_u64f(p, "bytes", ", %" PRIu64 " bytes in flight", pp->len);
	ckpt_pr_line_close(p);
}

static void show_task(struct ckpt_pr *p, const struct ckpt_task *t)
{
	size_t i;

	ckpt_pr_obj_open(p, NULL);
	ckpt_pr_i64(p, "pid", t->pid);
	ckpt_pr_i64(p, "ppid", t->ppid);
	ckpt_pr_i64(p, "pgid", t->pgid);
	ckpt_pr_i64(p, "sid", t->sid);
	ckpt_pr_str(p, "comm", t->comm);
	if (t->zombie) {
		ckpt_pr_bool(p, "zombie", true);
		ckpt_pr_hex(p, "exit_status", t->exit_status);
		ckpt_pr_obj_close(p);
		return;
	}
	ckpt_pr_bool(p, "stopped", t->stopped);
	ckpt_pr_bool(p, "child_subreaper", t->subreaper);
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
	ckpt_pr_arr_open(p, "threads");
	for (i = 0; i < t->n_threads; i++)
		show_thread(p, &t->threads[i]);
	ckpt_pr_arr_close(p);
	show_sigactions(p, t);
	show_sigq(p, "shared_pending", &t->shared_pending);
	show_timers(p, t);
	ckpt_pr_arr_open(p, "fds");
	for (i = 0; i < t->n_fds; i++)
		show_fd(p, &t->fds[i]);
	ckpt_pr_arr_close(p);
	show_mm(p, &t->mm);
	ckpt_pr_obj_close(p);
}

/* One line per process, indented under its parent, like pstree. */
static void show_tree_line(struct ckpt_pr *p, const struct ckpt_task *t, size_t i)
{
	size_t depth = 0, k, j = i;

	/* Parents come before their children in the image. */
	for (k = i; k-- > 0;)
		if (t[k].pid == t[j].ppid) {
			depth++;
			j = k;
		}
	ckpt_pr_line_open(p, NULL);
	ckpt_pr_text(p, "%*s", (int)(2 * depth), "");
	ckpt_pr_strf(p, "comm", "%s", t[i].comm);
	ckpt_pr_i64f(p, "pid", "(%" PRId64 ")", t[i].pid);
	ckpt_pr_i64f(p, "ppid", NULL, t[i].ppid);
	ckpt_pr_i64f(p, "pgid", " pgid %" PRId64, t[i].pgid);
	ckpt_pr_i64f(p, "sid", " sid %" PRId64, t[i].sid);
	ckpt_pr_u64f(p, "threads", t[i].n_threads > 1 ? " %" PRIu64 " threads" : NULL,
		     t[i].n_threads);
	ckpt_pr_boolf(p, "zombie", t[i].zombie ? " <zombie>" : NULL, t[i].zombie);
	ckpt_pr_line_close(p);
}

static void show_inventory(struct ckpt_pr *p, const struct ckpt_inventory *inv)
{
	size_t i;

	ckpt_pr_obj_open(p, "inventory");
	ckpt_pr_u64(p, "img_version", inv->img_version);
	ckpt_pr_str(p, "tool_version", inv->tool_version);
	ckpt_pr_str(p, "kernel", inv->kernel);
	ckpt_pr_str(p, "arch", inv->arch);
	ckpt_pr_i64(p, "root_pid", inv->root_pid);
	ckpt_pr_u64(p, "n_tasks", inv->n_tasks);
	ckpt_pr_line_arr_open(p, "pids");
	for (i = 0; i < inv->n_pids; i++)
		ckpt_pr_i64f(p, NULL, i ? " %" PRId64 : "%" PRId64, inv->pids[i]);
	ckpt_pr_line_close(p);
	ckpt_pr_u64(p, "dump_time_ns", inv->dump_time_ns);
	ckpt_pr_bool(p, "shell_job", inv->shell_job);
	if (inv->cpu.valid) {
		ckpt_pr_obj_open(p, "cpu");
		ckpt_pr_hex(p, "xcr0", inv->cpu.xcr0);
		ckpt_pr_u64(p, "xsave_size", inv->cpu.xsave_size);
		ckpt_pr_line_arr_open(p, "words");
		for (i = 0; i < CKPT_CPU_WORDS; i++)
			ckpt_pr_hexf(p, NULL, i ? " 0x%" PRIx64 : "0x%" PRIx64, inv->cpu.words[i]);
		ckpt_pr_line_close(p);
		ckpt_pr_obj_close(p);
	}
	ckpt_pr_obj_close(p);
}

int ckpt_show(int dirfd, const char *dirname, bool json, FILE *out)
{
	struct ckpt_inventory inv = { 0 };
	struct ckpt_pipe *pipes = NULL;
	struct ckpt_task *t;
	struct ckpt_pr p;
	size_t i, n = 0, n_pipes = 0;
	int err;

	/* Read everything first: a damaged image prints one error and no half output. */
	err = ckpt_img_read_inventory(dirfd, &inv);
	if (err)
		return err;
	t = calloc(inv.n_pids, sizeof(*t));
	if (!t) {
		pr_err("%s: out of memory", dirname);
		err = -ENOMEM;
		goto out_free_inv;
	}
	for (n = 0; n < inv.n_pids; n++) {
		err = ckpt_img_read_task(dirfd, inv.pids[n], &t[n]);
		if (err)
			goto out_free_tasks;
	}
	err = ckpt_img_read_pipes(dirfd, &pipes, &n_pipes);
	if (err)
		goto out_free_tasks;
	ckpt_pr_init(&p, out, json);
	ckpt_pr_obj_open(&p, json ? NULL : "image");
	ckpt_pr_str(&p, "dir", dirname);
	show_inventory(&p, &inv);
	ckpt_pr_arr_open(&p, "tree");
	for (i = 0; i < n; i++)
		show_tree_line(&p, t, i);
	ckpt_pr_arr_close(&p);
	ckpt_pr_arr_open(&p, "tasks");
	for (i = 0; i < n; i++)
		show_task(&p, &t[i]);
	ckpt_pr_arr_close(&p);
	ckpt_pr_arr_open(&p, "pipes");
	for (i = 0; i < n_pipes; i++)
		show_pipe(&p, &pipes[i]);
	ckpt_pr_arr_close(&p);
	ckpt_pr_obj_close(&p);
	ckpt_pr_end(&p);
	if (ferror(out)) {
		pr_err("%s: cannot write the output", dirname);
		err = -EIO;
	}
	ckpt_pipes_free(pipes, n_pipes);
out_free_tasks:
	for (i = 0; i < n; i++)
		ckpt_task_free(&t[i]);
	free(t);
out_free_inv:
	ckpt_inventory_free(&inv);
	return err;
}
