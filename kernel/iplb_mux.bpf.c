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
 *
 * MPTCP token mode (a VIP with IPLB_VIP_MPTCP_TOKEN; docs/MPTCP.md): a join
 * SYN names its connection by the backend's token, so it goes to the DIP the
 * token map gives, never to a bucket (the bucket's backend would fail the
 * join's HMAC and reset it); an unknown token is dropped, counted and handed
 * to user space to look up before the client resends. The join subflow's
 * later packets carry no token: the subflow map, filled here when the join
 * is sent and by user space from what the backends announce, sends them
 * after it. Everything else of the VIP (first subflows included) goes by its
 * bucket.
 *
 * MPTCP port mode (a VIP with IPLB_VIP_MPTCP_PORT): each backend announced
 * the VIP's address with a port of its own, so a TCP packet to that address
 * and port (to no VIP's port) goes to that backend by iplb_mux_ports, with no
 * state and no token; an ICMP error about such a subflow goes with it.
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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IPLB_LB_MAX_TOKENS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct iplb_mux_target);
} iplb_mux_tokens SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IPLB_LB_MAX_SUBFLOWS);
	__type(key, struct iplb_subflow_key);
	__type(value, struct iplb_mux_target);
} iplb_mux_subflows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, IPLB_LB_TOKEN_MISSES_BYTES);
} iplb_mux_token_misses SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IPLB_LB_MAX_PORTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct iplb_vip_key);
	__type(value, struct iplb_mux_port);
} iplb_mux_ports SEC(".maps");

/* What the encapsulation needs of a packet to a VIP. */
struct steer {
	struct flow_tuple flow; /* the flow's, what the bucket is chosen by */
	__u32 l3_len;		/* of the packet as it arrived */
	__be16 id;		/* IPv4's, for the outer header */
	__u8 tos;
	__u8 df;
	__u8 inner_v6;
	__u8 icmp; /* an ICMP error about the flow */
	/* TCP, not an ICMP error about it, its header whole: */
	__u8 tcp_flags;
	__u8 tcp_options; /* bytes of options */
	__u16 options_at; /* their offset in the frame; 0: no TCP header */
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

/* The backend that announced (address, port) in MPTCP port mode, if any:
 * looked up only while some VIP is in port mode (the config says so), so
 * that a mux without one passes other traffic as cheaply as before. */
static __always_inline const struct iplb_mux_port *
find_port(const __u32 *addr, bool v6, __be16 port)
{
	const __u32 zero = 0;
	const struct iplb_mux_config *config =
		bpf_map_lookup_elem(&iplb_mux_config, &zero);
	struct iplb_vip_key key = { .port = port,
				    .protocol = IPPROTO_TCP,
				    .v6 = v6 };

	if (!config || !(config->flags & IPLB_MUX_PORTS))
		return NULL;
	__builtin_memcpy(key.addr, addr, sizeof(key.addr));
	return bpf_map_lookup_elem(&iplb_mux_ports, &key);
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

/* Encapsulates to dip and counts the packet for the VIP once sent (a drop on
 * the way, too big, no route, no room, is counted by its reason alone). */
static __always_inline int
send_to(struct xdp_md *ctx, const struct steer *s, __u32 generation,
	const struct iplb_mux_config *config, struct iplb_mux_vip_counters *vc,
	const union iplb_addr *dip, const union iplb_addr *previous,
	__u32 changed_at, __u32 hash, bool dips_v6)
{
	const int verdict =
		dips_v6 ? encapsulate(ctx, s, config, dip, previous, generation,
				      changed_at, hash, true, vc)
			: encapsulate(ctx, s, config, dip, previous, generation,
				      changed_at, hash, false, vc);

	if (verdict == XDP_DROP)
		return verdict;
	vc->packets++;
	vc->bytes += s->l3_len;
	if (s->icmp)
		vc->icmp++;
	return verdict;
}

/* The bucket of the flow, and on to its DIP. */
static __always_inline int steer_to_bucket(struct xdp_md *ctx,
					   const struct steer *s,
					   const struct iplb_mux_vip *vip,
					   const struct iplb_mux_config *config,
					   struct iplb_mux_vip_counters *vc)
{
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
	const int verdict = send_to(ctx, s, vip->generation[slot], config, vc,
				    dip, previous, bucket->changed_at, hash,
				    vip->flags & IPLB_VIP_DIPS_V6);

	if (verdict == XDP_DROP)
		return verdict;

	__u32 counter = vip->counter_base + index;
	__u64 *bucket_packets =
		bpf_map_lookup_elem(&iplb_mux_bucket_counters, &counter);

	if (bucket_packets)
		*bucket_packets += 1;
	return verdict;
}

#define IPLB_TCP_OPTION_EOL 0
#define IPLB_TCP_OPTION_NOP 1
#define IPLB_TCP_OPTION_MPTCP 30
#define IPLB_MPTCP_SUB_JOIN 1
#define IPLB_MPTCP_JOIN_SYN_LEN 12
#define IPLB_TCP_MAX_OPTIONS 40

/* A walk over a SYN's options, from a copy on the stack, every index masked
 * so that it cannot leave the copy. */
struct option_walk {
	__u8 opts[64];
	__u32 len; /* bytes of options */
	__u32 off; /* of the next option */
	__u32 token;
	__u32 found;
};

/* One option: on to the next (0), or stop (1) at the end, at an option that
 * runs past the header (such a SYN is no join: the backend's stack judges
 * it), or at MP_JOIN (RFC 8684 3.2: kind 30, length 12, subtype 1 in the
 * high nibble of byte 2, the receiver's token at bytes 4-7, big endian). A
 * bpf_loop callback: the verifier checks it once, where an open-coded loop
 * of 40 steps took it a second per load. */
static int walk_option(__u32 index, void *data)
{
	struct option_walk *w = data;
	const __u32 off = w->off;

	if (off + 2 > w->len)
		return 1;

	const __u8 kind = w->opts[off & 0x3f];

	if (kind == IPLB_TCP_OPTION_EOL)
		return 1;
	if (kind == IPLB_TCP_OPTION_NOP) {
		w->off = off + 1;
		return 0;
	}

	const __u32 size = w->opts[(off + 1) & 0x3f];

	if (size < 2 || off + size > w->len)
		return 1;
	if (kind == IPLB_TCP_OPTION_MPTCP && size == IPLB_MPTCP_JOIN_SYN_LEN &&
	    w->opts[(off + 2) & 0x3f] >> 4 == IPLB_MPTCP_SUB_JOIN) {
		w->token = (__u32)w->opts[(off + 4) & 0x3f] << 24 |
			   (__u32)w->opts[(off + 5) & 0x3f] << 16 |
			   (__u32)w->opts[(off + 6) & 0x3f] << 8 |
			   w->opts[(off + 7) & 0x3f];
		w->found = 1;
		return 1;
	}
	w->off = off + size;
	return 0;
}

/* The receiver's token of the MP_JOIN option among a SYN's len bytes of
 * options at `at` in the frame. */
static __always_inline bool mp_join_token(struct xdp_md *ctx, __u32 at,
					  __u32 len, __u32 *token)
{
	struct option_walk w = {};

	/* The compiler knows len <= 40 from how it was computed and would
	 * drop the check; the verifier, from a byte on the stack, does not. */
	asm volatile("" : "+r"(len));
	if (len == 0 || len > IPLB_TCP_MAX_OPTIONS)
		return false;
	if (bpf_xdp_load_bytes(ctx, at, w.opts, len))
		return false;
	w.len = len;
	/* Each step takes one byte at least. */
	bpf_loop(IPLB_TCP_MAX_OPTIONS, walk_option, &w, 0);
	*token = w.token;
	return w.found;
}

static __always_inline struct iplb_subflow_key
subflow_key(const struct flow_tuple *flow)
{
	struct iplb_subflow_key key = {
		.sport = flow->sport,
		.dport = flow->dport,
		.v6 = flow->v6,
	};

	__builtin_memcpy(key.saddr, flow->saddr, sizeof(key.saddr));
	__builtin_memcpy(key.daddr, flow->daddr, sizeof(key.daddr));
	return key;
}

#define IPLB_TCP_SYN 0x02
#define IPLB_TCP_ACK 0x10

/* A join dropped for want of its token, with its frame (unchanged so far),
 * for user space to look up and run through the program again. */
static __always_inline void report_miss(struct xdp_md *ctx, __u32 token,
					__u32 vip_id)
{
	struct iplb_mux_token_miss *miss;
	__u64 last = bpf_xdp_get_buff_len(ctx) - 1;

	miss = bpf_ringbuf_reserve(&iplb_mux_token_misses, sizeof(*miss), 0);
	if (!miss)
		return;
	miss->token = token;
	miss->vip_id = vip_id;
	miss->ifindex = ctx->ingress_ifindex;
	miss->rx_queue = ctx->rx_queue_index;
	miss->frame_len = 0;
	/* One unsigned check on the register the helper's size comes from:
	 * the compiler would otherwise test a copy (docs/DEVELOPMENT.md). */
	asm volatile("" : "+r"(last));
	if (last < IPLB_MUX_MISS_FRAME &&
	    bpf_xdp_load_bytes(ctx, 0, miss->frame, last + 1) == 0)
		miss->frame_len = last + 1;
	bpf_ringbuf_submit(miss, 0);
}

/* A TCP packet to a VIP in token mode: a join SYN by its token, a join
 * subflow's packet (or an ICMP error about it) by the subflow map; -1 for the
 * rest, which the buckets decide. */
static __always_inline int steer_mptcp(struct xdp_md *ctx,
				       const struct steer *s,
				       const struct iplb_mux_vip *vip,
				       const struct iplb_mux_config *config,
				       struct iplb_mux_vip_counters *vc)
{
	static const union iplb_addr none;
	struct iplb_subflow_key key = subflow_key(&s->flow);
	const struct iplb_mux_target *to;
	bool join = false;

	if (s->options_at &&
	    (s->tcp_flags & (IPLB_TCP_SYN | IPLB_TCP_ACK)) == IPLB_TCP_SYN) {
		__u32 token;

		if (!mp_join_token(ctx, s->options_at, s->tcp_options,
				   &token)) {
			/* A new connection on a 4-tuple a join subflow had:
			 * its packets go by the bucket, as on every mux. */
			bpf_map_delete_elem(&iplb_mux_subflows, &key);
			return -1;
		}
		to = bpf_map_lookup_elem(&iplb_mux_tokens, &token);
		if (!to) {
			report_miss(ctx, token, vip->id);
			vc->mptcp_unknown_token++;
			return XDP_DROP;
		}
		bpf_map_update_elem(&iplb_mux_subflows, &key, to, BPF_ANY);
		join = true;
	} else {
		to = bpf_map_lookup_elem(&iplb_mux_subflows, &key);
		if (!to)
			return -1;
	}

	const int verdict =
		send_to(ctx, s, vip->generation[vip->active & 1], config, vc,
			&to->dip, &none, 0, flow_hash(&s->flow), to->v6);

	if (verdict != XDP_DROP) {
		if (join)
			vc->mptcp_joins++;
		else
			vc->mptcp_subflow++;
	}
	return verdict;
}

/* The VIP's packet to its DIP: by MPTCP token or subflow where the VIP is in
 * token mode and the packet is one, else by its bucket. */
static __always_inline int steer(struct xdp_md *ctx, const struct steer *s,
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
	if (vip->flags & IPLB_VIP_MPTCP_TOKEN &&
	    s->flow.protocol == IPPROTO_TCP) {
		const int verdict = steer_mptcp(ctx, s, vip, config, vc);

		if (verdict >= 0)
			return verdict;
	}
	return steer_to_bucket(ctx, s, vip, config, vc);
}

/* A packet to a port a backend announced in MPTCP port mode: to that
 * backend, counted for its VIP. Generation 0 and no previous DIP: the port
 * is one backend's whatever the VIP's map, so nothing is chained or stale. */
static __always_inline int steer_port(struct xdp_md *ctx, const struct steer *s,
				      const struct iplb_mux_port *port)
{
	static const union iplb_addr none;
	const __u32 zero = 0;
	const struct iplb_mux_config *config =
		bpf_map_lookup_elem(&iplb_mux_config, &zero);
	const __u32 id = port->vip_id;
	struct iplb_mux_vip_counters *vc =
		bpf_map_lookup_elem(&iplb_mux_vip_counters, &id);

	if (!config || !vc)
		return XDP_DROP;

	const int verdict = send_to(ctx, s, 0, config, vc, &port->to.dip, &none,
				    0, flow_hash(&s->flow), port->to.v6);

	if (verdict != XDP_DROP)
		vc->mptcp_port++;
	return verdict;
}

/* What the packet is: a VIP's (vip, and the steer filled), a port-mode
 * backend's (port, and the steer filled), or neither, with what to do with it
 * in verdict. */
struct classified {
	const struct iplb_mux_vip *vip;
	const struct iplb_mux_port *port;
	int verdict;
};

/* The VIP of the flow, else the port-mode backend of a TCP flow; false: not
 * ours. */
static __always_inline bool find_target(struct classified *out,
					const __u32 *addr, bool v6,
					__u8 protocol, __be16 port)
{
	out->vip = find_vip(addr, v6, protocol, port);
	if (out->vip)
		return true;
	if (protocol == IPPROTO_TCP)
		out->port = find_port(addr, v6, port);
	return out->port;
}

/* A TCP header's flags and options, where the whole header is there. */
static __always_inline void describe_tcp(struct steer *s, const __u8 *tcp,
					 void *data_end, __u16 at)
{
	if ((const void *)(tcp + 20) > data_end)
		return;

	const __u8 header = (tcp[12] >> 4) * 4;

	s->tcp_flags = tcp[13];
	s->tcp_options = header > 20 ? header - 20 : 0;
	s->options_at = at + 20;
}

static __always_inline void icmp_other(const __u32 *daddr, bool v6)
{
	if (is_vip_address(daddr, v6)) {
		struct iplb_mux_counters *c = mux_counters();

		if (c)
			c->icmp_other++;
	}
}

/* An ICMPv4 "fragmentation needed" quoting a VIP flow's reply: the flow is
 * the quoted packet's, reversed. */
static __always_inline void icmpv4(struct classified *out, struct steer *s,
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

	if (!find_target(out, vip_addr, false, quoted->protocol, ports[0]))
		goto other;
	s->flow.saddr[0] = quoted->daddr;
	s->flow.daddr[0] = quoted->saddr;
	s->flow.sport = ports[1];
	s->flow.dport = ports[0];
	s->flow.protocol = quoted->protocol;
	s->icmp = 1;
	return;
other:
	icmp_other(s->flow.daddr, false);
}

static __always_inline void classify_ipv4(struct classified *out,
					  struct steer *s, struct iphdr *ip,
					  void *data_end)
{
	if (!ipv4_header_sane(ip))
		return;
	s->l3_len = bpf_ntohs(ip->tot_len);
	s->tos = ip->tos;
	s->df = !!(ip->frag_off & bpf_htons(IP_DF));
	s->id = ip->id;
	s->flow.daddr[0] = ip->daddr;
	if (ip->protocol == IPPROTO_ICMP) {
		if (ipv4_is_fragment(ip))
			out->verdict = unhashable(s->flow.daddr, false, true);
		else
			icmpv4(out, s, ip, data_end);
		return;
	}
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return;
	if (ipv4_is_fragment(ip)) {
		out->verdict = unhashable(s->flow.daddr, false, true);
		return;
	}

	const __be16 *ports = (const void *)ip + ip->ihl * 4;

	if ((const void *)(ports + 2) > data_end) {
		out->verdict = unhashable(s->flow.daddr, false, false);
		return;
	}

	if (!find_target(out, s->flow.daddr, false, ip->protocol, ports[1]))
		return;
	s->flow.saddr[0] = ip->saddr;
	s->flow.sport = ports[0];
	s->flow.dport = ports[1];
	s->flow.protocol = ip->protocol;
	if (ip->protocol == IPPROTO_TCP && out->vip &&
	    out->vip->flags & IPLB_VIP_MPTCP_TOKEN)
		describe_tcp(s, (const void *)ports, data_end,
			     (__u16)(sizeof(struct ethhdr) + ip->ihl * 4));
}

/* An ICMPv6 "packet too big" quoting a VIP flow's reply. */
static __always_inline void icmpv6(struct classified *out, struct steer *s,
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
	if (!find_target(out, vip_addr, true, quoted->nexthdr, ports[0]))
		goto other;
	__builtin_memcpy(s->flow.saddr, &quoted->daddr, 16);
	__builtin_memcpy(s->flow.daddr, &quoted->saddr, 16);
	s->flow.sport = ports[1];
	s->flow.dport = ports[0];
	s->flow.protocol = quoted->nexthdr;
	s->icmp = 1;
	return;
other:
	icmp_other(s->flow.daddr, true);
}

static __always_inline void classify_ipv6(struct classified *out,
					  struct steer *s, struct ipv6hdr *ip6,
					  void *data_end)
{
	if (!ipv6_header_sane(ip6))
		return;
	s->l3_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	s->tos = (__u8)(ip6->priority << 4 | ip6->flow_lbl[0] >> 4);
	__builtin_memcpy(s->flow.daddr, &ip6->daddr, 16);
	s->flow.v6 = 1;
	if (ip6->nexthdr == IPPROTO_ICMPV6) {
		icmpv6(out, s, ip6, data_end);
		return;
	}
	if (ip6->nexthdr != IPPROTO_TCP && ip6->nexthdr != IPPROTO_UDP) {
		/* An extension header hides the ports: as a fragment. */
		if (ip6->nexthdr == IPPROTO_HOPOPTS ||
		    ip6->nexthdr == IPPROTO_ROUTING ||
		    ip6->nexthdr == IPPROTO_FRAGMENT ||
		    ip6->nexthdr == IPPROTO_DSTOPTS)
			out->verdict = unhashable(s->flow.daddr, true, true);
		return;
	}
	const __be16 *ports = (const void *)(ip6 + 1);

	if ((const void *)(ports + 2) > data_end) {
		out->verdict = unhashable(s->flow.daddr, true, false);
		return;
	}

	if (!find_target(out, s->flow.daddr, true, ip6->nexthdr, ports[1]))
		return;
	__builtin_memcpy(s->flow.saddr, &ip6->saddr, 16);
	s->flow.sport = ports[0];
	s->flow.dport = ports[1];
	s->flow.protocol = ip6->nexthdr;
	if (ip6->nexthdr == IPPROTO_TCP && out->vip &&
	    out->vip->flags & IPLB_VIP_MPTCP_TOKEN)
		describe_tcp(s, (const void *)ports, data_end,
			     sizeof(struct ethhdr) + sizeof(*ip6));
}

SEC("xdp")
int iplb_mux(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = ipv4_header(data, data_end);
	struct classified c = { .verdict = XDP_PASS };

	/* One steer per family: each is compiled for its family (the flow
	 * hash, the outer header), which a shared one would decide per packet
	 * (IPv6 measured 9 ns slower). */
	if (ip) {
		struct steer s = {};

		classify_ipv4(&c, &s, ip, data_end);
		if (c.vip)
			return steer(ctx, &s, c.vip);
		if (c.port)
			return steer_port(ctx, &s, c.port);
		return c.verdict;
	}

	struct ipv6hdr *ip6 = ipv6_header(data, data_end);

	if (!ip6)
		return XDP_PASS;

	struct steer s = { .inner_v6 = 1, .df = 1 };

	classify_ipv6(&c, &s, ip6, data_end);
	if (c.vip)
		return steer(ctx, &s, c.vip);
	if (c.port)
		return steer_port(ctx, &s, c.port);
	return c.verdict;
}

char LICENSE[] SEC("license") = "GPL";
