// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file-remap.h"
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
	OPT_LINK_REMAP,
	OPT_FILE_REMAP,
	OPT_INHERIT_FD,
	OPT_LAZY_PAGES,
	OPT_CPU_CAP,
	OPT_UNSUPPORTED = 1000, /* + index in unsupported[] */
};

/*
 * CRIU options ckpt does not implement: refused by name (never ignored).
 * Accepted with or without a value, so that "--root=/x" is refused as
 * itself rather than as a malformed option.
 */
static const char *const unsupported[] = {
	"manage-cgroups", "cgroup-root", "cgroup-props", "cgroup-props-file",
	"cgroup-dump-controller", "cgroup-yard", "ext-mount-map", "external", "lazy-pages",
	"track-mem", "prev-images-dir", "page-server", "address", "port", "auto-dedup",
	"network-lock", "skip-mnt", "root", "evasive-devices", "cpu-cap", "irmap-scan-path",
	"enable-fs", "join-ns", "force-irmap", "ghost-limit", "enable-external-sharing",
	"enable-external-masters", "skip-in-flight", "empty-ns", "lsm-profile",
	"lsm-mount-context", "timeout", "weak-sysctls", "status-fd", "work-dir", "remote",
	"config", "no-default-config", "stream", "mntns-compat-mode", "leave-stopped",
	"unprivileged", "allow-uprobes", "skip-file-rwx-check", "file-validation", "veth-pair",
	"action-script", "exec-cmd", "log-pid", "tls", "tls-cacert", "tls-cacrl", "tls-cert",
	"tls-key", "tls-no-cn-verify", "ps-socket", "orphan-pts-master", "check-only",
	"pre-dump-mode", "network-lock-method", "tcp-listen", "sk-ext-ns",
};
#define N_UNSUPPORTED (sizeof(unsupported) / sizeof(unsupported[0]))

const char *const *ckpt_cli_unsupported(size_t *ret_n)
{
	*ret_n = N_UNSUPPORTED;
	return unsupported;
}

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
	{ "link-remap", no_argument, NULL, OPT_LINK_REMAP },
	{ "log-file", required_argument, NULL, 'o' },
	{ 0 },
};

static const struct option restore_opts[] = {
	COMMON_OPTS,
	{ "images-dir", required_argument, NULL, 'D' },
	{ "restore-detached", no_argument, NULL, 'd' },
	{ "shell-job", no_argument, NULL, 'j' },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "link-remap", no_argument, NULL, OPT_LINK_REMAP },
	{ "log-file", required_argument, NULL, 'o' },
	{ "file-remap", required_argument, NULL, OPT_FILE_REMAP },
	{ "inherit-fd", required_argument, NULL, OPT_INHERIT_FD },
	{ "lazy-pages", no_argument, NULL, OPT_LAZY_PAGES }, /* before the refused one of dump */
	{ "cpu-cap", required_argument, NULL, OPT_CPU_CAP },  /* likewise */
	{ 0 },
};

/* dump_opts or restore_opts followed by the refused CRIU options. */
static const struct option *with_unsupported(const struct option *base, struct option *buf,
					     size_t cap)
{
	size_t n = 0, i;

	while (base[n].name && n < cap)
		buf[n] = base[n], n++;
	for (i = 0; i < N_UNSUPPORTED && n + 1 < cap; i++)
		buf[n++] = (struct option){ unsupported[i], optional_argument, NULL,
					    OPT_UNSUPPORTED + (int)i };
	buf[n] = (struct option){ 0 };
	return buf;
}

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
			/* CRIU's levels: 0-1 errors, 2 warnings (the default), 3 info, 4 debug */
			cli->verbosity = n <= 1 ? -1 : (int)n - 2;
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
		case OPT_LAZY_PAGES:
			cli->restore.lazy_pages = true;
			break;
		case OPT_CPU_CAP:
			if (!strcmp(optarg, "cpu") || !strcmp(optarg, "ins"))
				cli->restore.cpu_cap = CKPT_CPU_CAP_CPU;
			else if (!strcmp(optarg, "fpu"))
				cli->restore.cpu_cap = CKPT_CPU_CAP_FPU;
			else if (!strcmp(optarg, "none"))
				cli->restore.cpu_cap = CKPT_CPU_CAP_NONE;
			else
				return usage(cli, "--cpu-cap: '%s' is not cpu, fpu or none", optarg);
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
		case OPT_LINK_REMAP:
			cli->link_remap = true; /* what ckpt does anyway (see the man page) */
			break;
		case 'o':
			cli->log_file = optarg;
			break;
		case OPT_FILE_REMAP:
		case OPT_INHERIT_FD: {
			const char *o1, *o2;
			size_t l;
			int n;

			if (c == OPT_FILE_REMAP ? ckpt_file_remap_parse(optarg, &o1, &l, &o2) :
						  ckpt_inherit_fd_parse(optarg, &n, &o1))
				return usage(cli, c == OPT_FILE_REMAP ?
					     "--file-remap '%s': expected OLD=NEW, two absolute paths" :
					     "--inherit-fd '%s': expected fd[N]:RESOURCE", optarg);
			if (cli->n_specs >= CKPT_CLI_MAX_SPECS)
				return usage(cli, "too many --file-remap and --inherit-fd options");
			if (c == OPT_FILE_REMAP)
				cli->remaps[cli->restore.n_file_remap++] = optarg;
			else
				cli->inherits[cli->restore.n_inherit_fd++] = optarg;
			cli->n_specs++;
			break;
		}
		default:
			if (c >= OPT_UNSUPPORTED && c < OPT_UNSUPPORTED + (int)N_UNSUPPORTED) {
				cli->unsupported = true;
				return usage(cli, "option --%s is not supported yet",
					     unsupported[c - OPT_UNSUPPORTED]);
			}
			return bad_option(cli, argv, c);
		}
	}
	return optind;
}

static int parse_dump(int argc, char **argv, struct ckpt_cli *cli)
{
	static char defdir[32];
	struct option buf[sizeof(dump_opts) / sizeof(dump_opts[0]) + N_UNSUPPORTED + 1];
	int i = parse_cmd(argc, argv, cli, ":hv::qt:D:Rjo:",
			  with_unsupported(dump_opts, buf, sizeof(buf) / sizeof(buf[0])));

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
	struct option buf[sizeof(restore_opts) / sizeof(restore_opts[0]) + N_UNSUPPORTED + 1];
	int i = parse_cmd(argc, argv, cli, ":hv::qD:djo:",
			  with_unsupported(restore_opts, buf, sizeof(buf) / sizeof(buf[0])));

	if (i < 0)
		return i;
	cli->restore.file_remap = cli->remaps;
	cli->restore.inherit_fd = cli->inherits;
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
