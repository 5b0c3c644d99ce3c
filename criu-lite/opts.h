/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line parsing for ckpt: pure, no printing, no exit. */
#ifndef CKPT_OPTS_H
#define CKPT_OPTS_H

#include <stdbool.h>

#include "ckpt.h"

enum ckpt_cmd {
	CKPT_CMD_NONE = 0,
	CKPT_CMD_DUMP,
	CKPT_CMD_RESTORE,
	CKPT_CMD_SHOW,
	CKPT_CMD_CHECK,
	CKPT_CMD_HELP,
};

struct ckpt_cli {
	enum ckpt_cmd cmd;
	const char *cmd_name;   /* as typed */
	int verbosity;          /* -1 quiet, 0 default (warnings), 1 info, 2+ debug */
	bool json;
	bool help;              /* --help given: print the command's help */
	bool version;
	const char *help_topic; /* ckpt help TOPIC */
	bool display_stats;
	struct ckpt_dump_opts dump;
	struct ckpt_restore_opts restore;
	const char *show_dir;
	char err[256];          /* the usage error, when parsing fails */
	bool unsupported;       /* err names a CRIU option ckpt refuses (no "Try" line) */
	bool link_remap;        /* --link-remap (CRIU's): deleted files are saved anyway */
	const char *log_file;   /* -o, --log-file: relative to the image directory */
#define CKPT_CLI_MAX_SPECS 64
	const char *remaps[CKPT_CLI_MAX_SPECS];   /* restore.file_remap points here */
	const char *inherits[CKPT_CLI_MAX_SPECS]; /* restore.inherit_fd */
	size_t n_specs;
};

/* The CRIU option names refused with "not supported yet" (for the man page check). */
const char *const *ckpt_cli_unsupported(size_t *ret_n);

/* 0, or -EINVAL with cli->err set (a usage error). */
int ckpt_cli_parse(int argc, char **argv, struct ckpt_cli *cli);
/* Parse a PID: positive decimal that fits pid_t.  0 or -EINVAL. */
int ckpt_parse_pid(const char *s, int *ret);
enum ckpt_cmd ckpt_cmd_lookup(const char *name);

#endif
