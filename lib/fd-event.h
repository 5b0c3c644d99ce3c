/* SPDX-License-Identifier: GPL-2.0 */
/* Event descriptors: timerfd, signalfd and epoll, from fdinfo and back. */
#ifndef CKPT_FD_EVENT_H
#define CKPT_FD_EVENT_H

#include "state.h"

/* Fill f from /proc/PID/fdinfo/N text; one error naming pid and fd. */
int ckpt_fdinfo_timerfd(pid_t pid, const char *info, struct ckpt_fd *f);
int ckpt_fdinfo_signalfd(pid_t pid, const char *info, struct ckpt_fd *f);
int ckpt_fdinfo_epoll(pid_t pid, const char *info, struct ckpt_fd *f);
/* Every epoll target is an fd of t that is still the file it registered. */
int ckpt_epoll_check(pid_t pid, const struct ckpt_task *t);

/* A new timerfd, signalfd or (empty) epoll fd for f; -1 and errno on failure. */
int ckpt_fd_event_open(const struct ckpt_fd *f);
/* Once every fd of t is back: register each epoll fd's targets. */
int ckpt_epoll_restore(const struct ckpt_task *t);

#endif
