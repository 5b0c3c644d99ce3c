// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>

#include "nft.h"

int ckpt_nft_run(const char *script, char *err, size_t len)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	int ret = 0;

	if (!nft) {
		snprintf(err, len, "cannot make an nftables context");
		return -ENOMEM;
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	if (nft_run_cmd_from_buffer(nft, script)) {
		const char *e = nft_ctx_get_error_buffer(nft);

		snprintf(err, len, "%.*s", (int)strcspn(e ? e : "", "\n"), e ? e : "nft failed");
		ret = -EIO;
	}
	/*
	 * Never freed: an "owner" table lives as long as the netlink socket
	 * of the context that made it, i.e. as long as this process.
	 */
	return ret;
}
