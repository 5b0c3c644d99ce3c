// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "util.h"

int ckpt_proc_open(pid_t pid, int *ret_fd)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

int ckpt_proc_parse_stat(const char *buf, struct ckpt_proc_stat *ret)
{
	const char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
	unsigned long long v[53];
	const char *p;
	size_t n;
	int i;

	/* rp[2] is the state; without it, p below would run past the NUL. */
	if (!lp || !rp || rp < lp || rp[1] != ' ' || !rp[2])
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	n = MIN((size_t)(rp - lp - 1), sizeof(ret->comm) - 1);
	memcpy(ret->comm, lp + 1, n);
	p = rp + 2;
	ret->state = *p++;
	/* Fields 4.. are numbers; v[k] is field k (1-based). */
	for (i = 4; i <= 52; i++) {
		char *end;

		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break;
		v[i] = strtoull(p, &end, 10);
		if (end == p && *p == '-')
			v[i] = (unsigned long long)strtoll(p, &end, 10);
		if (end == p)
			return -EINVAL;
		p = end;
	}
	if (i < 29)
		return -EINVAL;
	ret->ppid = v[4];
	ret->pgid = v[5];
	ret->sid = v[6];
	ret->flags = v[9];
	ret->num_threads = v[20];
	ret->start_code = v[26];
	ret->end_code = v[27];
	ret->start_stack = v[28];
	if (i > 52)
		ret->exit_code = v[52];
	if (i > 51) {
		ret->start_data = v[45];
		ret->end_data = v[46];
		ret->start_brk = v[47];
		ret->arg_start = v[48];
		ret->arg_end = v[49];
		ret->env_start = v[50];
		ret->env_end = v[51];
	}
	return 0;
}

int ckpt_proc_stat(int procfd, struct ckpt_proc_stat *ret)
{
	char *buf;
	int err;

	err = ckpt_read_file(procfd, "stat", &buf, NULL);
	if (err)
		return err;
	err = ckpt_proc_parse_stat(buf, ret);
	free(buf);
	return err;
}

static int parse_ids(const char *line, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	return sscanf(line, "%u %u %u %u", a, b, c, d) == 4 ? 0 : -EINVAL;
}

int ckpt_proc_parse_status(const char *buf, struct ckpt_task *t)
{
	struct ckpt_creds *c = &t->creds;
	const char *line = buf;
	int seen = 0;

	while (line && *line) {
		const char *val = strchr(line, ':');
		const char *next = strchr(line, '\n');

		if (!val)
			break;
		val++;
		while (*val == ' ' || *val == '\t')
			val++;
#define KEY(k) (!strncmp(line, k ":", sizeof(k)))
		if (KEY("Umask")) {
			t->umask = strtoul(val, NULL, 8);
			seen |= 1;
		} else if (KEY("Uid")) {
			if (parse_ids(val, &c->uid, &c->euid, &c->suid, &c->fsuid))
				return -EINVAL;
			seen |= 2;
		} else if (KEY("Gid")) {
			if (parse_ids(val, &c->gid, &c->egid, &c->sgid, &c->fsgid))
				return -EINVAL;
			seen |= 4;
		} else if (KEY("Groups")) {
			const char *p = val;
			char *end;

			for (;;) {
				unsigned long g = strtoul(p, &end, 10);
				uint32_t *ng;

				if (end == p)
					break;
				ng = realloc(c->groups, (c->n_groups + 1) * sizeof(*ng));
				if (!ng)
					return -ENOMEM;
				c->groups = ng;
				c->groups[c->n_groups++] = g;
				p = end;
			}
		} else if (KEY("CapInh")) {
			c->cap_inh = strtoull(val, NULL, 16);
		} else if (KEY("CapPrm")) {
			c->cap_prm = strtoull(val, NULL, 16);
		} else if (KEY("CapEff")) {
			c->cap_eff = strtoull(val, NULL, 16);
		} else if (KEY("CapBnd")) {
			c->cap_bnd = strtoull(val, NULL, 16);
		} else if (KEY("CapAmb")) {
			c->cap_amb = strtoull(val, NULL, 16);
		} else if (KEY("NoNewPrivs")) {
			c->no_new_privs = strtoul(val, NULL, 10) != 0;
		}
#undef KEY
		line = next ? next + 1 : NULL;
	}
	return seen == 7 ? 0 : -EINVAL;
}

int ckpt_proc_status(int procfd, struct ckpt_task *t)
{
	char *buf;
	int err;

	err = ckpt_read_file(procfd, "status", &buf, NULL);
	if (err)
		return err;
	err = ckpt_proc_parse_status(buf, t);
	free(buf);
	return err;
}

static const struct {
	char name[3];
	uint32_t attr;
} vmflags[] = {
	{ "gd", CKPT_VMA_GROWSDOWN }, { "dc", CKPT_VMA_DONTFORK },
	{ "wf", CKPT_VMA_WIPEONFORK }, { "dd", CKPT_VMA_DONTDUMP },
	{ "hg", CKPT_VMA_HUGEPAGE }, { "nh", CKPT_VMA_NOHUGEPAGE },
	{ "lo", CKPT_VMA_LOCKED }, { "rr", CKPT_VMA_RANDREAD },
	{ "sr", CKPT_VMA_SEQREAD }, { "mg", CKPT_VMA_MERGEABLE },
	{ "mw", CKPT_VMA_MAYWRITE }, { "ac", CKPT_VMA_ACCOUNT },
};

static uint32_t parse_vmflags(const char *p)
{
	uint32_t attrs = 0;
	size_t i;

	while (*p && *p != '\n') {
		while (*p == ' ')
			p++;
		for (i = 0; i < ARRAY_SIZE(vmflags); i++)
			if (p[0] == vmflags[i].name[0] && p[1] == vmflags[i].name[1] &&
			    (p[2] == ' ' || p[2] == '\n' || !p[2]))
				attrs |= vmflags[i].attr;
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	return attrs;
}

int ckpt_proc_vma_classify(struct ckpt_vma *v, char shared, const char *name)
{
	static const struct {
		const char *name;
		uint32_t kind;
	} special[] = {
		{ "[vdso]", CKPT_VMA_VDSO }, { "[vvar]", CKPT_VMA_VVAR },
		{ "[vvar_vclock]", CKPT_VMA_VVAR_VCLOCK }, { "[vsyscall]", CKPT_VMA_VSYSCALL },
	};
	size_t i;

	if (!*name) {
		v->kind = shared == 's' ? CKPT_VMA_SHANON : CKPT_VMA_ANON;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(special); i++)
		if (!strcmp(name, special[i].name)) {
			v->kind = special[i].kind;
			return 0;
		}
	if (!strcmp(name, "[heap]")) {
		v->kind = CKPT_VMA_ANON;
		v->attrs |= CKPT_VMA_HEAP;
		return 0;
	}
	if (!strcmp(name, "[stack]")) {
		v->kind = CKPT_VMA_ANON;
		v->attrs |= CKPT_VMA_STACK;
		return 0;
	}
	if (!strncmp(name, "[anon:", 6) || !strncmp(name, "[anon_shmem:", 12)) {
		v->kind = shared == 's' ? CKPT_VMA_SHANON : CKPT_VMA_ANON;
		return 0;
	}
	if (shared == 's' && !strcmp(name, "/dev/zero (deleted)")) {
		v->kind = CKPT_VMA_SHANON;
		return 0;
	}
	if (shared == 's' && !strncmp(name, "/memfd:", 7) && strlen(name) > 17 &&
	    !strcmp(name + strlen(name) - 10, " (deleted)")) {
		v->kind = CKPT_VMA_MEMFD; /* the object by its map_files identity */
		v->memfd_fd = -1;
		return 0;
	}
	if (shared == 's' && !strncmp(name, "/SYSV", 5) && strlen(name) == 23 &&
	    strspn(name + 5, "0123456789abcdef") == 8 && !strcmp(name + 13, " (deleted)")) {
		v->kind = CKPT_VMA_SYSVSHM; /* the caller reads the segment */
		return 0;
	}
	if (name[0] == '/') {
		v->kind = shared == 's' ? CKPT_VMA_FILE_SHARED : CKPT_VMA_FILE_PRIVATE;
		v->path = strdup(name);
		return v->path ? 0 : -ENOMEM;
	}
	return -EOPNOTSUPP; /* [uprobes], anon_inode:..., etc. */
}

int ckpt_proc_parse_smaps(const char *buf, struct ckpt_mm *mm)
{
	const char *line = buf;
	size_t cap = mm->n_vmas;
	struct ckpt_vma *v = NULL;
	int err;

	while (line && *line) {
		const char *next = strchr(line, '\n');
		unsigned long long start, end, pgoff;
		size_t hl = next ? (size_t)(next - line) : strlen(line);
		char perms[5], name[4096], head[160];
		int namepos = 0;

		/*
		 * sscanf() takes the length of the whole rest of its input: give it
		 * a copy of the line's start, or 10 000 VMAs take seconds.  Only
		 * VMA lines start with a lowercase hex digit.
		 */
		hl = MIN(hl, sizeof(head) - 1);
		memcpy(head, line, hl);
		head[hl] = '\0';
		if (((*line >= '0' && *line <= '9') || (*line >= 'a' && *line <= 'f')) &&
		    sscanf(head, "%llx-%llx %4s %llx %*s %*s%n", &start, &end, perms, &pgoff,
			   &namepos) >= 4 && namepos > 0) {
			size_t len;

			while (line[namepos] == ' ' || line[namepos] == '\t')
				namepos++;
			len = next ? (size_t)(next - line - namepos) : strlen(line + namepos);
			if (len >= sizeof(name))
				return -ENAMETOOLONG;
			memcpy(name, line + namepos, len);
			name[len] = '\0';
			err = ckpt_grow((void **)&mm->vmas, &cap, mm->n_vmas + 1, sizeof(*v));
			if (err)
				return err;
			v = &mm->vmas[mm->n_vmas++];
			memset(v, 0, sizeof(*v));
			v->start = start;
			v->end = end;
			v->pgoff = pgoff;
			v->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
				  (perms[2] == 'x' ? PROT_EXEC : 0);
			if (*name) {
				v->name = strdup(name);
				if (!v->name)
					return -ENOMEM;
			}
			err = ckpt_proc_vma_classify(v, perms[3], name);
			if (err)
				return err;
		} else if (v && !strncmp(line, "VmFlags:", 8)) {
			v->attrs |= parse_vmflags(line + 8);
		}
		line = next ? next + 1 : NULL;
	}
	return 0;
}

int ckpt_proc_vmas(int procfd, struct ckpt_mm *mm)
{
	char *buf;
	int err;

	err = ckpt_read_file(procfd, "smaps", &buf, NULL);
	if (err)
		return err;
	err = ckpt_proc_parse_smaps(buf, mm);
	free(buf);
	return err;
}

int ckpt_proc_auxv(int procfd, struct ckpt_mm *mm)
{
	size_t len;
	char *buf;
	int err;

	err = ckpt_read_file(procfd, "auxv", &buf, &len);
	if (err)
		return err;
	mm->auxv = (uint64_t *)buf;
	mm->n_auxv = len / sizeof(uint64_t);
	return 0;
}

int ckpt_proc_parse_fdinfo(const char *buf, uint64_t *ret_pos, uint32_t *ret_flags)
{
	const char *p = strstr(buf, "pos:"), *f = strstr(buf, "flags:");

	if (!p || !f)
		return -EINVAL;
	*ret_pos = strtoull(p + 4, NULL, 10);
	*ret_flags = strtoul(f + 6, NULL, 8);
	return 0;
}

int ckpt_proc_parse_timers(const char *buf, struct ckpt_posix_timer **ret, size_t *ret_n)
{
	struct ckpt_posix_timer *t = NULL, *cur = NULL;
	const char *line = buf;
	size_t n = 0, cap = 0;
	int err;

	while (line && *line) {
		const char *next = strchr(line, '\n');
		char how[16], target[8];
		unsigned long long v;
		int a, b;

		if (sscanf(line, "ID: %d", &a) == 1) {
			err = ckpt_grow((void **)&t, &cap, n + 1, sizeof(*t));
			if (err)
				goto fail;
			cur = &t[n++];
			memset(cur, 0, sizeof(*cur));
			cur->id = a;
		} else if (!cur) {
			goto bad;
		} else if (sscanf(line, "signal: %d/%llx", &a, &v) == 2) {
			cur->signo = a;
			cur->sival = v;
		} else if (sscanf(line, "notify: %15[a-z]/%7[a-z].%d", how, target, &b) == 3) {
			/* "signal|none|thread" / "pid|tid": SIGEV_* | SIGEV_THREAD_ID */
			cur->notify = !strcmp(how, "none") ? 1 : !strcmp(how, "thread") ? 2 : 0;
			if (!strcmp(target, "tid")) {
				cur->notify |= 4;
				cur->notify_tid = b;
			}
		} else if (sscanf(line, "ClockID: %d", &a) == 1) {
			cur->clock = a;
		} else {
			goto bad;
		}
		line = next ? next + 1 : NULL;
	}
	*ret = t;
	*ret_n = n;
	return 0;
bad:
	err = -EINVAL;
fail:
	free(t);
	return err;
}

int ckpt_proc_nr_children(int procfd, pid_t tid)
{
	char path[64], *buf;
	int n = 0, err;
	char *p;

	snprintf(path, sizeof(path), "task/%d/children", tid);
	err = ckpt_read_file(procfd, path, &buf, NULL);
	if (err)
		return err;
	for (p = buf; *p; p++)
		if (*p >= '0' && *p <= '9' && (p == buf || p[-1] == ' '))
			n++;
	free(buf);
	return n;
}

int ckpt_proc_parse_locks(const char *buf, struct ckpt_lock **ret, size_t *ret_n)
{
	struct ckpt_lock *v = NULL;
	size_t n = 0, cap = 0;
	const char *p = buf;
	int err = 0;

	while (p && (p = strstr(p, "lock:\t")) && !err) {
		char kind[16], adv[16], rw[16], end[24];
		unsigned long long start;
		const char *eol = strchr(p, '\n');
		char line[256];
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		snprintf(line, sizeof(line), "%.*s", (int)MIN(len, sizeof(line) - 1), p);
		p = eol;
		if (strstr(line, "->"))
			continue; /* a waiter, not a holder */
		if (sscanf(line, "lock:\t%*d: %15s %15s %15s %*d %*x:%*x:%*u %llu %23s", kind, adv, rw,
			   &start, end) != 5) {
			err = -EINVAL;
			break;
		}
		if (strcmp(adv, "ADVISORY") || (strcmp(kind, "FLOCK") && strcmp(kind, "POSIX") &&
						 strcmp(kind, "OFDLCK"))) {
			err = -EOPNOTSUPP;
			break;
		}
		err = ckpt_grow((void **)&v, &cap, n + 1, sizeof(*v));
		if (err)
			break;
		v[n].kind = kind[0] == 'F' ? CKPT_LOCK_FLOCK : kind[0] == 'P' ? CKPT_LOCK_POSIX :
			    CKPT_LOCK_OFD;
		v[n].write = !strcmp(rw, "WRITE");
		v[n].start = start;
		v[n].end = strcmp(end, "EOF") ? strtoull(end, NULL, 10) : UINT64_MAX;
		n++;
	}
	if (err) {
		free(v);
		return err;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
