/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One print path for text and JSON output (like iproute2's PRINT_ANY): the
 * caller emits keys and values once; the printer writes either JSON (keys
 * are stable snake_case) or indented text.
 *
 * Text: a value prints as "key: value" on its own line, a container as
 * "key:" with its members indented below.  Between ckpt_pr_line_open() and
 * _close(), members share one text line instead: each value prints with its
 * fmt (a printf format for that one value), or not at all when fmt is NULL
 * (JSON only); ckpt_pr_text() adds text that JSON does not see.
 */
#ifndef CKPT_PRINT_H
#define CKPT_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CKPT_PR_MAX_DEPTH 32

struct ckpt_pr {
	FILE *out;
	bool json;
	int depth;
	int line; /* depth of the open text line, -1: a text-only line, 0: none */
	bool need_comma[CKPT_PR_MAX_DEPTH];
	char closer[CKPT_PR_MAX_DEPTH]; /* JSON: '}' or ']' per open container */
};

void ckpt_pr_init(struct ckpt_pr *p, FILE *out, bool json);
void ckpt_pr_obj_open(struct ckpt_pr *p, const char *key);  /* key NULL: array member */
void ckpt_pr_obj_close(struct ckpt_pr *p);
void ckpt_pr_arr_open(struct ckpt_pr *p, const char *key);
void ckpt_pr_arr_close(struct ckpt_pr *p);
/* An object, or an array, printed as one text line; one close for both. */
void ckpt_pr_line_open(struct ckpt_pr *p, const char *key);
void ckpt_pr_line_arr_open(struct ckpt_pr *p, const char *key);
void ckpt_pr_line_close(struct ckpt_pr *p);
/* A text line of members that JSON keeps in the enclosing object ("label: ..."). */
void ckpt_pr_text_line_open(struct ckpt_pr *p, const char *label);
void ckpt_pr_text_line_close(struct ckpt_pr *p);

void ckpt_pr_u64(struct ckpt_pr *p, const char *key, uint64_t v);
void ckpt_pr_i64(struct ckpt_pr *p, const char *key, int64_t v);
void ckpt_pr_hex(struct ckpt_pr *p, const char *key, uint64_t v); /* JSON: "0x..." */
void ckpt_pr_bool(struct ckpt_pr *p, const char *key, bool v);
void ckpt_pr_str(struct ckpt_pr *p, const char *key, const char *s); /* NULL: "" */

/* The same with a text format for use inside a line (NULL: JSON only). */
void ckpt_pr_u64f(struct ckpt_pr *p, const char *key, const char *fmt, uint64_t v);
void ckpt_pr_i64f(struct ckpt_pr *p, const char *key, const char *fmt, int64_t v);
void ckpt_pr_hexf(struct ckpt_pr *p, const char *key, const char *fmt, uint64_t v);
void ckpt_pr_boolf(struct ckpt_pr *p, const char *key, const char *fmt, bool v);
void ckpt_pr_strf(struct ckpt_pr *p, const char *key, const char *fmt, const char *s);
/* Text only (inside or outside a line); JSON ignores it. */
void ckpt_pr_text(struct ckpt_pr *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void ckpt_pr_end(struct ckpt_pr *p);

#endif
