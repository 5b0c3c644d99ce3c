/* SPDX-License-Identifier: GPL-2.0 */
/* FdEntry fields of inotify and pseudo-terminal fds (img-fdext.c). */
#ifndef CKPT_IMG_FDEXT_H
#define CKPT_IMG_FDEXT_H

#include "files.pb-c.h"
#include "img-io.h"
#include "state.h"

struct ckpt_fdext_buf;

/* Point e's fields at f's state; *ret (freed after packing) holds what they point to. */
int ckpt_img_fdext_out(FdEntry *e, const struct ckpt_fd *f, struct ckpt_fdext_buf **ret);
void ckpt_img_fdext_free(struct ckpt_fdext_buf *b);
/* f->kind and f->fd are set; validate and copy; one error naming the image and fd. */
int ckpt_img_fdext_in(struct ckpt_fd *f, const FdEntry *e, const char *name);

#endif
