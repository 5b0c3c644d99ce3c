/* SPDX-License-Identifier: GPL-2.0 */
/* CPU features a dumped process may use, recorded in the inventory and checked on restore. */
#ifndef CKPT_CPU_H
#define CKPT_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "ckpt.h"

/* cpuid words user code tests (leaf.subleaf.register); see cpu.c */
#define CKPT_CPU_WORDS 8

struct ckpt_cpu {
	bool valid;                      /* false: an image from before CPU records */
	uint64_t xcr0;                   /* XSAVE components the kernel enabled (xgetbv 0) */
	uint32_t xsave_size;             /* XSAVE area bytes for xcr0 (cpuid 0xd.0 ebx) */
	uint32_t words[CKPT_CPU_WORDS];
};

void ckpt_cpu_read(struct ckpt_cpu *c);
/*
 * 0 if a process dumped on img can run here; else one error naming what
 * this machine lacks, and -EXDEV.
 */
int ckpt_cpu_check(const struct ckpt_cpu *img, const struct ckpt_cpu *here, enum ckpt_cpu_cap cap);

#endif
