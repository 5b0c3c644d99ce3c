// SPDX-License-Identifier: GPL-2.0
/* Holds a netlink socket (fd 3): a kind of fd this version refuses to dump. */
#include <linux/netlink.h>
#include <sys/socket.h>

#include "progs.h"

int main(void)
{
	int sv[2];

	prog_init();
	sv[0] = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	sv[1] = sv[0];
	if (sv[0] < 0)
		return 2;
	say("READY %d\n", getpid());
	while (!verify_req) {
		heartbeat();
		usleep(20000);
	}
	say("PASS socket fds %d %d\n", sv[0], sv[1]);
	return 0;
}
