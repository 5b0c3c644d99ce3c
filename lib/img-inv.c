// SPDX-License-Identifier: GPL-2.0
/* The whole-dump images: inventory.img and pipes.img. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "img-io.h"
#include "img.h"
#include "inventory.pb-c.h"
#include "log.h"
#include "pipes.pb-c.h"
#include "util.h"

#define INVENTORY "inventory.img"
#define PIPES "pipes.img"
#define MAX_TASKS 65536
#define MAX_PIPES 65536
#define MAX_PIPE_SIZE (1u << 20) /* /proc/sys/fs/pipe-max-size default */

/* ---- inventory.img --------------------------------------------------------- */

int ckpt_img_write_inventory(int dirfd, const struct ckpt_inventory *inv)
{
	static const char tmp[] = INVENTORY ".tmp";
	InventoryEntry e = INVENTORY_ENTRY__INIT;
	CpuEntry cpu = CPU_ENTRY__INIT;
	struct ckpt_img_w w;
	int err;

	e.has_img_version = e.has_root_pid = e.has_n_tasks = true;
	e.img_version = inv->img_version;
	e.root_pid = inv->root_pid;
	e.n_tasks = inv->n_tasks;
	ckpt_img_str_out(inv->tool_version, &e.has_tool_version, &e.tool_version);
	ckpt_img_str_out(inv->kernel, &e.has_kernel, &e.kernel);
	ckpt_img_str_out(inv->arch, &e.has_arch, &e.arch);
	e.has_dump_time_ns = e.has_shell_job = true;
	e.dump_time_ns = inv->dump_time_ns;
	e.shell_job = inv->shell_job;
	e.n_pids = inv->n_pids;
	e.pids = (int32_t *)inv->pids;
	if (inv->cpu.valid) {
		cpu.has_xcr0 = cpu.has_xsave_size = true;
		cpu.xcr0 = inv->cpu.xcr0;
		cpu.xsave_size = inv->cpu.xsave_size;
		cpu.n_words = CKPT_CPU_WORDS;
		cpu.words = (uint32_t *)inv->cpu.words;
		e.cpu = &cpu;
	}

	/* Written last and renamed into place: a failed dump never looks complete. */
	err = ckpt_img_w_open(dirfd, tmp, CKPT_MAGIC_INVENTORY, &w);
	if (err)
		return err;
	err = ckpt_img_w_msg(&w, &e.base);
	if (err) {
		ckpt_img_w_abort(&w);
		goto out_unlink;
	}
	err = ckpt_img_w_close(&w);
	if (err)
		goto out_unlink;
	if (renameat(dirfd, tmp, dirfd, INVENTORY)) {
		err = -errno;
		pr_err(INVENTORY ": rename from %s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	return 0;
out_unlink:
	unlinkat(dirfd, tmp, 0);
	return err;
}

/* The task list: pids[0] is the root, every pid positive and listed once. */
static int inventory_pids(struct ckpt_inventory *inv, const InventoryEntry *e)
{
	int64_t *v;
	size_t i;
	int rep;

	if (!e->n_pids) { /* images from before process trees: the root alone */
		if (inv->n_tasks != 1)
			return ckpt_img_bad(INVENTORY ": %u tasks but no task list", inv->n_tasks);
	} else if (e->n_pids != inv->n_tasks || e->pids[0] != inv->root_pid) {
		return ckpt_img_bad(INVENTORY ": the task list (%zu, first %d) does not match "
				    "%u tasks with root %d", e->n_pids, e->pids[0], inv->n_tasks,
				    inv->root_pid);
	}
	inv->pids = calloc(inv->n_tasks, sizeof(*inv->pids));
	v = calloc(inv->n_tasks, sizeof(*v));
	if (!inv->pids || !v) {
		free(v);
		return ckpt_img_oom(INVENTORY);
	}
	inv->n_pids = inv->n_tasks;
	for (i = 0; i < inv->n_pids; i++) {
		inv->pids[i] = e->n_pids ? e->pids[i] : inv->root_pid;
		v[i] = inv->pids[i];
		if (inv->pids[i] <= 0) {
			free(v);
			return ckpt_img_bad(INVENTORY ": task %zu has pid %d", i, inv->pids[i]);
		}
	}
	rep = ckpt_img_has_repeats(v, inv->n_pids);
	free(v);
	if (rep < 0)
		return ckpt_img_oom(INVENTORY);
	return rep ? ckpt_img_bad(INVENTORY ": a pid is listed twice") : 0;
}

static int inventory_from_pb(struct ckpt_inventory *inv, const InventoryEntry *e)
{
	int err;

	if (!e->has_img_version)
		return ckpt_img_bad(INVENTORY ": no image version");
	if (e->img_version != CKPT_IMG_VERSION) {
		pr_err(INVENTORY ": image version %u, this ckpt reads version %u", e->img_version,
		       CKPT_IMG_VERSION);
		return -EPROTO;
	}
	inv->img_version = e->img_version;
	inv->root_pid = e->root_pid;
	inv->n_tasks = e->has_n_tasks ? e->n_tasks : 1;
	if (!e->has_root_pid || e->root_pid <= 0 || !inv->n_tasks || inv->n_tasks > MAX_TASKS)
		return ckpt_img_bad(INVENTORY ": invalid root pid %d or task count %u (1 to %d)",
				    e->root_pid, inv->n_tasks, MAX_TASKS);
	inv->dump_time_ns = e->dump_time_ns;
	inv->shell_job = e->shell_job;
	if (e->cpu) {
		if (e->cpu->n_words > CKPT_CPU_WORDS)
			return ckpt_img_bad(INVENTORY ": %zu CPU feature words (at most %d)",
					    e->cpu->n_words, CKPT_CPU_WORDS);
		inv->cpu.valid = true;
		inv->cpu.xcr0 = e->cpu->xcr0;
		inv->cpu.xsave_size = e->cpu->xsave_size;
		memcpy(inv->cpu.words, e->cpu->words, e->cpu->n_words * sizeof(*e->cpu->words));
	}
	err = ckpt_img_str_in(&inv->tool_version, e->has_tool_version, &e->tool_version, INVENTORY,
			      "tool version", false);
	if (!err)
		err = ckpt_img_str_in(&inv->kernel, e->has_kernel, &e->kernel, INVENTORY, "kernel",
				      false);
	if (!err)
		err = ckpt_img_str_in(&inv->arch, e->has_arch, &e->arch, INVENTORY, "arch", false);
	return err ?: inventory_pids(inv, e);
}

int ckpt_img_read_inventory(int dirfd, struct ckpt_inventory *ret)
{
	struct ckpt_inventory inv = { 0 };
	InventoryEntry *e = NULL;
	int err;

	err = ckpt_img_read_one(dirfd, INVENTORY, CKPT_MAGIC_INVENTORY,
				&inventory_entry__descriptor, (ProtobufCMessage **)&e);
	if (err)
		return err;
	err = inventory_from_pb(&inv, e);
	inventory_entry__free_unpacked(e, NULL);
	if (err) {
		ckpt_inventory_free(&inv);
		return err;
	}
	*ret = inv;
	return 0;
}

/* ---- pipes.img -------------------------------------------------------------- */

int ckpt_img_write_pipes(int dirfd, const struct ckpt_pipe *pipes, size_t n)
{
	struct ckpt_img_w w;
	size_t i;
	int err;

	err = ckpt_img_w_open(dirfd, PIPES, CKPT_MAGIC_PIPES, &w);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++) {
		PipeEntry e = PIPE_ENTRY__INIT;

		e.has_ino = e.has_size = e.has_data = e.has_dev = true;
		e.dev = pipes[i].dev;
		e.ino = pipes[i].ino;
		if (pipes[i].path) {
			e.has_path = true;
			e.path.data = (uint8_t *)pipes[i].path;
			e.path.len = strlen(pipes[i].path);
		}
		e.size = pipes[i].size;
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

	for (i = 0; i < n; i++) {
		free(pipes[i].data);
		free(pipes[i].path);
	}
	free(pipes);
}

static int pipe_from_pb(struct ckpt_pipe *p, const PipeEntry *e, size_t i)
{
	int err;

	if (!e->has_ino || !e->has_size || e->size > MAX_PIPE_SIZE || e->data.len > e->size)
		return ckpt_img_bad(PIPES ": pipe %zu: no inode, or %zu bytes in a capacity of %u "
				    "(at most %u)", i, e->data.len, e->size, MAX_PIPE_SIZE);
	err = ckpt_img_str_in(&p->path, e->has_path, &e->path, PIPES, "FIFO path", false);
	if (err)
		return err;
	if (p->path && p->path[0] != '/') {
		err = ckpt_img_bad(PIPES ": pipe %zu: FIFO path is not absolute", i);
		goto fail;
	}
	p->data = malloc(MAX(e->data.len, 1));
	if (!p->data) {
		err = ckpt_img_oom(PIPES);
		goto fail;
	}
	if (e->data.len)
		memcpy(p->data, e->data.data, e->data.len);
	p->len = e->data.len;
	p->dev = e->dev;
	p->ino = e->ino;
	p->size = e->size;
	return 0;
fail:
	/* Not counted in the caller's array yet: its path is ours to free. */
	free(p->path);
	p->path = NULL;
	return err;
}

static int by_ino_dev(const void *a, const void *b)
{
	const struct ckpt_pipe *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->dev < y->dev ? -1 : x->dev > y->dev;
}

/*
 * Every pipe once: (dev, ino) names it in the fd tables, and an entry with
 * dev 0 (older images) matches its inode on any device.
 */
static int pipes_check(const struct ckpt_pipe *p, size_t n)
{
	struct ckpt_pipe *v = malloc(MAX(n, 1) * sizeof(*v));
	bool rep = false;
	size_t i;

	if (!v)
		return ckpt_img_oom(PIPES);
	memcpy(v, p, n * sizeof(*v));
	qsort(v, n, sizeof(*v), by_ino_dev);
	for (i = 1; i < n && !rep; i++)
		rep = v[i].ino == v[i - 1].ino && (!v[i - 1].dev || v[i].dev == v[i - 1].dev);
	free(v);
	return rep ? ckpt_img_bad(PIPES ": a pipe is listed twice") : 0;
}

int ckpt_img_read_pipes(int dirfd, struct ckpt_pipe **ret, size_t *ret_n)
{
	struct ckpt_pipe *p = NULL;
	struct ckpt_img_r r;
	size_t n = 0, cap = 0;
	int err;

	err = ckpt_img_r_open(dirfd, PIPES, CKPT_MAGIC_PIPES, &r);
	if (err)
		return err;
	for (;;) {
		PipeEntry *e = NULL;

		err = ckpt_img_r_msg(&r, &pipe_entry__descriptor, (ProtobufCMessage **)&e);
		if (err || !e)
			break;
		if (n == MAX_PIPES)
			err = ckpt_img_bad(PIPES ": more than %d pipes", MAX_PIPES);
		else if (ckpt_grow((void **)&p, &cap, n + 1, sizeof(*p)))
			err = ckpt_img_oom(PIPES);
		else
			err = pipe_from_pb(&p[n], e, n);
		pipe_entry__free_unpacked(e, NULL);
		if (err)
			break;
		n++;
	}
	ckpt_img_r_close(&r);
	if (!err)
		err = pipes_check(p, n);
	if (err) {
		ckpt_pipes_free(p, n);
		return err;
	}
	*ret = p;
	*ret_n = n;
	return 0;
}
