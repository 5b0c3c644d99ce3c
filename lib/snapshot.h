/* SPDX-License-Identifier: GPL-2.0 */
/* Copy-on-write snapshots of a frozen task's memory: a forked helper that never runs. */
#ifndef CKPT_SNAPSHOT_H
#define CKPT_SNAPSHOT_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * pid is frozen (ptrace-stopped by us): make it fork a stopped, traced
 * helper holding a copy-on-write copy of its memory.  One error message.
 */
int ckpt_snapshot_take(pid_t pid, int procfd, pid_t *ret_helper);
/*
 * Kill the helper and reap its zombie by a wait4() injected into pid:
 * still frozen by us (frozen), or running again, when it is seized and
 * stopped for that one call (stopped: it was SIGSTOPped, and stays so).
 * Best effort: warns if a zombie remains.
 */
void ckpt_snapshot_drop(pid_t pid, int procfd, pid_t helper, bool frozen, bool stopped);

#endif
