/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_LOG_H
#define CKPT_LOG_H

#include <stdarg.h>

enum ckpt_log_level {
	CKPT_LOG_ERROR = 0,
	CKPT_LOG_WARN,
	CKPT_LOG_INFO,
	CKPT_LOG_DEBUG,
};

typedef void (*ckpt_log_fn)(enum ckpt_log_level level, const char *file, int line,
			    const char *msg);

/* lib/ logs through a callback the program installs; default: stderr, warn. */
void ckpt_log_set_fn(ckpt_log_fn fn);
void ckpt_log_set_level(enum ckpt_log_level level);
enum ckpt_log_level ckpt_log_get_level(void);
void ckpt_log(enum ckpt_log_level level, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define pr_err(...) ckpt_log(CKPT_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define pr_warn(...) ckpt_log(CKPT_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define pr_info(...) ckpt_log(CKPT_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define pr_debug(...) ckpt_log(CKPT_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)

#endif
