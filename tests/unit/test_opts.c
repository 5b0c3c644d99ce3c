// SPDX-License-Identifier: GPL-2.0
/* Command-line parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "opts.h"

static int parse(struct ckpt_cli *cli, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = "ckpt";
	va_start(ap, cli);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	return ckpt_cli_parse(argc, argv, cli);
}

static void test_dump(void **s)
{
	struct ckpt_cli c;

	(void)s;
	assert_int_equal(parse(&c, "dump", "123", NULL), 0);
	assert_int_equal(c.cmd, CKPT_CMD_DUMP);
	assert_int_equal(c.dump.pid, 123);
	assert_string_equal(c.dump.dir, "ckpt-123");
	assert_false(c.dump.leave_running);
	assert_null(c.dump.freeze_cgroup);
	assert_int_equal(parse(&c, "dump", "--freeze-cgroup", "/sys/fs/cgroup/freezer/job", "5", NULL), 0);
	assert_string_equal(c.dump.freeze_cgroup, "/sys/fs/cgroup/freezer/job");
	assert_int_equal(parse(&c, "dump", "-D", "/x", "--leave-running", "--shell-job", "77", NULL), 0);
	assert_int_equal(c.dump.pid, 77);
	assert_string_equal(c.dump.dir, "/x");
	assert_true(c.dump.leave_running);
	assert_true(c.dump.shell_job);
	/* CRIU spellings */
	assert_int_equal(parse(&c, "dump", "-t", "55", "--images-dir", "d", "-R", "-j", NULL), 0);
	assert_int_equal(c.dump.pid, 55);
	assert_string_equal(c.dump.dir, "d");
	assert_true(c.dump.leave_running && c.dump.shell_job);
	assert_int_equal(parse(&c, "-v", "dump", "9", "-v", "--display-stats", NULL), 0);
	assert_int_equal(c.verbosity, 2);
	assert_true(c.display_stats);
	assert_int_equal(parse(&c, "dump", "9", "-q", NULL), 0);
	assert_int_equal(c.verbosity, -1);
	assert_int_equal(parse(&c, "dump", "9", "-v3", NULL), 0);
	assert_int_equal(c.verbosity, 1); /* CRIU's level 3: info */
	assert_int_equal(parse(&c, "dump", "9", "-vv", NULL), 0);
	assert_int_equal(c.verbosity, 2);
	assert_int_equal(parse(&c, "dump", "9", "-R", "--snapshot", NULL), 0);
	assert_true(c.dump.snapshot && c.dump.leave_running);
	assert_false(parse(&c, "dump", "9", NULL) || c.dump.snapshot);
	/* A killed process must not run on past its image. */
	assert_int_equal(parse(&c, "dump", "9", "--snapshot", NULL), -EINVAL);
	assert_non_null(strstr(c.err, "--leave-running"));
}

static void test_dump_errors(void **s)
{
	struct ckpt_cli c;

	(void)s;
	assert_int_equal(parse(&c, "dump", NULL), -EINVAL);
	assert_string_equal(c.err, "missing PID");
	assert_int_equal(parse(&c, "dump", "12abc", NULL), -EINVAL);
	assert_non_null(strstr(c.err, "invalid PID"));
	assert_int_equal(parse(&c, "dump", "0", NULL), -EINVAL);
	assert_int_equal(parse(&c, "dump", "-5", NULL), -EINVAL);
	assert_int_equal(parse(&c, "dump", "99999999999999", NULL), -EINVAL);
	assert_int_equal(parse(&c, "dump", "1", "2", NULL), -EINVAL);
	assert_non_null(strstr(c.err, "more than one PID"));
	assert_int_equal(parse(&c, "dump", "1", "--frobnicate", NULL), -EINVAL);
	assert_string_equal(c.err, "unrecognized option '--frobnicate'");
	assert_int_equal(parse(&c, "dump", "1", "-D", NULL), -EINVAL);
	assert_non_null(strstr(c.err, "requires an argument"));
	assert_int_equal(parse(&c, "dump", "1", "-Z", NULL), -EINVAL);
	assert_non_null(strstr(c.err, "invalid option"));
	assert_int_equal(parse(&c, "dump", "1", "--verbose=9", NULL), -EINVAL);
}

static void test_restore(void **s)
{
	struct ckpt_cli c;

	(void)s;
	assert_int_equal(parse(&c, "restore", "img", NULL), 0);
	assert_string_equal(c.restore.dir, "img");
	assert_false(c.restore.detached);
	assert_int_equal(parse(&c, "restore", "-D", "img", "-d", "--pidfile", "p", "-j", NULL), 0);
	assert_string_equal(c.restore.dir, "img");
	assert_true(c.restore.detached && c.restore.shell_job);
	assert_string_equal(c.restore.pidfile, "p");
	assert_int_equal(parse(&c, "restore", "--restore-detached", "--images-dir", "x", NULL), 0);
	assert_true(c.restore.detached);
	assert_int_equal(parse(&c, "restore", NULL), -EINVAL);
	assert_int_equal(parse(&c, "restore", "a", "b", NULL), -EINVAL);
	assert_int_equal(parse(&c, "restore", "-D", "a", "b", NULL), -EINVAL);
	assert_int_equal(parse(&c, "restore", "a", "--leave-running", NULL), -EINVAL);
}

static void test_others(void **s)
{
	struct ckpt_cli c;

	(void)s;
	assert_int_equal(parse(&c, "show", "img", "--json", NULL), 0);
	assert_int_equal(c.cmd, CKPT_CMD_SHOW);
	assert_true(c.json);
	assert_string_equal(c.show_dir, "img");
	assert_int_equal(parse(&c, "--json", "show", "img", NULL), 0);
	assert_true(c.json);
	assert_int_equal(parse(&c, "show", NULL), -EINVAL);
	assert_int_equal(parse(&c, "show", "a", "b", NULL), -EINVAL);
	assert_int_equal(parse(&c, "check", NULL), 0);
	assert_int_equal(c.cmd, CKPT_CMD_CHECK);
	assert_int_equal(parse(&c, "check", "x", NULL), -EINVAL);
	assert_int_equal(parse(&c, "help", "dump", NULL), 0);
	assert_string_equal(c.help_topic, "dump");
	assert_int_equal(parse(&c, "--version", NULL), 0);
	assert_true(c.version);
	assert_int_equal(parse(&c, "dump", "--help", NULL), 0);
	assert_true(c.help);
	assert_int_equal(parse(&c, NULL), -EINVAL);
	assert_int_equal(parse(&c, "frob", NULL), -EINVAL);
	assert_non_null(strstr(c.err, "unknown command"));
	assert_int_equal(parse(&c, "--bogus", "dump", "1", NULL), -EINVAL);
}

/* CRIU's names and levels, the same meaning. */
static void test_criu_options(void **s)
{
	struct ckpt_cli c;

	(void)s;
	assert_int_equal(parse(&c, "dump", "-t", "42", "-D", "img", "--file-locks", "--link-remap",
			       "--shell-job", "--leave-running", "-o", "dump.log", "-v4", NULL), 0);
	assert_int_equal(c.dump.pid, 42);
	assert_string_equal(c.dump.dir, "img");
	assert_true(c.dump.file_locks && c.link_remap && c.dump.shell_job && c.dump.leave_running);
	assert_string_equal(c.log_file, "dump.log");
	assert_int_equal(c.verbosity, 2); /* debug */
	assert_int_equal(parse(&c, "dump", "1", "--log-file=/tmp/x.log", "-v0", NULL), 0);
	assert_string_equal(c.log_file, "/tmp/x.log");
	assert_int_equal(c.verbosity, -1);
	assert_int_equal(parse(&c, "dump", "1", "-v1", NULL), 0);
	assert_int_equal(c.verbosity, -1);
	assert_int_equal(parse(&c, "dump", "1", "-v2", NULL), 0);
	assert_int_equal(c.verbosity, 0); /* the default: warnings */
	assert_int_equal(parse(&c, "dump", "1", "--verbose=5", NULL), -EINVAL);
	assert_int_equal(parse(&c, "restore", "-D", "img", "--restore-detached", "--pidfile", "p",
			       "--shell-job", "-o", "r.log", "--link-remap", NULL), 0);
	assert_true(c.restore.detached && c.restore.shell_job && c.link_remap);
	assert_string_equal(c.restore.pidfile, "p");
	assert_string_equal(c.log_file, "r.log");
	assert_int_equal(parse(&c, "restore", "-d", "img", "--inherit-fd", "fd[3]:/tmp/log",
			       "--file-remap", "/old=/new", "--file-remap", "/a/=/b",
			       "--inherit-fd=fd[12]:pipe:[55]", NULL), 0);
	assert_int_equal(c.restore.n_file_remap, 2);
	assert_string_equal(c.restore.file_remap[0], "/old=/new");
	assert_string_equal(c.restore.file_remap[1], "/a/=/b");
	assert_int_equal(c.restore.n_inherit_fd, 2);
	assert_string_equal(c.restore.inherit_fd[0], "fd[3]:/tmp/log");
	assert_string_equal(c.restore.inherit_fd[1], "fd[12]:pipe:[55]");
	assert_int_equal(parse(&c, "restore", "img", "--file-remap", "old=/new", NULL), -EINVAL);
	assert_non_null(strstr(c.err, "OLD=NEW"));
	assert_int_equal(parse(&c, "restore", "img", "--file-remap", "/old", NULL), -EINVAL);
	assert_int_equal(parse(&c, "restore", "img", "--inherit-fd", "3:/x", NULL), -EINVAL);
	assert_non_null(strstr(c.err, "fd[N]:RESOURCE"));
	assert_int_equal(parse(&c, "restore", "img", "--inherit-fd", "fd[3]", NULL), -EINVAL);
	assert_int_equal(parse(&c, "restore", "img", "--inherit-fd", "fd[x]:/a", NULL), -EINVAL);
	assert_false(c.unsupported);
}

/* Every refused CRIU option is refused by name, with or without a value, by dump and restore. */
static void test_criu_unsupported(void **s)
{
	const char *const *names;
	struct ckpt_cli c;
	char opt[64], want[96];
	size_t n, i;

	(void)s;
	names = ckpt_cli_unsupported(&n);
	assert_true(n >= 20);
	for (i = 0; i < n; i++) {
		snprintf(opt, sizeof(opt), "--%s", names[i]);
		snprintf(want, sizeof(want), "option --%s is not supported yet", names[i]);
		assert_int_equal(parse(&c, "dump", "1", opt, NULL), -EINVAL);
		assert_true(c.unsupported);
		assert_string_equal(c.err, want);
		if (strcmp(names[i], "lazy-pages") && strcmp(names[i], "cpu-cap")) { /* restore has those */
			assert_int_equal(parse(&c, "restore", opt, "img", NULL), -EINVAL);
			assert_true(c.unsupported);
			assert_string_equal(c.err, want);
		}
		snprintf(opt, sizeof(opt), "--%s=x", names[i]);
		assert_int_equal(parse(&c, "dump", "1", opt, NULL), -EINVAL);
		assert_string_equal(c.err, want);
	}
	/* Some that matter, by name. */
	assert_int_equal(parse(&c, "dump", "1", "--lazy-pages", NULL), -EINVAL);
	assert_string_equal(c.err, "option --lazy-pages is not supported yet");
	/* ... but restore has it (CRIU's dump --lazy-pages is a page server) */
	assert_int_equal(parse(&c, "restore", "d", "--lazy-pages", NULL), 0);
	assert_true(c.restore.lazy_pages);
	assert_int_equal(c.restore.cpu_cap, CKPT_CPU_CAP_CPU);
	assert_int_equal(parse(&c, "restore", "d", "--cpu-cap", "fpu", NULL), 0);
	assert_int_equal(c.restore.cpu_cap, CKPT_CPU_CAP_FPU);
	assert_int_equal(parse(&c, "restore", "d", "--cpu-cap=none", NULL), 0);
	assert_int_equal(c.restore.cpu_cap, CKPT_CPU_CAP_NONE);
	assert_int_equal(parse(&c, "restore", "d", "--cpu-cap", "avx", NULL), -EINVAL);
	assert_string_equal(c.err, "--cpu-cap: 'avx' is not cpu, fpu or none");
	assert_int_equal(parse(&c, "restore", "d", NULL), 0);
	assert_false(c.restore.lazy_pages);
	assert_int_equal(parse(&c, "dump", "1", "--manage-cgroups", NULL), -EINVAL);
	assert_int_equal(parse(&c, "restore", "img", "--ext-mount-map", "a:b", NULL), -EINVAL);
	assert_string_equal(c.err, "option --ext-mount-map is not supported yet");
	/* Not a CRIU option: an ordinary usage error. */
	assert_int_equal(parse(&c, "dump", "1", "--lazy-pagesx", NULL), -EINVAL);
	assert_false(c.unsupported);
}

static void test_pid(void **s)
{
	int p;

	(void)s;
	assert_int_equal(ckpt_parse_pid("1", &p), 0);
	assert_int_equal(p, 1);
	assert_int_equal(ckpt_parse_pid("2147483647", &p), 0);
	assert_int_equal(ckpt_parse_pid("2147483648", &p), -EINVAL);
	assert_int_equal(ckpt_parse_pid("", &p), -EINVAL);
	assert_int_equal(ckpt_parse_pid(" 1", &p), -EINVAL);
	assert_int_equal(ckpt_parse_pid("+1", &p), -EINVAL);
	assert_int_equal(ckpt_parse_pid(NULL, &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump), cmocka_unit_test(test_dump_errors),
		cmocka_unit_test(test_restore), cmocka_unit_test(test_others),
		cmocka_unit_test(test_pid), cmocka_unit_test(test_criu_options),
		cmocka_unit_test(test_criu_unsupported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
