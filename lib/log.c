// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "log.h"

static enum ckpt_log_level log_level = CKPT_LOG_WARN;

static void log_stderr(enum ckpt_log_level level, const char *file, int line, const char *msg)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	if (log_level >= CKPT_LOG_DEBUG)
		fprintf(stderr, "ckpt: %s: %s:%d: %s\n", names[level], file, line, msg);
	else if (level == CKPT_LOG_ERROR)
		fprintf(stderr, "ckpt: %s\n", msg);
	else
		fprintf(stderr, "ckpt: %s: %s\n", names[level], msg);
}

static ckpt_log_fn log_fn = log_stderr;

void ckpt_log_set_fn(ckpt_log_fn fn)
{
	log_fn = fn ? fn : log_stderr;
}

void ckpt_log_set_level(enum ckpt_log_level level)
{
	log_level = level;
}

enum ckpt_log_level ckpt_log_get_level(void)
{
	return log_level;
}

void ckpt_log(enum ckpt_log_level level, const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(level, file, line, msg);
}
