// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "fd-event.h"
#include "log.h"
#include "util.h"

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif
#define MAX_EPOLL_TARGETS (1u << 20)

static const char *field(const char *info, const char *key)
{
	const char *p = info;
	size_t n = strlen(key);

	while (p && *p) {
		if (!strncmp(p, key, n))
			return p + n;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int ckpt_fdinfo_timerfd(pid_t pid, const char *info, struct ckpt_fd *f)
{
	const char *c = field(info, "clockid:"), *t = field(info, "ticks:");
	const char *fl = field(info, "settime flags:"), *v = field(info, "it_value:");
	const char *i = field(info, "it_interval:");
	unsigned long long vs, vn, is, in;

	if (!c || !t || !fl || !v || !i || sscanf(v, " (%llu, %llu)", &vs, &vn) != 2 ||
	    sscanf(i, " (%llu, %llu)", &is, &in) != 2) {
		pr_err("pid %d fd %d: timerfd state missing from fdinfo", pid, f->fd);
		return -EINVAL;
	}
	f->tfd_clock = atoi(c);
	f->tfd_ticks = strtoull(t, NULL, 10);
	f->tfd_settime_flags = strtoul(fl, NULL, 8);
	f->tfd_value_ns = vs * 1000000000ULL + vn;
	f->tfd_interval_ns = is * 1000000000ULL + in;
	return 0;
}

int ckpt_fdinfo_signalfd(pid_t pid, const char *info, struct ckpt_fd *f)
{
	const char *m = field(info, "sigmask:");

	if (!m) {
		pr_err("pid %d fd %d: signalfd mask missing from fdinfo", pid, f->fd);
		return -EINVAL;
	}
	f->sigmask = strtoull(m, NULL, 16);
	return 0;
}

static int by_tfd(const void *a, const void *b)
{
	const struct ckpt_epoll_target *x = a, *y = b;

	return (x->tfd > y->tfd) - (x->tfd < y->tfd);
}

int ckpt_fdinfo_epoll(pid_t pid, const char *info, struct ckpt_fd *f)
{
	const char *p = info;
	size_t cap = 0;

	while ((p = field(p, "tfd:"))) {
		struct ckpt_epoll_target *e;
		unsigned long long data, ino;
		unsigned int events, sdev;
		int tfd, err;

		if (sscanf(p, " %d events: %x data: %llx pos:%*d ino:%llx sdev:%x", &tfd, &events,
			   &data, &ino, &sdev) != 5) {
			pr_err("pid %d fd %d: cannot parse an epoll target in fdinfo", pid, f->fd);
			return -EINVAL;
		}
		err = ckpt_grow((void **)&f->epoll, &cap, f->n_epoll + 1, sizeof(*f->epoll));
		if (err)
			return err;
		e = &f->epoll[f->n_epoll++];
		e->tfd = tfd;
		e->events = events;
		e->data = data;
		e->ino = ino;
		e->dev = makedev(sdev >> 20, sdev & 0xfffff); /* the kernel's dev_t */
	}
	if (f->n_epoll)
		qsort(f->epoll, f->n_epoll, sizeof(*f->epoll), by_tfd);
	return 0;
}

static const struct ckpt_fd *find_fd(const struct ckpt_task *t, int fd)
{
	size_t i;

	for (i = 0; i < t->n_fds; i++)
		if (t->fds[i].fd == fd)
			return &t->fds[i];
	return NULL;
}

int ckpt_epoll_check(pid_t pid, const struct ckpt_task *t)
{
	size_t i, k;

	for (i = 0; i < t->n_fds; i++) {
		const struct ckpt_fd *f = &t->fds[i];

		for (k = 0; f->kind == CKPT_FD_EPOLL && k < f->n_epoll; k++) {
			const struct ckpt_epoll_target *e = &f->epoll[k];
			const struct ckpt_fd *g = find_fd(t, e->tfd);

			if (!g || g->file.ino != e->ino || g->file.dev != e->dev) {
				pr_err("pid %d fd %d: epoll watches a file that fd %d no longer is "
				       "(closed or replaced after it was added); not supported", pid,
				       f->fd, e->tfd);
				return -EOPNOTSUPP;
			}
		}
	}
	return 0;
}

int ckpt_fd_event_open(const struct ckpt_fd *f)
{
	int nonblock = (f->flags & O_NONBLOCK) ? 1 : 0, fd;

	switch (f->kind) {
	case CKPT_FD_TIMERFD: {
		/*
		 * A periodic timer that expired and was not read yet shows no time
		 * left (the kernel re-arms it on read): it is armed, next in an interval.
		 */
		uint64_t left = f->tfd_value_ns ?: f->tfd_interval_ns;
		struct itimerspec its = {
			.it_value = { left / 1000000000ULL, left % 1000000000ULL },
			.it_interval = { f->tfd_interval_ns / 1000000000ULL,
					 f->tfd_interval_ns % 1000000000ULL },
		};

		fd = timerfd_create(f->tfd_clock, nonblock ? TFD_NONBLOCK : 0);
		if (fd < 0)
			return -1;
		/* The time left, relative: what an absolute timer was set to comes to the same. */
		if ((left && timerfd_settime(fd, 0, &its, NULL)) ||
		    (f->tfd_ticks && ioctl(fd, TFD_IOC_SET_TICKS, &f->tfd_ticks))) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		return fd;
	}
	case CKPT_FD_SIGNALFD: {
		sigset_t set;
		int sig;

		sigemptyset(&set);
		for (sig = 1; sig <= 64; sig++)
			if (f->sigmask & (1ULL << (sig - 1)))
				sigaddset(&set, sig);
		return signalfd(-1, &set, nonblock ? SFD_NONBLOCK : 0);
	}
	case CKPT_FD_EPOLL:
		fd = epoll_create1(0);
		if (fd >= 0 && nonblock && fcntl(fd, F_SETFL, O_NONBLOCK)) {
			close(fd);
			return -1;
		}
		return fd;
	default:
		errno = EINVAL;
		return -1;
	}
}

int ckpt_epoll_restore(const struct ckpt_task *t)
{
	size_t i, k;

	for (i = 0; i < t->n_fds; i++) {
		const struct ckpt_fd *f = &t->fds[i];

		if (f->kind != CKPT_FD_EPOLL || f->dup_of >= 0 || f->parent_fd >= 0)
			continue;
		for (k = 0; k < f->n_epoll; k++) {
			struct epoll_event ev = { .events = f->epoll[k].events,
						  .data.u64 = f->epoll[k].data };

			if (epoll_ctl(f->fd, EPOLL_CTL_ADD, f->epoll[k].tfd, &ev)) {
				int err = -errno;

				pr_err("fd %d: cannot watch fd %d again with epoll: %s", f->fd,
				       f->epoll[k].tfd, strerror(errno));
				return err;
			}
		}
	}
	return 0;
}
