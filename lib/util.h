/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_UTIL_H
#define CKPT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#ifndef PAGE_SIZE
#define PAGE_SIZE 4096UL
#endif
#undef PAGE_ALIGN
#define PAGE_ALIGN(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Full-length I/O; return bytes done (short only at EOF) or -errno. */
ssize_t ckpt_read_all(int fd, void *buf, size_t len);
ssize_t ckpt_pread_all(int fd, void *buf, size_t len, off_t off);
int ckpt_write_all(int fd, const void *buf, size_t len);

/* Read a whole (small, e.g. /proc) file into a NUL-terminated malloc'd buffer. */
int ckpt_read_file(int dirfd, const char *path, char **ret_buf, size_t *ret_len);

/* readlinkat into a malloc'd string. */
int ckpt_readlink(int dirfd, const char *path, char **ret);

/* Grow a dynamic array to hold at least n elements; -ENOMEM on failure. */
int ckpt_grow(void **arr, size_t *cap, size_t n, size_t elem);

char *ckpt_strdup(const char *s); /* NULL-safe */

#endif
