// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The load balancer's mux (XDP on the interfaces VIP traffic arrives on): a
 * packet to a VIP goes to the backend its flow's bucket names, in GUE with the
 * bucket's previous backend, the time of its change and the map's generation
 * (kernel/iplb_lb_layout.h has the format). Nothing here remembers a
 * connection: the bucket is hash(5-tuple) mod B, and the map only changes when
 * user space flips a VIP to its other slot.
 *
 * - An ICMP error about a VIP flow (IPv4 fragmentation needed, ICMPv6 packet
 *   too big) goes where the flow it quotes goes: the quoted packet is the
 *   backend's reply, so its reversed 5-tuple is the flow's.
 * - A fragment to a VIP address is dropped and counted: a non-first fragment
 *   has no ports to hash, so the fragments of one datagram could not be kept
 *   together with each other and with the flow (Katran drops them too). An
 *   IPv6 packet to a VIP address with an extension header after the fixed
 *   header is treated as a fragment.
 * - Everything else passes untouched, ICMP to a VIP address that is not an
 *   error about a flow included (the stack answers or drops it).
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "compat.h"
#include "csum.h"
#include "hashing.h"
#include "iplb_lb_layout.h"
#include "parsing.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IPLB_LB_MAX_VIPS);
	__type(key, struct iplb_vip_key);
	__type(value, struct iplb_mux_vip);
} iplb_mux_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IPLB_LB_MAX_VIPS);
	__type(key, struct iplb_vip_address);
	__type(value, __u32);
} iplb_mux_addresses SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IPLB_LB_MAX_BUCKET_ENTRIES);
	__type(key, __u32);
	__type(value, struct iplb_mux_bucket);
} iplb_mux_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IPLB_LB_MAX_DIPS);
	__type(key, __u32);
	__type(value, union iplb_addr);
} iplb_mux_dips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iplb_mux_config);
} iplb_mux_config SEC(".maps");

/* For user space: what each slot's map was made from. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IPLB_LB_MAX_VIPS * 2);
	__type(key, __u32);
	__type(value, struct iplb_lb_pool);
} iplb_mux_pools SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iplb_mux_counters);
} iplb_mux_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IPLB_LB_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct iplb_mux_vip_counters);
} iplb_mux_vip_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IPLB_LB_MAX_BUCKET_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} iplb_mux_bucket_counters SEC(".maps");

/* What the encapsulation needs of a packet to a VIP. */
struct steer {
	struct flow_tuple flow; /* the flow's, what the bucket is chosen by */
	__u32 l3_len;		/* of the packet as it arrived */
	__be16 id;		/* IPv4's, for the outer header */
	__u8 tos;
	__u8 df;
	__u8 inner_v6;
	__u8 icmp; /* an ICMP error about the flow */
};

static __always_inline struct iplb_mux_counters *mux_counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&iplb_mux_counters, &zero);
}

static __always_inline bool is_vip_address(const __u32 *addr, bool v6)
{
	struct iplb_vip_address key = { .v6 = v6 };

	__builtin_memcpy(key.addr, addr, sizeof(key.addr));
	return bpf_map_lookup_elem(&iplb_mux_addresses, &key);
}

/* A fragment (fragment), or a packet too short for its ports (malformed), to
 * a VIP address: dropped and counted; to any other address: not ours. */
static __always_inline int unhashable(const __u32 *daddr, bool v6,
				      bool fragment)
{
	struct iplb_mux_counters *c;

	if (!is_vip_address(daddr, v6))
		return XDP_PASS;
	c = mux_counters();
	if (c) {
		if (fragment)
			c->fragments++;
		else
			c->malformed++;
	}
	return XDP_DROP;
}

/* The VIP of (address, protocol, port): its own port first, then every
 * port. */
static __always_inline struct iplb_mux_vip *find_vip(const __u32 *addr, bool v6,
						     __u8 protocol, __be16 port)
{
	struct iplb_vip_key key = { .port = port,
				    .protocol = protocol,
				    .v6 = v6 };
	struct iplb_mux_vip *vip;

	__builtin_memcpy(key.addr, addr, sizeof(key.addr));
	vip = bpf_map_lookup_elem(&iplb_mux_vips, &key);
	if (vip)
		return vip;
	key.port = 0;
	return bpf_map_lookup_elem(&iplb_mux_vips, &key);
}

static __always_inline void write_outer_ipv4(struct iphdr *out,
					     const struct steer *s,
					     __be32 source, __be32 dip,
					     __u32 payload_len)
{
	struct iphdr ip = {
		.version = 4,
		.ihl = 5,
		.tos = s->tos,
		.tot_len = bpf_htons((__u16)(sizeof(ip) + payload_len)),
		.id = s->id,
		.frag_off = s->df ? bpf_htons(IP_DF) : 0,
		.ttl = 64,
		.protocol = IPPROTO_UDP,
		.saddr = source,
		.daddr = dip,
	};
	ip.check = ipv4_header_checksum(&ip);
	__builtin_memcpy(out, &ip, sizeof(ip));
}

static __always_inline void write_outer_ipv6(struct ipv6hdr *out,
					     const struct steer *s,
					     const __u32 *source,
					     const __u32 *dip,
					     __u32 payload_len, __u32 hash)
{
	struct ipv6hdr ip6 = {
		.version = 6,
		.priority = s->tos >> 4,
		.flow_lbl = { (__u8)((s->tos & 0xf) << 4 |
				     ((hash >> 16) & 0xf)),
			      (__u8)(hash >> 8), (__u8)hash },
		.payload_len = bpf_htons((__u16)payload_len),
		.nexthdr = IPPROTO_UDP,
		.hop_limit = 64,
	};
	__builtin_memcpy(&ip6.saddr, source, 16);
	__builtin_memcpy(&ip6.daddr, dip, 16);
	__builtin_memcpy(out, &ip6, sizeof(ip6));
}

/* UDP, GUE and the private data after the outer IP header at l4. */
static __always_inline void write_gue(void *l4, const struct steer *s,
				      __u32 hash, __u32 udp_len, __u8 hlen,
				      __u32 generation, __u32 changed_at)
{
	struct udphdr udp = {
		.source = bpf_htons((__u16)(0xc000 | (hash & 0x3fff))),
		.dest = bpf_htons(IPLB_GUE_PORT),
		.len = bpf_htons((__u16)udp_len),
	};
	struct iplb_gue_header gue = {
		.hlen = hlen,
		.proto = s->inner_v6 ? IPPROTO_IPV6 : IPPROTO_IPIP,
	};
	struct iplb_lb_private private = {
		.kind = IPLB_LB_GUE_KIND,
		.generation = bpf_htonl(generation),
		.changed_at = bpf_htonl(changed_at),
	};
	__builtin_memcpy(l4, &udp, sizeof(udp));
	__builtin_memcpy(l4 + sizeof(udp), &gue, sizeof(gue));
	__builtin_memcpy(l4 + sizeof(udp) + sizeof(gue), &private,
			 sizeof(private));
}

/* Where the encapsulated packet goes: back to the router it came from (its
 * MAC addresses swapped), or to the FIB's next hop for the DIP. */
static __always_inline int
transmit(struct xdp_md *ctx, struct ethhdr *eth, const struct ethhdr *arrived,
	 const struct iplb_mux_config *config, const union iplb_addr *source,
	 const union iplb_addr *dip, bool outer_v6, __u32 l3_len,
	 struct iplb_mux_vip_counters *vc)
{
	if (!(config->flags & IPLB_MUX_FIB)) {
		__builtin_memcpy(eth->h_dest, arrived->h_source, ETH_ALEN);
		__builtin_memcpy(eth->h_source, arrived->h_dest, ETH_ALEN);
		return XDP_TX;
	}
	struct bpf_fib_lookup fib = {
		.family = outer_v6 ? AF_INET6 : AF_INET,
		.ifindex = ctx->ingress_ifindex,
		.tot_len = (__u16)l3_len,
	};
	if (outer_v6) {
		__builtin_memcpy(fib.ipv6_src, source->v6, 16);
		__builtin_memcpy(fib.ipv6_dst, dip->v6, 16);
	} else {
		fib.ipv4_src = source->v4;
		fib.ipv4_dst = dip->v4;
	}
	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) !=
	    BPF_FIB_LKUP_RET_SUCCESS) {
		if (vc)
			vc->no_route++;
		return XDP_DROP;
	}
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	if (fib.ifindex == ctx->ingress_ifindex)
		return XDP_TX;
	return (int)bpf_redirect(fib.ifindex, 0);
}

/* Makes room in front of the packet and writes Ethernet, the outer IP header
 * to the DIP, UDP, GUE, the private data and the previous DIP. outer_v6 is a
 * constant at each call. */
static __always_inline int
encapsulate(struct xdp_md *ctx, const struct steer *s,
	    const struct iplb_mux_config *config, const union iplb_addr *dip,
	    const union iplb_addr *previous, __u32 generation, __u32 changed_at,
	    __u32 hash, const bool outer_v6, struct iplb_mux_vip_counters *vc)
{
	const __u32 overhead =
		outer_v6 ? IPLB_LB_OVERHEAD_V6 : IPLB_LB_OVERHEAD_V4;
	const __u32 ip_len = outer_v6 ? 40 : 20;
	const __u32 previous_len = outer_v6 ? 16 : 4;
	const __u32 l3_len = s->l3_len + overhead;

	if (config->mtu && l3_len > config->mtu) {
		vc->too_big++;
		return XDP_DROP;
	}
	if (bpf_xdp_adjust_head(ctx, -(int)overhead)) {
		vc->errors++;
		return XDP_DROP;
	}
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ethhdr arrived;

	if (data + sizeof(*eth) + overhead + sizeof(*eth) > data_end) {
		vc->errors++;
		return XDP_DROP;
	}
	__builtin_memcpy(&arrived, data + overhead, sizeof(arrived));
	eth->h_proto = bpf_htons(outer_v6 ? ETH_P_IPV6 : ETH_P_IP);

	void *outer = data + sizeof(*eth);
	union iplb_addr source;

	__builtin_memset(&source, 0, sizeof(source));
	if (outer_v6) {
		__builtin_memcpy(source.v6, config->source_v6, 16);
		write_outer_ipv6(outer, s, config->source_v6, dip->v6,
				 overhead - ip_len + s->l3_len, hash);
	} else {
		source.v4 = config->source_v4;
		write_outer_ipv4(outer, s, config->source_v4, dip->v4,
				 overhead - ip_len + s->l3_len);
	}
	write_gue(outer + ip_len, s, hash, overhead - ip_len + s->l3_len,
		  (__u8)((sizeof(struct iplb_lb_private) + previous_len) / 4),
		  generation, changed_at);
	__builtin_memcpy(outer + overhead - previous_len, previous,
			 previous_len);
	return transmit(ctx, eth, &arrived, config, &source, dip, outer_v6,
			l3_len, vc);
}

/* The bucket of the flow, and on to its DIP. */
static __always_inline int steer_to_bucket(struct xdp_md *ctx,
					   const struct steer *s,
					   const struct iplb_mux_vip *vip)
{
	const __u32 zero = 0;
	const struct iplb_mux_config *config =
		bpf_map_lookup_elem(&iplb_mux_config, &zero);
	const __u32 id = vip->id;
	struct iplb_mux_vip_counters *vc =
		bpf_map_lookup_elem(&iplb_mux_vip_counters, &id);

	if (!config || !vc)
		return XDP_DROP;

	const __u32 hash = flow_hash(&s->flow);
	const __u32 slot = vip->active & 1;
	const __u32 buckets = vip->buckets;

	if (!buckets) {
		vc->no_backend++;
		return XDP_DROP;
	}
	const __u32 index = hash % buckets;
	__u32 entry = vip->base[slot] + index;
	const struct iplb_mux_bucket *bucket =
		bpf_map_lookup_elem(&iplb_mux_buckets, &entry);

	if (!bucket) {
		vc->errors++;
		return XDP_DROP;
	}
	if (!bucket->dip) {
		vc->no_backend++;
		return XDP_DROP;
	}
	__u32 dip_index = bucket->dip;
	const union iplb_addr *dip =
		bpf_map_lookup_elem(&iplb_mux_dips, &dip_index);
	__u32 previous_index = bucket->previous;
	const union iplb_addr *previous =
		bpf_map_lookup_elem(&iplb_mux_dips, &previous_index);

	if (!dip || !previous) {
		vc->errors++;
		return XDP_DROP;
	}
	/* Entry 0 of the DIP table stays zero: no previous DIP. */
	const int verdict =
		vip->flags & IPLB_VIP_DIPS_V6
			? encapsulate(ctx, s, config, dip, previous,
				      vip->generation[slot], bucket->changed_at,
				      hash, true, vc)
			: encapsulate(ctx, s, config, dip, previous,
				      vip->generation[slot], bucket->changed_at,
				      hash, false, vc);

	/* Counted once sent: a drop on the way (too big, no route, no room)
	 * is counted by its reason alone, not as a packet of the VIP and its
	 * bucket too. */
	if (verdict == XDP_DROP)
		return verdict;

	__u32 counter = vip->counter_base + index;
	__u64 *bucket_packets =
		bpf_map_lookup_elem(&iplb_mux_bucket_counters, &counter);

	if (bucket_packets)
		*bucket_packets += 1;
	vc->packets++;
	vc->bytes += s->l3_len;
	if (s->icmp)
		vc->icmp++;
	return verdict;
}

/* An ICMPv4 "fragmentation needed" quoting a VIP flow's reply: the flow is
 * the quoted packet's, reversed. */
static __always_inline int mux_icmpv4(struct xdp_md *ctx, struct steer *s,
				      const struct iphdr *ip, void *data_end)
{
	const struct icmp_error *icmp = (const void *)ip + ip->ihl * 4;
	const struct iphdr *quoted = (const void *)(icmp + 1);

	if ((const void *)(quoted + 1) > data_end ||
	    icmp->type != IPLB_ICMP_DEST_UNREACH ||
	    icmp->code != IPLB_ICMP_FRAG_NEEDED || !ipv4_header_sane(quoted) ||
	    ipv4_is_fragment(quoted))
		goto other;

	const __be16 *ports = (const void *)quoted + quoted->ihl * 4;

	if ((const void *)(ports + 2) > data_end ||
	    (quoted->protocol != IPPROTO_TCP &&
	     quoted->protocol != IPPROTO_UDP))
		goto other;

	const __u32 vip_addr[4] = { quoted->saddr };
	const struct iplb_mux_vip *vip =
		find_vip(vip_addr, false, quoted->protocol, ports[0]);

	if (!vip)
		goto other;
	s->flow.saddr[0] = quoted->daddr;
	s->flow.daddr[0] = quoted->saddr;
	s->flow.sport = ports[1];
	s->flow.dport = ports[0];
	s->flow.protocol = quoted->protocol;
	s->icmp = 1;
	return steer_to_bucket(ctx, s, vip);
other:
	if (is_vip_address(s->flow.daddr, false)) {
		struct iplb_mux_counters *c = mux_counters();

		if (c)
			c->icmp_other++;
	}
	return XDP_PASS;
}

static __always_inline int mux_ipv4(struct xdp_md *ctx, struct iphdr *ip,
				    void *data_end)
{
	struct steer s = {};

	if (!ipv4_header_sane(ip))
		return XDP_PASS;
	s.l3_len = bpf_ntohs(ip->tot_len);
	s.tos = ip->tos;
	s.df = !!(ip->frag_off & bpf_htons(IP_DF));
	s.id = ip->id;
	s.flow.daddr[0] = ip->daddr;
	if (ip->protocol == IPPROTO_ICMP) {
		if (ipv4_is_fragment(ip))
			return unhashable(s.flow.daddr, false, true);
		return mux_icmpv4(ctx, &s, ip, data_end);
	}
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	if (ipv4_is_fragment(ip))
		return unhashable(s.flow.daddr, false, true);

	const __be16 *ports = (const void *)ip + ip->ihl * 4;

	if ((const void *)(ports + 2) > data_end)
		return unhashable(s.flow.daddr, false, false);

	const struct iplb_mux_vip *vip =
		find_vip(s.flow.daddr, false, ip->protocol, ports[1]);

	if (!vip)
		return XDP_PASS;
	s.flow.saddr[0] = ip->saddr;
	s.flow.sport = ports[0];
	s.flow.dport = ports[1];
	s.flow.protocol = ip->protocol;
	return steer_to_bucket(ctx, &s, vip);
}

/* An ICMPv6 "packet too big" quoting a VIP flow's reply. */
static __always_inline int mux_icmpv6(struct xdp_md *ctx, struct steer *s,
				      const struct ipv6hdr *ip6, void *data_end)
{
	const struct icmp_error *icmp = (const void *)(ip6 + 1);
	const struct ipv6hdr *quoted = (const void *)(icmp + 1);

	if ((const void *)(quoted + 1) > data_end ||
	    icmp->type != IPLB_ICMPV6_PKT_TOOBIG ||
	    (quoted->nexthdr != IPPROTO_TCP && quoted->nexthdr != IPPROTO_UDP))
		goto other;

	const __be16 *ports = (const void *)(quoted + 1);

	if ((const void *)(ports + 2) > data_end)
		goto other;

	__u32 vip_addr[4];

	__builtin_memcpy(vip_addr, &quoted->saddr, 16);
	const struct iplb_mux_vip *vip =
		find_vip(vip_addr, true, quoted->nexthdr, ports[0]);

	if (!vip)
		goto other;
	__builtin_memcpy(s->flow.saddr, &quoted->daddr, 16);
	__builtin_memcpy(s->flow.daddr, &quoted->saddr, 16);
	s->flow.sport = ports[1];
	s->flow.dport = ports[0];
	s->flow.protocol = quoted->nexthdr;
	s->icmp = 1;
	return steer_to_bucket(ctx, s, vip);
other:
	if (is_vip_address(s->flow.daddr, true)) {
		struct iplb_mux_counters *c = mux_counters();

		if (c)
			c->icmp_other++;
	}
	return XDP_PASS;
}

static __always_inline int mux_ipv6(struct xdp_md *ctx, struct ipv6hdr *ip6,
				    void *data_end)
{
	struct steer s = { .inner_v6 = 1, .df = 1 };

	if (!ipv6_header_sane(ip6))
		return XDP_PASS;
	s.l3_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	s.tos = (__u8)(ip6->priority << 4 | ip6->flow_lbl[0] >> 4);
	__builtin_memcpy(s.flow.daddr, &ip6->daddr, 16);
	s.flow.v6 = 1;
	if (ip6->nexthdr == IPPROTO_ICMPV6)
		return mux_icmpv6(ctx, &s, ip6, data_end);
	if (ip6->nexthdr != IPPROTO_TCP && ip6->nexthdr != IPPROTO_UDP) {
		/* An extension header hides the ports: as a fragment. */
		if (ip6->nexthdr == IPPROTO_HOPOPTS ||
		    ip6->nexthdr == IPPROTO_ROUTING ||
		    ip6->nexthdr == IPPROTO_FRAGMENT ||
		    ip6->nexthdr == IPPROTO_DSTOPTS)
			return unhashable(s.flow.daddr, true, true);
		return XDP_PASS;
	}
	const __be16 *ports = (const void *)(ip6 + 1);

	if ((const void *)(ports + 2) > data_end)
		return unhashable(s.flow.daddr, true, false);

	const struct iplb_mux_vip *vip =
		find_vip(s.flow.daddr, true, ip6->nexthdr, ports[1]);

	if (!vip)
		return XDP_PASS;
	__builtin_memcpy(s.flow.saddr, &ip6->saddr, 16);
	s.flow.sport = ports[0];
	s.flow.dport = ports[1];
	s.flow.protocol = ip6->nexthdr;
	return steer_to_bucket(ctx, &s, vip);
}

SEC("xdp")
int iplb_mux(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = ipv4_header(data, data_end);

	if (ip)
		return mux_ipv4(ctx, ip, data_end);

	struct ipv6hdr *ip6 = ipv6_header(data, data_end);

	if (ip6)
		return mux_ipv6(ctx, ip6, data_end);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
