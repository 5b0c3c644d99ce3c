// SPDX-License-Identifier: GPL-2.0
/*
 * Registers.  A tight asm loop keeps a counter n in r12 and derives every
 * other register from it, checking all of them on every iteration:
 *   r13 = ~n, r14 = K rotated left by n, r15 = n * C,
 *   lane l of ymm<i> (i = 0..15) = B[i][l] + n * INC[i][l]
 * (each ymm is spilled to memory to be compared, so none is a scratch).
 * A dump almost always lands inside the loop, so a restore that loses,
 * swaps or truncates (upper 128 bits) any of them is caught at the next
 * iteration.  Also checked: fs-based TLS (the __thread variable, the TCB
 * self pointer at %fs:0, the fs and gs bases), the x87/SSE rounding mode
 * and MXCSR.  SIGUSR1 makes the loop exit and the program report.
 */
#include <asm/prctl.h>
#include <fenv.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <xmmintrin.h>

#include "progs.h"

#define CHUNK 200000 /* iterations between heartbeat checks, about 10 ms */

static __thread uint64_t tls_value = 0x7151715171517151ULL;

/* Shared with the asm, which uses the byte offsets in the comments. */
struct regs_state {
	uint64_t base[16][4]; /*    0: B */
	uint64_t inc[16][4];  /*  512: INC */
	uint64_t spill[4];    /* 1024: one ymm, being compared */
	uint64_t cur[16][4];  /* 1056: the ymm values for the starting n */
	uint64_t c, k;        /* 1568, 1576 */
	uint64_t n;           /* 1584: start; where the loop stopped */
	uint64_t limit;       /* 1592: stop when n reaches it */
};
_Static_assert(offsetof(struct regs_state, inc) == 512 && offsetof(struct regs_state, spill) == 1024 &&
		       offsetof(struct regs_state, cur) == 1056 && offsetof(struct regs_state, c) == 1568 &&
		       offsetof(struct regs_state, k) == 1576 && offsetof(struct regs_state, n) == 1584 &&
		       offsetof(struct regs_state, limit) == 1592,
	       "offsets used by the asm");
static struct regs_state st __attribute__((aligned(32)));

#define S_(x) #x
#define S(x) S_(x)

/* Compare lane l of the spilled ymm<i> with B + n * INC (rax is scratch). */
#define LANE(i, l)                                         \
	"mov %%r12, %%rax\n\t"                             \
	"imul 512+" S(i) "*32+" S(l) "*8(%[p]), %%rax\n\t" \
	"add " S(i) "*32+" S(l) "*8(%[p]), %%rax\n\t"      \
	"cmp 1024+" S(l) "*8(%[p]), %%rax\n\t"             \
	"jne 2f\n\t"
#define CHECK_YMM(i)                            \
	"mov $" S(i) ", %%ebx\n\t"              \
	"vmovdqu %%ymm" S(i) ", 1024(%[p])\n\t" \
	LANE(i, 0) LANE(i, 1) LANE(i, 2) LANE(i, 3)
#define LOAD_YMM(i) "vmovdqu 1056+" S(i) "*32(%[p]), %%ymm" S(i) "\n\t"
#define STEP_YMM(i) "vpaddq 512+" S(i) "*32(%[p]), %%ymm" S(i) ", %%ymm" S(i) "\n\t"
#define ALL16(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)

/*
 * Run from st.n until st.limit or until *stop is set.  Returns 0, or 1 +
 * the number of the register found wrong (0-15: ymm, 16: r13, 17: r14,
 * 18: r15); st.n is where the loop stopped.
 */
static int spin(volatile sig_atomic_t *stop)
{
	uint64_t bad;

	__asm__ volatile(
		ALL16(LOAD_YMM)
		"mov 1584(%[p]), %%r12\n\t"
		"mov %%r12, %%r13\n\t"
		"not %%r13\n\t"
		"mov %%r12, %%rcx\n\t"
		"mov 1576(%[p]), %%r14\n\t"
		"rol %%cl, %%r14\n\t"
		"mov %%r12, %%r15\n\t"
		"imul 1568(%[p]), %%r15\n\t"
		"1:\n\t"
		"mov $16, %%ebx\n\t"
		"mov %%r12, %%rax\n\t"
		"not %%rax\n\t"
		"cmp %%rax, %%r13\n\t"
		"jne 2f\n\t"
		"mov $17, %%ebx\n\t"
		"mov %%r12, %%rcx\n\t"
		"mov 1576(%[p]), %%rax\n\t"
		"rol %%cl, %%rax\n\t"
		"cmp %%rax, %%r14\n\t"
		"jne 2f\n\t"
		"mov $18, %%ebx\n\t"
		"mov %%r12, %%rax\n\t"
		"imul 1568(%[p]), %%rax\n\t"
		"cmp %%rax, %%r15\n\t"
		"jne 2f\n\t"
		ALL16(CHECK_YMM)
		/* advance every register to n + 1 */
		"inc %%r12\n\t"
		"dec %%r13\n\t"
		"rol $1, %%r14\n\t"
		"add 1568(%[p]), %%r15\n\t"
		ALL16(STEP_YMM)
		"cmpl $0, (%[stop])\n\t"
		"jne 3f\n\t"
		"cmp 1592(%[p]), %%r12\n\t"
		"jb 1b\n\t"
		"3:\n\t"
		"xor %[bad], %[bad]\n\t"
		"jmp 4f\n\t"
		"2:\n\t"
		"lea 1(%%rbx), %[bad]\n\t"
		"4:\n\t"
		"mov %%r12, 1584(%[p])\n\t"
		"vzeroupper\n\t"
		: [bad] "=&r"(bad)
		: [p] "r"(&st), [stop] "r"(stop)
		: "rax", "rbx", "rcx", "r12", "r13", "r14", "r15", "cc", "memory", "xmm0", "xmm1",
		  "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
		  "xmm12", "xmm13", "xmm14", "xmm15");
	return (int)bad;
}

static uint64_t arch_get(int code)
{
	unsigned long v = 0;

	syscall(SYS_arch_prctl, code, &v);
	return v;
}

static uint64_t tcb_self(void)
{
	uint64_t v;

	__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	return v;
}

static void check_tls(uint64_t fs, uint64_t gs, volatile uint64_t *addr)
{
	CHECK(&tls_value == addr, "TLS variable moved: %p, was %p", (void *)&tls_value, (void *)addr);
	CHECK(tls_value == 0x7151715171517151ULL, "TLS value changed: %016llx",
	      (unsigned long long)tls_value);
	CHECK(arch_get(ARCH_GET_FS) == fs, "fs base %llx, was %llx",
	      (unsigned long long)arch_get(ARCH_GET_FS), (unsigned long long)fs);
	CHECK(tcb_self() == fs, "%%fs:0 is %llx, not the fs base %llx", (unsigned long long)tcb_self(),
	      (unsigned long long)fs);
	CHECK(arch_get(ARCH_GET_GS) == gs, "gs base %llx, was %llx",
	      (unsigned long long)arch_get(ARCH_GET_GS), (unsigned long long)gs);
}

static const char *reg_name(int bad)
{
	static const char *gpr[] = { "r13", "r14", "r15" };
	static char ymm[16];

	if (bad > 16)
		return gpr[bad - 17];
	snprintf(ymm, sizeof(ymm), "ymm%d", bad - 1);
	return ymm;
}

int main(void)
{
	uint64_t seed = 0xfeed, fs, gs, rounds = 0;
	volatile uint64_t *tls_addr = &tls_value;
	unsigned int csr;
	int i, l, bad;

	prog_init();
	for (i = 0; i < 16; i++)
		for (l = 0; l < 4; l++) {
			st.base[i][l] = xorshift(&seed);
			st.inc[i][l] = xorshift(&seed) | 1;
		}
	st.c = 0x9e3779b97f4a7c15ULL;
	st.k = 0x8000000000000421ULL;
	fs = arch_get(ARCH_GET_FS);
	gs = arch_get(ARCH_GET_GS);
	fesetround(FE_TOWARDZERO);
	_mm_setcsr(_mm_getcsr() | _MM_FLUSH_ZERO_ON);
	csr = _mm_getcsr();
	say("READY %d\n", getpid());
	while (!verify_req) {
		for (i = 0; i < 16; i++)
			for (l = 0; l < 4; l++)
				st.cur[i][l] = st.base[i][l] + st.n * st.inc[i][l];
		st.limit = st.n + CHUNK;
		bad = spin(&verify_req);
		CHECK(!bad, "%s wrong at iteration %llu", reg_name(bad), (unsigned long long)st.n);
		check_tls(fs, gs, tls_addr);
		rounds++;
		heartbeat();
	}
	check_tls(fs, gs, tls_addr);
	CHECK(fegetround() == FE_TOWARDZERO, "x87/SSE rounding mode lost");
	CHECK(_mm_getcsr() == csr, "MXCSR changed: %x, want %x", _mm_getcsr(), csr);
	say("PASS ymm0-15 and r12-r15 held over %llu iterations (%llu rounds), TLS, fs/gs base, MXCSR\n",
	    (unsigned long long)st.n, (unsigned long long)rounds);
	return 0;
}
