/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-memory model of a checkpointed task.  A state source (ptrace +
 * /proc today, the kernel module later) fills it; the image layer turns it
 * into protobuf images and back; restore consumes it.  Nothing here knows
 * about protobuf or about how the state was obtained.
 */
#ifndef CKPT_STATE_H
#define CKPT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "cpu.h"

#define CKPT_NSIG 64          /* signals 1..64 */
#define CKPT_NRLIMITS 16      /* RLIM_NLIMITS on Linux */
#define CKPT_SIGINFO_SIZE 128 /* sizeof(siginfo_t) */
#define CKPT_COMM_LEN 16

/* ---- memory ---------------------------------------------------------- */

enum ckpt_vma_kind {
	CKPT_VMA_ANON = 1,     /* private anonymous (incl. heap, stack) */
	CKPT_VMA_SHANON,       /* shared anonymous (shmem "/dev/zero (deleted)") */
	CKPT_VMA_FILE_PRIVATE, /* MAP_PRIVATE of a file */
	CKPT_VMA_FILE_SHARED,  /* MAP_SHARED of a file */
	CKPT_VMA_VDSO,
	CKPT_VMA_VVAR,
	CKPT_VMA_VVAR_VCLOCK,
	CKPT_VMA_VSYSCALL,
	CKPT_VMA_SYSVSHM,      /* a SysV shared memory segment (shmat), see ckpt_sysv_shm */
	CKPT_VMA_MEMFD,        /* MAP_SHARED of a memfd: name in name, file.size its size */
};

/* VMA attributes beyond prot/flags, from smaps' VmFlags. */
#define CKPT_VMA_GROWSDOWN   (1u << 0) /* gd */
#define CKPT_VMA_DONTFORK    (1u << 1) /* dc */
#define CKPT_VMA_WIPEONFORK  (1u << 2) /* wf */
#define CKPT_VMA_DONTDUMP    (1u << 3) /* dd */
#define CKPT_VMA_HUGEPAGE    (1u << 4) /* hg */
#define CKPT_VMA_NOHUGEPAGE  (1u << 5) /* nh */
#define CKPT_VMA_LOCKED      (1u << 6) /* lo */
#define CKPT_VMA_RANDREAD    (1u << 7) /* rr */
#define CKPT_VMA_SEQREAD     (1u << 8) /* sr */
#define CKPT_VMA_MERGEABLE   (1u << 9) /* mg */
#define CKPT_VMA_HEAP        (1u << 10) /* named [heap] */
#define CKPT_VMA_STACK       (1u << 11) /* named [stack] */
#define CKPT_VMA_MAYWRITE    (1u << 12) /* mw: a shared file mapping may become writable */
#define CKPT_VMA_ACCOUNT     (1u << 13) /* ac: charged as writable private memory */

struct ckpt_file_id {
	uint64_t dev;  /* st_dev of the file (makedev form) */
	uint64_t ino;
	uint64_t size; /* st_size at dump time */
	uint32_t mode; /* st_mode */
};

/* A SysV shared memory segment, as IPC_STAT showed it (ckpt's IPC namespace). */
struct ckpt_sysv_shm {
	int32_t id, key;   /* shmid; key (IPC_PRIVATE 0) */
	uint64_t size;     /* shm_segsz */
	uint32_t mode;     /* shm_perm.mode: permissions, SHM_DEST, SHM_LOCKED */
	uint32_t uid, gid; /* owner */
};

struct ckpt_vma {
	uint64_t start, end; /* [start, end), page aligned */
	uint64_t pgoff;      /* file offset in bytes */
	uint32_t kind;       /* enum ckpt_vma_kind */
	uint32_t prot;       /* PROT_READ|PROT_WRITE|PROT_EXEC */
	uint32_t attrs;      /* CKPT_VMA_* */
	char *path;          /* backing file, NULL for anonymous */
	char *name;          /* name as in /proc/PID/maps ([heap], [anon:x]); may be NULL */
	struct ckpt_file_id file;
	/*
	 * Shared anonymous memory mapped by an earlier task of the tree too
	 * (inherited across fork): that task's VMA holds the pages, this one
	 * maps the same object.  shared_pid 0: none.
	 */
	int32_t shared_pid;
	uint64_t shared_start, shared_end;
	/*
	 * CKPT_VMA_SYSVSHM: the segment.  An attach is one VMA at pgoff 0, or
	 * several contiguous ones (split by mprotect) covering the segment.
	 */
	struct ckpt_sysv_shm shm;
	/*
	 * CKPT_VMA_MEMFD: an fd of this task open on the same memfd (mapped
	 * from it at restore, no pages stored), or -1.
	 */
	int32_t memfd_fd;
};

/*
 * A run of pages stored in a raw pages file: nr_pages pages starting at
 * vaddr are at byte offset `offset` (page aligned) of part `part` of the
 * task's pages (pages-PID.img, pages-PID.1.img, ...).  Entries are sorted
 * by vaddr, by offset within a part, and do not overlap.
 */
struct ckpt_pagemap_entry {
	uint64_t vaddr;
	uint64_t nr_pages;
	uint64_t offset;
	uint32_t part;
};

struct ckpt_mm {
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t *auxv; /* raw auxv words, pairs (type, value), incl. AT_NULL */
	size_t n_auxv;  /* number of uint64_t words */
	char *exe_path;
	struct ckpt_file_id exe;

	struct ckpt_vma *vmas;
	size_t n_vmas;

	struct ckpt_pagemap_entry *pagemap;
	size_t n_pagemap;
	uint64_t nr_pages; /* total pages stored */
	unsigned int n_parts; /* pages files: 1 + the highest part in the page map */
};

/* ---- files ----------------------------------------------------------- */

enum ckpt_fd_kind {
	CKPT_FD_REG = 1, /* regular file (or directory) reachable by path */
	CKPT_FD_DEVNULL, /* /dev/null */
	CKPT_FD_TTY,     /* a terminal: restored from ckpt's own with --shell-job */
	CKPT_FD_MEMDEV,  /* /dev/zero, /dev/full, /dev/random, /dev/urandom (by rdev) */
	CKPT_FD_EVENTFD, /* eventfd(2): counter and semaphore mode */
	CKPT_FD_PIPE,    /* an end of a pipe of the tree: file.ino names the pipe */
	CKPT_FD_MEMFD,   /* memfd_create(2): name in path, contents in data, seals */
	CKPT_FD_FIFO,    /* an end of a named FIFO: path; file.dev/ino name its pipe */
	CKPT_FD_TIMERFD, /* timerfd_create(2): clock, remaining time, interval, ticks */
	CKPT_FD_SIGNALFD,/* signalfd(2): mask */
	CKPT_FD_EPOLL,   /* epoll_create(2): its targets (fds of the same task) */
	CKPT_FD_DELETED, /* a regular file unlinked while open: path it had, contents in data */
	/* 13..19: sockets (lib/sk-*.c); the state is in ckpt_fd.sk */
	CKPT_FD_UNIX = 13, /* AF_UNIX stream, datagram or seqpacket */
	CKPT_FD_INET = 14, /* AF_INET/AF_INET6 TCP or UDP */
	CKPT_FD_INOTIFY = 20, /* inotify_init(2): its watches (path, mask, wd) */
	CKPT_FD_PTMX = 21,    /* the master of a pseudo-terminal pair of the tree (/dev/ptmx) */
	CKPT_FD_PTS = 22,     /* a slave (/dev/pts/N) whose master the tree holds */
};

/* Unix socket roles at restore (struct ckpt_sock.unix_role). */
enum ckpt_unix_role {
	CKPT_UNIX_ALONE = 1, /* no peer: maybe bound, maybe listening */
	CKPT_UNIX_PAIR,      /* both ends in the tree, each the other's peer: socketpair */
	CKPT_UNIX_TO_NAME,   /* connected to a named socket (dgram; or outside with --ext-unix-sk) */
};

/*
 * A socket (CKPT_FD_UNIX, CKPT_FD_INET), kept by the first fd of the tree
 * that holds it (others share it as dups or inherited fds).  Addresses are
 * raw struct sockaddr bytes.
 */
#define CKPT_SK_SHUT_RD 1
#define CKPT_SK_SHUT_WR 2
struct ckpt_sock {
	uint32_t family, type, protocol;
	uint32_t state;           /* TCP_* numbers, as sock_diag reports them (unix too) */
	uint64_t ino;             /* socket inode (socket:[ino]) */
	uint8_t addr[128];        /* bound (local) address; addr_len 0: unbound */
	uint32_t addr_len;
	uint8_t peer[128];        /* connected address (inet, or unix CKPT_UNIX_TO_NAME) */
	uint32_t peer_len;
	uint32_t backlog;         /* listening sockets */
	uint32_t shutdown;        /* CKPT_SK_SHUT_* */
	int32_t rcvbuf, sndbuf;   /* as set (SO_RCVBUF/SO_SNDBUF report twice the setting) */
	bool reuseaddr, reuseport, keepalive, passcred, nodelay, v6only;
	/* unix */
	uint32_t unix_role;       /* enum ckpt_unix_role */
	uint64_t peer_ino;        /* the peer socket's inode (0: none) */
	uint64_t bound_dev, bound_ino; /* a path socket's file at dump (stale file check) */
	uint32_t bound_mode, bound_uid, bound_gid;
	/* receive queue (unix: bytes from the peer; TCP: received, not read) */
	uint8_t *rq;
	size_t rq_len;
	uint32_t *dgrams;         /* datagram lengths, in order (datagram sockets) */
	size_t n_dgrams;
	/* TCP established (repair): send queue, of which the last sq_unsent bytes not sent */
	uint8_t *sq;
	size_t sq_len, sq_unsent;
	uint32_t snd_seq, rcv_seq; /* write_seq, rcv_nxt (TCP_QUEUE_SEQ) */
	uint32_t mss, snd_wscale, rcv_wscale, tcp_opts; /* TCPI_OPT_* */
	uint32_t timestamp;       /* TCP_TIMESTAMP */
	uint32_t win[5];          /* struct tcp_repair_window */
	bool tcp_closed;          /* --tcp-close: restored as a new unconnected socket */
};

/* One watch of an inotify fd, found by its inode and given a path at dump. */
struct ckpt_inotify_watch {
	int32_t wd;
	uint32_t mask;     /* events and IN_ONESHOT/IN_EXCL_UNLINK, as fdinfo shows it */
	uint64_t dev, ino; /* the watched inode (st_dev form) */
	char *path;        /* absolute path to it at dump time */
};

/* A pseudo-terminal pair's settings (termios, window, modes), kept on each of its fds. */
#define CKPT_NCCS 32
struct ckpt_pty {
	uint32_t index;        /* N of /dev/pts/N at dump */
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line;
	uint8_t cc[CKPT_NCCS];
	uint32_t ispeed, ospeed;
	uint16_t rows, cols, xpixel, ypixel;
	bool packet;           /* TIOCPKT on the master */
	bool locked;           /* TIOCSPTLCK: the slave could not be opened */
	bool ctty;             /* PTS: the controlling terminal of this session leader */
};

/* A lock held through an fd (as /proc/PID/fdinfo lists them). */
enum ckpt_lock_kind { CKPT_LOCK_FLOCK = 1, CKPT_LOCK_POSIX, CKPT_LOCK_OFD };
struct ckpt_lock {
	uint32_t kind;  /* enum ckpt_lock_kind */
	bool write;     /* exclusive (LOCK_EX, F_WRLCK) */
	uint64_t start; /* byte range, POSIX and OFD */
	uint64_t end;   /* last byte, UINT64_MAX: to the end of the file */
};

/* One file an epoll instance watches: fd tfd of the task, as registered. */
struct ckpt_epoll_target {
	int32_t tfd;
	uint32_t events;
	uint64_t data;
	uint64_t ino, dev; /* the target file's identity, checked against fd tfd */
};

/* A pipe of the tree (or a named FIFO: path), with the bytes that were in it. */
struct ckpt_pipe {
	uint64_t dev, ino; /* the ends' file.dev/ino (dev 0: any, older images) */
	char *path;        /* a named FIFO: its absolute path; NULL: an anonymous pipe */
	uint32_t size;
	uint8_t *data;
	size_t len;
};

/* At restore: the pipe recreated by ckpt, both ends (inherited by every task). */
struct ckpt_pipe_fds {
	uint64_t dev, ino;
	int rfd, wfd;
};

struct ckpt_fd {
	int32_t fd;
	uint32_t kind;     /* enum ckpt_fd_kind */
	uint32_t fd_flags; /* FD_CLOEXEC */
	uint32_t flags;    /* open flags as in fdinfo (O_ACCMODE|O_APPEND|...) */
	uint64_t pos;
	char *path;
	struct ckpt_file_id file;
	uint64_t rdev; /* for character devices */
	int32_t dup_of; /* same open file description as this lower fd, or -1 */
	int32_t parent_fd; /* inherited: the parent's fd of the same description, or -1 */
	/*
	 * With parent_fd: the open file description is not the parent's but that
	 * of fd parent_fd of this earlier task of the tree (a sibling, a cousin,
	 * a task it was passed to with SCM_RIGHTS...).  0: the parent.
	 */
	int32_t peer_pid;
	uint64_t eventfd_count;
	bool eventfd_semaphore;
	uint8_t *data; /* memfd contents */
	size_t data_len;
	uint32_t seals;
	/* timerfd */
	int32_t tfd_clock;
	uint32_t tfd_settime_flags; /* TFD_TIMER_ABSTIME... as set (restored relative) */
	uint64_t tfd_ticks;         /* expirations not read yet */
	uint64_t tfd_value_ns;      /* time left until the next expiration; 0: disarmed */
	uint64_t tfd_interval_ns;
	/* signalfd */
	uint64_t sigmask;           /* bit n-1: signal n */
	/* epoll */
	struct ckpt_epoll_target *epoll;
	size_t n_epoll;
	/* file locks held through it */
	struct ckpt_lock *locks;
	size_t n_locks;
	/* sockets: state (NULL in fds that share another fd's socket) */
	struct ckpt_sock *sk;
	/* inotify: watches sorted by wd */
	struct ckpt_inotify_watch *watches;
	size_t n_watches;
	/* PTMX, PTS: the pair */
	struct ckpt_pty pty;
};

/* ---- signals, credentials, registers --------------------------------- */

struct ckpt_sigaction {
	uint64_t handler; /* SIG_DFL = 0, SIG_IGN = 1, else an address */
	uint64_t flags;   /* SA_* (kernel's) */
	uint64_t restorer;
	uint64_t mask;    /* kernel sigset, 64 bits */
};

struct ckpt_siginfo {
	uint8_t raw[CKPT_SIGINFO_SIZE];
};

struct ckpt_sigqueue {
	struct ckpt_siginfo *info;
	size_t n;
};

struct ckpt_creds {
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	uint32_t *groups;
	size_t n_groups;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	uint32_t securebits;
	bool no_new_privs;
};

/* A POSIX timer (timer_create(2)), recreated with its ID. */
struct ckpt_posix_timer {
	int32_t id;
	int32_t clock;
	int32_t notify;     /* SIGEV_SIGNAL/NONE/THREAD, | SIGEV_THREAD_ID */
	int32_t signo;
	int32_t notify_tid; /* SIGEV_THREAD_ID */
	uint64_t sival;     /* sigev_value */
	uint64_t value_ns, interval_ns;
};

struct ckpt_rlimit {
	uint64_t cur, max; /* RLIM_INFINITY = ~0 */
};

struct ckpt_thread {
	pid_t tid;
	struct user_regs_struct regs; /* as seen by PTRACE_GETREGS at the stop */
	uint8_t *xsave;               /* NT_X86_XSTATE area */
	size_t xsave_size;
	uint64_t sigmask;             /* blocked signals */
	struct ckpt_sigqueue pending; /* thread-directed pending signals */
	char comm[CKPT_COMM_LEN];
	/* rseq registration (PTRACE_GET_RSEQ_CONFIGURATION); rseq_len 0: none */
	uint64_t rseq_ptr;
	uint32_t rseq_len;
	uint32_t rseq_sig;
	/* sigaltstack(2): ss_sp, ss_size, ss_flags (SS_DISABLE when none) */
	uint64_t altstack_sp, altstack_size;
	uint32_t altstack_flags;
	/* set_robust_list(2) and set_tid_address(2) */
	uint64_t robust_list, robust_len;
	uint64_t clear_child_tid;
};

/* ---- a task ---------------------------------------------------------- */

struct ckpt_task {
	pid_t pid, ppid, pgid, sid;
	bool stopped; /* in a group stop (SIGSTOP) at dump time: stays stopped */
	bool zombie;  /* exited, not reaped: only ids and exit_status are kept */
	int32_t exit_status; /* wait status of a zombie */
	bool subreaper;      /* PR_SET_CHILD_SUBREAPER: orphans below it become its children */
	char comm[CKPT_COMM_LEN];
	uint32_t umask;
	uint32_t personality;
	char *cwd;
	char *root;
	struct ckpt_creds creds;
	struct ckpt_rlimit rlimits[CKPT_NRLIMITS];
	struct ckpt_sigaction sigactions[CKPT_NSIG]; /* index = signo - 1 */
	struct ckpt_sigqueue shared_pending;         /* process-wide pending */
	/* setitimer(2) ITIMER_REAL/VIRTUAL/PROF: remaining value and interval, in µs */
	struct {
		uint64_t value_us, interval_us;
	} itimers[3];

	struct ckpt_posix_timer *timers;
	size_t n_timers;

	struct ckpt_thread *threads; /* threads[0] is the main thread */
	size_t n_threads;

	struct ckpt_mm mm;

	struct ckpt_fd *fds;
	size_t n_fds;
};

/* Whole-dump facts, the inventory image. */
#define CKPT_IMG_VERSION 1
struct ckpt_inventory {
	uint32_t img_version;  /* CKPT_IMG_VERSION */
	char *tool_version;
	char *kernel;          /* uname -r at dump */
	char *arch;            /* "x86_64" */
	pid_t root_pid;
	uint32_t n_tasks;
	pid_t *pids;           /* every task, parents before children; pids[0] = root */
	size_t n_pids;
	uint64_t dump_time_ns; /* CLOCK_REALTIME at the end of the freeze */
	bool shell_job;
	struct ckpt_cpu cpu;   /* the dumping machine's CPU features */
};

void ckpt_task_free(struct ckpt_task *t);        /* frees members, not t */
void ckpt_vmas_free(struct ckpt_vma *vmas, size_t n);
void ckpt_inventory_free(struct ckpt_inventory *inv);

#endif
