// SPDX-License-Identifier: GPL-2.0
/*
 * Registers: a tight asm loop keeps patterns in ymm0-ymm13 and an invariant
 * between r12, r13 and r14, checking them on every iteration; a dump lands
 * inside it almost always.  Also an x87/MXCSR setting and fs-based TLS.
 */
#include <fenv.h>
#include <xmmintrin.h>

#include "progs.h"

static __thread uint64_t tls_value = 0x7151715171517151ULL;
static uint64_t pat[14][4] __attribute__((aligned(32)));

/* Run n iterations; returns 0 if every register kept its value. */
static uint64_t spin(uint64_t n)
{
	uint64_t bad;

	__asm__ volatile(
		"vmovdqa   0(%[p]), %%ymm0\n\t"
		"vmovdqa  32(%[p]), %%ymm1\n\t"
		"vmovdqa  64(%[p]), %%ymm2\n\t"
		"vmovdqa  96(%[p]), %%ymm3\n\t"
		"vmovdqa 128(%[p]), %%ymm4\n\t"
		"vmovdqa 160(%[p]), %%ymm5\n\t"
		"vmovdqa 192(%[p]), %%ymm6\n\t"
		"vmovdqa 224(%[p]), %%ymm7\n\t"
		"vmovdqa 256(%[p]), %%ymm8\n\t"
		"vmovdqa 288(%[p]), %%ymm9\n\t"
		"vmovdqa 320(%[p]), %%ymm10\n\t"
		"vmovdqa 352(%[p]), %%ymm11\n\t"
		"vmovdqa 384(%[p]), %%ymm12\n\t"
		"vmovdqa 416(%[p]), %%ymm13\n\t"
		"xor %%r12, %%r12\n\t"
		"mov $-1, %%r13\n\t"
		"movabs $0x5555555555555555, %%r15\n\t"
		"mov %%r15, %%r14\n\t"
		"1:\n\t"
		/* invariants: r13 == ~r12, r14 == r12 ^ r15, r15 == K */
		"mov %%r12, %%rax\n\t"
		"not %%rax\n\t"
		"cmp %%rax, %%r13\n\t"
		"jne 2f\n\t"
		"mov %%r14, %%rax\n\t"
		"xor %%r15, %%rax\n\t"
		"cmp %%rax, %%r12\n\t"
		"jne 2f\n\t"
		"inc %%r12\n\t"
		"dec %%r13\n\t"
		"mov %%r12, %%r14\n\t"
		"xor %%r15, %%r14\n\t"
#define CHK(i, off) "vpxor " #off "(%[p]), %%ymm" #i ", %%ymm14\n\t" "vptest %%ymm14, %%ymm14\n\t" "jnz 2f\n\t"
		CHK(0, 0) CHK(1, 32) CHK(2, 64) CHK(3, 96) CHK(4, 128) CHK(5, 160) CHK(6, 192)
		CHK(7, 224) CHK(8, 256) CHK(9, 288) CHK(10, 320) CHK(11, 352) CHK(12, 384) CHK(13, 416)
		"movabs $0x5555555555555555, %%rax\n\t"
		"cmp %%rax, %%r15\n\t"
		"jne 2f\n\t"
		"cmp %[n], %%r12\n\t"
		"jb 1b\n\t"
		"xor %[bad], %[bad]\n\t"
		"jmp 3f\n\t"
		"2:\n\t"
		"mov %%r12, %[bad]\n\t"
		"3:\n\t"
		"vzeroupper\n\t"
		: [bad] "=&r"(bad)
		: [p] "r"(pat), [n] "r"(n)
		: "rax", "r12", "r13", "r14", "r15", "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
		  "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14");
	return bad;
}

int main(void)
{
	uint64_t seed = 0xfeed, rounds = 0, bad;
	unsigned int csr;
	int i, j;

	prog_init();
	for (i = 0; i < 14; i++)
		for (j = 0; j < 4; j++)
			pat[i][j] = xorshift(&seed);
	fesetround(FE_TOWARDZERO);
	_mm_setcsr(_mm_getcsr() | _MM_FLUSH_ZERO_ON);
	csr = _mm_getcsr();
	say("READY %d\n", getpid());
	while (!verify_req) {
		bad = spin(20 * 1000 * 1000);
		CHECK(!bad, "register pattern broken at iteration %llu of round %llu",
		      (unsigned long long)bad, (unsigned long long)rounds);
		rounds++;
		heartbeat();
	}
	CHECK(tls_value == 0x7151715171517151ULL, "TLS value changed");
	CHECK(fegetround() == FE_TOWARDZERO, "x87/SSE rounding mode lost");
	CHECK(_mm_getcsr() == csr, "MXCSR changed: %x, want %x", _mm_getcsr(), csr);
	say("PASS %llu rounds of 20M checked iterations\n", (unsigned long long)rounds);
	return 0;
}
