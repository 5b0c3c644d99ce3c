// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "img-io.h"
#include "img.h"
#include "log.h"
#include "util.h"

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

/* CRC-32C (Castagnoli) of each record's payload: catches flipped bits protobuf would accept. */
uint32_t ckpt_crc32c(uint32_t crc, const void *data, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = data;
	size_t i;

	if (!table[1])
		for (i = 0; i < 256; i++) {
			uint32_t c = i;
			int k;

			for (k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
			table[i] = c;
		}
	crc = ~crc;
	for (i = 0; i < len; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

void ckpt_img_hdr(uint8_t hdr[CKPT_IMG_HDR_SIZE], uint32_t magic)
{
	memset(hdr, 0, CKPT_IMG_HDR_SIZE);
	put32(hdr, magic);
	put32(hdr + 4, CKPT_IMG_VERSION);
}

int ckpt_img_hdr_check(const uint8_t *hdr, size_t len, uint32_t magic, const char *name)
{
	uint32_t version;

	if (len < CKPT_IMG_HDR_SIZE) {
		pr_err("%s: truncated header (%zu bytes)", name, len);
		return -ENODATA;
	}
	if (get32(hdr) != magic) {
		pr_err("%s: bad magic 0x%08x: not this kind of ckpt image, or corrupt", name, get32(hdr));
		return -EBADMSG;
	}
	version = get32(hdr + 4);
	if (version != CKPT_IMG_VERSION) {
		pr_err("%s: image version %u, this ckpt reads version %u", name, version,
		       CKPT_IMG_VERSION);
		return -EPROTO;
	}
	if (get32(hdr + 8)) {
		pr_err("%s: unknown header flags 0x%x", name, get32(hdr + 8));
		return -EPROTO;
	}
	if (get32(hdr + 12)) {
		pr_err("%s: reserved header word is 0x%x, not 0", name, get32(hdr + 12));
		return -EPROTO;
	}
	return 0;
}

int ckpt_img_w_open(int dirfd, const char *name, uint32_t magic, struct ckpt_img_w *w)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	errno = -ckpt_fault("create image", ENOSPC);
	w->fd = errno ? -1 : openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (w->fd < 0) {
		int err = -errno;

		pr_err("%s: cannot create: %s", name, strerror(errno));
		return err;
	}
	w->cap = 64 * 1024;
	w->buf = malloc(w->cap);
	if (!w->buf) {
		close(w->fd);
		return ckpt_img_oom(name);
	}
	ckpt_img_hdr(w->buf, magic);
	w->len = CKPT_IMG_HDR_SIZE;
	return 0;
}

static int w_flush(struct ckpt_img_w *w)
{
	int err = ckpt_write_all(w->fd, w->buf, w->len);

	if (err) {
		pr_err("%s: write: %s", w->name, strerror(-err));
		return err;
	}
	w->len = 0;
	return 0;
}

int ckpt_img_w_msg(struct ckpt_img_w *w, const ProtobufCMessage *m)
{
	size_t sz = protobuf_c_message_get_packed_size(m);
	int err;

	if (sz > CKPT_IMG_MAX_RECORD) {
		pr_err("%s: record of %zu bytes is too large", w->name, sz);
		return -EFBIG;
	}
	if (w->len + 8 + sz > w->cap) {
		err = w_flush(w);
		if (err)
			return err;
		if (8 + sz > w->cap) {
			uint8_t *nb = realloc(w->buf, 8 + sz);

			if (!nb)
				return ckpt_img_oom(w->name);
			w->buf = nb;
			w->cap = 8 + sz;
		}
	}
	put32(w->buf + w->len, sz);
	protobuf_c_message_pack(m, w->buf + w->len + 8);
	put32(w->buf + w->len + 4, ckpt_crc32c(0, w->buf + w->len + 8, sz));
	w->len += 8 + sz;
	return 0;
}

int ckpt_img_w_close(struct ckpt_img_w *w)
{
	int err = w_flush(w);

	if (!err) {
		err = ckpt_fault("fdatasync", EIO);
		if (!err && fdatasync(w->fd))
			err = -errno;
		if (err)
			pr_err("%s: fdatasync: %s", w->name, strerror(-err));
	}
	close(w->fd);
	free(w->buf);
	w->buf = NULL;
	return err;
}

void ckpt_img_w_abort(struct ckpt_img_w *w)
{
	close(w->fd);
	free(w->buf);
	w->buf = NULL;
}

int ckpt_img_r_open(int dirfd, const char *name, uint32_t magic, struct ckpt_img_r *r)
{
	struct stat st;
	ssize_t n;
	int fd, err;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			pr_err("%s: missing from the image directory", name);
		else
			pr_err("%s: %s", name, strerror(errno));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		pr_err("%s: %s", name, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		pr_err("%s: not a regular file", name);
		err = -EINVAL;
		goto fail;
	}
	if ((uint64_t)st.st_size > CKPT_IMG_MAX_FILE) {
		pr_err("%s: %lld bytes is too large for this kind of image", name,
		       (long long)st.st_size);
		err = -EFBIG;
		goto fail;
	}
	r->buf = malloc(st.st_size + 1);
	if (!r->buf) {
		err = ckpt_img_oom(name);
		goto fail;
	}
	n = ckpt_read_all(fd, r->buf, st.st_size);
	if (n < 0) {
		err = n;
		pr_err("%s: read: %s", name, strerror(-err));
		goto fail;
	}
	r->len = n;
	close(fd);
	err = ckpt_img_hdr_check(r->buf, r->len, magic, name);
	if (err) {
		ckpt_img_r_close(r);
		return err;
	}
	r->pos = CKPT_IMG_HDR_SIZE;
	return 0;
fail:
	free(r->buf);
	r->buf = NULL;
	close(fd);
	return err;
}

int ckpt_img_r_msg(struct ckpt_img_r *r, const ProtobufCMessageDescriptor *d,
		   ProtobufCMessage **ret)
{
	ProtobufCMessage *m;
	uint32_t sz;

	*ret = NULL;
	if (r->pos == r->len)
		return 0;
	if (r->len - r->pos < 8) {
		pr_err("%s: truncated record header at offset %zu", r->name, r->pos);
		return -ENODATA;
	}
	sz = get32(r->buf + r->pos);
	if (sz > CKPT_IMG_MAX_RECORD) {
		pr_err("%s: record of %u bytes at offset %zu is larger than the %u-byte limit", r->name,
		       sz, r->pos, CKPT_IMG_MAX_RECORD);
		return -EFBIG;
	}
	if (r->len - r->pos - 8 < sz) {
		pr_err("%s: truncated record at offset %zu (%u bytes, %zu left)", r->name, r->pos, sz,
		       r->len - r->pos - 8);
		return -ENODATA;
	}
	if (ckpt_crc32c(0, r->buf + r->pos + 8, sz) != get32(r->buf + r->pos + 4)) {
		pr_err("%s: corrupt record at offset %zu (checksum mismatch)", r->name, r->pos);
		return -EBADMSG;
	}
	m = protobuf_c_message_unpack(d, NULL, sz, r->buf + r->pos + 8);
	if (!m) {
		pr_err("%s: corrupt record at offset %zu", r->name, r->pos);
		return -EBADMSG;
	}
	r->pos += 8 + sz;
	*ret = m;
	return 0;
}

void ckpt_img_r_close(struct ckpt_img_r *r)
{
	free(r->buf);
	r->buf = NULL;
}

int ckpt_img_read_one(int dirfd, const char *name, uint32_t magic,
		      const ProtobufCMessageDescriptor *d, ProtobufCMessage **ret)
{
	ProtobufCMessage *m = NULL;
	struct ckpt_img_r r;
	int err;

	err = ckpt_img_r_open(dirfd, name, magic, &r);
	if (err)
		return err;
	err = ckpt_img_r_msg(&r, d, &m); /* the message owns copies of its data */
	if (err)
		goto out_close;
	if (!m) {
		pr_err("%s: holds no record", name);
		err = -ENODATA;
	} else if (r.pos != r.len) {
		pr_err("%s: %zu unexpected bytes after the record, at offset %zu", name,
		       r.len - r.pos, r.pos);
		err = -EBADMSG;
		protobuf_c_message_free_unpacked(m, NULL);
	} else {
		*ret = m;
	}
out_close:
	ckpt_img_r_close(&r);
	return err;
}

/* ---- raw pages file ------------------------------------------------------ */

void ckpt_img_pages_name(char *buf, size_t size, pid_t pid, unsigned int part)
{
	if (part)
		snprintf(buf, size, "pages-%d.%u.img", pid, part);
	else
		snprintf(buf, size, "pages-%d.img", pid);
}

int ckpt_img_pages_create(int dirfd, pid_t pid, unsigned int part)
{
	uint8_t hdr[CKPT_PAGES_HDR_SIZE] = { 0 };
	char name[64];
	int fd, err;

	ckpt_img_pages_name(name, sizeof(name), pid, part);
	errno = -ckpt_fault("create pages file", ENOSPC);
	fd = errno ? -1 : openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		pr_err("%s: cannot create: %s", name, strerror(errno));
		return err;
	}
	ckpt_img_hdr(hdr, CKPT_MAGIC_PAGES);
	err = ckpt_write_all(fd, hdr, sizeof(hdr));
	if (err) {
		pr_err("%s: write: %s", name, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

static int pages_hdr_check(int fd, const char *name)
{
	uint8_t hdr[CKPT_PAGES_HDR_SIZE];
	ssize_t n = ckpt_pread_all(fd, hdr, sizeof(hdr), 0);
	size_t i;
	int err;

	if (n < 0) {
		pr_err("%s: read: %s", name, strerror((int)-n));
		return n;
	}
	err = ckpt_img_hdr_check(hdr, n, CKPT_MAGIC_PAGES, name);
	if (err)
		return err;
	if (n < CKPT_PAGES_HDR_SIZE) {
		pr_err("%s: truncated header (%zd of %d bytes)", name, n, CKPT_PAGES_HDR_SIZE);
		return -ENODATA;
	}
	for (i = CKPT_IMG_HDR_SIZE; i < sizeof(hdr); i++)
		if (hdr[i]) {
			pr_err("%s: header padding is not zero at offset %zu", name, i);
			return -EBADMSG;
		}
	return 0;
}

int ckpt_img_pages_open(int dirfd, pid_t pid, unsigned int part)
{
	char name[64];
	int fd, err;

	ckpt_img_pages_name(name, sizeof(name), pid, part);
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err = -errno;
		pr_err("%s: %s", name, strerror(errno));
		return err;
	}
	err = pages_hdr_check(fd, name);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* ---- helpers for the converters ----------------------------------------- */

int ckpt_img_bad(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("%s", msg);
	return -EBADMSG;
}

int ckpt_img_oom(const char *name)
{
	pr_err("%s: out of memory", name);
	return -ENOMEM;
}

void ckpt_img_str_out(const char *s, protobuf_c_boolean *ret_has, ProtobufCBinaryData *ret)
{
	*ret_has = s != NULL;
	ret->data = (uint8_t *)s;
	ret->len = s ? strlen(s) : 0;
}

/* Text fields are bytes on the wire: check what a C string cannot hold. */
static int str_check(protobuf_c_boolean has, const ProtobufCBinaryData *b, size_t max,
		     const char *name, const char *what, bool need)
{
	if (!has)
		return need ? ckpt_img_bad("%s: no %s", name, what) : 0;
	if (b->len >= max)
		return ckpt_img_bad("%s: %s of %zu bytes is too long", name, what, b->len);
	if (b->len && memchr(b->data, 0, b->len))
		return ckpt_img_bad("%s: %s holds a NUL byte", name, what);
	return 0;
}

int ckpt_img_str_in(char **ret, protobuf_c_boolean has, const ProtobufCBinaryData *b,
		    const char *name, const char *what, bool need)
{
	int err = str_check(has, b, CKPT_IMG_MAX_STR, name, what, need);
	char *s;

	if (err || !has)
		return err;
	s = malloc(b->len + 1);
	if (!s)
		return ckpt_img_oom(name);
	if (b->len)
		memcpy(s, b->data, b->len);
	s[b->len] = 0;
	*ret = s;
	return 0;
}

int ckpt_img_comm_in(char *ret, protobuf_c_boolean has, const ProtobufCBinaryData *b,
		     const char *name, const char *what)
{
	int err = str_check(has, b, CKPT_COMM_LEN, name, what, false);

	if (err || !has)
		return err;
	if (b->len)
		memcpy(ret, b->data, b->len);
	ret[b->len] = 0;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int ckpt_img_has_repeats(const int64_t *v, size_t n)
{
	int64_t *s = malloc(MAX(n, 1) * sizeof(*s));
	size_t i;
	int rep = 0;

	if (!s)
		return -ENOMEM;
	if (n)
		memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_i64);
	for (i = 1; i < n && !rep; i++)
		rep = s[i] == s[i - 1];
	free(s);
	return rep;
}

void ckpt_img_file_id_out(FileId *f, const struct ckpt_file_id *id)
{
	file_id__init(f);
	f->has_dev = f->has_ino = f->has_size = f->has_mode = true;
	f->dev = id->dev;
	f->ino = id->ino;
	f->size = id->size;
	f->mode = id->mode;
}

void ckpt_img_file_id_in(struct ckpt_file_id *id, const FileId *f)
{
	memset(id, 0, sizeof(*id));
	if (!f)
		return;
	id->dev = f->dev;
	id->ino = f->ino;
	id->size = f->size;
	id->mode = f->mode;
}
