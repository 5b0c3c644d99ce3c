// SPDX-License-Identifier: GPL-2.0
/*
 * lib/kmod.c and the backend choice (lib/src-kmod.c) on a machine without
 * the module: absent family is -ENOENT and silent for the probe, auto falls
 * back to ptrace, kmod requested fails with one error.  The module itself
 * is tested in a QEMU guest (tests/kmod/).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ckpt.h"
#include "kmod.h"
#include "source.h"
#include "unit.h"

static bool module_loaded(void)
{
	uint32_t v;

	return ckpt_kmod_probe(&v) == 0;
}

static void test_probe_absent(void **state)
{
	struct ckpt_kmod *k = NULL;
	uint32_t v = 0;

	(void)state;
	if (module_loaded())
		skip();
	unit_log_reset();
	assert_int_equal(ckpt_kmod_probe(&v), -ENOENT);
	assert_int_equal(ckpt_kmod_open(&k), -ENOENT);
	assert_null(k);
	assert_int_equal(unit_log_errors(), 0);
}

static void test_select(void **state)
{
	const struct ckpt_source_ops *ops = NULL;

	(void)state;
	if (module_loaded())
		skip();
	unit_log_reset();
	assert_int_equal(ckpt_source_select(CKPT_BACKEND_PTRACE, &ops), 0);
	assert_ptr_equal(ops, &ckpt_src_ptrace);
	ops = NULL;
	assert_int_equal(ckpt_source_select(CKPT_BACKEND_AUTO, &ops), 0);
	assert_ptr_equal(ops, &ckpt_src_ptrace);
	assert_int_equal(unit_log_errors(), 0);
	ops = NULL;
	assert_int_equal(ckpt_source_select(CKPT_BACKEND_KMOD, &ops), -ENOENT);
	assert_null(ops);
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "kernel module is not loaded"));
}

static void test_ops_complete(void **state)
{
	const struct ckpt_source_ops *o = &ckpt_src_kmod;

	(void)state;
	assert_string_equal(o->name, "kmod");
	assert_non_null(o->open);
	assert_non_null(o->task);
	assert_non_null(o->thread);
	assert_non_null(o->mm);
	assert_non_null(o->fds);
	assert_non_null(o->scan_pages);
	assert_non_null(o->close);
}

static void test_uapi(void **state)
{
	(void)state;
	/* The wire layouts the module and the client share. */
	assert_int_equal(sizeof(struct ckpt_genl_page_run), 16);
	assert_int_equal(sizeof(struct ckpt_genl_mm), 11 * 8);
	assert_int_equal(sizeof(struct ckpt_genl_tcp_seq), 8 * 4);
	assert_int_equal(CKPT_CMD_TASK_GET, 1);
	assert_int_equal(CKPT_A_PAD, 1);
	assert_string_equal(CKPT_GENL_NAME, "ckpt");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_absent),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_ops_complete),
		cmocka_unit_test(test_uapi),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
