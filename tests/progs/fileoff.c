// SPDX-License-Identifier: GPL-2.0
/* File descriptors: offsets, access modes, O_APPEND, FD_CLOEXEC, /dev/null. Usage: fileoff DIR */
#include <fcntl.h>

#include "progs.h"

int main(int argc, char **argv)
{
	char path[512], data[8192], got[64];
	int rw, ro, ap, nul, cl, i;
	uint64_t seed = 7;

	if (argc < 2)
		return 2;
	prog_init();
	for (i = 0; i < (int)sizeof(data); i++)
		data[i] = 'a' + xorshift(&seed) % 26;
	snprintf(path, sizeof(path), "%s/data", argv[1]);
	rw = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (rw < 0 || write(rw, data, sizeof(data)) != sizeof(data))
		return 2;
	lseek(rw, 1234, SEEK_SET);
	ro = open(path, O_RDONLY);
	lseek(ro, 4321, SEEK_SET);
	snprintf(path, sizeof(path), "%s/log", argv[1]);
	ap = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (write(ap, "first\n", 6) != 6)
		return 2;
	nul = open("/dev/null", O_WRONLY);
	cl = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dup2(rw, 20); /* a high fd number sharing rw's offset */
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	CHECK(lseek(rw, 0, SEEK_CUR) == 1234, "rw offset %ld", (long)lseek(rw, 0, SEEK_CUR));
	CHECK(lseek(20, 0, SEEK_CUR) == 1234, "fd 20 offset");
	CHECK(lseek(ro, 0, SEEK_CUR) == 4321, "ro offset %ld", (long)lseek(ro, 0, SEEK_CUR));
	CHECK((fcntl(rw, F_GETFL) & O_ACCMODE) == O_RDWR, "rw access mode");
	CHECK((fcntl(ro, F_GETFL) & O_ACCMODE) == O_RDONLY, "ro access mode");
	CHECK((fcntl(ap, F_GETFL) & (O_ACCMODE | O_APPEND)) == (O_WRONLY | O_APPEND), "O_APPEND fd flags");
	CHECK(fcntl(cl, F_GETFD) & FD_CLOEXEC, "FD_CLOEXEC lost");
	CHECK(!(fcntl(rw, F_GETFD) & FD_CLOEXEC), "FD_CLOEXEC appeared");
	CHECK(write(nul, "x", 1) == 1, "/dev/null not writable");
	CHECK(read(ro, got, 10) == 10 && !memcmp(got, data + 4321, 10), "reading continues wrong");
	CHECK(read(rw, got, 10) == 10 && !memcmp(got, data + 1234, 10), "rw reads wrong data");
	CHECK(lseek(20, 0, SEEK_CUR) == 1244, "fd 20 does not share rw's offset");
	CHECK(write(ap, "second\n", 7) == 7, "append write");
	CHECK(lseek(ap, 0, SEEK_CUR) == 13, "append offset %ld", (long)lseek(ap, 0, SEEK_CUR));
	say("PASS offsets, modes, O_APPEND, FD_CLOEXEC, /dev/null\n");
	return 0;
}
