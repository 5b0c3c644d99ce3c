/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run an nftables script (libnftables).  Static builds have no libnftables
 * (Debian ships no libnftables.a): they link nft-none.c, which refuses.
 */
#ifndef CKPT_NFT_H
#define CKPT_NFT_H

#include <stddef.h>

/*
 * 0, or -errno with the first line of nft's error in err.  The context stays
 * open for the life of the process (an "owner" table dies with it).
 */
int ckpt_nft_run(const char *script, char *err, size_t len);

#endif
