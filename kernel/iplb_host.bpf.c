// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host side of iplb (TCX egress): an IPv4 or IPv6 packet whose destination is
 * in the iplb table leaves encapsulated through one of the destination's
 * relay lists, chosen per flow; everything else continues untouched
 * (TCX_NEXT). The tunnel's family is the relays': IPv4 (IPIP, 6in4, GRE,
 * GUE) or IPv6 (4in6, ip6ip6, GRE, GUE).
 *
 * Flow: TCP/UDP/SCTP by 5-tuple; other protocols, IPv6 packets with
 * extension headers, and every fragment (first or not, so that the
 * fragments of one datagram stay together) by source, destination and
 * protocol.
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "iplb_host_layout.h"
#include "iplb_bpf_common.h"
#include "iplb_neg_log.h"

#define AF_INET 2
#define AF_INET6 10
#define NEXTHDR_FRAGMENT 44

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, IPLB_MAX_ROUTES);
	__type(key, struct iplb_v4_key);
	__type(value, struct iplb_route);
} iplb_routes_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, IPLB_MAX_ROUTES);
	__type(key, struct iplb_v6_key);
	__type(value, struct iplb_route);
} iplb_routes_v6 SEC(".maps");

/* What the host needs of the packet it encapsulates, either family. */
struct inner {
	__u32 saddr[4]; /* IPv4: [0], the rest 0 */
	__u32 daddr[4];
	__u32 l3_len; /* the IP packet's length */
	__u32 l4_off; /* of the TCP/UDP/SCTP header in the frame, 0: none */
	__u16 sport, dport;
	__u8 protocol; /* IPv6: the next header after the fixed header */
	__u8 v6;
	__u8 tos; /* IPv4 TOS, IPv6 traffic class */
	__u8 df;  /* may not be fragmented: IPv4 DF, every IPv6 packet */
	__be16 id;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iplb_config);
} iplb_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IPLB_MAX_ROUTES);
	__type(key, __u32);
	__type(value, struct iplb_counters);
} iplb_route_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IPLB_MAX_ROUTES *IPLB_MAX_LISTS);
	__type(key, __u32);
	__type(value, struct iplb_list_counters);
} iplb_list_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IPLB_MAX_FLOWS);
	__type(key, struct iplb_flow_key);
	__type(value, struct iplb_flow);
} iplb_flows SEC(".maps");

static __always_inline void count_bypass(const struct iplb_route *route,
					 enum iplb_bypass why)
{
	__u32 id = route->id;
	struct iplb_counters *c =
		bpf_map_lookup_elem(&iplb_route_counters, &id);

	if (c && why < IPLB_BYPASS_REASONS)
		c->bypass[why]++;
}

/* A packet sent through one of the route's lists (its length before any
 * encapsulation). */
static __always_inline void count_sent(const struct iplb_route *route, int list,
				       __u32 len)
{
	__u32 id = route->id;
	struct iplb_counters *rc =
		bpf_map_lookup_elem(&iplb_route_counters, &id);
	__u32 list_index = id * IPLB_MAX_LISTS + (__u32)list;
	struct iplb_list_counters *lc =
		bpf_map_lookup_elem(&iplb_list_counters, &list_index);

	if (rc) {
		rc->packets++;
		rc->bytes += len;
	}
	if (lc) {
		lc->packets++;
		lc->bytes += len;
	}
}

static __always_inline void count_mss_clamp(const struct iplb_route *route)
{
	__u32 id = route->id;
	struct iplb_counters *c =
		bpf_map_lookup_elem(&iplb_route_counters, &id);

	if (c)
		c->mss_clamped++;
}

/* A tunnel already, most likely ours: redirected towards its first relay, a
 * tunnel passes this hook again on the way out. */
static __always_inline bool is_tunnel(__u8 protocol, __u16 dport)
{
	return protocol == IPPROTO_IPIP || protocol == IPPROTO_IPV6 ||
	       protocol == IPPROTO_GRE ||
	       (protocol == IPPROTO_UDP && dport == bpf_htons(IPLB_GUE_PORT));
}

static __always_inline bool has_ports(__u8 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP ||
	       protocol == IPPROTO_SCTP;
}

/* The table's route for the packet's destination (or source), and then, only
 * for a packet that has one, what else the host needs of it: a packet not in
 * the table costs a header check and one lookup. `in` comes zeroed. */
static __always_inline const struct iplb_route *
classify(struct __sk_buff *skb, struct inner *in, bool by_source)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	const struct iplb_route *route;
	void *l4;

	if ((void *)(eth + 1) > data_end)
		return NULL;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->version != 4 ||
		    ip->ihl < 5)
			return NULL; /* not ours to judge: the stack built it */
		struct iplb_v4_key key = {
			.prefixlen = 32,
			.addr = by_source ? ip->saddr : ip->daddr,
		};
		route = bpf_map_lookup_elem(&iplb_routes_v4, &key);
		if (!route)
			return NULL;
		in->saddr[0] = ip->saddr;
		in->daddr[0] = ip->daddr;
		in->l3_len = bpf_ntohs(ip->tot_len);
		in->protocol = ip->protocol;
		in->tos = ip->tos;
		in->df = !!(ip->frag_off & bpf_htons(IP_DF));
		in->id = ip->id;
		if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return route; /* no ports to read */
		in->l4_off = sizeof(*eth) + ip->ihl * 4;
		l4 = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
			return NULL;
		struct iplb_v6_key key = { .prefixlen = 128 };

		__builtin_memcpy(key.addr,
				 by_source ? &ip6->saddr : &ip6->daddr, 16);
		route = bpf_map_lookup_elem(&iplb_routes_v6, &key);
		if (!route)
			return NULL;
		__builtin_memcpy(in->saddr, &ip6->saddr, 16);
		__builtin_memcpy(in->daddr, &ip6->daddr, 16);
		in->l3_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		in->protocol = ip6->nexthdr;
		in->v6 = 1;
		in->tos = (__u8)(ip6->priority << 4 | ip6->flow_lbl[0] >> 4);
		in->df = 1;
		in->l4_off = sizeof(*eth) + sizeof(*ip6);
		l4 = ip6 + 1;
	} else {
		return NULL;
	}
	const __be16 *ports = l4;

	if (has_ports(in->protocol) && (const void *)(ports + 2) <= data_end) {
		in->sport = ports[0];
		in->dport = ports[1];
	} else {
		in->l4_off = 0;
	}
	return route;
}

static __always_inline __u32 flow_hash(const struct inner *in)
{
	__u32 h =
		iplb_mix32(((__u32)in->sport << 16 | in->dport) ^ in->protocol);

	if (in->v6) {
		for (int i = 0; i < 4; i++)
			h = iplb_mix32(h ^ in->daddr[i] ^
				       iplb_mix32(in->saddr[i]));
		return h;
	}
	return iplb_mix32(in->saddr[0] ^ iplb_mix32(in->daddr[0] ^ h));
}

/* Rendezvous hashing: the list with the highest score for this flow. A list's
 * score does not depend on the other lists, so only the flows of a list that
 * comes or goes change lists. */
static __always_inline int pick_list(const struct iplb_route *route, __u32 hash)
{
	__u32 best_score = 0;
	int best = -1;

	for (int i = 0; i < IPLB_MAX_LISTS; i++) {
		if (i >= route->n_lists)
			break;
		__u32 score = iplb_mix32(hash ^ route->lists[i].key);

		if (best < 0 || score > best_score) {
			best = i;
			best_score = score;
		}
	}
	return best;
}

/* Weighted rendezvous hashing: score weight / -ln(u), u uniform in (0, 1)
 * from the flow and the list; ties (u is quantised) go to the higher u.
 * Still a function of the flow and the list alone. */
static __always_inline int pick_weighted_list(const struct iplb_route *route,
					      __u32 hash)
{
	__u64 best_score = 0;
	__u32 best_u = 0;
	int best = -1;

	for (int i = 0; i < IPLB_MAX_LISTS; i++) {
		if (i >= route->n_lists)
			break;
		const __u32 u = iplb_mix32(hash ^ route->lists[i].key);
		const __u64 score = ((__u64)route->lists[i].weight << 40) /
				    iplb_neg_log[u >> IPLB_NEG_LOG_SHIFT];

		if (best < 0 || score > best_score ||
		    (score == best_score && u > best_u)) {
			best = i;
			best_score = score;
			best_u = u;
		}
	}
	return best;
}

static __always_inline int list_with_key(const struct iplb_route *route,
					 __u32 key)
{
	for (int i = 0; i < IPLB_MAX_LISTS; i++) {
		if (i >= route->n_lists)
			break;
		if (route->lists[i].key == key)
			return i;
	}
	return -1;
}

static __always_inline void count_flow(const struct iplb_route *route,
				       bool remembered)
{
	__u32 id = route->id;
	struct iplb_counters *c =
		bpf_map_lookup_elem(&iplb_route_counters, &id);

	if (!c)
		return;
	c->flows_assigned++;
	if (!remembered)
		c->flows_unremembered++;
}

/* Mode flow: the list this flow had, if it has not been idle too long and
 * the list is still there; else a weighted pick, remembered. */
static __always_inline int pick_flow_list(const struct iplb_route *route,
					  const struct inner *in, __u32 hash,
					  const struct iplb_config *config)
{
	struct iplb_flow_key key = {
		.sport = in->sport,
		.dport = in->dport,
		.protocol = in->protocol,
		.family = in->v6 ? AF_INET6 : AF_INET,
	};
	__builtin_memcpy(key.saddr, in->saddr, 16);
	__builtin_memcpy(key.daddr, in->daddr, 16);
	const __u64 now = bpf_ktime_get_ns();
	struct iplb_flow *known = bpf_map_lookup_elem(&iplb_flows, &key);

	if (known && known->route_id == route->id &&
	    now - known->last_seen_ns <=
		    (__u64)config->flow_idle_ms * 1000000) {
		int list = list_with_key(route, known->list_key);

		if (list >= 0) {
			known->last_seen_ns = now;
			return list;
		}
	}
	int list = pick_weighted_list(route, hash);

	if (list < 0 || list >= IPLB_MAX_LISTS)
		return -1;
	struct iplb_flow flow = {
		.list_key = route->lists[list].key,
		.route_id = route->id,
		.last_seen_ns = now,
	};
	count_flow(route,
		   bpf_map_update_elem(&iplb_flows, &key, &flow, BPF_ANY) == 0);
	return list;
}

/* The flow's list, by the route's mode; -1: none. A function of its own
 * (global, so verified once, by itself): the caller sees an index in a
 * range, not one path per list through the rest of the program. */
__attribute__((noinline)) int pick(const struct iplb_route *route,
				   const struct inner *in, __u32 hash,
				   const struct iplb_config *config)
{
	if (!route || !in || !config)
		return -1;
	if (route->select == IPLB_SELECT_HASH)
		return pick_list(route, hash);
	if (route->select == IPLB_SELECT_WEIGHTED)
		return pick_weighted_list(route, hash);
	if (route->select == IPLB_SELECT_FLOW)
		return pick_flow_list(route, in, hash, config);
	return -1;
}

static __always_inline __u16 ip_checksum(const struct iphdr *ip)
{
	const __u16 *word = (const __u16 *)ip;
	__u32 sum = 0;

	for (int i = 0; i < (int)sizeof(*ip) / 2; i++)
		sum += word[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* The path MTU a tunnel to this route has: the route's, when user space
 * knows it, else the device's. */
static __always_inline __u32 path_mtu(struct __sk_buff *skb,
				      const struct iplb_route *route)
{
	__u32 mtu = 0;

	if (route->mtu)
		return route->mtu;
	if (bpf_check_mtu(skb, 0, &mtu, 0, 0) < 0 || mtu == 0)
		return 1500;
	return mtu;
}

/* Lowers the MSS option of a TCP SYN (or SYN-ACK) whose TCP header is at
 * tcp_off to max_mss, so that neither end sends segments the tunnel cannot
 * carry. Returns whether it changed the packet (whose pointers are then
 * stale). Global: the option walk is verified once, not on every path. */
__attribute__((noinline)) int clamp_mss(struct __sk_buff *skb, __u32 tcp_off,
					__u32 max_mss)
{
	struct tcphdr tcp;

	if (!skb)
		return false;

	if (bpf_skb_load_bytes(skb, tcp_off, &tcp, sizeof(tcp)) || !tcp.syn)
		return false;
	const __u32 options_end = tcp_off + tcp.doff * 4;
	__u32 at = tcp_off + sizeof(tcp);

	for (int i = 0; i < 40; i++) {
		__u8 option[4];

		if (at >= options_end || bpf_skb_load_bytes(skb, at, option, 1))
			return false;
		if (option[0] == 0) /* end of options */
			return false;
		if (option[0] == 1) { /* no-op */
			at++;
			continue;
		}
		if (at + 2 > options_end ||
		    bpf_skb_load_bytes(skb, at, option, 2) || option[1] < 2)
			return false;
		if (option[0] == 2 && option[1] == 4) {
			__be16 old_mss, new_mss;

			if (at + 4 > options_end ||
			    bpf_skb_load_bytes(skb, at + 2, &old_mss, 2) ||
			    bpf_ntohs(old_mss) <= max_mss)
				return false;
			new_mss = bpf_htons((__u16)max_mss);
			if (bpf_skb_store_bytes(skb, at + 2, &new_mss, 2, 0))
				return false;
			bpf_l4_csum_replace(
				skb, tcp_off + offsetof(struct tcphdr, check),
				old_mss, new_mss, 2);
			return true;
		}
		at += option[1];
	}
	return false;
}

/* The MSS that fits a path MTU once the tunnel's overhead and the packet's
 * own IP and TCP headers are taken off; 0: none sensible. */
static __always_inline __u32 fitting_mss(__u32 mtu, __u32 overhead, bool v6)
{
	const __u32 headers = overhead + (v6 ? 60 : 40);

	return mtu > headers + 88 ? mtu - headers : 0;
}

static __always_inline void count_fib_fallback(const struct iplb_route *route)
{
	__u32 id = route->id;
	struct iplb_counters *c =
		bpf_map_lookup_elem(&iplb_route_counters, &id);

	if (c)
		c->fib_fallback++;
}

/* Sends the packet towards its first relay by the FIB, when user space asked
 * for it: with several uplinks, the device the inner destination chose need
 * not be the one towards the relay (and a tunnel of the other family needs
 * a next hop of that family).
 *
 * Only to a resolved neighbour. bpf_redirect_neigh() to an unresolved one
 * queues the packet, and the kernel, flushing the queue, looks the neighbour
 * up again from the packet's route, which is still the inner destination's:
 * the first packet leaves with that next hop's MAC address and is dropped by
 * the relay as not its own. Until the neighbour is there (user space keeps
 * uplink gateways resolved), the packet takes the inner destination's next
 * hop, which routes the tunnel on to the relay. */
static __always_inline int route_to_relay(struct __sk_buff *skb,
					  const struct iplb_route *route,
					  const union iplb_addr *relay,
					  const union iplb_addr *source,
					  bool v6)
{
	struct bpf_fib_lookup fib = {
		.family = v6 ? AF_INET6 : AF_INET,
		.ifindex = skb->ifindex,
	};
	if (v6) {
		__builtin_memcpy(fib.ipv6_src, source->v6, 16);
		__builtin_memcpy(fib.ipv6_dst, relay->v6, 16);
	} else {
		fib.ipv4_src = source->v4;
		fib.ipv4_dst = relay->v4;
	}
	long rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);

	if (rc != BPF_FIB_LKUP_RET_SUCCESS) {
		count_fib_fallback(route);
		return TCX_NEXT;
	}
	/* The gateway, after the lookup, is in the destination fields. */
	struct bpf_redir_neigh nh = { .nh_family = fib.family };

	if (v6)
		__builtin_memcpy(nh.ipv6_nh, fib.ipv6_dst, 16);
	else
		nh.ipv4_nh = fib.ipv4_dst;
	return (int)bpf_redirect_neigh(fib.ifindex, &nh, sizeof(nh), 0);
}

/* One relay's headers: an IPv4 or IPv6 header to the relay, then GRE's or
 * UDP's, carrying `payload_len` bytes of the next layer (v6: IPv6 or not),
 * written with one store. */
static __always_inline int write_layer(struct __sk_buff *skb, __u32 at,
				       __u8 encap, bool outer_v6,
				       const union iplb_addr *source,
				       const union iplb_addr *relay,
				       __u32 payload_len, bool payload_v6,
				       const struct inner *in, __u32 hash)
{
	const __u8 protocol = encap == IPLB_ENCAP_GRE	? IPPROTO_GRE
			      : encap == IPLB_ENCAP_GUE ? IPPROTO_UDP
			      : payload_v6		? IPPROTO_IPV6
							: IPPROTO_IPIP;
	const __u32 ip_len =
		outer_v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	const __u32 l4_len = encap == IPLB_ENCAP_GRE   ? IPLB_GRE_HEADER
			     : encap == IPLB_ENCAP_GUE ? IPLB_UDP_HEADER
						       : 0;
	__u8 headers[sizeof(struct ipv6hdr) + IPLB_UDP_HEADER];

	if (outer_v6) {
		struct ipv6hdr ip6 = {
			.version = 6,
			.priority = in->tos >> 4,
			/* The flow in the flow label, for the underlay's
			 * ECMP. */
			.flow_lbl = { (__u8)((in->tos & 0xf) << 4 |
					     ((hash >> 16) & 0xf)),
				      (__u8)(hash >> 8), (__u8)hash },
			.payload_len = bpf_htons((__u16)(payload_len + l4_len)),
			.nexthdr = protocol,
			.hop_limit = 64,
		};
		__builtin_memcpy(&ip6.saddr, source->v6, 16);
		__builtin_memcpy(&ip6.daddr, relay->v6, 16);
		__builtin_memcpy(headers, &ip6, sizeof(ip6));
	} else {
		struct iphdr ip = {
			.version = 4,
			.ihl = 5,
			.tos = in->tos,
			.tot_len = bpf_htons(
				(__u16)(sizeof(ip) + l4_len + payload_len)),
			.id = in->id,
			.frag_off = in->df ? bpf_htons(IP_DF) : 0,
			.ttl = 64,
			.protocol = protocol,
			.saddr = source->v4,
			.daddr = relay->v4,
		};
		ip.check = ip_checksum(&ip);
		__builtin_memcpy(headers, &ip, sizeof(ip));
	}
	if (encap == IPLB_ENCAP_GRE) {
		/* RFC 2784, no checksum, key or sequence number */
		const __be32 gre =
			bpf_htonl(payload_v6 ? ETH_P_IPV6 : ETH_P_IP);

		__builtin_memcpy(headers + ip_len, &gre, sizeof(gre));
	} else if (encap == IPLB_ENCAP_GUE) {
		/* Checksum 0: none (the inner packet has its own). */
		struct udphdr udp = {
			.source = bpf_htons((__u16)(0xc000 | (hash & 0x3fff))),
			.dest = bpf_htons(IPLB_GUE_PORT),
			.len = bpf_htons((__u16)(sizeof(udp) + payload_len)),
		};
		__builtin_memcpy(headers + ip_len, &udp, sizeof(udp));
	}
	return (int)bpf_skb_store_bytes(skb, at, headers, ip_len + l4_len, 0);
}

/* Makes room for n relays' headers and writes them, outermost first: header
 * i leads to relay i and carries what the relays after it will unwrap.
 * Returns 0, 1 if there was no room (the packet is as it was), -1 if it is
 * half-written. */
static __always_inline int encapsulate(struct __sk_buff *skb,
				       const struct iplb_relay_list *relays,
				       __u32 n, const union iplb_addr *source,
				       const struct inner *in, __u32 hash,
				       const bool outer_v6, const __u8 encap)
{
	const __u32 layer = iplb_encap_layer(encap, outer_v6);

	if (bpf_skb_adjust_room(skb, (__s32)(n * layer), BPF_ADJ_ROOM_MAC,
				(outer_v6 ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV6
					  : BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) |
					(encap == IPLB_ENCAP_GRE
						 ? BPF_F_ADJ_ROOM_ENCAP_L4_GRE
					 : encap == IPLB_ENCAP_GUE
						 ? BPF_F_ADJ_ROOM_ENCAP_L4_UDP
						 : 0)))
		return 1;
	for (__u32 i = 0; i < IPLB_MAX_RELAYS; i++) {
		if (i >= n)
			break;
		const bool last = i + 1 == n;

		if (write_layer(skb, sizeof(struct ethhdr) + i * layer, encap,
				outer_v6, source, &relays->relays[i],
				in->l3_len + (n - i - 1) * layer,
				last ? in->v6 : outer_v6, in, hash))
			return -1;
	}
	if (outer_v6 != in->v6) {
		const __be16 ethertype =
			bpf_htons(outer_v6 ? ETH_P_IPV6 : ETH_P_IP);

		if (bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto),
					&ethertype, sizeof(ethertype), 0))
			return -1;
	}
	return 0;
}

SEC("tc")
int iplb_host_egress(struct __sk_buff *skb)
{
	struct inner in = {};
	const struct iplb_route *route = classify(skb, &in, false);

	if (!route || is_tunnel(in.protocol, in.dport))
		return TCX_NEXT;

	__u32 zero = 0;
	const struct iplb_config *config =
		bpf_map_lookup_elem(&iplb_config, &zero);

	if (!config) {
		count_bypass(route, IPLB_BYPASS_BAD_ROUTE);
		return TCX_NEXT;
	}
	const __u32 hash = flow_hash(&in);
	const int list = pick(route, &in, hash, config);

	const __u8 encap = route->encap;

	if (list < 0 || list >= IPLB_MAX_LISTS ||
	    (encap != IPLB_ENCAP_IPIP && encap != IPLB_ENCAP_GRE &&
	     encap != IPLB_ENCAP_GUE)) {
		count_bypass(route, IPLB_BYPASS_BAD_ROUTE);
		return TCX_NEXT;
	}
	const struct iplb_relay_list *relays = &route->lists[list];
	const __u32 n = relays->n_relays;

	if (n > IPLB_MAX_RELAYS) {
		count_bypass(route, IPLB_BYPASS_BAD_ROUTE);
		return TCX_NEXT;
	}
	if (n == 0) { /* the direct list: the flow takes the normal route */
		count_sent(route, list, skb->len);
		return TCX_NEXT;
	}

	/* The outer source: the configured one of the tunnel's family, else
	 * the packet's own if it is of that family. */
	const bool outer_v6 = route->flags & IPLB_ROUTE_RELAYS_V6;
	union iplb_addr source;

	/* Not "= {}": that zeroes only a union's first member. */
	__builtin_memset(&source, 0, sizeof(source));

	if (outer_v6) {
		if (config->source_v6[0] | config->source_v6[1] |
		    config->source_v6[2] | config->source_v6[3])
			__builtin_memcpy(source.v6, config->source_v6, 16);
		else if (in.v6)
			__builtin_memcpy(source.v6, in.saddr, 16);
	} else {
		source.v4 = config->source_v4 ? config->source_v4
			    : in.v6	      ? 0
					      : in.saddr[0];
	}
	if (!(source.v6[0] | source.v6[1] | source.v6[2] | source.v6[3])) {
		count_bypass(route, IPLB_BYPASS_NO_SOURCE);
		return TCX_NEXT;
	}

	const __u32 layer = iplb_encap_layer(encap, outer_v6);
	const __u32 overhead = n * layer;
	const __u32 skb_len = skb->len;

	if (in.protocol == IPPROTO_TCP && in.l4_off) {
		const __u32 mss =
			fitting_mss(path_mtu(skb, route), overhead, in.v6);

		if (mss && clamp_mss(skb, in.l4_off, mss))
			count_mss_clamp(route);
	}
	if (route->mtu && in.df && !skb->gso_size &&
	    in.l3_len + overhead > route->mtu) {
		count_bypass(route, IPLB_BYPASS_TOO_BIG);
		return TCX_NEXT;
	}
	/* One copy of the encapsulation per tunnel family and type, each with
	 * those known at compile time: a loop over up to 8 relays that
	 * branched on them at every layer would be more paths than the
	 * verifier takes. */
	int written;

	if (outer_v6) {
		if (encap == IPLB_ENCAP_GRE)
			written = encapsulate(skb, relays, n, &source, &in,
					      hash, true, IPLB_ENCAP_GRE);
		else if (encap == IPLB_ENCAP_GUE)
			written = encapsulate(skb, relays, n, &source, &in,
					      hash, true, IPLB_ENCAP_GUE);
		else
			written = encapsulate(skb, relays, n, &source, &in,
					      hash, true, IPLB_ENCAP_IPIP);
	} else {
		if (encap == IPLB_ENCAP_GRE)
			written = encapsulate(skb, relays, n, &source, &in,
					      hash, false, IPLB_ENCAP_GRE);
		else if (encap == IPLB_ENCAP_GUE)
			written = encapsulate(skb, relays, n, &source, &in,
					      hash, false, IPLB_ENCAP_GUE);
		else
			written = encapsulate(skb, relays, n, &source, &in,
					      hash, false, IPLB_ENCAP_IPIP);
	}
	if (written > 0) {
		count_bypass(route, IPLB_BYPASS_NO_ROOM);
		return TCX_NEXT;
	}
	if (written < 0)
		return TC_ACT_SHOT; /* half-written: must not leave */

	count_sent(route, list, skb_len);
	if (config->flags & IPLB_CONFIG_FIB_REDIRECT)
		return route_to_relay(skb, route, &relays->relays[0], &source,
				      outer_v6);
	return TCX_NEXT;
}

/* Host side, TCX ingress: SYNs and SYN-ACKs from a destination in the table
 * get their MSS clamped too, so that this host's own segments towards it fit
 * the tunnel whichever list their flow takes. */
SEC("tc")
int iplb_host_ingress(struct __sk_buff *skb)
{
	struct inner in = {};
	const struct iplb_route *route = classify(skb, &in, true);

	if (!route || in.protocol != IPPROTO_TCP || !in.l4_off)
		return TCX_NEXT;
	__u32 most = 0;

	for (int i = 0; i < IPLB_MAX_LISTS; i++) {
		if (i >= route->n_lists)
			break;
		if (route->lists[i].n_relays > most)
			most = route->lists[i].n_relays;
	}
	if (most == 0 || most > IPLB_MAX_RELAYS)
		return TCX_NEXT;
	const __u32 overhead =
		most * iplb_encap_layer(route->encap,
					route->flags & IPLB_ROUTE_RELAYS_V6);
	const __u32 mss = fitting_mss(path_mtu(skb, route), overhead, in.v6);

	if (mss && clamp_mss(skb, in.l4_off, mss))
		count_mss_clamp(route);
	return TCX_NEXT;
}

char LICENSE[] SEC("license") = "GPL";
