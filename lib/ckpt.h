/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The library's entry points, used by the ckpt program (criu-lite/).
 * All return >= 0 on success or -errno; the error has been logged once,
 * with its context, by the function that knew it.
 */
#ifndef CKPT_H
#define CKPT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define CKPT_API __attribute__((visibility("default")))

/* Filled by ckpt_dump() when opts->stats is set (--display-stats). */
struct ckpt_dump_stats {
	uint64_t frozen_ns; /* from the freeze to the task being killed or resumed */
	uint64_t mem_ns;    /* reading and writing memory pages */
	uint64_t pages;     /* pages written */
	uint64_t total_ns;
};

/* Where the task's state is read from (--backend). */
enum ckpt_backend {
	CKPT_BACKEND_AUTO = 0, /* the kernel module when loaded, else ptrace */
	CKPT_BACKEND_PTRACE,
	CKPT_BACKEND_KMOD,
};

struct ckpt_dump_opts {
	pid_t pid;
	const char *dir;     /* image directory (created; must be absent, empty or a previous image) */
	bool leave_running;  /* resume the task after the dump instead of killing it */
	bool shell_job;      /* allow a controlling terminal / outside session */
	const char *freeze_cgroup; /* freeze with this cgroup's freezer, then seize (or NULL) */
	bool file_locks;     /* save file locks (else a task holding one is refused, as CRIU) */
	bool snapshot;       /* with leave_running: resume once a copy-on-write snapshot is taken */
	bool tcp_established; /* established TCP connections, with TCP_REPAIR (else refused) */
	bool tcp_close;      /* established TCP connections restored closed (unconnected) */
	bool ext_unix_sk;    /* unix datagram sockets connected outside the tree: reconnected by name */
	struct ckpt_dump_stats *stats; /* optional */
	enum ckpt_backend backend;
};

/* restore --cpu-cap: what of the dumping CPU this one must have */
enum ckpt_cpu_cap {
	CKPT_CPU_CAP_CPU = 0, /* default: the XSAVE layout and every feature flag */
	CKPT_CPU_CAP_FPU,     /* the XSAVE layout only (registers can be loaded) */
	CKPT_CPU_CAP_NONE,    /* no check */
};

struct ckpt_restore_opts {
	const char *dir;
	bool detached;       /* --restore-detached: return once the task runs */
	bool shell_job;      /* give terminal fds ckpt's own terminal */
	const char *pidfile; /* write the restored root pid here */
	bool lazy_pages;     /* resume before anonymous memory is loaded (served on fault) */
	enum ckpt_cpu_cap cpu_cap;
	/* --file-remap OLD=NEW: open NEW (or NEW/rest for OLD/rest) for a file at OLD */
	const char *const *file_remap;
	size_t n_file_remap;
	/* --inherit-fd fd[N]:RES: ckpt's fd N is the tree's file named RES in the image */
	const char *const *inherit_fd;
	size_t n_inherit_fd;
};

CKPT_API int ckpt_dump(const struct ckpt_dump_opts *opts);

/*
 * Restore.  When not detached, waits for the restored task and stores its
 * wait status in *ret_status (else 0).
 */
CKPT_API int ckpt_restore(const struct ckpt_restore_opts *opts, int *ret_status);

/* Report what this kernel offers for checkpoint/restore. */
CKPT_API int ckpt_check(FILE *out, bool json);

#endif
