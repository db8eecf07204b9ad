// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The load balancer's backend (TCX ingress): a mux's packet (GUE variant 0 to
 * IPLB_GUE_PORT, kernel/iplb_lb_layout.h) for a VIP configured here loses its
 * outer headers and goes to the local stack, where the VIP is bound on lo and
 * the reply goes straight to the client. Unless, for TCP, the packet belongs
 * to a connection the previous owner of its bucket holds. The decision order
 * is GLB's and Beamer's:
 *
 *   1. a SYN is delivered locally;
 *   2. a packet of a socket this host has (established, request, time-wait;
 *      bpf_skc_lookup_tcp) is delivered locally;
 *   3. an ACK carrying a valid SYN cookie of a local listener is delivered
 *      locally;
 *   4. if the mux named a previous DIP that is not this host, the change is
 *      younger than the daisy timeout, and no backend chained the packet
 *      before, it is sent on to the previous DIP (one hop, marked chained);
 *   5. a packet stamped with an older map generation than this host has seen
 *      for the VIP is dropped: a slow mux must not have connections reset;
 *   6. otherwise it is delivered locally, and the stack answers (a reset).
 *
 * UDP is delivered locally: a datagram carries no connection state to look
 * up. An ICMP error about a VIP flow is judged by the flow it quotes, as TCP
 * from step 2 on (a SYN and a cookie do not apply).
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "compat.h"
#include "encap.h"
#include "iplb_lb_layout.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IPLB_LB_MAX_VIPS);
	__type(key, struct iplb_vip_key);
	__type(value, struct iplb_backend_vip);
} iplb_backend_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iplb_backend_config);
} iplb_backend_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iplb_backend_counters);
} iplb_backend_counters SEC(".maps");

#define NSEC_PER_SEC 1000000000ULL

/* What the mux wrote, and where the inner packet starts. */
struct lb_tunnel {
	struct tunnel_info outer; /* outer_len: up to the inner packet */
	struct iplb_lb_private private;
	__u32 previous[4]; /* IPv4 in [0]; zero: none */
	__u8 inner_v6;
};

/* The inner packet, as the decisions need it: the flow (client -> VIP, for an
 * ICMP error the flow it quotes), its TCP flags, where its headers are. */
struct inner {
	struct bpf_sock_tuple tuple;
	__u8 protocol; /* of the flow */
	__u8 icmp;     /* an ICMP error quoting the flow */
	__u8 tcp_flags;
	__u8 ip_len;  /* of the inner IP header */
	__u8 tcp_len; /* of the TCP header, 0: not TCP */
	__be16 vip_port;
	__u32 vip[4];
};

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

/* GUE variant 0 with our private data after the outer UDP header; fills t.
 * 1 ours, 0 not ours (pass on), -1 ours but malformed. */
static __always_inline int parse_lb_tunnel(void *data, void *data_end,
					   struct lb_tunnel *t)
{
	if (!parse_tunnel(data, data_end, &t->outer) ||
	    t->outer.protocol != IPPROTO_UDP || t->outer.fragment ||
	    t->outer.bad_header)
		return 0;

	const __u8 *gue = data + sizeof(struct ethhdr) + t->outer.outer_len;

	if ((void *)(gue + 1) > data_end || (*gue >> 6) != 0)
		return 0; /* GUE variant 1: a host's tunnel, not ours */

	const __u32 previous_len = t->outer.outer_v6 ? 16 : 4;
	const struct iplb_gue_header *header = (const void *)gue;
	const struct iplb_lb_private *private = (const void *)(header + 1);

	if ((void *)(private + 1) > data_end)
		return -1;
	if (private->kind != IPLB_LB_GUE_KIND)
		return 0;
	if ((header->hlen & 0x1f) !=
		    (sizeof(struct iplb_lb_private) + previous_len) / 4 ||
	    header->flags ||
	    (header->proto != IPPROTO_IPIP && header->proto != IPPROTO_IPV6))
		return -1;

	const __u8 *previous = (const void *)(private + 1);

	if ((void *)(previous + 16) > data_end)
		return -1;
	t->private = *private;
	t->inner_v6 = header->proto == IPPROTO_IPV6;
	if (t->outer.outer_v6)
		__builtin_memcpy(t->previous, previous, 16);
	else
		__builtin_memcpy(t->previous, previous, 4);
	t->outer.outer_len += sizeof(*header) + sizeof(*private) + previous_len;
	return 1;
}

/* The flow of an inner IPv4 packet at ip: its own, or the one an ICMP
 * "fragmentation needed" quotes. false: not one we can judge. */
static __always_inline bool inner_ipv4(const struct iphdr *ip, void *data_end,
				       struct inner *in)
{
	if ((void *)(ip + 1) > data_end || !ipv4_header_sane(ip) ||
	    ipv4_is_fragment(ip) || ip->ihl != 5)
		return false;
	in->ip_len = sizeof(*ip);
	if (ip->protocol == IPPROTO_ICMP) {
		const struct icmp_error *icmp = (const void *)(ip + 1);
		const struct iphdr *quoted = (const void *)(icmp + 1);

		if ((void *)(quoted + 1) > data_end ||
		    icmp->type != IPLB_ICMP_DEST_UNREACH ||
		    icmp->code != IPLB_ICMP_FRAG_NEEDED || quoted->ihl != 5)
			return false;

		const __be16 *ports = (const void *)(quoted + 1);

		if ((void *)(ports + 2) > data_end)
			return false;
		in->icmp = 1;
		in->protocol = quoted->protocol;
		in->tuple.ipv4.saddr = quoted->daddr;
		in->tuple.ipv4.daddr = quoted->saddr;
		in->tuple.ipv4.sport = ports[1];
		in->tuple.ipv4.dport = ports[0];
		in->vip[0] = quoted->saddr;
		in->vip_port = ports[0];
		return true;
	}
	const __be16 *ports = (const void *)(ip + 1);

	if ((void *)(ports + 2) > data_end)
		return false;
	in->protocol = ip->protocol;
	in->tuple.ipv4.saddr = ip->saddr;
	in->tuple.ipv4.daddr = ip->daddr;
	in->tuple.ipv4.sport = ports[0];
	in->tuple.ipv4.dport = ports[1];
	in->vip[0] = ip->daddr;
	in->vip_port = ports[1];
	if (ip->protocol == IPPROTO_TCP) {
		const struct tcphdr *tcp = (const void *)(ip + 1);

		if ((void *)(tcp + 1) > data_end)
			return false;
		in->tcp_flags = ((const __u8 *)tcp)[13];
		in->tcp_len = tcp->doff * 4;
	}
	return true;
}

static __always_inline bool inner_ipv6(const struct ipv6hdr *ip6,
				       void *data_end, struct inner *in)
{
	if ((void *)(ip6 + 1) > data_end || !ipv6_header_sane(ip6))
		return false;
	in->ip_len = sizeof(*ip6);
	if (ip6->nexthdr == IPPROTO_ICMPV6) {
		const struct icmp_error *icmp = (const void *)(ip6 + 1);
		const struct ipv6hdr *quoted = (const void *)(icmp + 1);

		if ((void *)(quoted + 1) > data_end ||
		    icmp->type != IPLB_ICMPV6_PKT_TOOBIG)
			return false;

		const __be16 *ports = (const void *)(quoted + 1);

		if ((void *)(ports + 2) > data_end)
			return false;
		in->icmp = 1;
		in->protocol = quoted->nexthdr;
		__builtin_memcpy(in->tuple.ipv6.saddr, &quoted->daddr, 16);
		__builtin_memcpy(in->tuple.ipv6.daddr, &quoted->saddr, 16);
		in->tuple.ipv6.sport = ports[1];
		in->tuple.ipv6.dport = ports[0];
		__builtin_memcpy(in->vip, &quoted->saddr, 16);
		in->vip_port = ports[0];
		return true;
	}
	const __be16 *ports = (const void *)(ip6 + 1);

	if ((void *)(ports + 2) > data_end)
		return false;
	in->protocol = ip6->nexthdr;
	__builtin_memcpy(in->tuple.ipv6.saddr, &ip6->saddr, 16);
	__builtin_memcpy(in->tuple.ipv6.daddr, &ip6->daddr, 16);
	in->tuple.ipv6.sport = ports[0];
	in->tuple.ipv6.dport = ports[1];
	__builtin_memcpy(in->vip, &ip6->daddr, 16);
	in->vip_port = ports[1];
	if (ip6->nexthdr == IPPROTO_TCP) {
		const struct tcphdr *tcp = (const void *)(ip6 + 1);

		if ((void *)(tcp + 1) > data_end)
			return false;
		in->tcp_flags = ((const __u8 *)tcp)[13];
		in->tcp_len = tcp->doff * 4;
	}
	return true;
}

static __always_inline struct iplb_backend_vip *find_vip(const struct inner *in,
							 bool v6)
{
	struct iplb_vip_key key = { .port = in->vip_port,
				    .protocol = in->protocol,
				    .v6 = v6 };
	struct iplb_backend_vip *vip;

	__builtin_memcpy(key.addr, in->vip, sizeof(key.addr));
	vip = bpf_map_lookup_elem(&iplb_backend_vips, &key);
	if (vip)
		return vip;
	key.port = 0;
	return bpf_map_lookup_elem(&iplb_backend_vips, &key);
}

/* Steps 2 and 3: a local socket has the flow, or (a plain ACK) it carries a
 * valid SYN cookie of the local listener. 1 socket, 2 cookie, 0 neither. */
static __always_inline int local_connection(struct __sk_buff *skb,
					    struct inner *in, bool v6,
					    __u32 inner_off)
{
	const __u32 tuple_len =
		v6 ? sizeof(in->tuple.ipv6) : sizeof(in->tuple.ipv4);
	struct bpf_sock *sk = bpf_skc_lookup_tcp(skb, &in->tuple, tuple_len,
						 BPF_F_CURRENT_NETNS, 0);
	int found = 0;

	if (!sk)
		return 0;
	if (sk->state != BPF_TCP_LISTEN) {
		found = 1;
	} else if (!in->icmp &&
		   (in->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_RST |
				     TCP_FLAG_ACK)) == TCP_FLAG_ACK &&
		   in->tcp_len >= sizeof(struct tcphdr)) {
		void *data = (void *)(long)skb->data;
		void *data_end = (void *)(long)skb->data_end;
		void *ip = data + (inner_off & 0xff);
		const __u32 ip_len =
			v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
		struct tcphdr *tcp = ip + ip_len;

		if ((void *)(tcp + 1) <= data_end &&
		    !bpf_tcp_check_syncookie(sk, ip, ip_len, tcp, sizeof(*tcp)))
			found = 2;
	}
	bpf_sk_release(sk);
	return found;
}

/* Step 4's conditions, but the chained mark. */
static __always_inline bool chain_wanted(const struct lb_tunnel *t,
					 const struct iplb_backend_config *cfg)
{
	const __u32 words = t->outer.outer_v6 ? 4 : 1;
	bool any = false, self = true;

	for (__u32 i = 0; i < 4; i++) {
		if (i >= words)
			break;
		any |= t->previous[i] != 0;
		self &= t->previous[i] == t->outer.daddr[i];
	}
	if (!any || self || !t->private.changed_at)
		return false;

	const __u64 now =
		(bpf_ktime_get_boot_ns() + cfg->clock_offset_ns) / NSEC_PER_SEC;
	const __s64 age = (__s64)now - (__s64)bpf_ntohl(t->private.changed_at);

	return age < (__s64)cfg->daisy_timeout;
}

/* Step 4: the outer header now goes from this host to the previous DIP, the
 * private data says chained, and the FIB's next hop takes it (out of the
 * interface it came in on). */
static __always_inline int chain(struct __sk_buff *skb,
				 const struct lb_tunnel *t)
{
	const __u32 ip_len = t->outer.ip_len;
	const __u32 flags_off = sizeof(struct ethhdr) + ip_len +
				sizeof(struct udphdr) +
				sizeof(struct iplb_gue_header) +
				offsetof(struct iplb_lb_private, flags);
	const __u8 flags = t->private.flags | IPLB_LB_CHAINED;
	struct bpf_fib_lookup fib = {
		.family = t->outer.outer_v6 ? AF_INET6 : AF_INET,
		.ifindex = skb->ifindex,
	};

	if (bpf_skb_store_bytes(skb, flags_off, &flags, 1, 0))
		return -1;
	if (t->outer.outer_v6) {
		const __u32 off =
			sizeof(struct ethhdr) + offsetof(struct ipv6hdr, saddr);

		/* A fresh hop limit, as IPv4's TTL below: this host sends
		 * the packet anew. */
		const __u32 hop_off = sizeof(struct ethhdr) +
				      offsetof(struct ipv6hdr, hop_limit);
		const __u8 hop_limit = 64;

		if (bpf_skb_store_bytes(skb, off, t->outer.daddr, 16, 0) ||
		    bpf_skb_store_bytes(skb, off + 16, t->previous, 16, 0) ||
		    bpf_skb_store_bytes(skb, hop_off, &hop_limit, 1, 0))
			return -1;
		__builtin_memcpy(fib.ipv6_src, t->outer.daddr, 16);
		__builtin_memcpy(fib.ipv6_dst, t->previous, 16);
	} else {
		void *data = (void *)(long)skb->data;
		void *data_end = (void *)(long)skb->data_end;
		struct iphdr *ip = data + sizeof(struct ethhdr);
		struct iphdr header;

		if ((void *)(ip + 1) > data_end)
			return -1;
		header = *ip;
		header.saddr = t->outer.daddr[0];
		header.daddr = t->previous[0];
		header.ttl = 64;
		header.check = 0;
		header.check = ipv4_header_checksum(&header);
		if (bpf_skb_store_bytes(skb, sizeof(struct ethhdr), &header,
					sizeof(header), 0))
			return -1;
		fib.ipv4_src = header.saddr;
		fib.ipv4_dst = header.daddr;
	}
	if (bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_OUTPUT) !=
	    BPF_FIB_LKUP_RET_SUCCESS)
		return -1;

	struct bpf_redir_neigh nh = { .nh_family = fib.family };

	if (t->outer.outer_v6)
		__builtin_memcpy(nh.ipv6_nh, fib.ipv6_dst, 16);
	else
		nh.ipv4_nh = fib.ipv4_dst;
	return (int)bpf_redirect_neigh(fib.ifindex, &nh, sizeof(nh), 0);
}

/* Decapsulates for the local stack. */
static __always_inline int deliver(struct __sk_buff *skb,
				   const struct lb_tunnel *t,
				   struct iplb_backend_counters *c,
				   __u64 *reason)
{
	const int done = decapsulate_skb(skb, &t->outer, t->inner_v6);

	if (done > 0) {
		c->dropped_malformed++;
		return TC_ACT_SHOT;
	}
	if (done < 0)
		return TC_ACT_SHOT; /* half-done: must not go on */
	c->delivered++;
	*reason += 1;
	return TCX_PASS;
}

SEC("tc")
int iplb_backend_ingress(struct __sk_buff *skb)
{
	const __u32 zero = 0;
	struct iplb_backend_counters *c =
		bpf_map_lookup_elem(&iplb_backend_counters, &zero);
	const struct iplb_backend_config *cfg =
		bpf_map_lookup_elem(&iplb_backend_config, &zero);
	struct lb_tunnel t = {};
	struct inner in = {};

	if (!c || !cfg)
		return TCX_NEXT;
	/* The headers the decisions read, linear: Ethernet, the outer
	 * headers (at most 80 bytes), IPv6 and TCP with options, or ICMP and
	 * the quoted headers. */
	const __u32 wanted = sizeof(struct ethhdr) + 80 + 40 + 60;

	bpf_skb_pull_data(skb, skb->len < wanted ? skb->len : wanted);

	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	const int ours = parse_lb_tunnel(data, data_end, &t);

	if (!ours)
		return TCX_NEXT;
	if (ours < 0) {
		c->dropped_malformed++;
		return TC_ACT_SHOT;
	}
	const __u32 inner_off = sizeof(struct ethhdr) + t.outer.outer_len;
	void *inner = data + (inner_off & 0xff);
	const bool parsed = t.inner_v6 ? inner_ipv6(inner, data_end, &in)
				       : inner_ipv4(inner, data_end, &in);

	if (!parsed ||
	    (in.protocol != IPPROTO_TCP && in.protocol != IPPROTO_UDP)) {
		c->dropped_malformed++;
		return TC_ACT_SHOT;
	}
	struct iplb_backend_vip *vip = find_vip(&in, t.inner_v6);

	if (!vip) {
		c->not_vip++;
		return TCX_NEXT;
	}
	const __u32 generation = bpf_ntohl(t.private.generation);
	const bool stale = generation < vip->generation;

	if (generation > vip->generation)
		vip->generation = generation;

	if (in.protocol == IPPROTO_UDP)
		return deliver(skb, &t, c, &c->delivered_last_resort);
	if (!in.icmp &&
	    (in.tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN)
		return deliver(skb, &t, c, &c->delivered_syn);

	const int local = local_connection(skb, &in, t.inner_v6, inner_off);

	if (local == 1)
		return deliver(skb, &t, c, &c->delivered_socket);
	if (local == 2)
		return deliver(skb, &t, c, &c->delivered_cookie);
	if (!(t.private.flags & IPLB_LB_CHAINED) && chain_wanted(&t, cfg)) {
		const int sent = chain(skb, &t);

		if (sent < 0 || sent == TC_ACT_SHOT) {
			c->dropped_chain++;
			return TC_ACT_SHOT;
		}
		c->chained++;
		return sent;
	}
	if (stale) {
		c->dropped_stale++;
		return TC_ACT_SHOT;
	}
	return deliver(skb, &t, c, &c->delivered_last_resort);
}

char LICENSE[] SEC("license") = "GPL";
