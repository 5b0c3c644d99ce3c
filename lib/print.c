// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <string.h>

#include "print.h"

void ckpt_pr_init(struct ckpt_pr *p, FILE *out, bool json)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->json = json;
}

static void indent(struct ckpt_pr *p)
{
	fprintf(p->out, "%*s", 2 * p->depth, "");
}

/* JSON: comma and key; text: indentation and "key: ". */
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
	indent(p);
	if (key)
		fprintf(p->out, "%s: ", key);
}

static void open_(struct ckpt_pr *p, const char *key, char c)
{
	lead(p, key);
	if (p->json)
		fputc(c, p->out);
	else if (key)
		fputc('\n', p->out);
	else
		fputs("-\n", p->out);
	if (p->depth < 31)
		p->depth++;
	p->need_comma[p->depth] = false;
}

static void close_(struct ckpt_pr *p, char c)
{
	if (p->depth)
		p->depth--;
	if (p->json)
		fputc(c, p->out);
}

void ckpt_pr_obj_open(struct ckpt_pr *p, const char *key)
{
	open_(p, key, '{');
}

void ckpt_pr_obj_close(struct ckpt_pr *p)
{
	close_(p, '}');
}

void ckpt_pr_arr_open(struct ckpt_pr *p, const char *key)
{
	open_(p, key, '[');
}

void ckpt_pr_arr_close(struct ckpt_pr *p)
{
	close_(p, ']');
}

void ckpt_pr_u64(struct ckpt_pr *p, const char *key, uint64_t v)
{
	lead(p, key);
	fprintf(p->out, p->json ? "%" PRIu64 : "%" PRIu64 "\n", v);
}

void ckpt_pr_i64(struct ckpt_pr *p, const char *key, int64_t v)
{
	lead(p, key);
	fprintf(p->out, p->json ? "%" PRId64 : "%" PRId64 "\n", v);
}

void ckpt_pr_hex(struct ckpt_pr *p, const char *key, uint64_t v)
{
	lead(p, key);
	fprintf(p->out, p->json ? "\"0x%" PRIx64 "\"" : "0x%" PRIx64 "\n", v);
}

void ckpt_pr_bool(struct ckpt_pr *p, const char *key, bool v)
{
	lead(p, key);
	fprintf(p->out, p->json ? "%s" : "%s\n", v ? "true" : "false");
}

void ckpt_pr_str(struct ckpt_pr *p, const char *key, const char *s)
{
	const unsigned char *c;

	lead(p, key);
	if (!s)
		s = "";
	if (!p->json) {
		for (c = (const unsigned char *)s; *c; c++)
			fputc(*c < 0x20 || *c == 0x7f ? '?' : *c, p->out);
		fputc('\n', p->out);
		return;
	}
	fputc('"', p->out);
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(p->out, "\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f)
			fprintf(p->out, "\\u%04x", *c);
		else
			fputc(*c, p->out);
	}
	fputc('"', p->out);
}

void ckpt_pr_end(struct ckpt_pr *p)
{
	if (p->json)
		fputc('\n', p->out);
	fflush(p->out);
}
