// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

static const struct {
	const char *name;
	enum ckpt_cmd cmd;
} commands[] = {
	{ "dump", CKPT_CMD_DUMP },   { "restore", CKPT_CMD_RESTORE }, { "show", CKPT_CMD_SHOW },
	{ "check", CKPT_CMD_CHECK }, { "help", CKPT_CMD_HELP },
};

enum ckpt_cmd ckpt_cmd_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].cmd;
	return CKPT_CMD_NONE;
}

int ckpt_parse_pid(const char *s, int *ret)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > INT_MAX)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

static int usage(struct ckpt_cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cli->err, sizeof(cli->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

enum {
	OPT_LEAVE_RUNNING = 256,
	OPT_SHELL_JOB,
	OPT_DETACHED,
	OPT_PIDFILE,
	OPT_JSON,
	OPT_STATS,
	OPT_VERSION,
	OPT_FREEZE_CGROUP,
	OPT_FILE_LOCKS,
	OPT_SNAPSHOT,
	OPT_BACKEND,
	OPT_TCP_ESTABLISHED,
	OPT_TCP_CLOSE,
	OPT_EXT_UNIX_SK,
};

static const struct option common_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "verbose", optional_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "version", no_argument, NULL, OPT_VERSION },
};

#define COMMON_OPTS                                                        \
	common_opts[0], common_opts[1], common_opts[2], common_opts[3], common_opts[4]

static const struct option dump_opts[] = {
	COMMON_OPTS,
	{ "tree", required_argument, NULL, 't' },
	{ "images-dir", required_argument, NULL, 'D' },
	{ "leave-running", no_argument, NULL, 'R' },
	{ "shell-job", no_argument, NULL, 'j' },
	{ "display-stats", no_argument, NULL, OPT_STATS },
	{ "freeze-cgroup", required_argument, NULL, OPT_FREEZE_CGROUP },
	{ "file-locks", no_argument, NULL, OPT_FILE_LOCKS },
	{ "snapshot", no_argument, NULL, OPT_SNAPSHOT },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "tcp-established", no_argument, NULL, OPT_TCP_ESTABLISHED },
	{ "tcp-close", no_argument, NULL, OPT_TCP_CLOSE },
	{ "ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX_SK },
	{ 0 },
};

static const struct option restore_opts[] = {
	COMMON_OPTS,
	{ "images-dir", required_argument, NULL, 'D' },
	{ "restore-detached", no_argument, NULL, 'd' },
	{ "shell-job", no_argument, NULL, 'j' },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ 0 },
};

static const struct option plain_opts[] = { COMMON_OPTS, { 0 } };

/* Options every command takes; 1 if handled, 0 if not, <0 on error. */
static int common(struct ckpt_cli *cli, int c)
{
	switch (c) {
	case 'h':
		cli->help = true;
		return 1;
	case 'v':
		if (optarg && optarg[strspn(optarg, "v")] == '\0') {
			cli->verbosity += 1 + strlen(optarg); /* -vv, -vvv */
		} else if (optarg) {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 0 || n > 4)
				return usage(cli, "invalid verbosity '%s' (0-4)", optarg);
			cli->verbosity = (int)n;
		} else {
			cli->verbosity++;
		}
		return 1;
	case 'q':
		cli->verbosity = -1;
		return 1;
	case OPT_JSON:
		cli->json = true;
		return 1;
	case OPT_VERSION:
		cli->version = true;
		return 1;
	default:
		return 0;
	}
}

static int bad_option(struct ckpt_cli *cli, char **argv, int c)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return usage(cli, "option '%s' requires an argument", arg);
	if (optopt && optopt < 256 && arg && arg[0] == '-' && arg[1] != '-')
		return usage(cli, "invalid option -- '%c'", optopt);
	return usage(cli, "unrecognized option '%s'", arg);
}

static int set_pid(struct ckpt_cli *cli, const char *s)
{
	if (cli->dump.pid)
		return usage(cli, "more than one PID given");
	if (ckpt_parse_pid(s, &cli->dump.pid))
		return usage(cli, "invalid PID '%s'", s);
	return 0;
}

static int parse_cmd(int argc, char **argv, struct ckpt_cli *cli, const char *shortopts,
		     const struct option *longopts)
{
	int c, err;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		err = common(cli, c);
		if (err < 0)
			return err;
		if (err)
			continue;
		switch (c) {
		case 't':
			if (set_pid(cli, optarg))
				return -EINVAL;
			break;
		case 'D':
			if (cli->cmd == CKPT_CMD_DUMP)
				cli->dump.dir = optarg;
			else
				cli->restore.dir = optarg;
			break;
		case 'R':
			cli->dump.leave_running = true;
			break;
		case 'j':
			cli->dump.shell_job = cli->restore.shell_job = true;
			break;
		case 'd':
			cli->restore.detached = true;
			break;
		case OPT_PIDFILE:
			cli->restore.pidfile = optarg;
			break;
		case OPT_STATS:
			cli->display_stats = true;
			break;
		case OPT_FREEZE_CGROUP:
			cli->dump.freeze_cgroup = optarg;
			break;
		case OPT_FILE_LOCKS:
			cli->dump.file_locks = true;
			break;
		case OPT_SNAPSHOT:
			cli->dump.snapshot = true;
			break;
		case OPT_BACKEND:
			if (!strcmp(optarg, "auto"))
				cli->dump.backend = CKPT_BACKEND_AUTO;
			else if (!strcmp(optarg, "ptrace"))
				cli->dump.backend = CKPT_BACKEND_PTRACE;
			else if (!strcmp(optarg, "kmod"))
				cli->dump.backend = CKPT_BACKEND_KMOD;
			else
				return usage(cli, "invalid backend '%s' (auto, ptrace or kmod)", optarg);
			break;
		case OPT_TCP_ESTABLISHED:
			cli->dump.tcp_established = true;
			break;
		case OPT_TCP_CLOSE:
			cli->dump.tcp_close = true;
			break;
		case OPT_EXT_UNIX_SK:
			cli->dump.ext_unix_sk = true;
			break;
		default:
			return bad_option(cli, argv, c);
		}
	}
	return optind;
}

static int parse_dump(int argc, char **argv, struct ckpt_cli *cli)
{
	static char defdir[32];
	int i = parse_cmd(argc, argv, cli, ":hv::qt:D:Rj", dump_opts);

	if (i < 0)
		return i;
	for (; i < argc; i++)
		if (set_pid(cli, argv[i]))
			return -EINVAL;
	if (cli->help || cli->version)
		return 0;
	if (!cli->dump.pid)
		return usage(cli, "missing PID");
	if (cli->dump.snapshot && !cli->dump.leave_running)
		return usage(cli, "--snapshot needs --leave-running (a killed process must not run "
			     "on past its image)");
	if (cli->dump.tcp_established && cli->dump.tcp_close)
		return usage(cli, "--tcp-established and --tcp-close exclude each other");
	if (!cli->dump.dir) {
		snprintf(defdir, sizeof(defdir), "ckpt-%d", cli->dump.pid);
		cli->dump.dir = defdir;
	}
	return 0;
}

static int parse_restore(int argc, char **argv, struct ckpt_cli *cli)
{
	int i = parse_cmd(argc, argv, cli, ":hv::qD:dj", restore_opts);

	if (i < 0)
		return i;
	for (; i < argc; i++) {
		if (cli->restore.dir)
			return usage(cli, "unexpected argument '%s'", argv[i]);
		cli->restore.dir = argv[i];
	}
	if (cli->help || cli->version)
		return 0;
	if (!cli->restore.dir)
		return usage(cli, "missing image directory (-D DIR)");
	return 0;
}

static int parse_plain(int argc, char **argv, struct ckpt_cli *cli, int max_args,
		       const char **arg, const char *missing)
{
	int i = parse_cmd(argc, argv, cli, ":hv::q", plain_opts);

	if (i < 0)
		return i;
	if (argc - i > max_args)
		return usage(cli, "unexpected argument '%s'", argv[i + max_args]);
	if (i < argc)
		*arg = argv[i];
	if (missing && !*arg && !cli->help && !cli->version)
		return usage(cli, "%s", missing);
	return 0;
}

int ckpt_cli_parse(int argc, char **argv, struct ckpt_cli *cli)
{
	int c, err, i;

	memset(cli, 0, sizeof(*cli));
	optind = 0;
	opterr = 0;
	/* Global options stop at the command name. */
	while ((c = getopt_long(argc, argv, "+:hv::q", plain_opts, NULL)) != -1) {
		err = common(cli, c);
		if (err < 0)
			return err;
		if (!err)
			return bad_option(cli, argv, c);
	}
	i = optind;
	if (i >= argc) {
		if (cli->help || cli->version)
			return 0;
		return usage(cli, "missing command");
	}
	cli->cmd_name = argv[i];
	cli->cmd = ckpt_cmd_lookup(argv[i]);
	argc -= i;
	argv += i;
	switch (cli->cmd) {
	case CKPT_CMD_DUMP:
		return parse_dump(argc, argv, cli);
	case CKPT_CMD_RESTORE:
		return parse_restore(argc, argv, cli);
	case CKPT_CMD_SHOW:
		return parse_plain(argc, argv, cli, 1, &cli->show_dir, "missing image directory");
	case CKPT_CMD_CHECK:
		return parse_plain(argc, argv, cli, 0, NULL, NULL);
	case CKPT_CMD_HELP:
		return parse_plain(argc, argv, cli, 1, &cli->help_topic, NULL);
	default:
		return usage(cli, "unknown command '%s'", argv[0]);
	}
}
