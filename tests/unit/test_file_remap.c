// SPDX-License-Identifier: GPL-2.0
/* lib/file-remap.c: --file-remap rules and --inherit-fd resources. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "file-remap.h"
#include "unit.h"

static void test_parse(void **s)
{
	const char *o, *n, *res;
	size_t l;
	int fd;

	(void)s;
	assert_int_equal(ckpt_file_remap_parse("/a/b=/c", &o, &l, &n), 0);
	assert_int_equal(l, 4);
	assert_string_equal(n, "/c");
	assert_int_equal(ckpt_file_remap_parse("/a/=/c", &o, &l, &n), 0);
	assert_int_equal(l, 2); /* a trailing slash is dropped */
	assert_int_equal(ckpt_file_remap_parse("a=/c", &o, &l, &n), -EINVAL);
	assert_int_equal(ckpt_file_remap_parse("/a=c", &o, &l, &n), -EINVAL);
	assert_int_equal(ckpt_file_remap_parse("/a", &o, &l, &n), -EINVAL);
	assert_int_equal(ckpt_file_remap_parse("=/a", &o, &l, &n), -EINVAL);
	assert_int_equal(ckpt_inherit_fd_parse("fd[3]:/tmp/x", &fd, &res), 0);
	assert_int_equal(fd, 3);
	assert_string_equal(res, "/tmp/x");
	assert_int_equal(ckpt_inherit_fd_parse("fd[12]:pipe:[5]", &fd, &res), 0);
	assert_string_equal(res, "pipe:[5]");
	assert_int_equal(ckpt_inherit_fd_parse("fd[3]:", &fd, &res), -EINVAL);
	assert_int_equal(ckpt_inherit_fd_parse("fd3:/x", &fd, &res), -EINVAL);
	assert_int_equal(ckpt_inherit_fd_parse("fd[-1]:/x", &fd, &res), -EINVAL);
	assert_int_equal(ckpt_inherit_fd_parse("fd[3]/x", &fd, &res), -EINVAL);
}

static void test_rules(void **s)
{
	const char *const remaps[] = { "/srv/old=/srv/new", "/srv/old/keep=/keep/", "/one=/two" };
	char buf[64];

	(void)s;
	assert_int_equal(ckpt_file_remap_setup(remaps, 3, NULL, 0, 100), 0);
	assert_string_equal(ckpt_file_remap("/srv/old", buf, sizeof(buf)), "/srv/new");
	assert_string_equal(ckpt_file_remap("/srv/old/a/b", buf, sizeof(buf)), "/srv/new/a/b");
	assert_string_equal(ckpt_file_remap("/srv/old/keep/x", buf, sizeof(buf)), "/keep/x");
	assert_string_equal(ckpt_file_remap("/srv/older", buf, sizeof(buf)), "/srv/older");
	assert_true(ckpt_file_remapped("/one"));
	assert_false(ckpt_file_remapped("/onex"));
	assert_false(ckpt_file_remapped(NULL));
	assert_null(ckpt_file_remap("/srv/old/a-name-far-too-long-for-the-little-buffer-given-here",
				    buf, 32));
	ckpt_file_remap_release();
	assert_false(ckpt_file_remapped("/one"));
	{
		const char *const all[] = { "/=/" };

		assert_int_equal(ckpt_file_remap_setup(all, 1, NULL, 0, 100), 0);
		assert_true(ckpt_file_remapped("/usr/lib/libc.so.6"));
		assert_string_equal(ckpt_file_remap("/usr/lib/libc.so.6", buf, sizeof(buf)),
				    "/usr/lib/libc.so.6");
		ckpt_file_remap_release();
	}
}

static void test_inherit(void **s)
{
	const char *const specs[] = { "fd[0]:/tmp/log", "fd[1]:pipe:[77]" };
	const char *const bad[] = { "fd[999]:/x" };
	int fd;

	(void)s;
	assert_int_equal(ckpt_file_remap_setup(NULL, 0, specs, 2, 500), 0);
	fd = ckpt_inherit_fd_find("/tmp/log");
	assert_true(fd >= 500);
	assert_true(ckpt_inherit_fd_find("pipe:[77]") >= 500);
	assert_int_equal(ckpt_inherit_fd_find("/tmp/other"), -1);
	assert_int_equal(ckpt_inherit_fd_find(NULL), -1);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ckpt_file_remap_release();
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed */
	unit_log_reset();
	assert_int_equal(ckpt_file_remap_setup(NULL, 0, bad, 1, 500), -EBADF);
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "fd 999"));
	ckpt_file_remap_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_inherit),
	};

	unit_log_reset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
