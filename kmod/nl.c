// SPDX-License-Identifier: GPL-2.0
/* The ckpt generic netlink family: one narrow policy per command. */
#include <linux/module.h>
#include <linux/limits.h>

#include "ckpt_kmod.h"

static struct netlink_range_validation ckpt_pid_range = { .min = 1, .max = INT_MAX };
static struct netlink_range_validation ckpt_fd_range = { .min = 0, .max = INT_MAX };
#define PID_RANGE NLA_POLICY_FULL_RANGE(NLA_U32, &ckpt_pid_range)

static const struct nla_policy ckpt_pid_policy[CKPT_A_PID + 1] = {
	[CKPT_A_PID] = PID_RANGE,
};

static const struct nla_policy ckpt_regs_policy[CKPT_A_TID + 1] = {
	[CKPT_A_PID] = PID_RANGE,
	[CKPT_A_TID] = PID_RANGE,
};

static const struct nla_policy ckpt_sock_policy[CKPT_A_FD + 1] = {
	[CKPT_A_PID] = PID_RANGE,
	[CKPT_A_FD] = NLA_POLICY_FULL_RANGE(NLA_U32, &ckpt_fd_range),
};

static const struct nla_policy ckpt_pages_policy[CKPT_A_END + 1] = {
	[CKPT_A_PID] = PID_RANGE,
	[CKPT_A_START] = { .type = NLA_U64 },
	[CKPT_A_END] = { .type = NLA_U64 },
};

static const struct genl_ops ckpt_ops[] = {
	{
		.cmd = CKPT_CMD_TASK_GET,
		.doit = ckpt_nl_task_get_doit,
		.policy = ckpt_pid_policy,
		.maxattr = ARRAY_SIZE(ckpt_pid_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_REGS_GET,
		.doit = ckpt_nl_regs_get_doit,
		.policy = ckpt_regs_policy,
		.maxattr = ARRAY_SIZE(ckpt_regs_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_MM_GET,
		.doit = ckpt_nl_mm_get_doit,
		.policy = ckpt_pid_policy,
		.maxattr = ARRAY_SIZE(ckpt_pid_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_VMA_GET,
		.start = ckpt_nl_vma_get_start,
		.dumpit = ckpt_nl_vma_get_dumpit,
		.done = ckpt_nl_vma_get_done,
		.policy = ckpt_pid_policy,
		.maxattr = ARRAY_SIZE(ckpt_pid_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_FD_GET,
		.start = ckpt_nl_fd_get_start,
		.dumpit = ckpt_nl_fd_get_dumpit,
		.done = ckpt_nl_fd_get_done,
		.policy = ckpt_pid_policy,
		.maxattr = ARRAY_SIZE(ckpt_pid_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_SOCK_GET,
		.doit = ckpt_nl_sock_get_doit,
		.policy = ckpt_sock_policy,
		.maxattr = ARRAY_SIZE(ckpt_sock_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_PAGES_GET,
		.start = ckpt_nl_pages_get_start,
		.dumpit = ckpt_nl_pages_get_dumpit,
		.done = ckpt_nl_pages_get_done,
		.policy = ckpt_pages_policy,
		.maxattr = ARRAY_SIZE(ckpt_pages_policy) - 1,
	},
};

struct genl_family ckpt_genl_family = {
	.name = CKPT_GENL_NAME,
	.version = CKPT_GENL_VERSION,
	.module = THIS_MODULE,
	.ops = ckpt_ops,
	.n_ops = ARRAY_SIZE(ckpt_ops),
	.resv_start_op = CKPT_CMD_MAX + 1,
	.netnsok = true,
};

/* Header of one message of a dump, consistency-flagged. */
void *ckpt_nl_put_hdr(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd)
{
	void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				&ckpt_genl_family, NLM_F_MULTI, cmd);

	if (hdr)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

int ckpt_nl_start_failed(struct netlink_callback *cb, int err, const struct netlink_ext_ack *ea)
{
	cb->args[CKPT_CB_ERR] = err;
	cb->args[CKPT_CB_MSG] = (long)ea->_msg;
	return 0;
}

int ckpt_nl_start_error(struct netlink_callback *cb)
{
	if (!cb->args[CKPT_CB_ERR])
		return 0;
	if (cb->extack && cb->args[CKPT_CB_MSG])
		cb->extack->_msg = (const char *)cb->args[CKPT_CB_MSG];
	return cb->args[CKPT_CB_ERR];
}

int ckpt_nl_register(void)
{
	return genl_register_family(&ckpt_genl_family);
}

void ckpt_nl_unregister(void)
{
	genl_unregister_family(&ckpt_genl_family);
}
