/* SPDX-License-Identifier: GPL-2.0 */
/* One print path for text and JSON output (like iproute2's PRINT_ANY). */
#ifndef CKPT_PRINT_H
#define CKPT_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct ckpt_pr {
	FILE *out;
	bool json;
	int depth;
	bool need_comma[32];
};

void ckpt_pr_init(struct ckpt_pr *p, FILE *out, bool json);
void ckpt_pr_obj_open(struct ckpt_pr *p, const char *key);  /* key NULL: anonymous */
void ckpt_pr_obj_close(struct ckpt_pr *p);
void ckpt_pr_arr_open(struct ckpt_pr *p, const char *key);
void ckpt_pr_arr_close(struct ckpt_pr *p);
void ckpt_pr_u64(struct ckpt_pr *p, const char *key, uint64_t v);
void ckpt_pr_i64(struct ckpt_pr *p, const char *key, int64_t v);
void ckpt_pr_hex(struct ckpt_pr *p, const char *key, uint64_t v);
void ckpt_pr_bool(struct ckpt_pr *p, const char *key, bool v);
void ckpt_pr_str(struct ckpt_pr *p, const char *key, const char *s);
void ckpt_pr_end(struct ckpt_pr *p);

#endif
