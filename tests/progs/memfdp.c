// SPDX-License-Identifier: GPL-2.0
/* A memfd: name, contents, offset and seals come back. */
#include <fcntl.h>
#include <sys/mman.h>

#include "progs.h"

#define LEN (100 * 1024)

int main(void)
{
	static uint8_t buf[LEN], got[LEN];
	char link[64], path[64];
	uint64_t seed = 5, sum;
	ssize_t n;
	int fd, i;

	prog_init();
	for (i = 0; i < LEN; i++)
		buf[i] = xorshift(&seed);
	sum = sum64(buf, LEN);
	fd = memfd_create("ckpt-test", MFD_ALLOW_SEALING);
	if (fd < 0 || write(fd, buf, LEN) != LEN)
		return 2;
	lseek(fd, 1234, SEEK_SET);
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	CHECK(strstr(link, "memfd:ckpt-test"), "memfd name is %s", link);
	CHECK(lseek(fd, 0, SEEK_CUR) == 1234, "memfd offset lost");
	CHECK(pread(fd, got, LEN, 0) == LEN && sum64(got, LEN) == sum, "memfd contents differ");
	CHECK(fcntl(fd, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW), "seals are 0x%x",
	      fcntl(fd, F_GET_SEALS));
	CHECK(ftruncate(fd, LEN * 2) < 0, "a sealed memfd could grow");
	say("PASS memfd name, contents, offset, seals\n");
	return 0;
}
