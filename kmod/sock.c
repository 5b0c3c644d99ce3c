// SPDX-License-Identifier: GPL-2.0
/* One socket fd: family, type, state, addresses; TCP windows and sequence numbers. */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/net.h>
#include <linux/sched/task.h>
#include <linux/socket.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "ckpt_kmod.h"

static struct file *ckpt_task_fget(struct task_struct *t, unsigned int fd)
{
	unsigned int n = fd;
	struct file *f;

	rcu_read_lock();
	f = task_lookup_next_fd_rcu(t, &n);
	if (f && (n != fd || !get_file_rcu(f)))
		f = NULL;
	rcu_read_unlock();
	return f;
}

static int ckpt_put_tcp(struct sk_buff *skb, struct sock *sk)
{
	struct ckpt_genl_tcp_seq seq;
	struct tcp_info ti;
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_get_info(sk, &ti); /* takes the socket lock itself when needed */
	lock_sock(sk);
	seq.write_seq = tp->write_seq;
	seq.snd_una = tp->snd_una;
	seq.snd_nxt = tp->snd_nxt;
	seq.rcv_nxt = tp->rcv_nxt;
	seq.copied_seq = tp->copied_seq;
	seq.snd_wnd = tp->snd_wnd;
	seq.rcv_wnd = tp->rcv_wnd;
	seq.mss_cache = tp->mss_cache;
	release_sock(sk);
	if (nla_put(skb, CKPT_A_TCP_INFO, sizeof(ti), &ti) ||
	    nla_put(skb, CKPT_A_TCP_SEQ, sizeof(seq), &seq))
		return -EMSGSIZE;
	return 0;
}

static int ckpt_fill_sock(struct sk_buff *skb, struct socket *sock)
{
	struct sockaddr_storage addr;
	struct sock *sk = sock->sk;
	int len;

	if (!sk)
		return -ENOTCONN;
	if (nla_put_u32(skb, CKPT_A_SK_FAMILY, sk->sk_family) ||
	    nla_put_u32(skb, CKPT_A_SK_TYPE, sk->sk_type) ||
	    nla_put_u32(skb, CKPT_A_SK_PROTO, sk->sk_protocol) ||
	    nla_put_u32(skb, CKPT_A_SK_STATE, sk->sk_state))
		return -EMSGSIZE;
	len = kernel_getsockname(sock, (struct sockaddr *)&addr);
	if (len > 0 && nla_put(skb, CKPT_A_SK_LOCAL, len, &addr))
		return -EMSGSIZE;
	len = kernel_getpeername(sock, (struct sockaddr *)&addr);
	if (len > 0 && nla_put(skb, CKPT_A_SK_PEER, len, &addr))
		return -EMSGSIZE;
	if ((sk->sk_family == AF_INET || sk->sk_family == AF_INET6) &&
	    sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP)
		return ckpt_put_tcp(skb, sk);
	return 0;
}

int ckpt_nl_sock_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct task_struct *t;
	struct sk_buff *msg;
	struct socket *sock;
	struct file *f;
	void *hdr;
	int err;

	if (!CKPT_REQUIRE(info, CKPT_A_PID, "pid") || !CKPT_REQUIRE(info, CKPT_A_FD, "fd"))
		return -EINVAL;
	t = ckpt_task_lookup(nla_get_u32(info->attrs[CKPT_A_PID]), info->extack);
	if (IS_ERR(t))
		return PTR_ERR(t);
	err = -EBADF;
	f = ckpt_task_fget(t, nla_get_u32(info->attrs[CKPT_A_FD]));
	if (!f) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CKPT_A_FD], "no such fd");
		goto out_put_task;
	}
	err = -ENOTSOCK;
	sock = sock_from_file(f);
	if (!sock) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CKPT_A_FD], "fd is not a socket");
		goto out_fput;
	}
	err = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto out_fput;
	hdr = genlmsg_put_reply(msg, info, &ckpt_genl_family, 0, CKPT_CMD_SOCK_GET);
	if (!hdr)
		goto out_free_msg;
	err = nla_put_u32(msg, CKPT_A_FD, nla_get_u32(info->attrs[CKPT_A_FD]));
	if (!err)
		err = ckpt_fill_sock(msg, sock);
	if (err) {
		NL_SET_ERR_MSG(info->extack, "cannot describe the socket");
		goto out_free_msg;
	}
	genlmsg_end(msg, hdr);
	fput(f);
	put_task_struct(t);
	return genlmsg_reply(msg, info);

out_free_msg:
	nlmsg_free(msg);
out_fput:
	fput(f);
out_put_task:
	put_task_struct(t);
	return err;
}
