// SPDX-License-Identifier: GPL-2.0
/*
 * Task lookup and the access check every command makes (ptrace_may_access
 * is not exported): the caller may read a task it could ptrace-attach to.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/uidgid.h>

#include "ckpt_kmod.h"

/* The caller's real ids equal every uid and gid of the target (as ptrace's REALCREDS). */
static bool ckpt_same_ids(const struct cred *c, const struct cred *tc)
{
	return uid_eq(c->uid, tc->euid) && uid_eq(c->uid, tc->suid) && uid_eq(c->uid, tc->uid) &&
	       gid_eq(c->gid, tc->egid) && gid_eq(c->gid, tc->sgid) && gid_eq(c->gid, tc->gid);
}

static bool ckpt_capable_over(struct user_namespace *ns)
{
	return ns_capable(ns, CAP_SYS_PTRACE) || ns_capable(ns, CAP_CHECKPOINT_RESTORE);
}

int ckpt_task_may_read(struct task_struct *t, struct netlink_ext_ack *extack)
{
	const struct cred *tc;
	struct mm_struct *mm;
	bool ok;

	if (t->flags & PF_KTHREAD) {
		NL_SET_ERR_MSG(extack, "target is a kernel thread");
		return -EPERM;
	}
	if (same_thread_group(t, current))
		return 0;
	tc = get_task_cred(t);
	ok = ckpt_same_ids(current_cred(), tc) || ckpt_capable_over(tc->user_ns);
	put_cred(tc);
	if (!ok) {
		NL_SET_ERR_MSG(extack, "permission denied: target runs as another user");
		return -EPERM;
	}
	task_lock(t);
	mm = t->mm;
	/* As ptrace: an undumpable (setuid, PR_SET_DUMPABLE 0) target needs CAP_SYS_PTRACE. */
	ok = !mm || get_dumpable(mm) == SUID_DUMP_USER || ns_capable(mm->user_ns, CAP_SYS_PTRACE);
	task_unlock(t);
	if (!ok) {
		NL_SET_ERR_MSG(extack, "permission denied: target is not dumpable");
		return -EPERM;
	}
	return 0;
}

/* A reference to the task of pid (caller's namespace) if the caller may read it. */
struct task_struct *ckpt_task_lookup(u32 pid, struct netlink_ext_ack *extack)
{
	struct task_struct *t;
	struct pid *p;
	int err;

	p = find_get_pid(pid);
	t = p ? get_pid_task(p, PIDTYPE_PID) : NULL;
	put_pid(p);
	if (!t) {
		NL_SET_ERR_MSG(extack, "no such process");
		return ERR_PTR(-ESRCH);
	}
	err = ckpt_task_may_read(t, extack);
	if (err) {
		put_task_struct(t);
		return ERR_PTR(err);
	}
	return t;
}

struct mm_struct *ckpt_task_mm(struct task_struct *t, struct netlink_ext_ack *extack)
{
	struct mm_struct *mm = get_task_mm(t);

	if (!mm) {
		NL_SET_ERR_MSG(extack, "target has no memory (exited)");
		return ERR_PTR(-ESRCH);
	}
	return mm;
}

static int ckpt_put_creds(struct sk_buff *skb, const struct cred *c)
{
	struct user_namespace *ns = current_user_ns();

	if (nla_put_u32(skb, CKPT_A_UID, from_kuid_munged(ns, c->uid)) ||
	    nla_put_u32(skb, CKPT_A_EUID, from_kuid_munged(ns, c->euid)) ||
	    nla_put_u32(skb, CKPT_A_SUID, from_kuid_munged(ns, c->suid)) ||
	    nla_put_u32(skb, CKPT_A_FSUID, from_kuid_munged(ns, c->fsuid)) ||
	    nla_put_u32(skb, CKPT_A_GID, from_kgid_munged(ns, c->gid)) ||
	    nla_put_u32(skb, CKPT_A_EGID, from_kgid_munged(ns, c->egid)) ||
	    nla_put_u32(skb, CKPT_A_SGID, from_kgid_munged(ns, c->sgid)) ||
	    nla_put_u32(skb, CKPT_A_FSGID, from_kgid_munged(ns, c->fsgid)))
		return -EMSGSIZE;
	return 0;
}

static int ckpt_put_threads(struct sk_buff *skb, struct task_struct *t)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct task_struct *th;
	struct nlattr *nest;
	int err = 0;

	nest = nla_nest_start(skb, CKPT_A_THREADS);
	if (!nest)
		return -EMSGSIZE;
	rcu_read_lock();
	for_each_thread(t, th) {
		u32 tid = task_pid_nr_ns(th, ns);

		if (tid && nla_put_u32(skb, CKPT_A_TID, tid)) {
			err = -EMSGSIZE;
			break;
		}
	}
	rcu_read_unlock();
	if (err) {
		nla_nest_cancel(skb, nest);
		return err;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static u32 ckpt_task_state(struct task_struct *t)
{
	u32 s = 0;

	if (task_is_stopped(t))
		s |= CKPT_TASK_STOPPED;
	if (task_is_traced(t))
		s |= CKPT_TASK_TRACED;
	if (t->exit_state)
		s |= CKPT_TASK_ZOMBIE;
	return s;
}

static int ckpt_fill_task(struct sk_buff *skb, struct task_struct *t)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	char comm[TASK_COMM_LEN];
	const struct cred *c;
	struct task_struct *parent;
	u32 ppid;
	int err;

	rcu_read_lock();
	parent = pid_alive(t) ? rcu_dereference(t->real_parent) : NULL;
	ppid = parent ? task_tgid_nr_ns(parent, ns) : 0;
	rcu_read_unlock();
	get_task_comm(comm, t);
	if (nla_put_u32(skb, CKPT_A_VERSION, CKPT_GENL_VERSION) ||
	    nla_put_u32(skb, CKPT_A_PID, task_pid_nr_ns(t, ns)) ||
	    nla_put_u32(skb, CKPT_A_TGID, task_tgid_nr_ns(t, ns)) ||
	    nla_put_u32(skb, CKPT_A_PPID, ppid) ||
	    nla_put_u32(skb, CKPT_A_PGID, task_pgrp_nr_ns(t, ns)) ||
	    nla_put_u32(skb, CKPT_A_SID, task_session_nr_ns(t, ns)) ||
	    nla_put_string(skb, CKPT_A_COMM, comm) ||
	    nla_put_u32(skb, CKPT_A_STATE, ckpt_task_state(t)))
		return -EMSGSIZE;
	c = get_task_cred(t);
	err = ckpt_put_creds(skb, c);
	put_cred(c);
	return err ?: ckpt_put_threads(skb, t);
}

int ckpt_nl_task_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct task_struct *t;
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (!CKPT_REQUIRE(info, CKPT_A_PID, "pid"))
		return -EINVAL;
	t = ckpt_task_lookup(nla_get_u32(info->attrs[CKPT_A_PID]), info->extack);
	if (IS_ERR(t))
		return PTR_ERR(t);
	err = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE + 8 * (size_t)get_nr_threads(t), GFP_KERNEL);
	if (!msg)
		goto out_put_task;
	hdr = genlmsg_put_reply(msg, info, &ckpt_genl_family, 0, CKPT_CMD_TASK_GET);
	if (!hdr)
		goto out_free_msg;
	err = ckpt_fill_task(msg, t);
	if (err) {
		NL_SET_ERR_MSG(info->extack, "reply too large (too many threads)");
		goto out_free_msg;
	}
	genlmsg_end(msg, hdr);
	put_task_struct(t);
	return genlmsg_reply(msg, info);

out_free_msg:
	nlmsg_free(msg);
out_put_task:
	put_task_struct(t);
	return err;
}
