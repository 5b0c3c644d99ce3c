/* SPDX-License-Identifier: GPL-2.0 */
/* --file-remap and --inherit-fd at restore (file-remap.c). */
#ifndef CKPT_FILE_REMAP_H
#define CKPT_FILE_REMAP_H

#include <stdbool.h>
#include <stddef.h>

/* Syntax only (the CLI's usage errors): 0 or -EINVAL. */
int ckpt_file_remap_parse(const char *spec, const char **ret_old, size_t *ret_old_len,
			  const char **ret_new);
int ckpt_inherit_fd_parse(const char *spec, int *ret_fd, const char **ret_res);

/* In ckpt before the first task: the rules, inherited fds moved to base or above. */
int ckpt_file_remap_setup(const char *const *remap_specs, size_t n_remap,
			  const char *const *inherit_specs, size_t n_inherit, int base);
void ckpt_file_remap_release(void);

/* The path to open for the image's path (buf when remapped; NULL: too long). */
const char *ckpt_file_remap(const char *path, char *buf, size_t len);
/* Whether a rule covers path (its identity is then not checked). */
bool ckpt_file_remapped(const char *path);
/* ckpt's copy of the fd given for resource res (--inherit-fd), or -1. */
int ckpt_inherit_fd_find(const char *res);

#endif
