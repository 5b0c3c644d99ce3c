// SPDX-License-Identifier: GPL-2.0
/*
 * Two SysV segments shared by a parent and its child (attached before the
 * fork): A (IPC_PRIVATE, not a page multiple, last page made read-only,
 * then IPC_RMID'ed while attached) and B (key 0x5eed0000 | pid & 0xffff)
 * whose first word the child keeps incrementing.  After restore the parent
 * checks A's and B's bytes, the read-only page, both ids and keys, the
 * attach counts, that A is still marked for removal, and that B's counter
 * still moves: the child writes the very segment the parent reads.
 */
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "progs.h"

#define A_SIZE (1024 * 1024 + 100)
#define B_SIZE (64 * 1024)

static uint8_t pat(size_t i, unsigned int seed)
{
	return (uint8_t)((i * 31 + seed) ^ (i >> 12));
}

/* Is [addr, addr+4096) mapped without write permission? (from /proc/self/maps) */
static int page_read_only(const void *addr)
{
	char line[256];
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long s, e;
	char perms[5];
	int ro = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %4s", &s, &e, perms) == 3 && s <= (unsigned long)addr &&
		    (unsigned long)addr < e)
			ro = perms[1] == '-';
	if (f)
		fclose(f);
	return ro;
}

int main(void)
{
	int a_id, b_id, key = 0x5eed0000 | (getpid() & 0xffff);
	unsigned long a_att, b_att;
	struct shmid_ds ds;
	uint8_t *a, *b;
	uint64_t c0, c1;
	pid_t parent = getpid(), child;
	size_t i;

	prog_init();
	a_id = shmget(IPC_PRIVATE, A_SIZE, IPC_CREAT | 0600);
	b_id = shmget(key, B_SIZE, IPC_CREAT | IPC_EXCL | 0640);
	if (a_id < 0 || b_id < 0)
		return 2;
	a = shmat(a_id, NULL, 0);
	b = shmat(b_id, NULL, 0);
	if (a == (void *)-1 || b == (void *)-1)
		return 2;
	for (i = 0; i < A_SIZE; i++)
		a[i] = pat(i, 1);
	for (i = 8; i < B_SIZE; i++)
		b[i] = pat(i, 2);
	/* the segment's last page (A_SIZE is not a page multiple) read-only: two VMAs */
	if (mprotect(a + (A_SIZE & ~4095UL), 4096, PROT_READ) || shmctl(a_id, IPC_RMID, NULL))
		return 2;
	child = fork();
	if (child < 0)
		return 2;
	if (!child) {
		while (getppid() == parent) {
			atomic_fetch_add((_Atomic uint64_t *)b, 1);
			usleep(10000);
		}
		_exit(0);
	}
	/* a split attach counts once per VMA: compare with what it was */
	usleep(50000);
	if (shmctl(a_id, IPC_STAT, &ds))
		return 2;
	a_att = ds.shm_nattch;
	if (shmctl(b_id, IPC_STAT, &ds))
		return 2;
	b_att = ds.shm_nattch;
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	for (i = 0; i < A_SIZE && a[i] == pat(i, 1); i++)
		;
	CHECK(i == A_SIZE, "segment A differs at byte %zu", i);
	for (i = 8; i < B_SIZE && b[i] == pat(i, 2); i++)
		;
	CHECK(i == B_SIZE, "segment B differs at byte %zu", i);
	CHECK(page_read_only(a + (A_SIZE & ~4095UL)) == 1 && page_read_only(a) == 0,
	      "protections of A's attach changed");
	CHECK(!shmctl(a_id, IPC_STAT, &ds), "segment A (id %d) is gone", a_id);
	CHECK(ds.shm_segsz == A_SIZE && (ds.shm_perm.mode & SHM_DEST) && ds.shm_nattch == a_att,
	      "segment A: size %zu, mode 0%o, %lu attaches", (size_t)ds.shm_segsz,
	      ds.shm_perm.mode, (unsigned long)ds.shm_nattch);
	CHECK(!shmctl(b_id, IPC_STAT, &ds), "segment B (id %d) is gone", b_id);
	CHECK(ds.shm_segsz == B_SIZE && ds.shm_perm.__key == key && ds.shm_nattch == b_att &&
	      (ds.shm_perm.mode & 0777) == 0640,
	      "segment B: size %zu, key 0x%x, mode 0%o, %lu attaches", (size_t)ds.shm_segsz,
	      ds.shm_perm.__key, ds.shm_perm.mode, (unsigned long)ds.shm_nattch);
	CHECK(shmget(key, 0, 0) == b_id, "key 0x%x does not name segment B", key);
	c0 = atomic_load((_Atomic uint64_t *)b);
	usleep(200000);
	c1 = atomic_load((_Atomic uint64_t *)b);
	CHECK(c1 > c0, "the child no longer writes the parent's segment B (%llu)",
	      (unsigned long long)c1);
	shmctl(b_id, IPC_RMID, NULL);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	say("PASS SysV segments: bytes, ids, keys, attaches, protections and sharing\n");
	return 0;
}
