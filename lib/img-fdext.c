// SPDX-License-Identifier: GPL-2.0
/*
 * FdEntry fields of inotify and pseudo-terminal fds, to and from the image
 * (kept apart from img-task.c, which calls these for every entry).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "img-fdext.h"
#include "util.h"

#define MAX_WATCHES (1u << 20)
#define MAX_PTY_INDEX (1u << 20)

struct ckpt_fdext_buf {
	InotifyWatch *w;
	InotifyWatch **wp;
	PtyState pty;
};

int ckpt_img_fdext_out(FdEntry *e, const struct ckpt_fd *f, struct ckpt_fdext_buf **ret)
{
	struct ckpt_fdext_buf *b;
	size_t k;

	*ret = NULL;
	if (f->kind != CKPT_FD_INOTIFY && f->kind != CKPT_FD_PTMX && f->kind != CKPT_FD_PTS)
		return 0;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	*ret = b;
	if (f->kind == CKPT_FD_INOTIFY && f->n_watches) {
		b->w = calloc(f->n_watches, sizeof(*b->w));
		b->wp = calloc(f->n_watches, sizeof(*b->wp));
		if (!b->w || !b->wp)
			return -ENOMEM;
		for (k = 0; k < f->n_watches; k++) {
			const struct ckpt_inotify_watch *w = &f->watches[k];

			inotify_watch__init(&b->w[k]);
			b->w[k].has_wd = b->w[k].has_mask = b->w[k].has_dev = b->w[k].has_ino = true;
			b->w[k].wd = w->wd;
			b->w[k].mask = w->mask;
			b->w[k].dev = w->dev;
			b->w[k].ino = w->ino;
			ckpt_img_str_out(w->path, &b->w[k].has_path, &b->w[k].path);
			b->wp[k] = &b->w[k];
		}
		e->n_inotify = f->n_watches;
		e->inotify = b->wp;
	}
	if (f->kind == CKPT_FD_PTMX || f->kind == CKPT_FD_PTS) {
		const struct ckpt_pty *p = &f->pty;
		PtyState *s = &b->pty;

		pty_state__init(s);
		s->has_index = s->has_iflag = s->has_oflag = s->has_cflag = s->has_lflag = true;
		s->has_line = s->has_cc = s->has_ispeed = s->has_ospeed = true;
		s->has_rows = s->has_cols = s->has_xpixel = s->has_ypixel = true;
		s->has_packet = s->has_locked = s->has_ctty = true;
		s->index = p->index;
		s->iflag = p->iflag;
		s->oflag = p->oflag;
		s->cflag = p->cflag;
		s->lflag = p->lflag;
		s->line = p->line;
		s->cc.data = (uint8_t *)p->cc;
		s->cc.len = CKPT_NCCS;
		s->ispeed = p->ispeed;
		s->ospeed = p->ospeed;
		s->rows = p->rows;
		s->cols = p->cols;
		s->xpixel = p->xpixel;
		s->ypixel = p->ypixel;
		s->packet = p->packet;
		s->locked = p->locked;
		s->ctty = p->ctty;
		e->pty = s;
	}
	return 0;
}

void ckpt_img_fdext_free(struct ckpt_fdext_buf *b)
{
	if (!b)
		return;
	free(b->w);
	free(b->wp);
	free(b);
}

int ckpt_img_fdext_in(struct ckpt_fd *f, const FdEntry *e, const char *name)
{
	size_t k;
	int err;

	if (f->kind == CKPT_FD_INOTIFY) {
		if (e->n_inotify > MAX_WATCHES)
			return ckpt_img_bad("%s: fd %d: %zu inotify watches", name, f->fd, e->n_inotify);
		f->watches = calloc(MAX(e->n_inotify, 1), sizeof(*f->watches));
		if (!f->watches)
			return ckpt_img_oom(name);
		for (k = 0; k < e->n_inotify; k++) {
			const InotifyWatch *p = e->inotify[k];
			struct ckpt_inotify_watch *w = &f->watches[k];

			if (!p->has_wd || p->wd <= 0 || (k && p->wd <= f->watches[k - 1].wd))
				return ckpt_img_bad("%s: fd %d: inotify watch %zu (wd %d) is invalid, "
						    "repeated or out of order", name, f->fd, k, p->wd);
			*w = (struct ckpt_inotify_watch){ .wd = p->wd, .mask = p->mask, .dev = p->dev,
							  .ino = p->ino };
			f->n_watches = k + 1; /* owns the path from here */
			err = ckpt_img_str_in(&w->path, p->has_path, &p->path, name, "inotify path", true);
			if (err)
				return err;
			if (w->path[0] != '/')
				return ckpt_img_bad("%s: fd %d: inotify watch %d: path is not absolute",
						    name, f->fd, w->wd);
		}
		return 0;
	}
	if (f->kind == CKPT_FD_PTMX || f->kind == CKPT_FD_PTS) {
		const PtyState *s = e->pty;
		struct ckpt_pty *p = &f->pty;

		if (!s || !s->has_index || s->index >= MAX_PTY_INDEX || s->cc.len > CKPT_NCCS)
			return ckpt_img_bad("%s: fd %d: pseudo-terminal without a valid state", name,
					    f->fd);
		p->index = s->index;
		p->iflag = s->iflag;
		p->oflag = s->oflag;
		p->cflag = s->cflag;
		p->lflag = s->lflag;
		p->line = (uint8_t)s->line;
		if (s->cc.len)
			memcpy(p->cc, s->cc.data, s->cc.len);
		p->ispeed = s->ispeed;
		p->ospeed = s->ospeed;
		p->rows = (uint16_t)s->rows;
		p->cols = (uint16_t)s->cols;
		p->xpixel = (uint16_t)s->xpixel;
		p->ypixel = (uint16_t)s->ypixel;
		p->packet = s->packet;
		p->locked = s->locked;
		p->ctty = s->ctty;
	}
	return 0;
}
