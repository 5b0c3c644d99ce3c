// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: read the state of a task for checkpointing, over generic netlink.
 * Read-only: nothing here changes a task.  See kmod/ckpt.yaml.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "ckpt_kmod.h"

/* Tests only: announce another protocol version, to see clients refuse it. */
static uint protocol_version = CKPT_GENL_VERSION;
module_param(protocol_version, uint, 0444);
MODULE_PARM_DESC(protocol_version, "generic netlink family version to announce (tests only)");

static int __init ckpt_init(void)
{
	ckpt_genl_family.version = protocol_version;
	return ckpt_nl_register();
}

static void __exit ckpt_exit(void)
{
	/* Waits for requests in flight; a dump in progress holds a module reference. */
	ckpt_nl_unregister();
}

module_init(ckpt_init);
module_exit(ckpt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ckpt: task state for checkpoint/restore over generic netlink");
MODULE_VERSION("1");
