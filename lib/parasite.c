// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "log.h"
#include "parasite.h"
#include "util.h"

#ifndef PTRACE_GETSIGMASK
#define PTRACE_GETSIGMASK 0x420a
#define PTRACE_SETSIGMASK 0x420b
#endif

/* Find the address of a `syscall` instruction (0f 05) in the task's vDSO. */
static int find_syscall_insn(pid_t pid, int procfd, uint64_t *ret)
{
	unsigned long long start = 0, end = 0;
	char *maps, *line;
	uint8_t *text;
	size_t i, len;
	int err;

	err = ckpt_read_file(procfd, "maps", &maps, NULL);
	if (err)
		return err;
	line = strstr(maps, "[vdso]");
	if (line) {
		while (line > maps && line[-1] != '\n')
			line--;
		sscanf(line, "%llx-%llx", &start, &end);
	}
	free(maps);
	if (!start || end <= start || end - start > (1 << 20))
		return -ENOENT;
	len = end - start;
	text = malloc(len);
	if (!text)
		return -ENOMEM;
	err = ckpt_vm_read(pid, start, text, len);
	if (err)
		goto out;
	err = -ENOENT;
	for (i = 0; i + 1 < len; i++)
		if (text[i] == 0x0f && text[i + 1] == 0x05) {
			*ret = start + i;
			err = 0;
			break;
		}
out:
	free(text);
	return err;
}

int ckpt_parasite_start(struct ckpt_parasite *p, pid_t pid, int procfd)
{
	uint64_t all = ~0ULL, ip;
	long addr;
	int err;

	memset(p, 0, sizeof(*p));
	err = find_syscall_insn(pid, procfd, &ip);
	if (err) {
		pr_err("pid %d: no syscall instruction found in its vDSO", pid);
		return err;
	}
	err = ckpt_inject_init(&p->in, pid, ip);
	if (err)
		goto fail;
	p->saved = p->in.base;
	if (ptrace(PTRACE_GETSIGMASK, pid, (void *)sizeof(all), &p->saved_mask) ||
	    ptrace(PTRACE_SETSIGMASK, pid, (void *)sizeof(all), &all)) {
		err = -errno;
		goto fail;
	}
	p->scratch_len = PAGE_SIZE;
	err = ckpt_inject(&p->in, SYS_mmap, 0, p->scratch_len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &addr);
	if (!err && addr < 0 && addr > -4096)
		err = (int)addr;
	if (err) {
		ckpt_parasite_stop(p, err);
		goto fail;
	}
	p->scratch = addr;
	p->owns_scratch = true;
	return 0;
fail:
	pr_err("pid %d: cannot run syscalls in the task: %s", pid, strerror(-err));
	return err;
}

int ckpt_parasite_enter_thread(const struct ckpt_parasite *p, pid_t tid, struct ckpt_parasite *ret)
{
	uint64_t all = ~0ULL;
	int err;

	*ret = *p;
	ret->owns_scratch = false;
	err = ckpt_inject_init(&ret->in, tid, p->in.ip);
	if (err)
		return err;
	ret->saved = ret->in.base;
	if (ptrace(PTRACE_GETSIGMASK, tid, (void *)sizeof(all), &ret->saved_mask) ||
	    ptrace(PTRACE_SETSIGMASK, tid, (void *)sizeof(all), &all))
		return -errno; /* nothing changed in the thread yet */
	return 0;
}

int ckpt_parasite_syscall(struct ckpt_parasite *p, long nr, uint64_t a1, uint64_t a2,
			  uint64_t a3, uint64_t a4, long *ret_val)
{
	return ckpt_inject(&p->in, nr, a1, a2, a3, a4, 0, 0, ret_val);
}

/* Undo everything: scratch page, blocked mask, registers (with restart fix-up). */
int ckpt_parasite_stop(struct ckpt_parasite *p, int first)
{
	struct user_regs_struct regs = p->saved;
	int err = 0;
	long r;

	if (p->scratch && p->owns_scratch) {
		err = ckpt_inject(&p->in, SYS_munmap, p->scratch, p->scratch_len, 0, 0, 0, 0, &r);
		if (!err && r < 0)
			err = (int)r;
		p->scratch = 0;
	}
	/* We left the kernel's signal path: do its restart fix-up ourselves. */
	ckpt_regs_fixup_restart(&regs, true);
	if (ptrace(PTRACE_SETREGS, p->in.pid, NULL, &regs) ||
	    ptrace(PTRACE_SETSIGMASK, p->in.pid, (void *)sizeof(p->saved_mask), &p->saved_mask))
		err = err ?: -errno;
	if (first)
		return first;
	if (err)
		pr_err("pid %d: cannot restore its registers after running syscalls: %s", p->in.pid,
		       strerror(-err));
	return err;
}
