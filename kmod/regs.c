// SPDX-License-Identifier: GPL-2.0
/*
 * Registers and extended state of one thread, through the regset interface
 * (the same layouts as PTRACE_GETREGS and PTRACE_GETREGSET NT_X86_XSTATE).
 * The thread must be stopped (ptrace or group stop) and off the CPU.
 */
#include <linux/elf.h>
#include <linux/regset.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "ckpt_kmod.h"

static const struct user_regset *ckpt_find_regset(const struct user_regset_view *view,
						  unsigned int note)
{
	unsigned int i;

	for (i = 0; i < view->n; i++)
		if (view->regsets[i].core_note_type == note)
			return &view->regsets[i];
	return NULL;
}

static int ckpt_put_regset(struct sk_buff *skb, struct task_struct *th,
			   const struct user_regset_view *view, unsigned int note, int attr)
{
	const struct user_regset *rs = ckpt_find_regset(view, note);
	void *data = NULL;
	int size, err;

	if (!rs)
		return 0; /* not on this CPU (no xstate) */
	if (rs->active && rs->active(th, rs) <= 0)
		return 0;
	size = regset_get_alloc(th, rs, rs->n * rs->size, &data);
	if (size < 0)
		return size;
	err = nla_put(skb, attr, size, data);
	kfree(data);
	return err;
}

int ckpt_nl_regs_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	const struct user_regset_view *view;
	struct task_struct *t, *th;
	struct sk_buff *msg;
	struct pid *p;
	void *hdr;
	int err;

	if (!CKPT_REQUIRE(info, CKPT_A_PID, "pid") || !CKPT_REQUIRE(info, CKPT_A_TID, "tid"))
		return -EINVAL;
	t = ckpt_task_lookup(nla_get_u32(info->attrs[CKPT_A_PID]), info->extack);
	if (IS_ERR(t))
		return PTR_ERR(t);
	p = find_get_pid(nla_get_u32(info->attrs[CKPT_A_TID]));
	th = p ? get_pid_task(p, PIDTYPE_PID) : NULL;
	put_pid(p);
	err = -ESRCH;
	if (!th || !same_thread_group(th, t)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CKPT_A_TID],
				    "no such thread in this process");
		goto out_put;
	}
	err = -EBUSY;
	if (!task_is_stopped_or_traced(th) || th == current) {
		NL_SET_ERR_MSG(info->extack, "thread is running: stop it first (ptrace or SIGSTOP)");
		goto out_put;
	}
	err = -EAGAIN;
	if (READ_ONCE(th->on_cpu)) {
		NL_SET_ERR_MSG(info->extack, "thread is still leaving the CPU, try again");
		goto out_put;
	}
	err = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE + 16384, GFP_KERNEL);
	if (!msg)
		goto out_put;
	hdr = genlmsg_put_reply(msg, info, &ckpt_genl_family, 0, CKPT_CMD_REGS_GET);
	if (!hdr)
		goto out_free_msg;
	view = task_user_regset_view(th);
	err = -EOPNOTSUPP;
	if (view->e_machine != EM_X86_64) {
		NL_SET_ERR_MSG(info->extack, "not a 64-bit x86 task");
		goto out_free_msg;
	}
	err = nla_put_u32(msg, CKPT_A_TID, nla_get_u32(info->attrs[CKPT_A_TID]));
	if (!err)
		err = ckpt_put_regset(msg, th, view, NT_PRSTATUS, CKPT_A_REGS);
	if (!err)
		err = ckpt_put_regset(msg, th, view, NT_X86_XSTATE, CKPT_A_XSTATE);
	if (err) {
		NL_SET_ERR_MSG(info->extack, "cannot read the thread's registers");
		goto out_free_msg;
	}
	genlmsg_end(msg, hdr);
	put_task_struct(th);
	put_task_struct(t);
	return genlmsg_reply(msg, info);

out_free_msg:
	nlmsg_free(msg);
out_put:
	if (th)
		put_task_struct(th);
	put_task_struct(t);
	return err;
}
