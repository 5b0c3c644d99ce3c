// SPDX-License-Identifier: GPL-2.0
/*
 * Files unlinked while open (argv[1] is a directory): "a" open twice (two
 * open file descriptions, O_RDWR at 1000 and O_RDONLY at 7) then unlinked;
 * "b" unlinked and a new file created at its path.  After restore: the
 * bytes, offsets and modes are there, both fds of "a" are one inode (a
 * write through one is read through the other), both files have no link,
 * and the new "b" at the path is untouched.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "progs.h"

#define SIZE 10000

int main(int argc, char **argv)
{
	char a[4096], b[4096], buf[SIZE], c;
	struct stat s1, s2, s3;
	int fa, fa2, fb, i;

	prog_init();
	if (argc < 2)
		return 2;
	snprintf(a, sizeof(a), "%s/a", argv[1]);
	snprintf(b, sizeof(b), "%s/b", argv[1]);
	for (i = 0; i < SIZE; i++)
		buf[i] = (char)(i * 7 + 1);
	fa = open(a, O_RDWR | O_CREAT | O_TRUNC, 0640);
	fb = open(b, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fa < 0 || fb < 0 || write(fa, buf, SIZE) != SIZE || write(fb, "old b", 5) != 5)
		return 2;
	fa2 = open(a, O_RDONLY);
	if (fa2 < 0 || lseek(fa, 1000, SEEK_SET) != 1000 || lseek(fa2, 7, SEEK_SET) != 7 ||
	    unlink(a) || unlink(b))
		return 2;
	i = open(b, O_WRONLY | O_CREAT | O_EXCL, 0600); /* someone else's file now */
	if (i < 0 || write(i, "new", 3) != 3)
		return 2;
	close(i);
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	CHECK(lseek(fa, 0, SEEK_CUR) == 1000 && lseek(fa2, 0, SEEK_CUR) == 7, "offsets changed");
	CHECK(pread(fa2, buf, SIZE, 0) == SIZE, "file a: short");
	for (i = 0; i < SIZE && buf[i] == (char)(i * 7 + 1); i++)
		;
	CHECK(i == SIZE, "file a differs at byte %d", i);
	CHECK(pread(fb, buf, 10, 0) == 5 && !memcmp(buf, "old b", 5), "file b's bytes changed");
	CHECK(!fstat(fa, &s1) && !fstat(fa2, &s2) && !fstat(fb, &s3), "fstat");
	CHECK(s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev, "a's two fds are two files");
	CHECK(s1.st_nlink == 0 && s3.st_nlink == 0, "a deleted file has a name again");
	CHECK((s1.st_mode & 07777) == 0640, "a's mode changed: 0%o", s1.st_mode & 07777);
	CHECK((fcntl(fa2, F_GETFL) & O_ACCMODE) == O_RDONLY && (fcntl(fa, F_GETFL) & O_ACCMODE) == O_RDWR,
	      "access modes changed");
	c = 'Z';
	CHECK(pwrite(fa, &c, 1, 5) == 1 && pread(fa2, &c, 1, 5) == 1 && c == 'Z',
	      "a write through one fd of a is not seen through the other");
	i = open(b, O_RDONLY);
	CHECK(i >= 0 && read(i, buf, 10) == 3 && !memcmp(buf, "new", 3), "the new file at b changed");
	say("PASS deleted files: bytes, offsets, one inode, no name\n");
	return 0;
}
