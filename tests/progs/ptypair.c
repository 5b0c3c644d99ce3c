// SPDX-License-Identifier: GPL-2.0
/*
 * A pseudo-terminal pair inside the tree: the parent holds the master, its
 * child opens the slave (its controlling terminal, in a new session) and
 * puts it in raw mode with custom c_cc and a 33x101 window.  After restore
 * (on SIGUSR1) the parent checks the settings through the master, writes
 * a line on the master; the child, blocked in read on the slave, checks its
 * own settings and answers it transformed; the parent reads the answer.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

#include "progs.h"

#define ROWS 33
#define COLS 101

static void expect_tio(const struct termios *t, int *ok)
{
	*ok = !(t->c_lflag & (ICANON | ECHO | ISIG)) && !(t->c_oflag & OPOST) &&
	      t->c_cc[VMIN] == 1 && t->c_cc[VTIME] == 0 && t->c_cc[VINTR] == 0x01 &&
	      t->c_cc[VEOF] == 0x02 && cfgetospeed(t) == B9600;
}

static void child(int s)
{
	char buf[64];
	ssize_t n, i;

	for (;;) {
		struct termios t;
		struct winsize ws;
		int ok;

		n = read(s, buf, sizeof(buf));
		if (n <= 0)
			_exit(1);
		ok = !tcgetattr(s, &t) && !ioctl(s, TIOCGWINSZ, &ws) && ws.ws_row == ROWS &&
		     ws.ws_col == COLS && tcgetsid(s) == getpid();
		if (ok)
			expect_tio(&t, &ok);
		for (i = 0; i < n; i++)
			buf[i] = ok ? buf[i] ^ 0x20 : '!';
		if (write(s, buf, n) != n)
			_exit(1);
	}
}

int main(void)
{
	char name[64], buf[64];
	struct termios t;
	struct winsize ws = { .ws_row = ROWS, .ws_col = COLS };
	int m, ok, sync[2];
	pid_t c;

	prog_init();
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m) || ptsname_r(m, name, sizeof(name)) || pipe(sync))
		return 2;
	c = fork();
	if (c == 0) {
		int s;

		close(m);
		setsid();
		s = open(name, O_RDWR); /* our controlling terminal */
		if (s < 0 || tcgetattr(s, &t))
			_exit(2);
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		t.c_cc[VINTR] = 0x01;
		t.c_cc[VEOF] = 0x02;
		cfsetispeed(&t, B9600);
		cfsetospeed(&t, B9600);
		if (tcsetattr(s, TCSANOW, &t) || ioctl(s, TIOCSWINSZ, &ws) || write(sync[1], "k", 1) != 1)
			_exit(2);
		child(s);
	}
	if (c < 0 || read(sync[0], buf, 1) != 1)
		return 2;
	close(sync[0]);
	close(sync[1]);
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(10000);
	}
	CHECK(!tcgetattr(m, &t), "tcgetattr on the master");
	expect_tio(&t, &ok);
	CHECK(ok, "termios changed: lflag 0x%x oflag 0x%x VINTR %d", t.c_lflag, t.c_oflag,
	      t.c_cc[VINTR]);
	CHECK(!ioctl(m, TIOCGWINSZ, &ws) && ws.ws_row == ROWS && ws.ws_col == COLS,
	      "window is %dx%d", ws.ws_row, ws.ws_col);
	CHECK(write(m, "hello pty", 9) == 9, "write on the master");
	{
		size_t got = 0;
		uint64_t end = now_ms() + 3000;

		while (got < 9 && now_ms() < end) {
			struct pollfd pf = { .fd = m, .events = POLLIN };
			ssize_t n;

			if (poll(&pf, 1, 100) != 1)
				continue;
			n = read(m, buf + got, sizeof(buf) - got);
			if (n > 0)
				got += n;
		}
		CHECK(got == 9 && !memcmp(buf, "HELLO\0PTY", 9), "answer: %zu bytes '%.*s'", got,
		      (int)got, buf);
	}
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	finish(0, "pty pair: termios, window, data both ways");
	return 0;
}
