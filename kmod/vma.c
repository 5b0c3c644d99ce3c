// SPDX-License-Identifier: GPL-2.0
/*
 * The memory layout: mm bounds, auxv and exe (CKPT_CMD_MM_GET), and the VMA
 * list as a dump with the next start address as cursor (CKPT_CMD_VMA_GET).
 */
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "ckpt_kmod.h"

u64 ckpt_encode_dev(dev_t dev)
{
	return new_encode_dev(dev); /* what stat(2) reports on 64-bit */
}

/* File identity as stat(2) on the file would report it. */
static int ckpt_put_file_id(struct sk_buff *skb, struct file *f)
{
	struct kstat ks;
	int err;

	err = vfs_getattr(&f->f_path, &ks, STATX_BASIC_STATS, AT_STATX_SYNC_AS_STAT);
	if (err)
		return 0; /* identity unknown: the client sees no CKPT_A_INO */
	if (nla_put_u64_64bit(skb, CKPT_A_DEV, ckpt_encode_dev(ks.dev), CKPT_A_PAD) ||
	    nla_put_u64_64bit(skb, CKPT_A_INO, ks.ino, CKPT_A_PAD) ||
	    nla_put_u64_64bit(skb, CKPT_A_SIZE, ks.size, CKPT_A_PAD) ||
	    nla_put_u64_64bit(skb, CKPT_A_RDEV, ckpt_encode_dev(ks.rdev), CKPT_A_PAD) ||
	    nla_put_u32(skb, CKPT_A_MODE, ks.mode) || nla_put_u32(skb, CKPT_A_NLINK, ks.nlink))
		return -EMSGSIZE;
	return 0;
}

int ckpt_nl_mm_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ckpt_genl_mm gm = {};
	struct task_struct *t;
	struct mm_struct *mm;
	struct file *exe = NULL;
	struct sk_buff *msg;
	char *buf, *path;
	void *hdr;
	int err;

	if (!CKPT_REQUIRE(info, CKPT_A_PID, "pid"))
		return -EINVAL;
	t = ckpt_task_lookup(nla_get_u32(info->attrs[CKPT_A_PID]), info->extack);
	if (IS_ERR(t))
		return PTR_ERR(t);
	mm = ckpt_task_mm(t, info->extack);
	err = PTR_ERR(mm);
	if (IS_ERR(mm))
		goto out_put_task;
	err = -ENOMEM;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		goto out_put_mm;
	msg = genlmsg_new(NLMSG_GOODSIZE + PATH_MAX + sizeof(mm->saved_auxv), GFP_KERNEL);
	if (!msg)
		goto out_free_buf;
	hdr = genlmsg_put_reply(msg, info, &ckpt_genl_family, 0, CKPT_CMD_MM_GET);
	if (!hdr)
		goto out_free_msg;
	mmap_read_lock(mm);
	gm.start_code = mm->start_code;
	gm.end_code = mm->end_code;
	gm.start_data = mm->start_data;
	gm.end_data = mm->end_data;
	gm.start_brk = mm->start_brk;
	gm.brk = mm->brk;
	gm.start_stack = mm->start_stack;
	gm.arg_start = mm->arg_start;
	gm.arg_end = mm->arg_end;
	gm.env_start = mm->env_start;
	gm.env_end = mm->env_end;
	exe = mm->exe_file;
	if (exe)
		get_file(exe);
	mmap_read_unlock(mm);
	err = -EMSGSIZE;
	if (nla_put(msg, CKPT_A_MM, sizeof(gm), &gm) ||
	    nla_put(msg, CKPT_A_AUXV, sizeof(mm->saved_auxv), mm->saved_auxv))
		goto out_fput;
	if (exe) {
		path = d_path(&exe->f_path, buf, PATH_MAX);
		if (!IS_ERR(path) && nla_put_string(msg, CKPT_A_PATH, path))
			goto out_fput;
		if (ckpt_put_file_id(msg, exe))
			goto out_fput;
		fput(exe);
	}
	genlmsg_end(msg, hdr);
	kfree(buf);
	mmput(mm);
	put_task_struct(t);
	return genlmsg_reply(msg, info);

out_fput:
	if (exe)
		fput(exe);
out_free_msg:
	nlmsg_free(msg);
out_free_buf:
	kfree(buf);
out_put_mm:
	mmput(mm);
out_put_task:
	put_task_struct(t);
	return err;
}

/* ---- VMA list -------------------------------------------------------- */

int ckpt_nl_vma_get_start(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct netlink_ext_ack ea = {};
	struct task_struct *t;
	struct mm_struct *mm;

	if (!info->attrs[CKPT_A_PID]) {
		NL_SET_ERR_MSG(&ea, "missing attribute: pid");
		return ckpt_nl_start_failed(cb, -EINVAL, &ea);
	}
	t = ckpt_task_lookup(nla_get_u32(info->attrs[CKPT_A_PID]), &ea);
	if (IS_ERR(t))
		return ckpt_nl_start_failed(cb, PTR_ERR(t), &ea);
	mm = ckpt_task_mm(t, &ea);
	if (IS_ERR(mm)) {
		put_task_struct(t);
		return ckpt_nl_start_failed(cb, PTR_ERR(mm), &ea);
	}
	cb->args[CKPT_CB_TASK] = (long)t;
	cb->args[CKPT_CB_MM] = (long)mm;
	cb->args[CKPT_CB_CURSOR] = 0;
	return 0;
}

int ckpt_nl_vma_get_done(struct netlink_callback *cb)
{
	struct task_struct *t = (struct task_struct *)cb->args[CKPT_CB_TASK];
	struct mm_struct *mm = (struct mm_struct *)cb->args[CKPT_CB_MM];

	if (mm)
		mmput(mm);
	if (t)
		put_task_struct(t);
	return 0;
}

static u64 ckpt_vm_flags(unsigned long f, bool file)
{
	static const struct {
		unsigned long vm;
		u64 ckpt;
	} map[] = {
		{ VM_SHARED, CKPT_VM_SHARED },       { VM_GROWSDOWN, CKPT_VM_GROWSDOWN },
		{ VM_DONTCOPY, CKPT_VM_DONTCOPY },   { VM_WIPEONFORK, CKPT_VM_WIPEONFORK },
		{ VM_DONTDUMP, CKPT_VM_DONTDUMP },   { VM_HUGEPAGE, CKPT_VM_HUGEPAGE },
		{ VM_NOHUGEPAGE, CKPT_VM_NOHUGEPAGE }, { VM_LOCKED, CKPT_VM_LOCKED },
		{ VM_RAND_READ, CKPT_VM_RAND_READ }, { VM_SEQ_READ, CKPT_VM_SEQ_READ },
		{ VM_MERGEABLE, CKPT_VM_MERGEABLE }, { VM_MAYWRITE, CKPT_VM_MAYWRITE },
		{ VM_ACCOUNT, CKPT_VM_ACCOUNT },     { VM_IO | VM_PFNMAP, CKPT_VM_IO },
		{ VM_MAYSHARE, CKPT_VM_MAYSHARE },
	};
	u64 r = file ? CKPT_VM_FILE : 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (f & map[i].vm)
			r |= map[i].ckpt;
	return r;
}

/* The name /proc/PID/maps shows for a VMA without a file, or NULL. */
static const char *ckpt_vma_anon_name(struct vm_area_struct *vma, char *buf, size_t len)
{
	struct mm_struct *mm = vma->vm_mm;

	if (vma->vm_ops && vma->vm_ops->name)
		return vma->vm_ops->name(vma); /* [vdso], [vvar] (special mappings) */
	if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk)
		return "[heap]";
	if (vma->vm_start <= vma->vm_mm->start_stack && vma->vm_end >= vma->vm_mm->start_stack)
		return "[stack]";
#ifdef CONFIG_ANON_VMA_NAME
	if (vma->anon_name) {
		snprintf(buf, len, "[anon:%s]", vma->anon_name->name);
		return buf;
	}
#endif
	return NULL;
}

static int ckpt_fill_vma(struct sk_buff *skb, struct netlink_callback *cb,
			 struct vm_area_struct *vma, char *buf)
{
	unsigned long f = vma->vm_flags;
	const char *name = NULL;
	void *hdr;
	u32 prot;

	hdr = ckpt_nl_put_hdr(skb, cb, CKPT_CMD_VMA_GET);
	if (!hdr)
		return -EMSGSIZE;
	prot = (f & VM_READ ? PROT_READ : 0) | (f & VM_WRITE ? PROT_WRITE : 0) |
	       (f & VM_EXEC ? PROT_EXEC : 0);
	if (vma->vm_file) {
		name = d_path(&vma->vm_file->f_path, buf, PATH_MAX);
		if (IS_ERR(name))
			name = NULL;
	} else {
		name = ckpt_vma_anon_name(vma, buf, PATH_MAX);
	}
	if (nla_put_u64_64bit(skb, CKPT_A_START, vma->vm_start, CKPT_A_PAD) ||
	    nla_put_u64_64bit(skb, CKPT_A_END, vma->vm_end, CKPT_A_PAD) ||
	    nla_put_u64_64bit(skb, CKPT_A_PGOFF,
			      vma->vm_file ? (u64)vma->vm_pgoff << PAGE_SHIFT : 0, CKPT_A_PAD) ||
	    nla_put_u32(skb, CKPT_A_PROT, prot) ||
	    nla_put_u64_64bit(skb, CKPT_A_VM_FLAGS, ckpt_vm_flags(f, vma->vm_file), CKPT_A_PAD) ||
	    (name && nla_put_string(skb, CKPT_A_NAME, name)) ||
	    (vma->vm_file && ckpt_put_file_id(skb, vma->vm_file))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

int ckpt_nl_vma_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct mm_struct *mm = (struct mm_struct *)cb->args[CKPT_CB_MM];
	unsigned long addr = cb->args[CKPT_CB_CURSOR];
	struct vm_area_struct *vma;
	int n = 0, err = ckpt_nl_start_error(cb);
	char *buf;

	if (err)
		return err;
	if (addr == ULONG_MAX)
		return 0;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (mmap_read_lock_killable(mm)) {
		kfree(buf);
		return -EINTR;
	}
	/* Changes of the layout between parts of the dump flag NLM_F_DUMP_INTR. */
	cb->seq = mm->map_count ^ (u32)(mm->total_vm << 8);
	{
		VMA_ITERATOR(vmi, mm, addr);

		for_each_vma(vmi, vma) {
			err = ckpt_fill_vma(skb, cb, vma, buf);
			if (err)
				break;
			addr = vma->vm_end;
			n++;
		}
	}
	mmap_read_unlock(mm);
	kfree(buf);
	if (err && !n)
		return err; /* one VMA larger than a message: cannot happen with PATH_MAX names */
	cb->args[CKPT_CB_CURSOR] = err ? addr : ULONG_MAX;
	return err ? skb->len : 0;
}
