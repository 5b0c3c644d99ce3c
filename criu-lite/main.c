// SPDX-License-Identifier: GPL-2.0
/* ckpt: checkpoint and restore Linux processes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ckpt.h"
#include "fault.h"
#include "img.h"
#include "imgdir.h"
#include "log.h"
#include "opts.h"
#include "util.h"

#define EXIT_USAGE 2

/*
 * -o, --log-file FILE (CRIU's): every message at the chosen level goes to
 * FILE, with the time since the start; errors still go to stderr too.  A
 * relative FILE is in the image directory, as with CRIU.  A dump writes its
 * image directory only at the end (it is swapped into place), so its log is
 * kept in a memfd and written to FILE once the dump is over.
 */
static int log_fd = -1;
static int log_mem = -1; /* dump: the log until the image directory is in place */
static struct timespec log_t0;

static void log_to_file(enum ckpt_log_level level, const char *file, int line, const char *msg)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	struct timespec now;
	char buf[1200];
	int n;

	clock_gettime(CLOCK_MONOTONIC, &now);
	n = snprintf(buf, sizeof(buf), "(%.6f) %s: %s%s%.0d%s%s\n",
		     (now.tv_sec - log_t0.tv_sec) + (now.tv_nsec - log_t0.tv_nsec) / 1e9,
		     names[level], ckpt_log_get_level() >= CKPT_LOG_DEBUG ? file : "",
		     ckpt_log_get_level() >= CKPT_LOG_DEBUG ? ":" : "",
		     ckpt_log_get_level() >= CKPT_LOG_DEBUG ? line : 0,
		     ckpt_log_get_level() >= CKPT_LOG_DEBUG ? ": " : "", msg);
	/* A log that cannot be written does not fail the operation. */
	if (n > 0 && write(log_mem >= 0 ? log_mem : log_fd, buf, MIN((size_t)n, sizeof(buf) - 1)))
		n = 0;
	if (level == CKPT_LOG_ERROR)
		fprintf(stderr, "ckpt: %s\n", msg);
}

static const char *log_dir(const struct ckpt_cli *cli)
{
	return cli->cmd == CKPT_CMD_DUMP ? cli->dump.dir : cli->restore.dir;
}

static int log_open_final(const struct ckpt_cli *cli)
{
	char path[PATH_MAX];
	const char *dir = log_dir(cli);

	if (cli->log_file[0] == '/' || !dir)
		snprintf(path, sizeof(path), "%s", cli->log_file);
	else if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, cli->log_file) >= sizeof(path))
		errno = ENAMETOOLONG;
	if (cli->cmd == CKPT_CMD_DUMP && cli->log_file[0] != '/' && dir)
		mkdir(dir, 0755); /* a failed dump leaves its log (and no image) */
	log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (log_fd < 0)
		fprintf(stderr, "ckpt: %s: -o %s: %s\n", cli->cmd_name, path, strerror(errno));
	return log_fd < 0 ? -1 : 0;
}

static int log_open(const struct ckpt_cli *cli)
{
	clock_gettime(CLOCK_MONOTONIC, &log_t0);
	if (cli->cmd == CKPT_CMD_DUMP && cli->log_file[0] != '/') {
		log_mem = memfd_create("ckpt-log", MFD_CLOEXEC);
		if (log_mem < 0) {
			fprintf(stderr, "ckpt: dump: -o: %s\n", strerror(errno));
			return -1;
		}
	} else if (log_open_final(cli)) {
		return -1;
	}
	ckpt_log_set_fn(log_to_file);
	return 0;
}

static int log_close(const struct ckpt_cli *cli)
{
	char buf[65536];
	ssize_t n;
	int err = 0;

	ckpt_log_set_fn(NULL);
	if (log_mem >= 0) {
		if (log_open_final(cli))
			err = -1;
		lseek(log_mem, 0, SEEK_SET);
		while (!err && (n = read(log_mem, buf, sizeof(buf))) > 0)
			if (write(log_fd, buf, n) != n)
				err = -1;
		close(log_mem);
	}
	if (log_fd >= 0 && close(log_fd))
		err = -1;
	return err;
}

struct command {
	const char *name;
	enum ckpt_cmd cmd;
	int (*run)(struct ckpt_cli *cli);
	const char *summary;
	const char *help;
};

static int run_dump(struct ckpt_cli *cli)
{
	struct ckpt_dump_stats st = { 0 };
	int err;

	if (cli->display_stats)
		cli->dump.stats = &st;
	err = ckpt_dump(&cli->dump);
	if (err)
		return EXIT_FAILURE;
	if (cli->display_stats)
		printf("frozen_ms: %.3f\nmemdump_ms: %.3f\npages: %llu\ntotal_ms: %.3f\n",
		       st.frozen_ns / 1e6, st.mem_ns / 1e6, (unsigned long long)st.pages,
		       st.total_ns / 1e6);
	return EXIT_SUCCESS;
}

static int run_restore(struct ckpt_cli *cli)
{
	int status, err;

	err = ckpt_restore(&cli->restore, &status);
	if (err)
		return EXIT_FAILURE;
	if (cli->restore.detached)
		return EXIT_SUCCESS;
	/* The restored process's own status: its exit code, or 128 + signal. */
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_FAILURE;
}

static int run_show(struct ckpt_cli *cli)
{
	int dirfd, err;

	err = ckpt_imgdir_open(cli->show_dir, &dirfd);
	if (err)
		return EXIT_FAILURE;
	err = ckpt_show(dirfd, cli->show_dir, cli->json, stdout);
	close(dirfd);
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int run_check(struct ckpt_cli *cli)
{
	return ckpt_check(stdout, cli->json) ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int run_help(struct ckpt_cli *cli);

static const struct command commands[] = {
	{ "dump", CKPT_CMD_DUMP, run_dump, "checkpoint a process into an image directory",
	  "Usage: ckpt dump [OPTIONS] PID\n"
	  "\n"
	  "Freeze process PID, write its whole state to an image directory, then kill it\n"
	  "(or let it run on with --leave-running).  A failed dump leaves the process\n"
	  "running as it was and no complete-looking image.\n"
	  "\n"
	  "  -t, --tree PID          the process to dump (same as the PID argument)\n"
	  "  -D, --images-dir DIR    image directory (default ./ckpt-PID); must be absent,\n"
	  "                          empty, or hold a previous image, which is replaced\n"
	  "  -R, --leave-running     resume the process after the dump instead of killing it\n"
	  "      --snapshot          with -R: resume it as soon as a copy-on-write snapshot of\n"
	  "                          its memory is taken; pages are written while it runs\n"
	  "  -j, --shell-job         allow a controlling terminal (a job started from a shell)\n"
	  "      --display-stats     print how long the process was frozen and other numbers\n"
	  "      --file-locks        save the flock, POSIX and OFD locks the tree holds (without\n"
	  "                          it, a process holding a lock is refused, as with CRIU)\n"
	  "      --freeze-cgroup DIR stop the tree with this cgroup's freezer (v1 or v2) before\n"
	  "                          seizing it, instead of seizing one task after another\n"
	  "      --backend KIND      read the state with: kmod (the ckpt kernel module), ptrace\n"
	  "                          (ptrace and /proc), or auto (kmod when loaded; default)\n"
	  "      --tcp-established   dump established TCP connections (TCP_REPAIR; the network\n"
	  "                          is locked for them until the restore); else refused\n"
	  "      --tcp-close         dump established TCP connections as closed: restored as\n"
	  "                          new unconnected sockets\n"
	  "      --ext-unix-sk       allow unix datagram sockets connected to a named socket\n"
	  "                          outside the tree: connected to that name again at restore\n"
	  "      --link-remap        CRIU's option for files deleted while open; ckpt saves\n"
	  "                          their bytes with or without it\n"
	  "  -o, --log-file FILE     write the messages to FILE (relative: in the image directory)\n"
	  "  -v, --verbose[=N]       more messages (repeat, or CRIU's level N = 0..4: 2 warnings,\n"
	  "                          3 info, 4 debug); -q, --quiet: errors only\n"
	  "  -h, --help              this help\n"
	  "\n"
	  "CRIU options ckpt does not implement are refused by name (see ckpt(8)).\n" },
	{ "restore", CKPT_CMD_RESTORE, run_restore, "restore a process from an image directory",
	  "Usage: ckpt restore [OPTIONS] [-D] DIR\n"
	  "\n"
	  "Recreate the process saved in DIR with its original PID and resume it.\n"
	  "Without --restore-detached, ckpt waits for it and exits with its status\n"
	  "(its exit code, or 128 + the signal that killed it).  A failed restore\n"
	  "leaves no process behind.\n"
	  "\n"
	  "  -D, --images-dir DIR    the image directory (or give DIR as the argument)\n"
	  "  -d, --restore-detached  return once the process runs; it is re-parented to init\n"
	  "                          (or the nearest subreaper)\n"
	  "  -j, --shell-job         give terminal fds the terminal ckpt runs on\n"
	  "      --pidfile FILE      write the restored process's PID to FILE\n"
	  "      --lazy-pages        resume before anonymous memory is loaded: a ckpt-lazy\n"
	  "                          process serves its pages on fault and in the background\n"
	  "      --cpu-cap WHAT      what this CPU must have of the dumping one: cpu (default:\n"
	  "                          every feature flag and the XSAVE layout), fpu (the XSAVE\n"
	  "                          layout only) or none\n"
	  "      --file-remap OLD=NEW  open NEW for a file that was at OLD (or NEW/X for OLD/X),\n"
	  "                          and accept that it is not the file of the dump (repeatable)\n"
	  "      --inherit-fd fd[N]:RES  give every fd whose file the image names RES (a path,\n"
	  "                          pipe:[INO], ...) ckpt's own fd N instead (CRIU's option)\n"
	  "      --link-remap        accepted for CRIU compatibility (nothing to do at restore)\n"
	  "  -o, --log-file FILE     write the messages to FILE (relative: in the image directory)\n"
	  "  -v, --verbose[=N]       more messages (or CRIU's level N); -q, --quiet: errors only\n"
	  "  -h, --help              this help\n" },
	{ "show", CKPT_CMD_SHOW, run_show, "decode an image directory",
	  "Usage: ckpt show [--json] DIR\n"
	  "\n"
	  "Decode every image in DIR and print it as text, or as JSON with --json.\n"
	  "\n"
	  "      --json              JSON output on stdout\n"
	  "  -h, --help              this help\n" },
	{ "check", CKPT_CMD_CHECK, run_check, "report what this kernel offers for checkpoint/restore",
	  "Usage: ckpt check [--json]\n"
	  "\n"
	  "Probe the kernel features ckpt uses and say what each enables.  Exit status 0\n"
	  "when everything dump and restore need is there.\n"
	  "\n"
	  "      --json              JSON output on stdout\n"
	  "  -h, --help              this help\n" },
	{ "help", CKPT_CMD_HELP, run_help, "show help for a command",
	  "Usage: ckpt help [COMMAND]\n" },
};

static const struct command *find(enum ckpt_cmd cmd)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].cmd == cmd)
			return &commands[i];
	return NULL;
}

static void usage_all(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: ckpt [-v|-q] [--json] COMMAND [OPTIONS] [ARGS]\n\nCommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nGlobal options:\n"
		   "  -v, --verbose[=N]  more messages; -q, --quiet: errors only\n"
		   "      --json         JSON output (show, check)\n"
		   "      --version      print the version\n"
		   "  -h, --help         this help\n"
		   "\nRun 'ckpt help COMMAND' for a command's options.  See ckpt(8).\n");
}

static int run_help(struct ckpt_cli *cli)
{
	const struct command *c;

	if (!cli->help_topic) {
		usage_all(stdout);
		return EXIT_SUCCESS;
	}
	c = find(ckpt_cmd_lookup(cli->help_topic));
	if (!c) {
		fprintf(stderr, "ckpt: help: unknown command '%s'\n", cli->help_topic);
		return EXIT_USAGE;
	}
	fputs(c->help, stdout);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	static const enum ckpt_log_level levels[] = { CKPT_LOG_WARN, CKPT_LOG_INFO, CKPT_LOG_DEBUG };
	const struct command *c;
	struct ckpt_cli cli;
	int rc;

	if (ckpt_cli_parse(argc, argv, &cli)) {
		if (cli.unsupported) {
			fprintf(stderr, "ckpt: %s: %s\n", cli.cmd_name, cli.err);
		} else if (cli.cmd_name && cli.cmd != CKPT_CMD_NONE) {
			fprintf(stderr, "ckpt: %s: %s\n", cli.cmd_name, cli.err);
			fprintf(stderr, "Try 'ckpt %s --help'.\n", cli.cmd_name);
		} else {
			fprintf(stderr, "ckpt: %s\nTry 'ckpt --help'.\n", cli.err);
		}
		return EXIT_USAGE;
	}
	if (cli.version) {
		printf("ckpt %s\n", CKPT_VERSION);
		return EXIT_SUCCESS;
	}
	c = find(cli.cmd);
	if (cli.help || !c) {
		if (c)
			fputs(c->help, stdout);
		else
			usage_all(stdout);
		return EXIT_SUCCESS;
	}
	if (cli.verbosity < 0)
		ckpt_log_set_level(CKPT_LOG_ERROR);
	else
		ckpt_log_set_level(levels[cli.verbosity > 2 ? 2 : cli.verbosity]);
	if (cli.log_file && log_open(&cli))
		return EXIT_FAILURE;
	ckpt_fault_setup(); /* test-only: CKPT_FAULT, see lib/fault.h */
	rc = c->run(&cli);
	if (cli.log_file && log_close(&cli) && rc == EXIT_SUCCESS)
		rc = EXIT_FAILURE;
	return rc;
}
