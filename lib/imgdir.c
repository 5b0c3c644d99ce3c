// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "imgdir.h"
#include "log.h"

/*
 * 0: empty, 1: holds an image (inventory.img), -ENOTEMPTY: anything else.
 * Logs (*.log, from -o) do not count.
 */
static int dir_state(const char *path)
{
	bool image = false, other = false, any = false;
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (len > 4 && !strcmp(de->d_name + len - 4, ".log")))
			continue;
		any = true;
		if (!strcmp(de->d_name, "inventory.img"))
			image = true;
		else if (!strstr(de->d_name, ".img"))
			other = true;
	}
	closedir(d);
	if (other || (any && !image))
		return -ENOTEMPTY;
	return image ? 1 : 0;
}

static void rm_tree_at(int dfd)
{
	struct dirent *de;
	DIR *d = fdopendir(dfd);

	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dfd, de->d_name, 0) && errno == EISDIR) {
			int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0)
				rm_tree_at(sub);
			unlinkat(dfd, de->d_name, AT_REMOVEDIR);
		}
	}
	closedir(d);
}

static void rm_tree(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		rm_tree_at(fd);
	rmdir(path);
}

int ckpt_imgdir_begin(const char *path, struct ckpt_imgdir *ret)
{
	struct stat st;
	int err;

	if (!lstat(path, &st) && S_ISLNK(st.st_mode)) {
		/* Renaming over a link would replace the link, not the image it points to. */
		pr_err("%s: is a symbolic link; give the directory itself", path);
		return -ELOOP;
	}
	if (!stat(path, &st)) {
		if (!S_ISDIR(st.st_mode)) {
			pr_err("%s: exists and is not a directory", path);
			return -ENOTDIR;
		}
		err = dir_state(path);
		if (err == -ENOTEMPTY) {
			pr_err("%s: directory is not empty and holds no image", path);
			return err;
		}
		if (err < 0) {
			pr_err("%s: %s", path, strerror(-err));
			return err;
		}
	} else if (errno != ENOENT) {
		err = -errno;
		pr_err("%s: %s", path, strerror(errno));
		return err;
	}
	ret->path = strdup(path);
	if (ret->path) {
		size_t n = strlen(ret->path);

		/* "DIR/": the temp dir must be DIR's sibling, not inside it. */
		while (n > 1 && ret->path[n - 1] == '/')
			ret->path[--n] = '\0';
	}
	if (!ret->path || asprintf(&ret->tmp, "%s.tmp-%d", ret->path, getpid()) < 0) {
		free(ret->path);
		return -ENOMEM;
	}
	rm_tree(ret->tmp); /* a leftover of an earlier ckpt with our pid */
	err = ckpt_fault("create image directory", ENOSPC);
	if (err || mkdir(ret->tmp, 0700)) {
		err = err ?: -errno;
		pr_err("%s: cannot create: %s", ret->tmp, strerror(errno));
		goto fail;
	}
	ret->dirfd = open(ret->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ret->dirfd < 0) {
		err = -errno;
		rmdir(ret->tmp);
		goto fail;
	}
	return 0;
fail:
	free(ret->path);
	free(ret->tmp);
	return err;
}

int ckpt_imgdir_commit(struct ckpt_imgdir *d)
{
	char *old = NULL;
	int err = ckpt_fault("fsync image directory", EIO), state;

	if (err || fsync(d->dirfd)) {
		err = err ?: -errno;
		goto fail;
	}
	state = dir_state(d->path);
	if (state == -ENOENT || state == 0) {
		if (state == 0)
			rm_tree(d->path); /* empty but for logs */
		if (state == 0 && rmdir(d->path) && errno != ENOENT) {
			err = -errno;
			goto fail;
		}
		err = ckpt_fault("rename image directory", EIO);
		if (err || rename(d->tmp, d->path)) {
			err = err ?: -errno;
			goto fail;
		}
	} else if (state == 1) {
		/* Swap with the previous image atomically, then drop it. */
		err = ckpt_fault("rename image directory", EIO);
		if (err || renameat2(AT_FDCWD, d->tmp, AT_FDCWD, d->path, RENAME_EXCHANGE)) {
			err = err ?: -errno;
			goto fail;
		}
		old = d->tmp;
		rm_tree(old);
	} else {
		err = state < 0 ? state : -ENOTEMPTY;
		goto fail;
	}
	close(d->dirfd);
	free(d->tmp);
	free(d->path);
	return 0;
fail:
	pr_err("%s: cannot move the image into place: %s", d->path, strerror(-err));
	return err;
}

void ckpt_imgdir_abort(struct ckpt_imgdir *d)
{
	close(d->dirfd);
	rm_tree(d->tmp);
	free(d->tmp);
	free(d->path);
}

int ckpt_imgdir_open(const char *path, int *ret_fd)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		int err = -errno;

		pr_err("%s: cannot open image directory: %s", path, strerror(errno));
		return err;
	}
	*ret_fd = fd;
	return 0;
}
