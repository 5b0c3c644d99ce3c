/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The ckpt generic netlink family: the protocol between kmod/ (the kernel
 * module) and lib/kmod.c (the client).  Described in kmod/ckpt.yaml.
 * Shared by both sides; bump CKPT_GENL_VERSION on any incompatible change.
 */
#ifndef CKPT_GENL_H
#define CKPT_GENL_H

#include <linux/types.h>

#define CKPT_GENL_NAME "ckpt"
#define CKPT_GENL_VERSION 1

enum ckpt_genl_cmd {
	CKPT_CMD_UNSPEC,
	CKPT_CMD_TASK_GET = 1, /* do: ids, comm, credentials, threads */
	CKPT_CMD_REGS_GET,     /* do: registers + xstate of one stopped thread */
	CKPT_CMD_MM_GET,       /* do: mm bounds, auxv, exe */
	CKPT_CMD_VMA_GET,      /* dump: one message per VMA */
	CKPT_CMD_FD_GET,       /* dump: one message per open fd */
	CKPT_CMD_SOCK_GET,     /* do: one socket fd */
	CKPT_CMD_PAGES_GET,    /* dump: page presence runs of a range */
	__CKPT_CMD_MAX,
};
#define CKPT_CMD_MAX (__CKPT_CMD_MAX - 1)

enum ckpt_genl_attr {
	CKPT_A_UNSPEC,
	CKPT_A_PAD = 1,
	CKPT_A_PID,        /* u32: request (caller's pid namespace) and reply */
	CKPT_A_TID,        /* u32 */
	CKPT_A_TGID,       /* u32 */
	CKPT_A_PPID,       /* u32 */
	CKPT_A_PGID,       /* u32 */
	CKPT_A_SID,        /* u32 */
	CKPT_A_COMM,       /* string */
	CKPT_A_STATE,      /* u32: CKPT_TASK_* bits */
	CKPT_A_UID,        /* u32 x 8: credentials, in the caller's user namespace */
	CKPT_A_EUID,
	CKPT_A_SUID,
	CKPT_A_FSUID,
	CKPT_A_GID,
	CKPT_A_EGID,
	CKPT_A_SGID,
	CKPT_A_FSGID,
	CKPT_A_THREADS,    /* nest: CKPT_A_TID per thread, main thread first */
	CKPT_A_REGS,       /* binary: struct user_regs_struct (NT_PRSTATUS) */
	CKPT_A_XSTATE,     /* binary: NT_X86_XSTATE area */
	CKPT_A_START,      /* u64: address (VMA, page range) */
	CKPT_A_END,        /* u64 */
	CKPT_A_PGOFF,      /* u64: file offset in bytes */
	CKPT_A_PROT,       /* u32: PROT_* */
	CKPT_A_VM_FLAGS,   /* u64: CKPT_VM_* */
	CKPT_A_NAME,       /* string: as /proc/PID/maps names it (path, [heap], ...) */
	CKPT_A_DEV,        /* u64: st_dev (userspace encoding) */
	CKPT_A_INO,        /* u64 */
	CKPT_A_SIZE,       /* u64 */
	CKPT_A_MODE,       /* u32 */
	CKPT_A_RDEV,       /* u64 */
	CKPT_A_NLINK,      /* u32 */
	CKPT_A_FD,         /* u32 */
	CKPT_A_FD_FLAGS,   /* u32: FD_CLOEXEC */
	CKPT_A_FLAGS,      /* u32: open flags (f_flags) */
	CKPT_A_POS,        /* u64 */
	CKPT_A_PATH,       /* string: as readlink of /proc/PID/fd/N */
	CKPT_A_MM,         /* binary: struct ckpt_genl_mm */
	CKPT_A_AUXV,       /* binary: auxv words */
	CKPT_A_SK_FAMILY,  /* u32 */
	CKPT_A_SK_TYPE,    /* u32 */
	CKPT_A_SK_PROTO,   /* u32 */
	CKPT_A_SK_STATE,   /* u32 */
	CKPT_A_SK_LOCAL,   /* binary: sockaddr */
	CKPT_A_SK_PEER,    /* binary: sockaddr */
	CKPT_A_TCP_INFO,   /* binary: struct tcp_info */
	CKPT_A_TCP_SEQ,    /* binary: struct ckpt_genl_tcp_seq */
	CKPT_A_RUNS,       /* binary: array of struct ckpt_genl_page_run */
	CKPT_A_VERSION,    /* u32: CKPT_GENL_VERSION (TASK_GET reply) */
	__CKPT_A_MAX,
};
#define CKPT_A_MAX (__CKPT_A_MAX - 1)

/* CKPT_A_STATE */
#define CKPT_TASK_STOPPED (1u << 0) /* in a group stop */
#define CKPT_TASK_TRACED  (1u << 1) /* in a ptrace stop */
#define CKPT_TASK_ZOMBIE  (1u << 2) /* exited (no mm) */

/* CKPT_A_VM_FLAGS: a stable subset of the kernel's VM_* bits */
#define CKPT_VM_SHARED       (1ull << 0)
#define CKPT_VM_GROWSDOWN    (1ull << 1)
#define CKPT_VM_DONTCOPY     (1ull << 2)
#define CKPT_VM_WIPEONFORK   (1ull << 3)
#define CKPT_VM_DONTDUMP     (1ull << 4)
#define CKPT_VM_HUGEPAGE     (1ull << 5)
#define CKPT_VM_NOHUGEPAGE   (1ull << 6)
#define CKPT_VM_LOCKED       (1ull << 7)
#define CKPT_VM_RAND_READ    (1ull << 8)
#define CKPT_VM_SEQ_READ     (1ull << 9)
#define CKPT_VM_MERGEABLE    (1ull << 10)
#define CKPT_VM_MAYWRITE     (1ull << 11)
#define CKPT_VM_ACCOUNT      (1ull << 12)
#define CKPT_VM_IO           (1ull << 13) /* VM_IO or VM_PFNMAP */
#define CKPT_VM_MAYSHARE     (1ull << 14)
#define CKPT_VM_FILE         (1ull << 15) /* has a backing file */

struct ckpt_genl_mm {
	__u64 start_code, end_code, start_data, end_data;
	__u64 start_brk, brk, start_stack;
	__u64 arg_start, arg_end, env_start, env_end;
};

struct ckpt_genl_tcp_seq {
	__u32 write_seq, snd_una, snd_nxt, rcv_nxt, copied_seq;
	__u32 snd_wnd, rcv_wnd, mss_cache;
};

/* CKPT_A_RUNS: page runs; pages of the range not in any run are absent. */
#define CKPT_PAGE_PRESENT (1u << 0)
#define CKPT_PAGE_SWAPPED (1u << 1)
#define CKPT_PAGE_FILE    (1u << 2) /* page cache page (not copied on write) */
#define CKPT_PAGE_ZERO    (1u << 3) /* the shared zero page */
struct ckpt_genl_page_run {
	__u64 start;
	__u32 nr_pages;
	__u32 flags;
};

/* Bounds checked by the policies */
#define CKPT_PAGES_MAX_RANGE (1ull << 47) /* one request: at most 128 TiB */

#endif
