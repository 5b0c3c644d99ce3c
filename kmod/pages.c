// SPDX-License-Identifier: GPL-2.0
/*
 * Page presence of an address range as runs of pages with equal flags
 * (present, swapped, page cache, zero page), by walking the page tables
 * under the mmap lock (walk_page_range is not exported).  A dump: the
 * cursor is the next address; each message carries an array of runs.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/swap.h>
#include <linux/swapops.h>

#include "ckpt_kmod.h"

#define RUNS_PER_MSG 256

struct ckpt_walk {
	struct ckpt_genl_page_run runs[RUNS_PER_MSG];
	unsigned int n;
	unsigned long addr; /* walked up to here */
};

/* Adds pages; false when the run array is full (addr not consumed). */
static bool ckpt_add(struct ckpt_walk *w, unsigned long addr, unsigned long nr, u32 flags)
{
	struct ckpt_genl_page_run *r = w->n ? &w->runs[w->n - 1] : NULL;

	if (flags && r && r->flags == flags && r->start + ((u64)r->nr_pages << PAGE_SHIFT) == addr &&
	    r->nr_pages + nr <= U32_MAX) {
		r->nr_pages += nr;
	} else if (flags) {
		if (w->n == RUNS_PER_MSG)
			return false;
		r = &w->runs[w->n++];
		r->start = addr;
		r->nr_pages = nr;
		r->flags = flags;
	}
	w->addr = addr + (nr << PAGE_SHIFT);
	return true;
}

static u32 ckpt_pte_flags(struct vm_area_struct *vma, pte_t pte)
{
	if (pte_present(pte)) {
		unsigned long pfn = pte_pfn(pte);
		struct page *page;

		if (is_zero_pfn(pfn))
			return CKPT_PAGE_PRESENT | CKPT_PAGE_ZERO;
		if (pte_special(pte) || !pfn_valid(pfn))
			return CKPT_PAGE_PRESENT;
		page = pfn_to_page(pfn);
		return CKPT_PAGE_PRESENT | (PageAnon(page) ? 0 : CKPT_PAGE_FILE);
	}
	if (pte_none(pte))
		return 0;
	if (is_swap_pte(pte)) {
		swp_entry_t e = pte_to_swp_entry(pte);

		if (!non_swap_entry(e))
			return CKPT_PAGE_SWAPPED;
		if (is_migration_entry(e))
			return CKPT_PAGE_PRESENT;
	}
	return 0; /* pte markers and the like: nothing to save */
}

/*
 * Walks [addr, end) within one VMA; false when the run array filled up or
 * the CPU is wanted (the caller stops the message there, w->addr is exact).
 */
static bool ckpt_walk_vma(struct ckpt_walk *w, struct vm_area_struct *vma, unsigned long addr,
			  unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;

	if (vma->vm_flags & (VM_IO | VM_PFNMAP))
		return ckpt_add(w, addr, (end - addr) >> PAGE_SHIFT, 0);
	while (addr < end) {
		pgd_t *pgd = pgd_offset(mm, addr);
		unsigned long next;
		p4d_t *p4d;
		pud_t *pud;
		pmd_t *pmd, pmdv;
		pte_t *start_pte, *pte;
		spinlock_t *ptl;

		next = pgd_addr_end(addr, end);
		if (pgd_none(*pgd) || pgd_bad(*pgd))
			goto skip;
		p4d = p4d_offset(pgd, addr);
		next = p4d_addr_end(addr, end);
		if (p4d_none(*p4d) || p4d_bad(*p4d))
			goto skip;
		pud = pud_offset(p4d, addr);
		next = pud_addr_end(addr, end);
		if (pud_none(*pud))
			goto skip;
		if (pud_large(*pud)) {
			if (!ckpt_add(w, addr, (next - addr) >> PAGE_SHIFT, CKPT_PAGE_PRESENT))
				return false;
			addr = next;
			continue;
		}
		if (pud_bad(*pud))
			goto skip;
		pmd = pmd_offset(pud, addr);
		next = pmd_addr_end(addr, end);
		pmdv = READ_ONCE(*pmd);
		if (pmd_none(pmdv))
			goto skip;
		if (pmd_trans_huge(pmdv) || pmd_devmap(pmdv) || is_swap_pmd(pmdv)) {
			u32 fl = CKPT_PAGE_PRESENT;

			if (pmd_present(pmdv) && !pmd_devmap(pmdv) && !PageAnon(pmd_page(pmdv)))
				fl |= CKPT_PAGE_FILE;
			if (!ckpt_add(w, addr, (next - addr) >> PAGE_SHIFT, fl))
				return false;
			addr = next;
			continue;
		}
		if (pmd_bad(pmdv))
			goto skip;
		start_pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
		for (pte = start_pte; addr < next; pte++, addr += PAGE_SIZE) {
			if (!ckpt_add(w, addr, 1, ckpt_pte_flags(vma, *pte))) {
				pte_unmap_unlock(start_pte, ptl);
				return false;
			}
		}
		pte_unmap_unlock(start_pte, ptl);
		if (need_resched())
			return false; /* the dump resumes at w->addr */
		continue;
skip:
		ckpt_add(w, addr, (next - addr) >> PAGE_SHIFT, 0);
		addr = next;
	}
	return true;
}

int ckpt_nl_pages_get_start(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct netlink_ext_ack ea = {};
	struct task_struct *t;
	struct mm_struct *mm;
	u64 start, end;

	if (!info->attrs[CKPT_A_PID] || !info->attrs[CKPT_A_START] || !info->attrs[CKPT_A_END]) {
		NL_SET_ERR_MSG(&ea, "missing attribute: pid, start and end are required");
		return ckpt_nl_start_failed(cb, -EINVAL, &ea);
	}
	start = nla_get_u64(info->attrs[CKPT_A_START]);
	end = nla_get_u64(info->attrs[CKPT_A_END]);
	if (start >= end || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(end) ||
	    end > TASK_SIZE_MAX || end - start > CKPT_PAGES_MAX_RANGE) {
		NL_SET_ERR_MSG(&ea, "bad range: start < end, page aligned, user addresses");
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
	cb->args[CKPT_CB_CURSOR] = start;
	cb->args[CKPT_CB_END] = end;
	return 0;
}

int ckpt_nl_pages_get_done(struct netlink_callback *cb)
{
	return ckpt_nl_vma_get_done(cb);
}

int ckpt_nl_pages_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct mm_struct *mm = (struct mm_struct *)cb->args[CKPT_CB_MM];
	unsigned long addr = cb->args[CKPT_CB_CURSOR], end = cb->args[CKPT_CB_END];
	struct vm_area_struct *vma;
	struct ckpt_walk *w;
	bool full = false;
	void *hdr;
	int err = ckpt_nl_start_error(cb);

	if (err)
		return err;
	if (addr >= end)
		return 0;
	w = kvzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	w->addr = addr;
	if (mmap_read_lock_killable(mm)) {
		kvfree(w);
		return -EINTR;
	}
	cb->seq = mm->map_count ^ (u32)(mm->total_vm << 8);
	{
		VMA_ITERATOR(vmi, mm, addr);

		for_each_vma_range(vmi, vma, end) {
			unsigned long s = max(vma->vm_start, w->addr), e = min(vma->vm_end, end);

			if (!ckpt_walk_vma(w, vma, s, e)) {
				full = true;
				break;
			}
			if (need_resched()) {
				full = w->addr < end; /* let others run; resume at w->addr */
				break;
			}
		}
	}
	mmap_read_unlock(mm);
	if (!full)
		w->addr = end;
	err = -EMSGSIZE;
	hdr = ckpt_nl_put_hdr(skb, cb, CKPT_CMD_PAGES_GET);
	if (!hdr)
		goto out;
	if (nla_put_u64_64bit(skb, CKPT_A_START, addr, CKPT_A_PAD) ||
	    nla_put_u64_64bit(skb, CKPT_A_END, w->addr, CKPT_A_PAD) ||
	    nla_put(skb, CKPT_A_RUNS, w->n * sizeof(w->runs[0]), w->runs)) {
		genlmsg_cancel(skb, hdr);
		goto out;
	}
	genlmsg_end(skb, hdr);
	cb->args[CKPT_CB_CURSOR] = w->addr;
	err = w->addr < end ? skb->len : 0;
out:
	kvfree(w);
	return err;
}
