// SPDX-License-Identifier: GPL-2.0
/*
 * A named FIFO (argv[1], created here) opened twice, a reader and a writer,
 * with bytes in flight: after restore the bytes are there, in order, and
 * the descriptors are still ends of the FIFO at that path (a third opener
 * reaches the same pipe).
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "progs.h"

int main(int argc, char **argv)
{
	char first[3000], buf[4096];
	int r, w, w2;
	size_t i;

	prog_init();
	if (argc < 2)
		return 2;
	unlink(argv[1]);
	for (i = 0; i < sizeof(first); i++)
		first[i] = (char)(i * 7 + 3);
	if (mkfifo(argv[1], 0600) || (r = open(argv[1], O_RDONLY | O_NONBLOCK)) < 0 ||
	    (w = open(argv[1], O_WRONLY)) < 0 || write(w, first, sizeof(first)) != sizeof(first))
		return 2;
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	CHECK(read(r, buf, sizeof(buf)) == sizeof(first) && !memcmp(buf, first, sizeof(first)),
	      "bytes in flight lost or changed");
	CHECK(read(r, buf, 1) < 0, "more bytes than were written, or the reader blocks");
	CHECK((fcntl(r, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) == (O_RDONLY | O_NONBLOCK),
	      "reader flags changed");
	CHECK((fcntl(w, F_GETFL) & O_ACCMODE) == O_WRONLY, "writer mode changed");
	CHECK(write(w, "again", 5) == 5 && read(r, buf, 5) == 5 && !memcmp(buf, "again", 5),
	      "the FIFO does not carry new data");
	w2 = open(argv[1], O_WRONLY | O_NONBLOCK);
	CHECK(w2 >= 0 && write(w2, "path", 4) == 4 && read(r, buf, 4) == 4 && !memcmp(buf, "path", 4),
	      "the reader is not the FIFO at its path any more");
	say("PASS FIFO kept its bytes in flight and its path\n");
	return 0;
}
