// SPDX-License-Identifier: GPL-2.0
/* Static builds: no libnftables, so no network lock (see nft.h). */
#include <errno.h>
#include <stdio.h>

#include "nft.h"

int ckpt_nft_run(const char *script, char *err, size_t len)
{
	(void)script;
	snprintf(err, len, "this ckpt is built without nftables (static): no network lock");
	return -EOPNOTSUPP;
}
