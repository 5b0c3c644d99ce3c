/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An image directory is written under a temporary sibling name and renamed
 * into place only when complete, so an interrupted dump never leaves a
 * directory that looks complete.
 */
#ifndef CKPT_IMGDIR_H
#define CKPT_IMGDIR_H

struct ckpt_imgdir {
	char *path; /* final path */
	char *tmp;  /* sibling being written */
	int dirfd;  /* of tmp */
};

/* Check the destination (absent, empty, or a previous image) and create the temp dir. */
int ckpt_imgdir_begin(const char *path, struct ckpt_imgdir *ret);
/* fsync and move into place (replacing an empty dir or a previous image). */
int ckpt_imgdir_commit(struct ckpt_imgdir *d);
/* Remove the temp dir and everything in it. */
void ckpt_imgdir_abort(struct ckpt_imgdir *d);

/* Open an existing image directory for reading. */
int ckpt_imgdir_open(const char *path, int *ret_fd);

#endif
