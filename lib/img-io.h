/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Framing of image files: a 16-byte header, then records, each
 * u32 length | u32 CRC-32C of the payload | payload (a packed protobuf message).
 * Also the small helpers the img-*.c converters share.
 *
 * Every function here that fails logs one error naming the file and returns
 * -errno (ckpt_img_has_repeats() excepted); callers only propagate.
 */
#ifndef CKPT_IMG_IO_H
#define CKPT_IMG_IO_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm.pb-c.h"
#include "state.h"

enum ckpt_img_magic {
	CKPT_MAGIC_INVENTORY = 0x564e4943, /* "CINV" */
	CKPT_MAGIC_CORE = 0x45524f43,      /* "CORE" */
	CKPT_MAGIC_MM = 0x4d4d4b43,        /* "CKMM" */
	CKPT_MAGIC_FILES = 0x534c4946,     /* "FILS" */
	CKPT_MAGIC_PAGEMAP = 0x504d4750,   /* "PGMP" */
	CKPT_MAGIC_PAGES = 0x53454750,     /* "PGES" */
	CKPT_MAGIC_PIPES = 0x45504950,     /* "PIPE" */
	CKPT_MAGIC_NETLOCK = 0x4b434c4e,   /* "NLCK" */
};

#define CKPT_IMG_HDR_SIZE 16
#define CKPT_IMG_MAX_FILE (1ULL << 30) /* metadata images are read whole */
#define CKPT_IMG_MAX_STR 4096          /* PATH_MAX: text fields are shorter */

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
/* A file of exactly one record (inventory, core, mm): open, unpack, close. */
int ckpt_img_read_one(int dirfd, const char *name, uint32_t magic,
		      const ProtobufCMessageDescriptor *d, ProtobufCMessage **ret);

/* ---- helpers for the converters (img-task.c, img-mm.c, img-inv.c) ---- */

/* Log one error ("core-412.img: ...") and return -EBADMSG. */
int ckpt_img_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log "NAME: out of memory" and return -ENOMEM. */
int ckpt_img_oom(const char *name);

/* A C string (NULL: absent) into a bytes field; the field points into s. */
void ckpt_img_str_out(const char *s, protobuf_c_boolean *ret_has, ProtobufCBinaryData *ret);
/*
 * A bytes field into a malloc'd C string.  Refused: a NUL inside,
 * CKPT_IMG_MAX_STR bytes or more, or absent when need is set (otherwise
 * absent leaves *ret alone).
 */
int ckpt_img_str_in(char **ret, protobuf_c_boolean has, const ProtobufCBinaryData *b,
		    const char *name, const char *what, bool need);
/* A bytes field into char[CKPT_COMM_LEN]: at most 15 bytes, no NUL. */
int ckpt_img_comm_in(char *ret, protobuf_c_boolean has, const ProtobufCBinaryData *b,
		     const char *name, const char *what);

/* Whether a value repeats (sorts a copy: fine for large n): 1, 0 or -ENOMEM, not logged. */
int ckpt_img_has_repeats(const int64_t *v, size_t n);

void ckpt_img_file_id_out(FileId *f, const struct ckpt_file_id *id);
void ckpt_img_file_id_in(struct ckpt_file_id *id, const FileId *f); /* f NULL: zeros */

#endif
