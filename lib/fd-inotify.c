// SPDX-License-Identifier: GPL-2.0
/*
 * inotify fds.  fdinfo lists each watch as its wd, mask, inode, device and
 * a file handle; the handle is opened again (open_by_handle_at on a mount
 * of that device) to find a path, which the image keeps.  At restore the
 * watches are added again in wd order; the kernel hands out wds one above
 * the last one given, so a gap (a watch removed before the dump) is filled
 * by a watch on a private memfd removed at once.  Queued events are lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fd-inotify.h"
#include "file-remap.h"
#include "log.h"
#include "util.h"

#define MAX_HANDLE 128
#define MAX_WATCHES (1u << 20)
#define MAX_GAP (1u << 20) /* dummy watches to reach one wd */

static int by_wd(const void *a, const void *b)
{
	const struct ckpt_inotify_watch *x = a, *y = b;

	return (x->wd > y->wd) - (x->wd < y->wd);
}

int ckpt_inotify_parse(const char *info, struct ckpt_inotify_watch **ret, size_t *ret_n,
		       struct ckpt_inotify_handle **ret_h)
{
	struct ckpt_inotify_watch *w = NULL;
	struct ckpt_inotify_handle *h = NULL;
	size_t n = 0, cap = 0, hcap = 0;
	const char *p = info;

	while (p && *p) {
		unsigned int wd, sdev, mask, ign, hbytes;
		int htype, used = 0;
		unsigned long ino;
		const char *hex;
		size_t k;

		if (!strncmp(p, "inotify ", 8)) {
			if (sscanf(p, "inotify wd:%x ino:%lx sdev:%x mask:%x ignored_mask:%x "
				   "fhandle-bytes:%x fhandle-type:%x f_handle:%n",
				   &wd, &ino, &sdev, &mask, &ign, &hbytes, &htype, &used) < 7 || !used ||
			    !wd || wd > INT32_MAX || hbytes > MAX_HANDLE || n >= MAX_WATCHES)
				goto bad;
			if (ckpt_grow((void **)&w, &cap, n + 1, sizeof(*w)) ||
			    ckpt_grow((void **)&h, &hcap, n + 1, sizeof(*h)))
				goto oom;
			w[n] = (struct ckpt_inotify_watch){
				.wd = (int32_t)wd, .mask = mask, .ino = ino,
				/* the kernel's dev_t: 12 bits of major above 20 of minor */
				.dev = makedev(sdev >> 20, sdev & 0xfffff),
			};
			h[n].type = htype;
			h[n].bytes = hbytes;
			hex = p + used;
			for (k = 0; k < hbytes; k++) {
				unsigned int b;

				if (sscanf(hex + 2 * k, "%2x", &b) != 1)
					goto bad;
				h[n].handle[k] = (uint8_t)b;
			}
			n++;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	/* Sorted by wd, each once (the handles follow their watch). */
	for (size_t i = 1; i < n; i++)
		if (w[i].wd <= w[i - 1].wd)
			goto unsorted;
	goto done;
unsorted:
	{
		/* fdinfo lists the newest first: sort a pair array by wd. */
		struct pair { struct ckpt_inotify_watch w; struct ckpt_inotify_handle h; } *ps;
		size_t i;

		ps = malloc(n * sizeof(*ps));
		if (!ps)
			goto oom;
		for (i = 0; i < n; i++)
			ps[i] = (struct pair){ w[i], h[i] };
		qsort(ps, n, sizeof(*ps), by_wd); /* w is the first member */
		for (i = 0; i < n; i++) {
			w[i] = ps[i].w;
			h[i] = ps[i].h;
			if (i && w[i].wd == w[i - 1].wd) {
				free(ps);
				goto bad;
			}
		}
		free(ps);
	}
done:
	*ret = w;
	*ret_n = n;
	*ret_h = h;
	return 0;
bad:
	free(w);
	free(h);
	return -EINVAL;
oom:
	free(w);
	free(h);
	return -ENOMEM;
}

/* An fd on a mount of device dev (a mount of its root preferred), or -errno. */
static int mount_of(dev_t dev)
{
	int pass, fd = -ENOENT;

	for (pass = 0; pass < 2 && fd < 0; pass++) {
		char *buf = NULL, *line, *save = NULL;

		if (ckpt_read_file(AT_FDCWD, "/proc/self/mountinfo", &buf, NULL))
			return -EIO;
		for (line = strtok_r(buf, "\n", &save); line && fd < 0;
		     line = strtok_r(NULL, "\n", &save)) {
			unsigned int maj, min;
			char root[PATH_MAX], mnt[PATH_MAX];
			struct stat st;
			int m;

			if (sscanf(line, "%*d %*d %u:%u %4095s %4095s", &maj, &min, root, mnt) != 4 ||
			    makedev(maj, min) != dev || (pass == 0 && strcmp(root, "/")) ||
			    strchr(mnt, '\\')) /* escaped names: not worth decoding */
				continue;
			m = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* not O_PATH: refused as a mount fd */
			if (m >= 0 && !fstat(m, &st) && st.st_dev == dev)
				fd = m;
			else if (m >= 0)
				close(m); /* over-mounted */
		}
		free(buf);
	}
	return fd;
}

static int watch_path(const struct ckpt_inotify_watch *w, const struct ckpt_inotify_handle *h,
		      char **ret)
{
	struct {
		struct file_handle fh;
		uint8_t bytes[MAX_HANDLE];
	} fh;
	char self[64], *path = NULL;
	struct stat st;
	int mfd, fd, err;

	if (!h->bytes)
		return -EOPNOTSUPP;
	mfd = mount_of(w->dev);
	if (mfd < 0)
		return mfd;
	fh.fh.handle_bytes = h->bytes;
	fh.fh.handle_type = h->type;
	memcpy(fh.fh.f_handle, h->handle, h->bytes);
	fd = open_by_handle_at(mfd, &fh.fh, O_PATH | O_CLOEXEC);
	err = fd < 0 ? -errno : 0;
	close(mfd);
	if (err)
		return err;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	err = ckpt_readlink(AT_FDCWD, self, &path);
	close(fd);
	if (err)
		return err;
	if (path[0] != '/' || lstat(path, &st) || st.st_dev != w->dev || st.st_ino != w->ino) {
		free(path);
		return -ENOENT; /* unlinked, or not reachable from our root */
	}
	*ret = path;
	return 0;
}

/* Events queued and not read yet are not saved: say so. */
static void warn_queued(pid_t pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), copy = -1, q = 0;

	if (pidfd >= 0)
		copy = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (copy >= 0 && !ioctl(copy, FIONREAD, &q) && q > 0)
		pr_warn("pid %d fd %d: %d bytes of inotify events are queued; they are not saved", pid,
			fd, q);
	if (copy >= 0)
		close(copy);
	if (pidfd >= 0)
		close(pidfd);
}

int ckpt_fdinfo_inotify(pid_t pid, const char *info, struct ckpt_fd *f)
{
	struct ckpt_inotify_handle *h = NULL;
	size_t i;
	int err;

	warn_queued(pid, f->fd);
	err = ckpt_inotify_parse(info, &f->watches, &f->n_watches, &h);
	if (err) {
		pr_err("pid %d fd %d: cannot parse its inotify watches in fdinfo", pid, f->fd);
		return err;
	}
	for (i = 0; i < f->n_watches; i++) {
		struct ckpt_inotify_watch *w = &f->watches[i];

		err = watch_path(w, &h[i], &w->path);
		if (err) {
			pr_err("pid %d fd %d: inotify watch %d on inode %" PRIu64 " of device %u:%u: "
			       "no path to it (%s)", pid, f->fd, w->wd, w->ino, major(w->dev),
			       minor(w->dev), err == -EOPNOTSUPP ? "the file system gives no handle" :
			       err == -ENOENT ? "deleted, or outside ckpt's root" : strerror(-err));
			break;
		}
	}
	free(h);
	return err;
}

/* Add and remove a watch on a private memfd: the next wd is one higher. */
static int skip_wd(int ifd, int *dummy, int *ret_wd)
{
	char path[64];
	int wd;

	if (*dummy < 0)
		*dummy = memfd_create("ckpt-inotify-gap", MFD_CLOEXEC);
	if (*dummy < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", *dummy);
	wd = inotify_add_watch(ifd, path, IN_ACCESS);
	if (wd < 0 || inotify_rm_watch(ifd, wd))
		return -errno;
	*ret_wd = wd;
	return 0;
}

int ckpt_inotify_open(const struct ckpt_fd *f)
{
	int ifd, dummy = -1, next = 1, err = 0;
	uint8_t drain[4096];
	bool gaps = false;
	size_t i;

	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd < 0) {
		err = -errno;
		pr_err("fd %d: inotify_init1: %s", f->fd, strerror(-err));
		return err;
	}
	for (i = 0; i < f->n_watches && !err; i++) {
		const struct ckpt_inotify_watch *w = &f->watches[i];
		char remapped[PATH_MAX];
		const char *path = ckpt_file_remap(w->path, remapped, sizeof(remapped)) ?: w->path;
		struct stat st;
		unsigned int n = 0;
		int wd = 0;

		while (next < w->wd && !err) {
			err = ++n > MAX_GAP ? -E2BIG : skip_wd(ifd, &dummy, &wd);
			next = err ? next : wd + 1;
			gaps = true;
		}
		if (err) {
			pr_err("fd %d: cannot reach inotify watch number %d: %s", f->fd, w->wd,
			       err == -E2BIG ? "too far" : strerror(-err));
			break;
		}
		wd = inotify_add_watch(ifd, path, w->mask | IN_DONT_FOLLOW);
		if (wd < 0) {
			err = -errno;
			pr_err("fd %d: inotify watch %d on %s: %s", f->fd, w->wd, path, strerror(-err));
		} else if (!ckpt_file_remapped(w->path) && (lstat(path, &st) || st.st_ino != w->ino)) {
			err = -ESTALE;
			pr_err("fd %d: inotify watch %d: %s is not the file it was at the dump; restore "
			       "with --file-remap %s=PATH to watch another", f->fd, w->wd, w->path,
			       w->path);
		} else if (wd != w->wd) {
			err = -EBUSY;
			pr_err("fd %d: inotify watch on %s got number %d, not %d", f->fd, w->path, wd,
			       w->wd);
		}
		next = wd + 1;
	}
	/* Each removed gap watch queued an IN_IGNORED event: drop them. */
	while (!err && gaps && read(ifd, drain, sizeof(drain)) > 0)
		;
	if (!err && !(f->flags & O_NONBLOCK) && fcntl(ifd, F_SETFL, 0)) {
		err = -errno;
		pr_err("fd %d: cannot clear O_NONBLOCK: %s", f->fd, strerror(-err));
	}
	if (dummy >= 0)
		close(dummy);
	if (err) {
		close(ifd);
		return err;
	}
	return ifd;
}
