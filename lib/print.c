// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

void ckpt_pr_init(struct ckpt_pr *p, FILE *out, bool json)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->json = json;
}

static bool in_line(const struct ckpt_pr *p)
{
	return !p->json && p->line;
}

/* JSON: comma and key; text: indentation and "key: " (nothing inside a line). */
static void lead(struct ckpt_pr *p, const char *key)
{
	if (p->json) {
		if (p->need_comma[p->depth])
			fputc(',', p->out);
		p->need_comma[p->depth] = true;
		if (key)
			fprintf(p->out, "\"%s\":", key);
		return;
	}
	if (p->line)
		return;
	fprintf(p->out, "%*s", 2 * p->depth, "");
	if (key)
		fprintf(p->out, "%s: ", key);
}

/* Open a container ('{' or '['); text: "key:" on its own line, or a new line. */
static void open_(struct ckpt_pr *p, const char *key, char c, bool line)
{
	if (p->json) {
		lead(p, key);
		fputc(c, p->out);
	} else if (line && !p->line) {
		fprintf(p->out, "%*s%s%s", 2 * p->depth, "", key ? key : "", key ? ": " : "");
	} else if (!p->line) {
		fprintf(p->out, "%*s%s%s\n", 2 * p->depth, "", key ? key : "-", key ? ":" : "");
	}
	if (p->depth < CKPT_PR_MAX_DEPTH - 1)
		p->depth++;
	p->need_comma[p->depth] = false;
	p->closer[p->depth] = c == '{' ? '}' : ']';
	if (line && !p->json && !p->line)
		p->line = p->depth;
}

static void close_(struct ckpt_pr *p)
{
	if (p->json)
		fputc(p->closer[p->depth], p->out);
	else if (p->line == p->depth) {
		fputc('\n', p->out);
		p->line = 0;
	}
	if (p->depth)
		p->depth--;
}

void ckpt_pr_obj_open(struct ckpt_pr *p, const char *key)
{
	open_(p, key, '{', false);
}

void ckpt_pr_obj_close(struct ckpt_pr *p)
{
	close_(p);
}

void ckpt_pr_arr_open(struct ckpt_pr *p, const char *key)
{
	open_(p, key, '[', false);
}

void ckpt_pr_arr_close(struct ckpt_pr *p)
{
	close_(p);
}

void ckpt_pr_line_open(struct ckpt_pr *p, const char *key)
{
	open_(p, key, '{', true);
}

void ckpt_pr_line_arr_open(struct ckpt_pr *p, const char *key)
{
	open_(p, key, '[', true);
}

void ckpt_pr_line_close(struct ckpt_pr *p)
{
	close_(p);
}

void ckpt_pr_text_line_open(struct ckpt_pr *p, const char *label)
{
	if (p->json || p->line)
		return;
	fprintf(p->out, "%*s%s: ", 2 * p->depth, "", label);
	p->line = -1;
}

void ckpt_pr_text_line_close(struct ckpt_pr *p)
{
	if (p->json || p->line != -1)
		return;
	fputc('\n', p->out);
	p->line = 0;
}

/* Text value: inside a line with fmt (or not at all), else on its own line. */
#define TEXT_VALUE(p, fmt, deflt, v)                        \
	do {                                                \
		if (!in_line(p))                            \
			fprintf((p)->out, deflt "\n", v);   \
		else if (fmt)                               \
			fprintf((p)->out, fmt, v);          \
	} while (0)

void ckpt_pr_u64f(struct ckpt_pr *p, const char *key, const char *fmt, uint64_t v)
{
	lead(p, key);
	if (p->json)
		fprintf(p->out, "%" PRIu64, v);
	else
		TEXT_VALUE(p, fmt, "%" PRIu64, v);
}

void ckpt_pr_i64f(struct ckpt_pr *p, const char *key, const char *fmt, int64_t v)
{
	lead(p, key);
	if (p->json)
		fprintf(p->out, "%" PRId64, v);
	else
		TEXT_VALUE(p, fmt, "%" PRId64, v);
}

void ckpt_pr_hexf(struct ckpt_pr *p, const char *key, const char *fmt, uint64_t v)
{
	lead(p, key);
	if (p->json)
		fprintf(p->out, "\"0x%" PRIx64 "\"", v);
	else
		TEXT_VALUE(p, fmt, "0x%" PRIx64, v);
}

void ckpt_pr_boolf(struct ckpt_pr *p, const char *key, const char *fmt, bool v)
{
	const char *s = v ? "true" : "false";

	lead(p, key);
	if (p->json)
		fputs(s, p->out);
	else
		TEXT_VALUE(p, fmt, "%s", s);
}

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (*s < 0x80)
		return 1;
	if ((*s & 0xe0) == 0xc0)
		n = 2, cp = *s & 0x1f;
	else if ((*s & 0xf0) == 0xe0)
		n = 3, cp = *s & 0x0f;
	else if ((*s & 0xf8) == 0xf0)
		n = 4, cp = *s & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* No overlong forms, surrogates, or code points above U+10FFFF. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * A JSON string.  Valid UTF-8 passes through; a byte that is not (paths are
 * bytes) becomes \u00XX, its value as a Latin-1 character.
 */
static void json_str(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	while (*s) {
		size_t n = utf8_len(s);

		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '\t')
			fputs("\\t", out);
		else if (*s < 0x20 || *s == 0x7f || !n)
			fprintf(out, "\\u%04x", *s);
		else
			fwrite(s, 1, n, out);
		s += n ? n : 1;
	}
	fputc('"', out);
}

/* Text: control characters become '?' so a name cannot forge lines. */
static char *text_str(const char *s)
{
	char *t = strdup(s), *c;

	for (c = t; c && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return t;
}

void ckpt_pr_strf(struct ckpt_pr *p, const char *key, const char *fmt, const char *s)
{
	char *t;

	lead(p, key);
	if (!s)
		s = "";
	if (p->json) {
		json_str(p->out, s);
		return;
	}
	t = text_str(s);
	TEXT_VALUE(p, fmt, "%s", t ? t : "?");
	free(t);
}

void ckpt_pr_text(struct ckpt_pr *p, const char *fmt, ...)
{
	va_list ap;

	if (p->json)
		return;
	va_start(ap, fmt);
	vfprintf(p->out, fmt, ap);
	va_end(ap);
}

void ckpt_pr_u64(struct ckpt_pr *p, const char *key, uint64_t v)
{
	ckpt_pr_u64f(p, key, NULL, v);
}

void ckpt_pr_i64(struct ckpt_pr *p, const char *key, int64_t v)
{
	ckpt_pr_i64f(p, key, NULL, v);
}

void ckpt_pr_hex(struct ckpt_pr *p, const char *key, uint64_t v)
{
	ckpt_pr_hexf(p, key, NULL, v);
}

void ckpt_pr_bool(struct ckpt_pr *p, const char *key, bool v)
{
	ckpt_pr_boolf(p, key, NULL, v);
}

void ckpt_pr_str(struct ckpt_pr *p, const char *key, const char *s)
{
	ckpt_pr_strf(p, key, NULL, s);
}

void ckpt_pr_end(struct ckpt_pr *p)
{
	if (p->json)
		fputc('\n', p->out);
	fflush(p->out);
}
