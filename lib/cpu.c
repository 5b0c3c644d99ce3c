// SPDX-License-Identifier: GPL-2.0
/*
 * CPU features.  A program picks code paths by cpuid once (glibc's ifuncs
 * choose an AVX2 or AVX-512 memcpy at start-up) and the kernel saves the
 * XSAVE components it enabled: a process restored on a CPU without one of
 * them dies of SIGILL later, or its registers cannot be loaded at all.
 * The dump records both; a restore refuses a machine that lacks any.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cpu.h"
#include "log.h"

static const struct {
	uint32_t leaf, sub;
	int reg; /* 0 eax, 1 ebx, 2 ecx, 3 edx */
	const char *name;
	uint32_t ignore; /* bits that describe the machine, not an instruction set */
} words[CKPT_CPU_WORDS] = {
	{ 1, 0, 2, "1.ecx", 1u << 31 /* hypervisor */ | 1u << 27 /* OSXSAVE: xcr0 tells */ },
	{ 1, 0, 3, "1.edx", 1u << 9 /* APIC */ },
	{ 7, 0, 1, "7.ebx", 0 },
	{ 7, 0, 2, "7.ecx", 1u << 4 /* OSPKE */ },
	{ 7, 0, 3, "7.edx", 1u << 15 /* hybrid */ },
	{ 0xd, 1, 0, "0xd.1.eax", 0 },
	{ 0x80000001, 0, 2, "0x80000001.ecx", 0 },
	{ 0x80000001, 0, 3, "0x80000001.edx", 0 },
};

/* Names of the features users meet; others are named by cpuid word and bit. */
static const struct {
	int word, bit;
	const char *name;
} names[] = {
	{ 0, 0, "sse3" }, { 0, 1, "pclmulqdq" }, { 0, 9, "ssse3" }, { 0, 12, "fma" },
	{ 0, 19, "sse4_1" }, { 0, 20, "sse4_2" }, { 0, 22, "movbe" }, { 0, 23, "popcnt" },
	{ 0, 25, "aes" }, { 0, 26, "xsave" }, { 0, 28, "avx" }, { 0, 29, "f16c" },
	{ 0, 30, "rdrand" }, { 1, 25, "sse" }, { 1, 26, "sse2" }, { 2, 3, "bmi1" },
	{ 2, 5, "avx2" }, { 2, 8, "bmi2" }, { 2, 9, "erms" }, { 2, 16, "avx512f" },
	{ 2, 17, "avx512dq" }, { 2, 18, "rdseed" }, { 2, 19, "adx" }, { 2, 28, "avx512cd" },
	{ 2, 29, "sha_ni" }, { 2, 30, "avx512bw" }, { 2, 31, "avx512vl" }, { 3, 1, "avx512vbmi" },
	{ 3, 8, "gfni" }, { 3, 9, "vaes" }, { 3, 10, "vpclmulqdq" }, { 3, 11, "avx512_vnni" },
	{ 4, 4, "fsrm" }, { 4, 24, "amx_tile" }, { 5, 0, "xsaveopt" }, { 5, 1, "xsavec" },
	{ 6, 5, "abm" },
};

static const char *const xfeatures[] = {
	"x87", "sse", "avx", "mpx_bndregs", "mpx_bndcsr", "avx512_opmask", "avx512_zmm_hi256",
	"avx512_hi16_zmm", "pt", "pkru", "pasid", "cet_u", "cet_s", "hdc", "uintr", "lbr",
	"hwp", "amx_tilecfg", "amx_tiledata",
};

void ckpt_cpu_read(struct ckpt_cpu *c)
{
	unsigned int r[4], max, xmax, lo, hi;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->valid = true;
	max = __get_cpuid_max(0, NULL);
	xmax = __get_cpuid_max(0x80000000, NULL);
	for (i = 0; i < CKPT_CPU_WORDS; i++) {
		if (words[i].leaf > (words[i].leaf >= 0x80000000 ? xmax : max))
			continue;
		__cpuid_count(words[i].leaf, words[i].sub, r[0], r[1], r[2], r[3]);
		c->words[i] = r[words[i].reg] & ~words[i].ignore;
	}
	if (max >= 1)
		__cpuid(1, r[0], r[1], r[2], r[3]);
	if (max >= 1 && r[2] & (1u << 27)) { /* OSXSAVE: xgetbv works */
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		c->xcr0 = (uint64_t)hi << 32 | lo;
		if (max >= 0xd) {
			__cpuid_count(0xd, 0, r[0], r[1], r[2], r[3]);
			c->xsave_size = r[1];
		}
	}
}

static int lacks(const char *what, char *list, size_t len)
{
	size_t used = strlen(list);

	snprintf(list + used, len - used, "%s%s", used ? ", " : "", what);
	return 1;
}

int ckpt_cpu_check(const struct ckpt_cpu *img, const struct ckpt_cpu *here, enum ckpt_cpu_cap cap)
{
	char list[512] = "", name[64];
	uint64_t missing;
	int n = 0, w, b;
	size_t k;

	if (cap == CKPT_CPU_CAP_NONE || !img->valid)
		return 0;
	missing = img->xcr0 & ~here->xcr0;
	for (b = 0; b < 64; b++) {
		if (!(missing & (1ULL << b)))
			continue;
		if (b < (int)(sizeof(xfeatures) / sizeof(xfeatures[0])))
			snprintf(name, sizeof(name), "xsave:%s", xfeatures[b]);
		else
			snprintf(name, sizeof(name), "xsave:bit%d", b);
		n += lacks(name, list, sizeof(list));
	}
	if (!missing && img->xsave_size > here->xsave_size) {
		snprintf(name, sizeof(name), "an XSAVE area of %u bytes (here %u)", img->xsave_size,
			 here->xsave_size);
		n += lacks(name, list, sizeof(list));
	}
	for (w = 0; cap == CKPT_CPU_CAP_CPU && w < CKPT_CPU_WORDS; w++) {
		uint32_t m = img->words[w] & ~here->words[w] & ~words[w].ignore;

		for (b = 0; b < 32; b++) {
			const char *nm = NULL;

			if (!(m & (1u << b)))
				continue;
			for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
				if (names[k].word == w && names[k].bit == b)
					nm = names[k].name;
			if (nm)
				snprintf(name, sizeof(name), "%s", nm);
			else
				snprintf(name, sizeof(name), "cpuid %s bit %d", words[w].name, b);
			n += lacks(name, list, sizeof(list));
		}
	}
	if (!n)
		return 0;
	pr_err("inventory.img: the process was dumped on a CPU with %s, which this machine lacks; "
	       "restoring it here could end in SIGILL (--cpu-cap fpu checks only the register "
	       "layout, --cpu-cap none nothing)", list);
	return -EXDEV;
}
