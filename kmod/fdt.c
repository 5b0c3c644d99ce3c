// SPDX-License-Identifier: GPL-2.0
/* The fd table as a dump, one message per fd, the next fd number as cursor. */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "ckpt_kmod.h"

int ckpt_nl_fd_get_start(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct netlink_ext_ack ea = {};
	struct task_struct *t;

	if (!info->attrs[CKPT_A_PID]) {
		NL_SET_ERR_MSG(&ea, "missing attribute: pid");
		return ckpt_nl_start_failed(cb, -EINVAL, &ea);
	}
	t = ckpt_task_lookup(nla_get_u32(info->attrs[CKPT_A_PID]), &ea);
	if (IS_ERR(t))
		return ckpt_nl_start_failed(cb, PTR_ERR(t), &ea);
	cb->args[CKPT_CB_TASK] = (long)t;
	cb->args[CKPT_CB_CURSOR] = 0;
	return 0;
}

int ckpt_nl_fd_get_done(struct netlink_callback *cb)
{
	struct task_struct *t = (struct task_struct *)cb->args[CKPT_CB_TASK];

	if (t)
		put_task_struct(t);
	return 0;
}

/* The next open fd >= *fd with a reference, and whether it is close-on-exec. */
static struct file *ckpt_next_fd(struct task_struct *t, unsigned int *fd, bool *cloexec,
				 unsigned int *ret_max)
{
	struct files_struct *files;
	struct file *f;

	rcu_read_lock();
	f = task_lookup_next_fd_rcu(t, fd);
	if (f && !get_file_rcu(f))
		f = ERR_PTR(-EAGAIN); /* being closed: skip it */
	task_lock(t);
	files = t->files;
	if (files) {
		struct fdtable *fdt = files_fdtable(files);

		*cloexec = !IS_ERR_OR_NULL(f) && *fd < fdt->max_fds && close_on_exec(*fd, fdt);
		*ret_max = fdt->max_fds;
	}
	task_unlock(t);
	rcu_read_unlock();
	return f;
}

static int ckpt_fill_fd(struct sk_buff *skb, struct netlink_callback *cb, unsigned int fd,
			struct file *f, bool cloexec, char *buf)
{
	struct kstat ks;
	const char *path;
	void *hdr;

	hdr = ckpt_nl_put_hdr(skb, cb, CKPT_CMD_FD_GET);
	if (!hdr)
		return -EMSGSIZE;
	path = d_path(&f->f_path, buf, PATH_MAX);
	if (nla_put_u32(skb, CKPT_A_FD, fd) ||
	    nla_put_u32(skb, CKPT_A_FD_FLAGS, cloexec ? FD_CLOEXEC : 0) ||
	    nla_put_u32(skb, CKPT_A_FLAGS, f->f_flags) ||
	    nla_put_u64_64bit(skb, CKPT_A_POS, f->f_pos, CKPT_A_PAD) ||
	    (!IS_ERR(path) && nla_put_string(skb, CKPT_A_PATH, path)))
		goto cancel;
	if (!vfs_getattr(&f->f_path, &ks, STATX_BASIC_STATS, AT_STATX_SYNC_AS_STAT) &&
	    (nla_put_u64_64bit(skb, CKPT_A_DEV, ckpt_encode_dev(ks.dev), CKPT_A_PAD) ||
	     nla_put_u64_64bit(skb, CKPT_A_INO, ks.ino, CKPT_A_PAD) ||
	     nla_put_u64_64bit(skb, CKPT_A_SIZE, ks.size, CKPT_A_PAD) ||
	     nla_put_u64_64bit(skb, CKPT_A_RDEV, ckpt_encode_dev(ks.rdev), CKPT_A_PAD) ||
	     nla_put_u32(skb, CKPT_A_MODE, ks.mode) || nla_put_u32(skb, CKPT_A_NLINK, ks.nlink)))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

int ckpt_nl_fd_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct task_struct *t = (struct task_struct *)cb->args[CKPT_CB_TASK];
	unsigned int fd = cb->args[CKPT_CB_CURSOR], max = 0;
	int n = 0, err = ckpt_nl_start_error(cb);
	char *buf;

	if (err)
		return err;
	if (cb->args[CKPT_CB_END])
		return 0;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		bool cloexec = false;
		struct file *f = ckpt_next_fd(t, &fd, &cloexec, &max);

		if (!f)
			break;
		if (IS_ERR(f)) {
			fd++;
			continue;
		}
		cb->seq = max;
		err = ckpt_fill_fd(skb, cb, fd, f, cloexec, buf);
		fput(f);
		if (err)
			break;
		n++;
		fd++;
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		cond_resched();
	}
	kfree(buf);
	if (err && !n)
		return err;
	cb->args[CKPT_CB_CURSOR] = fd;
	if (!err)
		cb->args[CKPT_CB_END] = 1;
	return err ? skb->len : 0;
}
