// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host side of iplb (TCX egress): an IPv4 or IPv6 packet whose destination is
 * in the iplb table leaves encapsulated through one of the destination's
 * relay lists, chosen per flow; everything else continues untouched
 * (TCX_NEXT). The tunnel's family is the relays': IPv4 (IPIP, 6in4, GRE,
 * GUE) or IPv6 (4in6, ip6ip6, GRE, GUE).
 *
 * This file holds the host's decisions: the table lookup, the choice of a
 * list (modes hash, weighted, flow, round-robin), what is encapsulated and what
 * bypasses (counted by reason), where the tunnel goes. Parsing, hashing,
 * checksums, the tunnels' headers and MSS clamping are shared headers
 * (kernel/README.md).
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_helpers.h>

#include "compat.h"
#include "encap.h"
#include "hashing.h"
#include "iplb_host_layout.h"
#include "parsing.h"
#include "tcp_mss.h"

#include "iplb_neg_log.h" /* generated: -ln(u), for weighted hashing */

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

/* The table's route for the packet's destination (or source), and then, only
 * for a packet that has one, what else the host needs of it: a packet not in
 * the table costs a header check and one lookup. `pkt` comes zeroed. */
static __always_inline const struct iplb_route *
classify(struct __sk_buff *skb, struct packet_info *pkt, bool by_source)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = ipv4_header(data, data_end);
	const struct iplb_route *route;
	struct ipv6hdr *ip6;

	if (ip) {
		if (!ipv4_header_sane(ip))
			return NULL; /* not ours to judge: the stack built it */
		struct iplb_v4_key key = {
			.prefixlen = 32,
			.addr = by_source ? ip->saddr : ip->daddr,
		};
		route = bpf_map_lookup_elem(&iplb_routes_v4, &key);
		if (route)
			describe_ipv4(ip, data_end, pkt);
		return route;
	}
	ip6 = ipv6_header(data, data_end);
	if (!ip6 || !ipv6_header_sane(ip6))
		return NULL;
	struct iplb_v6_key key = { .prefixlen = 128 };

	__builtin_memcpy(key.addr, by_source ? &ip6->saddr : &ip6->daddr, 16);
	route = bpf_map_lookup_elem(&iplb_routes_v6, &key);
	if (route)
		describe_ipv6(ip6, data_end, pkt);
	return route;
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

/* Mode round-robin's turn per route id. Not pinned: a program loaded again
 * starts the turns anew, which only changes where the next flows begin. */
static __u32 iplb_turns[IPLB_MAX_ROUTES];

/* The route's next list in turn; -1: none. Atomic, as flows of one route
 * start on every CPU. */
static __always_inline int next_in_turn(const struct iplb_route *route)
{
	const __u32 id = route->id;

	if (id >= IPLB_MAX_ROUTES || route->n_lists == 0)
		return -1;
	return __sync_fetch_and_add(&iplb_turns[id], 1) % route->n_lists;
}

/* Modes flow and round-robin: the list this flow had, if it has not been
 * idle too long and the list is still there; else a new pick (weighted, or
 * the next in turn), remembered. */
static __always_inline int pick_flow_list(const struct iplb_route *route,
					  const struct flow_tuple *flow,
					  __u32 hash,
					  const struct iplb_config *config)
{
	struct iplb_flow_key key = {
		.sport = flow->sport,
		.dport = flow->dport,
		.protocol = flow->protocol,
		.family = flow->v6 ? AF_INET6 : AF_INET,
	};
	__builtin_memcpy(key.saddr, flow->saddr, 16);
	__builtin_memcpy(key.daddr, flow->daddr, 16);
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
	int list = route->select == IPLB_SELECT_ROUND_ROBIN
			   ? next_in_turn(route)
			   : pick_weighted_list(route, hash);

	if (list < 0 || list >= IPLB_MAX_LISTS)
		return -1;
	struct iplb_flow entry = {
		.list_key = route->lists[list].key,
		.route_id = route->id,
		.last_seen_ns = now,
	};
	count_flow(route, bpf_map_update_elem(&iplb_flows, &key, &entry,
					      BPF_ANY) == 0);
	return list;
}

/* The flow's list, by the route's mode; -1: none. A function of its own
 * (global, so verified once, by itself): the caller sees an index in a
 * range, not one path per list through the rest of the program. */
__attribute__((noinline)) int pick(const struct iplb_route *route,
				   const struct flow_tuple *flow, __u32 hash,
				   const struct iplb_config *config)
{
	if (!route || !flow || !config)
		return -1;
	if (route->select == IPLB_SELECT_HASH)
		return pick_list(route, hash);
	if (route->select == IPLB_SELECT_WEIGHTED)
		return pick_weighted_list(route, hash);
	if (route->select == IPLB_SELECT_FLOW ||
	    route->select == IPLB_SELECT_ROUND_ROBIN)
		return pick_flow_list(route, flow, hash, config);
	return -1;
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

SEC("tc")
int iplb_host_egress(struct __sk_buff *skb)
{
	struct packet_info pkt = {};
	const struct iplb_route *route = classify(skb, &pkt, false);

	if (!route || is_tunnel(&pkt.flow))
		return TCX_NEXT;

	__u32 zero = 0;
	const struct iplb_config *config =
		bpf_map_lookup_elem(&iplb_config, &zero);

	if (!config) {
		count_bypass(route, IPLB_BYPASS_BAD_ROUTE);
		return TCX_NEXT;
	}
	if (config->owner_deadline_jiffies &&
	    bpf_jiffies64() > config->owner_deadline_jiffies) {
		count_bypass(route, IPLB_BYPASS_STALE);
		return TCX_NEXT;
	}
	const __u32 hash = flow_hash(&pkt.flow);
	const int list = pick(route, &pkt.flow, hash, config);

	const __u8 encap = route->encap;

	if (list < 0 || list >= IPLB_MAX_LISTS ||
	    (encap != IPLB_ENCAP_IPIP && encap != IPLB_ENCAP_GRE &&
	     encap != IPLB_ENCAP_GUE)) {
		count_bypass(route, IPLB_BYPASS_BAD_ROUTE);
		return TCX_NEXT;
	}
	const struct iplb_relay_list *chosen = &route->lists[list];
	const __u32 n = chosen->n_relays;

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
		else if (pkt.flow.v6)
			__builtin_memcpy(source.v6, pkt.flow.saddr, 16);
	} else {
		source.v4 = config->source_v4 ? config->source_v4
			    : pkt.flow.v6     ? 0
					      : pkt.flow.saddr[0];
	}
	if (!(source.v6[0] | source.v6[1] | source.v6[2] | source.v6[3])) {
		count_bypass(route, IPLB_BYPASS_NO_SOURCE);
		return TCX_NEXT;
	}

	const __u32 layer = iplb_encap_layer(encap, outer_v6);
	const __u32 overhead = n * layer;
	const __u32 skb_len = skb->len;

	if (pkt.flow.protocol == IPPROTO_TCP && pkt.l4_off) {
		const __u32 mss = fitting_mss(path_mtu(skb, route), overhead,
					      pkt.flow.v6);

		if (mss && clamp_mss(skb, pkt.l4_off, mss))
			count_mss_clamp(route);
	}
	if (route->mtu && pkt.df && !skb->gso_size &&
	    pkt.l3_len + overhead > route->mtu) {
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
			written = encapsulate_skb(skb, chosen->relays, n,
						  &source, &pkt, hash, true,
						  IPLB_ENCAP_GRE);
		else if (encap == IPLB_ENCAP_GUE)
			written = encapsulate_skb(skb, chosen->relays, n,
						  &source, &pkt, hash, true,
						  IPLB_ENCAP_GUE);
		else
			written = encapsulate_skb(skb, chosen->relays, n,
						  &source, &pkt, hash, true,
						  IPLB_ENCAP_IPIP);
	} else {
		if (encap == IPLB_ENCAP_GRE)
			written = encapsulate_skb(skb, chosen->relays, n,
						  &source, &pkt, hash, false,
						  IPLB_ENCAP_GRE);
		else if (encap == IPLB_ENCAP_GUE)
			written = encapsulate_skb(skb, chosen->relays, n,
						  &source, &pkt, hash, false,
						  IPLB_ENCAP_GUE);
		else
			written = encapsulate_skb(skb, chosen->relays, n,
						  &source, &pkt, hash, false,
						  IPLB_ENCAP_IPIP);
	}
	if (written > 0) {
		count_bypass(route, IPLB_BYPASS_NO_ROOM);
		return TCX_NEXT;
	}
	if (written < 0)
		return TC_ACT_SHOT; /* half-written: must not leave */

	count_sent(route, list, skb_len);
	if (config->flags & IPLB_CONFIG_FIB_REDIRECT)
		return route_to_relay(skb, route, &chosen->relays[0], &source,
				      outer_v6);
	return TCX_NEXT;
}

/* Host side, TCX ingress: SYNs and SYN-ACKs from a destination in the table
 * get their MSS clamped too, so that this host's own segments towards it fit
 * the tunnel whichever list their flow takes. */
SEC("tc")
int iplb_host_ingress(struct __sk_buff *skb)
{
	struct packet_info pkt = {};
	const struct iplb_route *route = classify(skb, &pkt, true);

	if (!route || pkt.flow.protocol != IPPROTO_TCP || !pkt.l4_off)
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
	const __u32 mss =
		fitting_mss(path_mtu(skb, route), overhead, pkt.flow.v6);

	if (mss && clamp_mss(skb, pkt.l4_off, mss))
		count_mss_clamp(route);
	return TCX_NEXT;
}

char LICENSE[] SEC("license") = "GPL";

/* The clocks the lease is written in, for user space (which has no jiffies). */
SEC("syscall")
int iplb_host_clock(struct iplb_clock *clock)
{
	clock->jiffies = bpf_jiffies64();
	clock->monotonic_ns = bpf_ktime_get_ns();
	return 0;
}
