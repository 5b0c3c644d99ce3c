// SPDX-License-Identifier: GPL-2.0
/*
 * Files restored from somewhere else than the image says: --file-remap
 * OLD=NEW (a path, or a directory and everything under it, is opened at NEW
 * instead, and is not required to be the inode of the dump) and CRIU's
 * --inherit-fd fd[N]:RES (an fd that ckpt restore was started with stands
 * for every fd of the tree whose file the image names RES, such as
 * "/tmp/log" or "pipe:[1234]").  The tables are ckpt's, set before the
 * first task is forked; the tasks inherit them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file-remap.h"
#include "log.h"
#include "util.h"

struct remap {
	const char *old, *new;
	size_t old_len;
};

struct inherit {
	int fd;          /* ckpt's fd given on the command line */
	const char *res; /* the image's name for the file */
	int held;        /* our copy above the tree's fds */
};

static struct remap *remaps;
static size_t n_remaps;
static struct inherit *inherits;
static size_t n_inherits;

int ckpt_file_remap_parse(const char *spec, const char **ret_old, size_t *ret_old_len,
			  const char **ret_new)
{
	const char *eq = strchr(spec, '=');

	if (!eq || spec[0] != '/' || eq[1] != '/' || eq == spec || (size_t)(eq - spec) >= PATH_MAX ||
	    strlen(eq + 1) >= PATH_MAX)
		return -EINVAL;
	*ret_old = spec;
	*ret_old_len = eq - spec;
	while (*ret_old_len > 1 && spec[*ret_old_len - 1] == '/')
		(*ret_old_len)--; /* "/a/" is "/a" */
	*ret_new = eq + 1;
	return 0;
}

int ckpt_inherit_fd_parse(const char *spec, int *ret_fd, const char **ret_res)
{
	char *end;
	long n;

	if (strncmp(spec, "fd[", 3) || spec[3] < '0' || spec[3] > '9')
		return -EINVAL;
	n = strtol(spec + 3, &end, 10);
	if (n < 0 || n > INT_MAX || end[0] != ']' || end[1] != ':' || !end[2])
		return -EINVAL;
	*ret_fd = (int)n;
	*ret_res = end + 2;
	return 0;
}

int ckpt_file_remap_setup(const char *const *remap_specs, size_t n_remap,
			  const char *const *inherit_specs, size_t n_inherit, int base)
{
	size_t i;

	ckpt_file_remap_release();
	remaps = calloc(MAX(n_remap, 1), sizeof(*remaps));
	inherits = calloc(MAX(n_inherit, 1), sizeof(*inherits));
	if (!remaps || !inherits)
		return -ENOMEM;
	for (i = 0; i < n_remap; i++) {
		struct remap *r = &remaps[n_remaps];

		if (ckpt_file_remap_parse(remap_specs[i], &r->old, &r->old_len, &r->new)) {
			pr_err("--file-remap %s: expected OLD=NEW, two absolute paths", remap_specs[i]);
			return -EINVAL;
		}
		n_remaps++;
	}
	for (i = 0; i < n_inherit; i++) {
		struct inherit *h = &inherits[n_inherits];

		if (ckpt_inherit_fd_parse(inherit_specs[i], &h->fd, &h->res)) {
			pr_err("--inherit-fd %s: expected fd[N]:RESOURCE", inherit_specs[i]);
			return -EINVAL;
		}
		h->held = fcntl(h->fd, F_DUPFD_CLOEXEC, base);
		if (h->held < 0) {
			int err = -errno;

			pr_err("--inherit-fd %s: fd %d: %s", inherit_specs[i], h->fd, strerror(-err));
			return err;
		}
		n_inherits++;
	}
	return 0;
}

void ckpt_file_remap_release(void)
{
	size_t i;

	for (i = 0; i < n_inherits; i++)
		close(inherits[i].held);
	free(remaps);
	free(inherits);
	remaps = NULL;
	inherits = NULL;
	n_remaps = n_inherits = 0;
}

/* The rule for path: the last one given that matches it. */
static const struct remap *rule_of(const char *path)
{
	size_t i;

	if (!path)
		return NULL;
	for (i = n_remaps; i-- > 0;) {
		const struct remap *r = &remaps[i];

		if (!strncmp(path, r->old, r->old_len) &&
		    (path[r->old_len] == '\0' || path[r->old_len] == '/' ||
		     (r->old_len == 1 && r->old[0] == '/')))
			return r;
	}
	return NULL;
}

bool ckpt_file_remapped(const char *path)
{
	return rule_of(path) != NULL;
}

const char *ckpt_file_remap(const char *path, char *buf, size_t len)
{
	const struct remap *r = rule_of(path);
	const char *rest;

	if (!r)
		return path;
	rest = path + (r->old_len == 1 ? 0 : r->old_len);
	if (*rest == '/' && r->new[strlen(r->new) - 1] == '/')
		rest++;
	if ((size_t)snprintf(buf, len, "%s%s", r->new, rest) >= len)
		return NULL;
	pr_debug("%s is opened as %s (--file-remap)", path, buf);
	return buf;
}

int ckpt_inherit_fd_find(const char *res)
{
	size_t i;

	for (i = 0; res && i < n_inherits; i++)
		if (!strcmp(inherits[i].res, res))
			return inherits[i].held;
	return -1;
}
