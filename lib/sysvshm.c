// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <unistd.h>

#include "img.h"
#include "log.h"
#include "sysvshm.h"
#include "util.h"

#define SHM_NEXT_ID "/proc/sys/kernel/shm_next_id"

static bool have_seg(const struct ckpt_shm_set *set, int id)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->segs[i].id == id)
			return true;
	return false;
}

/* Create the segment with its id: shm_next_id names the id of the next shmget(). */
static int create_seg(const struct ckpt_sysv_shm *s)
{
	char buf[16];
	int fd, id, len, err;

	fd = open(SHM_NEXT_ID, O_WRONLY | O_CLOEXEC);
	len = snprintf(buf, sizeof(buf), "%d", s->id);
	if (fd < 0 || write(fd, buf, len) != len) {
		err = -errno;
		pr_err("SysV segment %d: cannot choose its id (" SHM_NEXT_ID "): %s", s->id,
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	close(fd);
	id = shmget(s->key, s->size, IPC_CREAT | IPC_EXCL | (s->mode & 0777));
	if (id < 0) {
		err = -errno;
		if (errno == EEXIST)
			pr_err("SysV segment %d: its key 0x%x is taken by another segment", s->id,
			       (unsigned int)s->key);
		else
			pr_err("SysV segment %d: cannot create it (%" PRIu64 " bytes): %s", s->id,
			       s->size, strerror(errno));
		return err;
	}
	if (id != s->id) {
		shmctl(id, IPC_RMID, NULL);
		pr_err("SysV segment %d: created as %d (is that id taken?)", s->id, id);
		return -EEXIST;
	}
	return 0;
}

/* The pages of the segment's VMAs in t, copied into the new segment. */
static int fill_seg(const struct ckpt_task *t, const struct ckpt_sysv_shm *s, int dirfd)
{
	int fds[CKPT_MAX_PAGE_PARTS];
	const struct ckpt_mm *mm = &t->mm;
	size_t i, vi = 0;
	uint8_t *addr;
	int err = 0;

	for (i = 0; i < CKPT_MAX_PAGE_PARTS; i++)
		fds[i] = -1;
	addr = shmat(s->id, NULL, 0);
	if (addr == (void *)-1) {
		err = -errno;
		pr_err("SysV segment %d: cannot attach it: %s", s->id, strerror(errno));
		return err;
	}
	for (i = 0; i < mm->n_pagemap && !err; i++) {
		const struct ckpt_pagemap_entry *e = &mm->pagemap[i];
		uint64_t len = e->nr_pages * PAGE_SIZE, off;
		const struct ckpt_vma *v;
		ssize_t n;

		while (vi < mm->n_vmas && mm->vmas[vi].end <= e->vaddr)
			vi++;
		if (vi == mm->n_vmas)
			break;
		v = &mm->vmas[vi];
		if (v->kind != CKPT_VMA_SYSVSHM || v->shm.id != s->id || v->start > e->vaddr)
			continue;
		off = v->pgoff + (e->vaddr - v->start);
		if (off + len > ((s->size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))) {
			pr_err("pagemap-%d.img: run at %" PRIx64 " is outside SysV segment %d", t->pid,
			       e->vaddr, s->id);
			err = -EBADMSG;
			break;
		}
		if (fds[e->part] < 0) {
			fds[e->part] = ckpt_img_pages_open(dirfd, t->pid, e->part);
			if (fds[e->part] < 0) {
				err = fds[e->part];
				break;
			}
		}
		n = ckpt_pread_all(fds[e->part], addr + off, len, e->offset);
		if (n < 0 || (uint64_t)n != len) {
			char name[64];

			ckpt_img_pages_name(name, sizeof(name), t->pid, e->part);
			pr_err("%s: truncated at offset %" PRIu64, name, e->offset);
			err = n < 0 ? (int)n : -ENODATA;
		}
	}
	shmdt(addr);
	for (i = 0; i < CKPT_MAX_PAGE_PARTS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return err;
}

/* Owner and permissions as they were; a locked segment is locked again (best effort). */
static void set_owner(const struct ckpt_sysv_shm *s)
{
	struct shmid_ds ds;

	if (shmctl(s->id, IPC_STAT, &ds))
		return;
	ds.shm_perm.uid = s->uid;
	ds.shm_perm.gid = s->gid;
	ds.shm_perm.mode = s->mode & 0777;
	if (shmctl(s->id, IPC_SET, &ds))
		pr_warn("SysV segment %d: cannot set its owner %u:%u: %s, skipping", s->id, s->uid,
			s->gid, strerror(errno));
	if ((s->mode & SHM_LOCKED) && shmctl(s->id, SHM_LOCK, NULL))
		pr_warn("SysV segment %d: cannot lock it again: %s, skipping", s->id,
			strerror(errno));
}

static int prepare_one(struct ckpt_shm_set *set, const struct ckpt_task *t,
		       const struct ckpt_sysv_shm *s, int dirfd)
{
	struct ckpt_shm_seg *seg;
	struct shmid_ds ds;
	int err;

	err = ckpt_grow((void **)&set->segs, &set->cap, set->n + 1, sizeof(*set->segs));
	if (err)
		return err;
	seg = &set->segs[set->n];
	*seg = (struct ckpt_shm_seg){ .id = s->id, .dest = s->mode & SHM_DEST };
	if (!shmctl(s->id, IPC_STAT, &ds)) {
		/* Still there (the dump left it): its contents are the live ones. */
		if (ds.shm_perm.__key != s->key || ds.shm_segsz != s->size) {
			pr_err("SysV segment %d: the id is taken by another segment (key 0x%x, %zu "
			       "bytes; the image has key 0x%x, %" PRIu64 " bytes)", s->id,
			       (unsigned int)ds.shm_perm.__key, (size_t)ds.shm_segsz,
			       (unsigned int)s->key, s->size);
			return -EEXIST;
		}
		set->n++;
		return 0;
	}
	err = create_seg(s);
	if (err)
		return err;
	seg->created = true;
	set->n++;
	err = fill_seg(t, s, dirfd);
	if (err)
		return err;
	set_owner(s);
	return 0;
}

int ckpt_shm_prepare(struct ckpt_shm_set *set, const struct ckpt_task *t, int dirfd)
{
	size_t i;
	int err;

	for (i = 0; i < t->mm.n_vmas; i++) {
		const struct ckpt_vma *v = &t->mm.vmas[i];

		if (v->kind != CKPT_VMA_SYSVSHM || v->shared_pid || v->pgoff ||
		    have_seg(set, v->shm.id))
			continue;
		err = prepare_one(set, t, &v->shm, dirfd);
		if (err)
			return err;
	}
	return 0;
}

void ckpt_shm_finish(struct ckpt_shm_set *set, bool ok)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if ((ok && set->segs[i].dest && set->segs[i].created) || (!ok && set->segs[i].created))
			shmctl(set->segs[i].id, IPC_RMID, NULL);
	free(set->segs);
	*set = (struct ckpt_shm_set){ 0 };
}
