/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Framing of image files: a 16-byte header, then records, each
 * u32 length | u32 CRC-32C of the payload | payload (a packed protobuf message).
 */
#ifndef CKPT_IMG_IO_H
#define CKPT_IMG_IO_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

enum ckpt_img_magic {
	CKPT_MAGIC_INVENTORY = 0x564e4943, /* "CINV" */
	CKPT_MAGIC_CORE = 0x45524f43,      /* "CORE" */
	CKPT_MAGIC_MM = 0x4d4d4b43,        /* "CKMM" */
	CKPT_MAGIC_FILES = 0x534c4946,     /* "FILS" */
	CKPT_MAGIC_PAGEMAP = 0x504d4750,   /* "PGMP" */
	CKPT_MAGIC_PAGES = 0x53454750,     /* "PGES" */
	CKPT_MAGIC_PIPES = 0x45504950,     /* "PIPE" */
};

#define CKPT_IMG_HDR_SIZE 16
#define CKPT_IMG_MAX_FILE (1ULL << 30) /* metadata images are read whole */

struct ckpt_img_w {
	int fd;
	char name[64];
	uint8_t *buf;
	size_t len, cap;
};

struct ckpt_img_r {
	char name[64];
	uint8_t *buf;
	size_t len, pos;
};

uint32_t ckpt_crc32c(uint32_t crc, const void *data, size_t len);
/* Header bytes for magic (little-endian). */
void ckpt_img_hdr(uint8_t hdr[CKPT_IMG_HDR_SIZE], uint32_t magic);
/* Check a header; logs one error naming the file. */
int ckpt_img_hdr_check(const uint8_t *hdr, size_t len, uint32_t magic, const char *name);

int ckpt_img_w_open(int dirfd, const char *name, uint32_t magic, struct ckpt_img_w *w);
int ckpt_img_w_msg(struct ckpt_img_w *w, const ProtobufCMessage *m);
/* Flush, fdatasync, close; on error the file is left for the caller's cleanup. */
int ckpt_img_w_close(struct ckpt_img_w *w);
void ckpt_img_w_abort(struct ckpt_img_w *w);

int ckpt_img_r_open(int dirfd, const char *name, uint32_t magic, struct ckpt_img_r *r);
/* Next record, or *ret = NULL at the end of the file. */
int ckpt_img_r_msg(struct ckpt_img_r *r, const ProtobufCMessageDescriptor *d,
		   ProtobufCMessage **ret);
void ckpt_img_r_close(struct ckpt_img_r *r);

#endif
