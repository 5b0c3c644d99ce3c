/* SPDX-License-Identifier: GPL-2.0 */
/* mm-PID.img and pagemap-PID.img <-> struct ckpt_mm (for img-task.c). */
#ifndef CKPT_IMG_MM_H
#define CKPT_IMG_MM_H

#include <sys/types.h>

#include "state.h"

#define CKPT_TASK_SIZE 0x7ffffffff000ULL /* x86_64 user space ends here (47 bits) */
#define CKPT_VSYSCALL_ADDR 0xffffffffff600000ULL

int ckpt_img_write_mm(int dirfd, pid_t pid, const struct ckpt_mm *mm);
int ckpt_img_write_pagemap(int dirfd, pid_t pid, const struct ckpt_mm *mm);
/* Read and check, logging once; the VMAs must be read before the page map. */
int ckpt_img_read_mm(int dirfd, pid_t pid, struct ckpt_mm *mm);
int ckpt_img_read_pagemap(int dirfd, pid_t pid, struct ckpt_mm *mm);

#endif
