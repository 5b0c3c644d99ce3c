/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces of the ckpt module: nl.c dispatches to one file per object. */
#ifndef CKPT_KMOD_H
#define CKPT_KMOD_H

#include <net/genetlink.h>
#include <linux/sched.h>

#include "uapi/ckpt_genl.h"

extern struct genl_family ckpt_genl_family;

int ckpt_nl_register(void);
void ckpt_nl_unregister(void);

/* task.c: lookup + ptrace-equivalent access check */
struct task_struct *ckpt_task_lookup(u32 pid, struct netlink_ext_ack *extack);
int ckpt_task_may_read(struct task_struct *t, struct netlink_ext_ack *extack);
struct mm_struct *ckpt_task_mm(struct task_struct *t, struct netlink_ext_ack *extack);
int ckpt_nl_task_get_doit(struct sk_buff *skb, struct genl_info *info);
void *ckpt_nl_put_hdr(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd);

/* regs.c */
int ckpt_nl_regs_get_doit(struct sk_buff *skb, struct genl_info *info);

/* vma.c */
int ckpt_nl_mm_get_doit(struct sk_buff *skb, struct genl_info *info);
int ckpt_nl_vma_get_start(struct netlink_callback *cb);
int ckpt_nl_vma_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int ckpt_nl_vma_get_done(struct netlink_callback *cb);
u64 ckpt_encode_dev(dev_t dev);

/* fdt.c */
int ckpt_nl_fd_get_start(struct netlink_callback *cb);
int ckpt_nl_fd_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int ckpt_nl_fd_get_done(struct netlink_callback *cb);

/* sock.c */
int ckpt_nl_sock_get_doit(struct sk_buff *skb, struct genl_info *info);

/* pages.c */
int ckpt_nl_pages_get_start(struct netlink_callback *cb);
int ckpt_nl_pages_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int ckpt_nl_pages_get_done(struct netlink_callback *cb);

/* A required attribute of a doit request: false, with the missing type and a message. */
#define CKPT_REQUIRE(info, attr, name)                                          \
	({                                                                      \
		bool __missing = GENL_REQ_ATTR_CHECK(info, attr);              \
		if (__missing)                                                  \
			NL_SET_ERR_MSG((info)->extack, "missing attribute: " name); \
		!__missing;                                                     \
	})

/* Dumps keep these in cb->args (kernel-internal, never sent). */
enum { CKPT_CB_TASK, CKPT_CB_MM, CKPT_CB_CURSOR, CKPT_CB_END, CKPT_CB_ERR, CKPT_CB_MSG };

/*
 * 6.1 calls .start without an extack: a failed start is remembered and
 * reported, with its message, by the first .dumpit (which has one).
 */
int ckpt_nl_start_failed(struct netlink_callback *cb, int err, const struct netlink_ext_ack *ea);
/* The remembered error of .start, or 0. */
int ckpt_nl_start_error(struct netlink_callback *cb);

#endif
