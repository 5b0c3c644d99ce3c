/* SPDX-License-Identifier: GPL-2.0 */
/* Parsers for /proc/PID files.  procfd is an O_PATH|O_DIRECTORY fd of /proc/PID. */
#ifndef CKPT_PROC_H
#define CKPT_PROC_H

#include <stdint.h>
#include <sys/types.h>

#include "state.h"

#define PF_KTHREAD 0x00200000

struct ckpt_proc_stat {
	char state;
	pid_t ppid, pgid, sid;
	unsigned long flags;
	long num_threads;
	uint64_t start_code, end_code, start_stack;
	uint64_t start_data, end_data, start_brk;
	uint64_t arg_start, arg_end, env_start, env_end;
	int exit_code; /* a zombie's wait status */
	char comm[CKPT_COMM_LEN];
};

int ckpt_proc_open(pid_t pid, int *ret_fd);
/* Parse the text of /proc/PID/stat. */
int ckpt_proc_parse_stat(const char *buf, struct ckpt_proc_stat *ret);
int ckpt_proc_stat(int procfd, struct ckpt_proc_stat *ret);
/* Parse /proc/PID/status into creds and umask. */
int ckpt_proc_parse_status(const char *buf, struct ckpt_task *t);
int ckpt_proc_status(int procfd, struct ckpt_task *t);
/* Parse /proc/PID/smaps into mm->vmas (no file identity yet). */
int ckpt_proc_parse_smaps(const char *buf, struct ckpt_mm *mm);
int ckpt_proc_vmas(int procfd, struct ckpt_mm *mm);
/*
 * Kind (and [heap]/[stack] attrs, path) of a VMA from its maps name and
 * shared flag ('s' or 'p'); -EOPNOTSUPP for kinds ckpt cannot dump.
 */
int ckpt_proc_vma_classify(struct ckpt_vma *v, char shared, const char *name);
int ckpt_proc_auxv(int procfd, struct ckpt_mm *mm);
/* Parse "pos:" and "flags:" of /proc/PID/fdinfo/N. */
int ckpt_proc_parse_fdinfo(const char *buf, uint64_t *ret_pos, uint32_t *ret_flags);
/*
 * The "lock:" lines of an fdinfo text (held locks, not waiters): *ret is
 * allocated (NULL when none).  -EOPNOTSUPP for a kind ckpt cannot take
 * again (mandatory, leases), -EINVAL for a line it cannot read.
 */
int ckpt_proc_parse_locks(const char *buf, struct ckpt_lock **ret, size_t *ret_n);
/* Parse /proc/PID/timers (ids, clocks, notification); times are read elsewhere. */
int ckpt_proc_parse_timers(const char *buf, struct ckpt_posix_timer **ret, size_t *ret_n);
/* Number of children of the thread tid of pid (from .../children). */
int ckpt_proc_nr_children(int procfd, pid_t tid);

#endif
