// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "state.h"

void ckpt_vmas_free(struct ckpt_vma *vmas, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(vmas[i].path);
		free(vmas[i].name);
	}
	free(vmas);
}

static void mm_free(struct ckpt_mm *mm)
{
	ckpt_vmas_free(mm->vmas, mm->n_vmas);
	free(mm->pagemap);
	free(mm->auxv);
	free(mm->exe_path);
}

void ckpt_task_free(struct ckpt_task *t)
{
	size_t i, j;

	for (i = 0; i < t->n_threads; i++) {
		free(t->threads[i].xsave);
		free(t->threads[i].pending.info);
	}
	free(t->threads);
	for (i = 0; i < t->n_fds; i++) {
		free(t->fds[i].path);
		free(t->fds[i].data);
		free(t->fds[i].epoll);
		free(t->fds[i].locks);
		if (t->fds[i].sk) {
			free(t->fds[i].sk->rq);
			free(t->fds[i].sk->dgrams);
			free(t->fds[i].sk->sq);
			free(t->fds[i].sk);
		}
		for (j = 0; j < t->fds[i].n_watches; j++)
			free(t->fds[i].watches[j].path);
		free(t->fds[i].watches);
	}
	free(t->fds);
	free(t->shared_pending.info);
	free(t->timers);
	free(t->creds.groups);
	free(t->cwd);
	free(t->root);
	mm_free(&t->mm);
	memset(t, 0, sizeof(*t));
}

void ckpt_inventory_free(struct ckpt_inventory *inv)
{
	free(inv->tool_version);
	free(inv->kernel);
	free(inv->arch);
	free(inv->pids);
	memset(inv, 0, sizeof(*inv));
}
