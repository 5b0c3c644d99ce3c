/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Client of the ckpt kernel module (kmod/, generic netlink family
 * CKPT_GENL_NAME).  All functions return >= 0 or -errno; errors are logged
 * once with the module's own (extack) message, except -ENOENT from
 * ckpt_kmod_open() when the module is not loaded (the caller decides).
 */
#ifndef CKPT_KMOD_H
#define CKPT_KMOD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "state.h"
#include "../kmod/uapi/ckpt_genl.h"

struct ckpt_kmod;

/* Connect and check the family's version; -ENOENT (not logged) if absent. */
int ckpt_kmod_open(struct ckpt_kmod **ret);
void ckpt_kmod_close(struct ckpt_kmod *k);
/* Is the family registered, and with which version?  0, or -ENOENT. */
int ckpt_kmod_probe(uint32_t *ret_version);

struct ckpt_kmod_task {
	pid_t pid, tgid, ppid, pgid, sid;
	char comm[CKPT_COMM_LEN];
	uint32_t state; /* CKPT_TASK_* */
	uint32_t uid, euid, suid, fsuid, gid, egid, sgid, fsgid;
	pid_t *tids; /* main thread first */
	size_t n_tids;
};
int ckpt_kmod_task(struct ckpt_kmod *k, pid_t pid, struct ckpt_kmod_task *ret);

/* Registers and xstate (th->xsave allocated) of a stopped thread. */
int ckpt_kmod_regs(struct ckpt_kmod *k, pid_t pid, pid_t tid, struct ckpt_thread *th);
/* mm bounds, auxv, exe path and identity. */
int ckpt_kmod_mm(struct ckpt_kmod *k, pid_t pid, struct ckpt_mm *mm);

struct ckpt_kmod_vma {
	uint64_t start, end, pgoff, vm_flags; /* CKPT_VM_* */
	uint32_t prot;
	char *name; /* as /proc/PID/maps shows it, or NULL */
	bool has_id;
	struct stat st; /* st_dev, st_ino, st_size, st_mode, st_nlink, st_rdev */
};
int ckpt_kmod_vmas(struct ckpt_kmod *k, pid_t pid, struct ckpt_kmod_vma **ret, size_t *ret_n);
void ckpt_kmod_vmas_free(struct ckpt_kmod_vma *v, size_t n);

struct ckpt_kmod_fd {
	int32_t fd;
	uint32_t fd_flags, flags;
	uint64_t pos;
	char *path; /* as readlink of /proc/PID/fd/N */
	bool has_id;
	struct stat st;
};
int ckpt_kmod_fds(struct ckpt_kmod *k, pid_t pid, struct ckpt_kmod_fd **ret, size_t *ret_n);
void ckpt_kmod_fds_free(struct ckpt_kmod_fd *f, size_t n);

struct ckpt_kmod_sock {
	uint32_t family, type, proto, state;
	struct sockaddr_storage local, peer;
	socklen_t local_len, peer_len;
	bool tcp;
	struct ckpt_genl_tcp_seq seq;
};
int ckpt_kmod_sock(struct ckpt_kmod *k, pid_t pid, int fd, struct ckpt_kmod_sock *ret);

/* Page runs of [start, end) (appended to *ret). */
int ckpt_kmod_pages(struct ckpt_kmod *k, pid_t pid, uint64_t start, uint64_t end,
		    struct ckpt_genl_page_run **ret, size_t *ret_n);

#endif
