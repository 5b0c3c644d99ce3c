/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Image files.  Every file starts with a 16-byte header
 *   u32 magic (per kind) | u32 version (CKPT_IMG_VERSION) | u32 flags | u32 reserved
 * little-endian, then records: u32 length, u32 CRC-32C, a packed protobuf
 * message; the length is capped before anything is allocated (images are
 * untrusted).
 * The raw pages file has the same header padded to CKPT_PAGES_HDR_SIZE; the
 * page data that follows is page aligned.
 *
 * File names inside an image directory:
 *   inventory.img, core-PID.img, mm-PID.img, files-PID.img,
 *   pagemap-PID.img, pages-PID.img
 *
 * All functions return >= 0 or -errno, and on failure log one error that
 * names the file ("core-412.img: truncated record at offset 96").
 */
#ifndef CKPT_IMG_H
#define CKPT_IMG_H

#include <stdbool.h>
#include <stdio.h>

#include "state.h"

#define CKPT_PAGES_HDR_SIZE 4096
#define CKPT_IMG_MAX_RECORD (64u << 20) /* largest record accepted */

/* Write the inventory last: temp file, fsync, rename.  */
int ckpt_img_write_inventory(int dirfd, const struct ckpt_inventory *inv);
int ckpt_img_read_inventory(int dirfd, struct ckpt_inventory *ret);

/* core-, mm-, files-, pagemap-PID.img for one task (pages file excluded). */
int ckpt_img_write_task(int dirfd, const struct ckpt_task *t);
int ckpt_img_read_task(int dirfd, pid_t pid, struct ckpt_task *ret);

/* pipes.img: every pipe of the tree and its data in flight. */
int ckpt_img_write_pipes(int dirfd, const struct ckpt_pipe *pipes, size_t n);
int ckpt_img_read_pipes(int dirfd, struct ckpt_pipe **ret, size_t *ret_n);
void ckpt_pipes_free(struct ckpt_pipe *pipes, size_t n);

/*
 * Raw pages files.  A task's pages may be split into parts written in
 * parallel (one file each: i_rwsem serialises writers of one file):
 * part 0 is pages-PID.img, part N pages-PID.N.img.
 */
#define CKPT_MAX_PAGE_PARTS 8
void ckpt_img_pages_name(char *buf, size_t size, pid_t pid, unsigned int part);
/* Create a part (O_EXCL) with its header written; returns the fd or -errno. */
int ckpt_img_pages_create(int dirfd, pid_t pid, unsigned int part);
/* Open a part for reading and check its header; returns the fd or -errno. */
int ckpt_img_pages_open(int dirfd, pid_t pid, unsigned int part);

/* Decode every image of a directory, as text or JSON (one print path). */
int ckpt_show(int dirfd, const char *dirname, bool json, FILE *out);

#endif
