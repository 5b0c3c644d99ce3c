// SPDX-License-Identifier: GPL-2.0
/* lib/cpu.c: which differences between the dumping CPU and this one a restore refuses. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"
#include "ckpt.h"
#include "cpu.h"
#include "img.h"
#include "state.h"

static void test_same_cpu(void **state)
{
	struct ckpt_cpu here, img;

	(void)state;
	ckpt_cpu_read(&here);
	assert_true(here.valid);
	assert_true(here.xcr0 & 3); /* x87 and SSE are always there on x86-64 */
	assert_true(here.xsave_size >= 576);
	assert_true(here.words[1] & (1u << 26)); /* SSE2 */
	img = here;
	unit_log_reset();
	assert_int_equal(ckpt_cpu_check(&img, &here, CKPT_CPU_CAP_CPU), 0);
	assert_int_equal(unit_log_errors(), 0);
	/* An image from before CPU records is not checked. */
	memset(&img, 0xff, sizeof(img));
	img.valid = false;
	assert_int_equal(ckpt_cpu_check(&img, &here, CKPT_CPU_CAP_CPU), 0);
}

static void test_missing_feature(void **state)
{
	struct ckpt_cpu here, img;

	(void)state;
	memset(&here, 0, sizeof(here));
	here.valid = true;
	here.xcr0 = 0x7;
	here.xsave_size = 832;
	here.words[1] = 1u << 26;
	img = here;
	img.words[2] |= 1u << 5 | 1u << 16;  /* avx2, avx512f */
	img.words[3] |= 1u << 20;            /* no name: cpuid word and bit */
	unit_log_reset();
	assert_int_equal(ckpt_cpu_check(&img, &here, CKPT_CPU_CAP_CPU), -EXDEV);
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "avx2, avx512f, cpuid 7.ecx bit 20"));
	assert_non_null(strstr(unit_log.last_err, "--cpu-cap"));
	/* fpu: feature flags are not checked, the register layout is */
	assert_int_equal(ckpt_cpu_check(&img, &here, CKPT_CPU_CAP_FPU), 0);
	assert_int_equal(ckpt_cpu_check(&img, &here, CKPT_CPU_CAP_NONE), 0);
	/* the hypervisor bit says where it ran, not what it used */
	img = here;
	img.words[0] |= 1u << 31;
	assert_int_equal(ckpt_cpu_check(&img, &here, CKPT_CPU_CAP_CPU), 0);
}

static void test_missing_xsave(void **state)
{
	struct ckpt_cpu here, img;

	(void)state;
	memset(&here, 0, sizeof(here));
	here.valid = true;
	here.xcr0 = 0x7;
	here.xsave_size = 832;
	img = here;
	img.xcr0 |= 0xe0; /* AVX-512 state */
	img.xsave_size = 2432;
	unit_log_reset();
	assert_int_equal(ckpt_cpu_check(&img, &here, CKPT_CPU_CAP_FPU), -EXDEV);
	assert_non_null(strstr(unit_log.last_err, "xsave:avx512_opmask, xsave:avx512_zmm_hi256, "
						  "xsave:avx512_hi16_zmm"));
	assert_int_equal(ckpt_cpu_check(&img, &here, CKPT_CPU_CAP_NONE), 0);
	/* same components but a larger area (another layout) */
	img = here;
	img.xsave_size = 1088;
	assert_int_equal(ckpt_cpu_check(&img, &here, CKPT_CPU_CAP_FPU), -EXDEV);
	assert_non_null(strstr(unit_log.last_err, "XSAVE area of 1088 bytes (here 832)"));
}

/* A restore refuses such an image before it creates anything. */
static void test_restore_refuses(void **state)
{
	struct ckpt_inventory inv = { .img_version = CKPT_IMG_VERSION, .arch = "x86_64",
				      .root_pid = 0x3ffff0, .n_tasks = 1 };
	pid_t pids[] = { 0x3ffff0 };
	struct ckpt_restore_opts o = { 0 };
	char *dir = unit_tmpdir();
	int dfd, status = 0;

	(void)state;
	assert_non_null(dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	inv.pids = pids;
	inv.n_pids = 1;
	ckpt_cpu_read(&inv.cpu);
	inv.cpu.words[2] |= 1u << 16; /* avx512f, whatever this CPU has: make it lack one */
	inv.cpu.words[6] |= 1u << 30;
	inv.cpu.xcr0 |= 1ULL << 62;
	assert_int_equal(ckpt_img_write_inventory(dfd, &inv), 0);
	o.dir = dir;
	unit_log_reset();
	assert_int_equal(ckpt_restore(&o, &status), -EXDEV);
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "xsave:bit62"));
	assert_non_null(strstr(unit_log.last_err, "which this machine lacks"));
	close(dfd);
	unit_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_cpu),
		cmocka_unit_test(test_missing_feature),
		cmocka_unit_test(test_missing_xsave),
		cmocka_unit_test(test_restore_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
