// SPDX-License-Identifier: GPL-2.0
/* The address space: mm-PID.img (mm fields, auxv, VMAs) and pagemap-PID.img. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "img-io.h"
#include "img-mm.h"
#include "img.h"
#include "log.h"
#include "mm.pb-c.h"
#include "pagemap.pb-c.h"
#include "util.h"

#define MAX_VMAS (1u << 20)      /* vm.max_map_count is 65530 by default */
#define MAX_AUXV 1024            /* words */
#define MAX_PAGEMAP (1u << 24)   /* runs of pages */
#define MAX_PAGES_OFFSET (1ULL << 52)

static bool page_aligned(uint64_t x)
{
	return !(x & (PAGE_SIZE - 1));
}

/* ---- mm-PID.img ---------------------------------------------------------- */

static void vma_to_pb(VmaEntry *e, FileId *id, SysvShm *shm, const struct ckpt_vma *v)
{
	vma_entry__init(e);
	e->has_start = e->has_end = e->has_pgoff = e->has_kind = e->has_prot = e->has_attrs = true;
	e->start = v->start;
	e->end = v->end;
	e->pgoff = v->pgoff;
	e->kind = v->kind;
	e->prot = v->prot;
	e->attrs = v->attrs;
	ckpt_img_str_out(v->path, &e->has_path, &e->path);
	ckpt_img_str_out(v->name, &e->has_name, &e->name);
	if (v->path || v->kind == CKPT_VMA_SHANON || v->kind == CKPT_VMA_SYSVSHM ||
	    v->kind == CKPT_VMA_MEMFD) {
		ckpt_img_file_id_out(id, &v->file);
		e->file = id;
	}
	if (v->kind == CKPT_VMA_SYSVSHM) {
		sysv_shm__init(shm);
		shm->has_id = shm->has_key = shm->has_size = shm->has_mode = true;
		shm->has_uid = shm->has_gid = true;
		shm->id = v->shm.id;
		shm->key = v->shm.key;
		shm->size = v->shm.size;
		shm->mode = v->shm.mode;
		shm->uid = v->shm.uid;
		shm->gid = v->shm.gid;
		e->shm = shm;
	}
	if (v->kind == CKPT_VMA_MEMFD && v->memfd_fd >= 0) {
		e->has_memfd_fd = true;
		e->memfd_fd = v->memfd_fd;
	}
	if (v->shared_pid) {
		e->has_shared_pid = e->has_shared_start = e->has_shared_end = true;
		e->shared_pid = v->shared_pid;
		e->shared_start = v->shared_start;
		e->shared_end = v->shared_end;
	}
}

int ckpt_img_write_mm(int dirfd, pid_t pid, const struct ckpt_mm *mm)
{
	MmEntry m = MM_ENTRY__INIT;
	size_t i, n = MAX(mm->n_vmas, 1);
	VmaEntry *v = calloc(n, sizeof(*v)), **vp = calloc(n, sizeof(*vp));
	FileId *ids = calloc(n, sizeof(*ids)), exe;
	SysvShm *shms = calloc(n, sizeof(*shms));
	struct ckpt_img_w w;
	char name[64];
	int err;

	snprintf(name, sizeof(name), "mm-%d.img", pid);
	if (!v || !vp || !ids || !shms) {
		err = ckpt_img_oom(name);
		goto out_free;
	}
#define F(x) (m.has_##x = true, m.x = mm->x)
	F(start_code); F(end_code); F(start_data); F(end_data); F(start_brk); F(brk);
	F(start_stack); F(arg_start); F(arg_end); F(env_start); F(env_end);
#undef F
	m.n_auxv = mm->n_auxv;
	m.auxv = mm->auxv;
	ckpt_img_str_out(mm->exe_path, &m.has_exe_path, &m.exe_path);
	ckpt_img_file_id_out(&exe, &mm->exe);
	m.exe = &exe;
	for (i = 0; i < mm->n_vmas; i++) {
		vma_to_pb(&v[i], &ids[i], &shms[i], &mm->vmas[i]);
		vp[i] = &v[i];
	}
	m.n_vmas = mm->n_vmas;
	m.vmas = vp;
	err = ckpt_img_w_open(dirfd, name, CKPT_MAGIC_MM, &w);
	if (err)
		goto out_free;
	err = ckpt_img_w_msg(&w, &m.base);
	if (err)
		ckpt_img_w_abort(&w);
	else
		err = ckpt_img_w_close(&w);
out_free:
	free(shms);
	free(ids);
	free(vp);
	free(v);
	return err;
}

static int vma_from_pb(struct ckpt_vma *v, const VmaEntry *e, const char *name, size_t i)
{
	int err;

	if (!e->has_start || !e->has_end || !e->has_kind || !e->has_prot)
		return ckpt_img_bad("%s: VMA %zu lacks its range, kind or protection", name, i);
	v->start = e->start;
	v->end = e->end;
	v->pgoff = e->pgoff;
	v->kind = e->kind;
	v->prot = e->prot;
	v->attrs = e->attrs;
	err = ckpt_img_str_in(&v->path, e->has_path, &e->path, name, "VMA path", false);
	if (!err)
		err = ckpt_img_str_in(&v->name, e->has_name, &e->name, name, "VMA name", false);
	if (err)
		return err;
	ckpt_img_file_id_in(&v->file, e->file);
	if (e->shared_pid && (e->shared_pid < 0 ||
			      (v->kind != CKPT_VMA_SHANON && v->kind != CKPT_VMA_SYSVSHM &&
			       v->kind != CKPT_VMA_MEMFD) ||
			      e->shared_start >= e->shared_end || e->shared_end > CKPT_TASK_SIZE ||
			      !page_aligned(e->shared_start) || !page_aligned(e->shared_end)))
		return ckpt_img_bad("%s: VMA %zu: invalid shared memory reference (pid %d, "
				    "%" PRIx64 "-%" PRIx64 ")", name, i, e->shared_pid,
				    e->shared_start, e->shared_end);
	v->shared_pid = e->shared_pid;
	v->shared_start = e->shared_start;
	v->shared_end = e->shared_end;
	v->memfd_fd = e->has_memfd_fd ? e->memfd_fd : -1;
	if (v->kind == CKPT_VMA_MEMFD &&
	    (v->memfd_fd < -1 || v->memfd_fd >= (1 << 20) || (v->memfd_fd >= 0 && e->shared_pid)))
		return ckpt_img_bad("%s: VMA %zu: invalid memfd fd %d", name, i, v->memfd_fd);
	if (v->kind == CKPT_VMA_SYSVSHM) {
		const SysvShm *s = e->shm;

		if (!s || !s->has_id || !s->has_key || !s->has_size || s->id < 0 || !s->size ||
		    s->size > CKPT_TASK_SIZE || (s->mode & ~07777u) ||
		    e->pgoff >= s->size)
			return ckpt_img_bad("%s: VMA %zu: SysV segment missing or invalid", name, i);
		v->shm.id = s->id;
		v->shm.key = s->key;
		v->shm.size = s->size;
		v->shm.mode = s->mode;
		v->shm.uid = s->uid;
		v->shm.gid = s->gid;
	}
	return 0;
}

/* Page aligned, in user space (or the fixed vsyscall page), sorted, disjoint. */
static int vma_check(const struct ckpt_vma *v, const struct ckpt_vma *prev, const char *name,
		     size_t i)
{
	bool range_ok;

	if (v->kind == CKPT_VMA_VSYSCALL)
		range_ok = v->start == CKPT_VSYSCALL_ADDR && v->end == v->start + PAGE_SIZE;
	else
		range_ok = v->start < v->end && v->end <= CKPT_TASK_SIZE &&
			   page_aligned(v->start) && page_aligned(v->end);
	if (!range_ok || !page_aligned(v->pgoff))
		return ckpt_img_bad("%s: VMA %zu (%" PRIx64 "-%" PRIx64 " offset %" PRIx64 ") is not "
				    "a valid range", name, i, v->start, v->end, v->pgoff);
	if (prev && v->start < prev->end)
		return ckpt_img_bad("%s: VMA %zu (%" PRIx64 "-%" PRIx64 ") overlaps or is out of "
				    "order", name, i, v->start, v->end);
	if (v->kind < CKPT_VMA_ANON || v->kind > CKPT_VMA_MEMFD ||
	    (v->prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return ckpt_img_bad("%s: VMA %zu has an invalid kind %u or protection 0x%x", name, i,
				    v->kind, v->prot);
	if ((v->kind == CKPT_VMA_FILE_PRIVATE || v->kind == CKPT_VMA_FILE_SHARED) &&
	    (!v->path || v->path[0] != '/'))
		return ckpt_img_bad("%s: file VMA %zu has no absolute path", name, i);
	return 0;
}

static int mm_fields_from_pb(struct ckpt_mm *mm, const MmEntry *m, const char *name)
{
#define F(x) mm->x = m->x
	F(start_code); F(end_code); F(start_data); F(end_data); F(start_brk); F(brk);
	F(start_stack); F(arg_start); F(arg_end); F(env_start); F(env_end);
#undef F
	if (m->n_auxv > MAX_AUXV || m->n_auxv % 2)
		return ckpt_img_bad("%s: auxv of %zu words (pairs, at most %d)", name, m->n_auxv,
				    MAX_AUXV);
	mm->auxv = calloc(MAX(m->n_auxv, 1), sizeof(uint64_t));
	if (!mm->auxv)
		return ckpt_img_oom(name);
	if (m->n_auxv)
		memcpy(mm->auxv, m->auxv, m->n_auxv * sizeof(uint64_t));
	mm->n_auxv = m->n_auxv;
	ckpt_img_file_id_in(&mm->exe, m->exe);
	return ckpt_img_str_in(&mm->exe_path, m->has_exe_path, &m->exe_path, name, "executable",
			       true);
}

int ckpt_img_read_mm(int dirfd, pid_t pid, struct ckpt_mm *mm)
{
	MmEntry *m = NULL;
	char name[64];
	size_t i;
	int err;

	snprintf(name, sizeof(name), "mm-%d.img", pid);
	err = ckpt_img_read_one(dirfd, name, CKPT_MAGIC_MM, &mm_entry__descriptor,
				(ProtobufCMessage **)&m);
	if (err)
		return err;
	err = mm_fields_from_pb(mm, m, name);
	if (err)
		goto out_free_msg;
	if (m->n_vmas > MAX_VMAS) {
		err = ckpt_img_bad("%s: %zu VMAs, more than %u", name, m->n_vmas, MAX_VMAS);
		goto out_free_msg;
	}
	mm->vmas = calloc(MAX(m->n_vmas, 1), sizeof(*mm->vmas));
	if (!mm->vmas) {
		err = ckpt_img_oom(name);
		goto out_free_msg;
	}
	for (i = 0; i < m->n_vmas && !err; i++) {
		mm->n_vmas++; /* owns what vma_from_pb allocates, even on failure */
		err = vma_from_pb(&mm->vmas[i], m->vmas[i], name, i);
		if (!err)
			err = vma_check(&mm->vmas[i], i ? &mm->vmas[i - 1] : NULL, name, i);
	}
out_free_msg:
	mm_entry__free_unpacked(m, NULL);
	return err;
}

/* ---- pagemap-PID.img ----------------------------------------------------- */

int ckpt_img_write_pagemap(int dirfd, pid_t pid, const struct ckpt_mm *mm)
{
	struct ckpt_img_w w;
	char name[64];
	size_t i;
	int err;

	snprintf(name, sizeof(name), "pagemap-%d.img", pid);
	err = ckpt_img_w_open(dirfd, name, CKPT_MAGIC_PAGEMAP, &w);
	if (err)
		return err;
	for (i = 0; i < mm->n_pagemap && !err; i++) {
		PagemapEntry e = PAGEMAP_ENTRY__INIT;

		e.has_vaddr = e.has_nr_pages = e.has_offset = true;
		e.vaddr = mm->pagemap[i].vaddr;
		e.nr_pages = mm->pagemap[i].nr_pages;
		e.offset = mm->pagemap[i].offset;
		e.has_part = mm->pagemap[i].part != 0;
		e.part = mm->pagemap[i].part;
		err = ckpt_img_w_msg(&w, &e.base);
	}
	if (err) {
		ckpt_img_w_abort(&w);
		return err;
	}
	return ckpt_img_w_close(&w);
}

/* The VMAs whose pages are stored: the rule of ckpt_vma_has_pages() (mem.c). */
static bool vma_holds_pages(const struct ckpt_vma *v)
{
	return (v->kind == CKPT_VMA_ANON || v->kind == CKPT_VMA_SHANON ||
		v->kind == CKPT_VMA_FILE_PRIVATE || v->kind == CKPT_VMA_SYSVSHM ||
		(v->kind == CKPT_VMA_MEMFD && v->memfd_fd < 0)) && !v->shared_pid;
}

/*
 * One run: aligned, after the previous one in memory and after the previous
 * one of its part in that pages file, inside one VMA that holds pages.
 * *vi walks the sorted VMAs; part_end[] is where each part's last run ended.
 */
static int pagemap_check(const struct ckpt_mm *mm, const PagemapEntry *e, size_t *vi,
			 uint64_t *part_end, const char *name)
{
	const struct ckpt_pagemap_entry *prev = mm->n_pagemap ? &mm->pagemap[mm->n_pagemap - 1] : NULL;
	size_t i = mm->n_pagemap;
	uint64_t end;

	if (!e->has_vaddr || !e->has_nr_pages || !e->has_offset)
		return ckpt_img_bad("%s: entry %zu lacks its address, size or offset", name, i);
	if (!e->nr_pages || e->nr_pages > CKPT_TASK_SIZE / PAGE_SIZE || !page_aligned(e->vaddr) ||
	    !page_aligned(e->offset) || e->offset < CKPT_PAGES_HDR_SIZE ||
	    e->offset > MAX_PAGES_OFFSET)
		return ckpt_img_bad("%s: entry %zu (%" PRIx64 ", %" PRIu64 " pages at offset %" PRIu64
				    ") is empty or unaligned", name, i, e->vaddr, e->nr_pages,
				    e->offset);
	if (e->part >= CKPT_MAX_PAGE_PARTS)
		return ckpt_img_bad("%s: entry %zu is in pages part %u (at most %d parts)", name, i,
				    e->part, CKPT_MAX_PAGE_PARTS);
	if ((prev && e->vaddr < prev->vaddr + prev->nr_pages * PAGE_SIZE) ||
	    e->offset < part_end[e->part])
		return ckpt_img_bad("%s: entry %zu (%" PRIx64 " at offset %" PRIu64 ") overlaps or "
				    "is out of order", name, i, e->vaddr, e->offset);
	end = e->vaddr + e->nr_pages * PAGE_SIZE;
	while (*vi < mm->n_vmas && mm->vmas[*vi].end <= e->vaddr)
		(*vi)++;
	if (end <= e->vaddr || *vi == mm->n_vmas || mm->vmas[*vi].start > e->vaddr ||
	    end > mm->vmas[*vi].end || !vma_holds_pages(&mm->vmas[*vi]))
		return ckpt_img_bad("%s: entry %zu (%" PRIx64 ", %" PRIu64 " pages) is not inside "
				    "one VMA that holds pages", name, i, e->vaddr, e->nr_pages);
	part_end[e->part] = e->offset + e->nr_pages * PAGE_SIZE;
	return 0;
}

int ckpt_img_read_pagemap(int dirfd, pid_t pid, struct ckpt_mm *mm)
{
	uint64_t part_end[CKPT_MAX_PAGE_PARTS] = { 0 };
	struct ckpt_img_r r;
	size_t cap = 0, vi = 0;
	char name[64];
	int err;

	mm->n_parts = 1;
	snprintf(name, sizeof(name), "pagemap-%d.img", pid);
	err = ckpt_img_r_open(dirfd, name, CKPT_MAGIC_PAGEMAP, &r);
	if (err)
		return err;
	for (;;) {
		PagemapEntry *e = NULL;
		struct ckpt_pagemap_entry *p;

		err = ckpt_img_r_msg(&r, &pagemap_entry__descriptor, (ProtobufCMessage **)&e);
		if (err || !e)
			break;
		if (mm->n_pagemap == MAX_PAGEMAP)
			err = ckpt_img_bad("%s: more than %u entries", name, MAX_PAGEMAP);
		if (!err)
			err = pagemap_check(mm, e, &vi, part_end, name);
		if (!err && ckpt_grow((void **)&mm->pagemap, &cap, mm->n_pagemap + 1, sizeof(*p)))
			err = ckpt_img_oom(name);
		if (!err) {
			p = &mm->pagemap[mm->n_pagemap++];
			p->vaddr = e->vaddr;
			p->nr_pages = e->nr_pages;
			p->offset = e->offset;
			p->part = e->part;
			mm->n_parts = MAX(mm->n_parts, e->part + 1);
			mm->nr_pages += e->nr_pages;
		}
		pagemap_entry__free_unpacked(e, NULL);
		if (err)
			break;
	}
	ckpt_img_r_close(&r);
	return err;
}
