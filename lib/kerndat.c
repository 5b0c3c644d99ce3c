// SPDX-License-Identifier: GPL-2.0
/* ckpt check: probe the kernel features ckpt relies on. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "ckpt.h"
#include "compat-pagemap.h"
#include "kmod.h"
#include "print.h"
#include "util.h"

struct probe {
	const char *key;
	const char *what;  /* what it enables */
	bool essential;
	int (*run)(char *detail, size_t len); /* 1 yes, 0 no */
};

static int have_cap(cap_value_t c)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (!caps)
		return 0;
	cap_get_flag(caps, c, CAP_EFFECTIVE, &v);
	cap_free(caps);
	return v == CAP_SET;
}

static int p_ptrace(char *d, size_t l)
{
	snprintf(d, l, "%s", have_cap(CAP_SYS_PTRACE) ? "CAP_SYS_PTRACE" : "own processes only");
	return 1;
}

static int p_cr_cap(char *d, size_t l)
{
	int cr = have_cap(CAP_CHECKPOINT_RESTORE), adm = have_cap(CAP_SYS_ADMIN);

	snprintf(d, l, "%s", cr ? "CAP_CHECKPOINT_RESTORE" : adm ? "CAP_SYS_ADMIN" : "missing");
	return cr || adm;
}

static int p_clone3(char *d, size_t l)
{
	/* A bad size makes clone3 fail with EINVAL where it exists, ENOSYS where not. */
	long r = syscall(SYS_clone3, NULL, 0);

	snprintf(d, l, "%s", r < 0 && errno == ENOSYS ? "no clone3" : "clone3 with set_tid");
	return !(r < 0 && errno == ENOSYS);
}

static int p_mm_map(char *d, size_t l)
{
	unsigned int size = 0;

	if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, &size, 0, 0)) {
		snprintf(d, l, "%s", strerror(errno));
		return 0;
	}
	snprintf(d, l, "struct of %u bytes", size);
	return 1;
}

static int p_timer_ids(char *d, size_t l)
{
	/* PR_TIMER_CREATE_RESTORE_IDS (77): switch it on and off again. */
	int ok = !prctl(77, 1, 0, 0, 0) && !prctl(77, 0, 0, 0, 0);

	snprintf(d, l, "%s", ok ? "PR_TIMER_CREATE_RESTORE_IDS" : strerror(errno));
	return ok;
}

static int p_pagemap_scan(char *d, size_t l)
{
	struct page_region r[1];
	struct pm_scan_arg a = {
		.size = sizeof(a), .start = (uintptr_t)d & ~4095UL, .end = ((uintptr_t)d & ~4095UL) + 4096,
		.vec = (uintptr_t)r, .vec_len = 1, .category_anyof_mask = PAGE_IS_PRESENT,
		.return_mask = PAGE_IS_PRESENT,
	};
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return 0;
	ok = ioctl(fd, PAGEMAP_SCAN, &a) >= 0;
	snprintf(d, l, "%s", ok ? "present/zero-page ranges in one ioctl" : strerror(errno));
	close(fd);
	return ok;
}

static int p_soft_dirty(char *d, size_t l)
{
	/* A freshly written page is soft-dirty (pagemap bit 55) only with CONFIG_MEM_SOFT_DIRTY. */
	static volatile char page[8192] __attribute__((aligned(4096)));
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t e = 0;

	page[0] = 1;
	if (fd >= 0) {
		if (pread(fd, &e, sizeof(e), ((uintptr_t)page / 4096) * 8) != sizeof(e))
			e = 0;
		close(fd);
	}
	snprintf(d, l, "%s", (e >> 55) & 1 ? "pagemap bit 55" :
			     "not in this kernel: incremental dumps use userfaultfd + PAGEMAP_SCAN");
	return (e >> 55) & 1;
}

static int p_uffd(char *d, size_t l)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY), ok;

	if (fd < 0) {
		snprintf(d, l, "%s", strerror(errno));
		return 0;
	}
	ok = !ioctl(fd, UFFDIO_API, &api);
	close(fd);
	snprintf(d, l, "features 0x%llx%s", (unsigned long long)api.features,
		 api.features & (1ULL << 15) ? " incl. async write-protect" : "");
	return ok;
}

static int p_sock_diag(char *d, size_t l)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	snprintf(d, l, "%s", fd >= 0 ? "NETLINK_SOCK_DIAG" : strerror(errno));
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int p_ns(char *d, size_t l)
{
	static const char *const ns[] = { "pid", "net", "mnt", "user", "uts", "ipc", "time" };
	size_t i, n = 0;

	d[0] = 0;
	for (i = 0; i < ARRAY_SIZE(ns); i++) {
		char path[32];

		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		if (!access(path, F_OK))
			n += snprintf(d + n, n < l ? l - n : 0, "%s%s", n ? " " : "", ns[i]);
	}
	return 1;
}

static int p_freezer(char *d, size_t l)
{
	int ok = !access("/sys/fs/cgroup/freezer", F_OK);

	snprintf(d, l, "%s", ok ? "/sys/fs/cgroup/freezer" : "not mounted");
	return ok;
}

static int p_vdso(char *d, size_t l)
{
	char *maps, *line;
	size_t n = 0;

	d[0] = 0;
	if (ckpt_read_file(AT_FDCWD, "/proc/self/maps", &maps, NULL))
		return 0;
	for (line = strtok(maps, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long s, e;
		const char *name = strchr(line, '[');

		if (!name || sscanf(line, "%lx-%lx", &s, &e) != 2 || !strncmp(name, "[heap", 5) ||
		    !strncmp(name, "[stack", 6))
			continue;
		n += snprintf(d + n, n < l ? l - n : 0, "%s%s %lu KiB", n ? ", " : "", name,
			      (e - s) >> 10);
	}
	free(maps);
	return 1;
}

static int p_kmod(char *d, size_t l)
{
	uint32_t version;

	if (!ckpt_kmod_probe(&version)) {
		if (version != CKPT_GENL_VERSION) {
			snprintf(d, l, "loaded, protocol version %u (this ckpt needs %u)", version,
				 CKPT_GENL_VERSION);
			return 0;
		}
		snprintf(d, l, "loaded, protocol version %u (--backend kmod)", version);
		return 1;
	}
	if (access("/proc/modules", F_OK)) {
		snprintf(d, l, "not loaded (this kernel has no module support)");
		return 0;
	}
	snprintf(d, l, "not loaded (the ptrace//proc backend is used)");
	return 0;
}

static const struct probe probes[] = {
	{ "ptrace", "freezing and reading tasks", true, p_ptrace },
	{ "checkpoint_restore_cap", "restoring PIDs and mm fields", true, p_cr_cap },
	{ "clone3_set_tid", "restore with the original PIDs", true, p_clone3 },
	{ "pr_set_mm_map", "restore cmdline/environ/exe/brk bounds", true, p_mm_map },
	{ "pagemap_scan", "dump only present, non-zero pages", true, p_pagemap_scan },
	{ "posix_timer_ids", "restore POSIX timers with their IDs", false, p_timer_ids },
	{ "soft_dirty", "classic incremental dumps", false, p_soft_dirty },
	{ "userfaultfd", "fast page fill on restore; lazy restore and dirty tracking", false, p_uffd },
	{ "sock_diag", "socket state without entering the process", false, p_sock_diag },
	{ "namespaces", "namespaced jobs", false, p_ns },
	{ "cgroup_freezer", "freezing a tree through the cgroup freezer", false, p_freezer },
	{ "vdso_layout", "vdso/vvar placed where the process expects them", false, p_vdso },
	{ "kernel_module", "the kmod state source", false, p_kmod },
};

int ckpt_check(FILE *out, bool json)
{
	struct ckpt_pr p;
	struct utsname un;
	bool ok = true;
	size_t i;

	uname(&un);
	ckpt_pr_init(&p, out, json);
	if (json) {
		ckpt_pr_obj_open(&p, NULL);
		ckpt_pr_str(&p, "kernel", un.release);
		ckpt_pr_str(&p, "arch", un.machine);
		ckpt_pr_arr_open(&p, "features");
	} else {
		fprintf(out, "kernel %s %s\n", un.release, un.machine);
	}
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		char detail[256] = "";
		int yes = probes[i].run(detail, sizeof(detail));

		if (!yes && probes[i].essential)
			ok = false;
		if (!json) {
			fprintf(out, "%-22s %-3s %s (%s)\n", probes[i].key, yes ? "yes" : "no",
				detail, probes[i].what);
			continue;
		}
		ckpt_pr_obj_open(&p, NULL);
		ckpt_pr_str(&p, "name", probes[i].key);
		ckpt_pr_bool(&p, "available", yes);
		ckpt_pr_bool(&p, "essential", probes[i].essential);
		ckpt_pr_str(&p, "detail", detail);
		ckpt_pr_str(&p, "enables", probes[i].what);
		ckpt_pr_obj_close(&p);
	}
	if (json) {
		ckpt_pr_arr_close(&p);
		ckpt_pr_bool(&p, "ok", ok);
		ckpt_pr_obj_close(&p);
		ckpt_pr_end(&p);
	} else {
		fprintf(out, "%s\n", ok ? "Looks good." : "Missing features: dump or restore will fail.");
	}
	return ok ? 0 : -EOPNOTSUPP;
}
