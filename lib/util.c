// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "util.h"

ssize_t ckpt_read_all(int fd, void *buf, size_t len)
{
	size_t done = 0;
	int err = ckpt_fault("read", EIO);

	if (err)
		return err;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

ssize_t ckpt_pread_all(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;
	int err = ckpt_fault("read", EIO);

	if (err)
		return err;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

int ckpt_write_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	int err = ckpt_fault("write", ENOSPC);

	if (err) { /* a disk that fills up takes half the data first */
		if (write(fd, buf, len / 2) < 0)
			return -errno;
		return err;
	}
	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENOSPC;
		done += n;
	}
	return 0;
}

int ckpt_read_file(int dirfd, const char *path, char **ret_buf, size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	char *buf = NULL, *nbuf;
	int fd, ret;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		nbuf = realloc(buf, cap + 1);
		if (!nbuf) {
			ret = -ENOMEM;
			goto out_free;
		}
		buf = nbuf;
		n = ckpt_read_all(fd, buf + len, cap - len);
		if (n < 0) {
			ret = n;
			goto out_free;
		}
		len += n;
		if (len < cap)
			break;
		cap *= 2;
	}
	buf[len] = '\0';
	close(fd);
	*ret_buf = buf;
	if (ret_len)
		*ret_len = len;
	return 0;

out_free:
	free(buf);
	close(fd);
	return ret;
}

int ckpt_readlink(int dirfd, const char *path, char **ret)
{
	char buf[PATH_MAX + 1];
	ssize_t n;
	char *s;

	n = readlinkat(dirfd, path, buf, PATH_MAX);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	s = strdup(buf);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int ckpt_grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < n)
		ncap *= 2;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}

char *ckpt_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}
