// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host side of iplb (TCX egress): an IPv4 packet whose destination is in the
 * iplb table leaves encapsulated through one of the destination's relay
 * lists, chosen per flow; everything else continues untouched (TCX_NEXT).
 *
 * Flow: TCP/UDP/SCTP by 5-tuple; other protocols and every fragment (first
 * or not, so that the fragments of one datagram stay together) by source,
 * destination and protocol.
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "iplb_datapath.h"
#include "iplb_bpf_common.h"
#include "iplb_neg_log.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, IPLB_MAX_ROUTES);
	__type(key, struct iplb_v4_key);
	__type(value, struct iplb_route);
} iplb_routes_v4 SEC(".maps");

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

static __always_inline void count_mss_clamp(const struct iplb_route *route)
{
	__u32 id = route->id;
	struct iplb_counters *c =
		bpf_map_lookup_elem(&iplb_route_counters, &id);

	if (c)
		c->mss_clamped++;
}

static __always_inline __u32 flow_hash(const struct iphdr *ip, void *data_end)
{
	__u32 ports = 0;

	if (!(ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)) &&
	    (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP ||
	     ip->protocol == IPPROTO_SCTP)) {
		const __u32 *l4 = (const void *)ip + ip->ihl * 4;

		if ((const void *)(l4 + 1) <= data_end)
			ports = *l4;
	}
	return iplb_mix32(
		ip->saddr ^
		iplb_mix32(ip->daddr ^ iplb_mix32(ports ^ ip->protocol)));
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
					  const struct iphdr *ip,
					  void *data_end, __u32 hash,
					  const struct iplb_config *config)
{
	struct iplb_flow_key key = {
		.saddr = { ip->saddr },
		.daddr = { ip->daddr },
		.protocol = ip->protocol,
		.family = 2 /* AF_INET */,
	};
	if (!(ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)) &&
	    (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP ||
	     ip->protocol == IPPROTO_SCTP)) {
		const __u16 *ports = (const void *)ip + ip->ihl * 4;

		if ((const void *)(ports + 2) <= data_end) {
			key.sport = ports[0];
			key.dport = ports[1];
		}
	}
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

/* Lowers the MSS option of a TCP SYN (or SYN-ACK) at ip_off to max_mss, so
 * that neither end sends segments the tunnel cannot carry. Returns whether
 * it changed the packet (whose pointers are then stale). */
static __always_inline bool clamp_mss(struct __sk_buff *skb, __u32 ip_off,
				      __u32 ihl, __u32 max_mss)
{
	const __u32 tcp_off = ip_off + ihl * 4;
	struct tcphdr tcp;

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

/* Sends the packet towards its first relay by the FIB, when user space asked
 * for it: with several uplinks, the device the inner destination chose need
 * not be the one towards the relay.
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
					  __u32 relay, __u32 source)
{
	struct bpf_fib_lookup fib = {
		.family = 2 /* AF_INET */,
		.ipv4_src = source,
		.ipv4_dst = relay,
		.ifindex = skb->ifindex,
	};
	long rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);

	if (rc != BPF_FIB_LKUP_RET_SUCCESS) {
		__u32 id = route->id;
		struct iplb_counters *c =
			bpf_map_lookup_elem(&iplb_route_counters, &id);

		if (c)
			c->fib_fallback++;
		return TCX_NEXT;
	}
	struct bpf_redir_neigh nh = {
		.nh_family = 2 /* AF_INET */,
		.ipv4_nh = fib.ipv4_dst, /* the gateway, after the lookup */
	};
	return (int)bpf_redirect_neigh(fib.ifindex, &nh, sizeof(nh), 0);
}

SEC("tc")
int iplb_host_egress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TCX_NEXT;
	if (ip->version != 4 || ip->ihl < 5)
		return TCX_NEXT; /* not ours to judge: the stack built it */
	/* Already tunnelled, most likely by us: redirected towards its first
	 * relay, it passes this hook again on the way out. */
	if (ip->protocol == IPPROTO_IPIP || ip->protocol == IPPROTO_GRE)
		return TCX_NEXT;
	if (ip->protocol == IPPROTO_UDP &&
	    !(ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))) {
		const struct udphdr *udp = (const void *)ip + ip->ihl * 4;

		if ((const void *)(udp + 1) <= data_end &&
		    udp->dest == bpf_htons(IPLB_GUE_PORT))
			return TCX_NEXT;
	}

	struct iplb_v4_key key = { .prefixlen = 32, .addr = ip->daddr };
	const struct iplb_route *route =
		bpf_map_lookup_elem(&iplb_routes_v4, &key);

	if (!route)
		return TCX_NEXT;

	__u32 zero = 0;
	const struct iplb_config *config =
		bpf_map_lookup_elem(&iplb_config, &zero);
	if (!config) {
		count_bypass(route, IPLB_BYPASS_BAD_ROUTE);
		return TCX_NEXT;
	}
	const __u32 hash = flow_hash(ip, data_end);
	int list = -1;

	if (route->select == IPLB_SELECT_HASH)
		list = pick_list(route, hash);
	else if (route->select == IPLB_SELECT_WEIGHTED)
		list = pick_weighted_list(route, hash);
	else if (route->select == IPLB_SELECT_FLOW)
		list = pick_flow_list(route, ip, data_end, hash, config);

	if (list < 0 || list >= IPLB_MAX_LISTS ||
	    (route->encap != IPLB_ENCAP_IPIP &&
	     route->encap != IPLB_ENCAP_GRE &&
	     route->encap != IPLB_ENCAP_GUE)) {
		count_bypass(route, IPLB_BYPASS_BAD_ROUTE);
		return TCX_NEXT;
	}
	const struct iplb_relay_list *relays = &route->lists[list];
	__u32 n = relays->n_relays;

	if (n == 0 || n > IPLB_MAX_RELAYS) {
		count_bypass(route, IPLB_BYPASS_BAD_ROUTE);
		return TCX_NEXT;
	}

	const __u8 encap = route->encap;
	/* Per relay: an IPv4 header, then for GRE a basic GRE header (RFC 2784,
	 * no checksum, key or sequence number) saying IPv4 follows, for GUE a
	 * UDP header. */
	const __u32 layer = iplb_encap_layer(encap);
	const __u32 inner_len = bpf_ntohs(ip->tot_len);
	const __u32 skb_len = skb->len;
	struct iphdr outer = {
		.version = 4,
		.ihl = 5,
		.tos = ip->tos,
		.id = ip->id,
		.frag_off = ip->frag_off & bpf_htons(IP_DF),
		.ttl = 64,
		.protocol = encap == IPLB_ENCAP_GRE   ? IPPROTO_GRE
			    : encap == IPLB_ENCAP_GUE ? IPPROTO_UDP
						      : IPPROTO_IPIP,
		.saddr = config->source_v4 ? config->source_v4 : ip->saddr,
	};
	const __be32 gre_header = bpf_htonl(ETH_P_IP); /* flags 0, version 0 */
	/* Checksum 0: none, as IPv4 allows; the inner packet has its own. */
	struct udphdr udp = {
		.source = bpf_htons((__u16)(0xc000 | (hash & 0x3fff))),
		.dest = bpf_htons(IPLB_GUE_PORT),
	};

	const __u32 overhead = n * layer;

	if (ip->protocol == IPPROTO_TCP &&
	    !(ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))) {
		const __u32 mtu = path_mtu(skb, route);

		if (mtu > overhead + 128 &&
		    clamp_mss(skb, sizeof(struct ethhdr), ip->ihl,
			      mtu - overhead - 40))
			count_mss_clamp(route);
	}
	if (route->mtu && (outer.frag_off & bpf_htons(IP_DF)) &&
	    !skb->gso_size && inner_len + overhead > route->mtu) {
		count_bypass(route, IPLB_BYPASS_TOO_BIG);
		return TCX_NEXT;
	}
	if (bpf_skb_adjust_room(skb, (__s32)overhead, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 |
					(encap == IPLB_ENCAP_GRE
						 ? BPF_F_ADJ_ROOM_ENCAP_L4_GRE
					 : encap == IPLB_ENCAP_GUE
						 ? BPF_F_ADJ_ROOM_ENCAP_L4_UDP
						 : 0))) {
		count_bypass(route, IPLB_BYPASS_NO_ROOM);
		return TCX_NEXT;
	}
	/* Outermost first: header i leads to relay i, and carries what the
	 * relays after it will unwrap. */
	for (__u32 i = 0; i < IPLB_MAX_RELAYS; i++) {
		if (i >= n)
			break;
		const __u32 at = sizeof(struct ethhdr) + i * layer;

		outer.tot_len = bpf_htons((__u16)(inner_len + (n - i) * layer));
		outer.daddr = relays->relays[i];
		outer.check = 0;
		outer.check = ip_checksum(&outer);
		udp.len = bpf_htons(
			(__u16)(inner_len + (n - i) * layer - sizeof(outer)));
		if (bpf_skb_store_bytes(skb, at, &outer, sizeof(outer), 0) ||
		    (encap == IPLB_ENCAP_GRE &&
		     bpf_skb_store_bytes(skb, at + sizeof(outer), &gre_header,
					 sizeof(gre_header), 0)) ||
		    (encap == IPLB_ENCAP_GUE &&
		     bpf_skb_store_bytes(skb, at + sizeof(outer), &udp,
					 sizeof(udp), 0)))
			return TC_ACT_SHOT; /* half-written: must not leave */
	}

	__u32 id = route->id;
	struct iplb_counters *rc =
		bpf_map_lookup_elem(&iplb_route_counters, &id);
	__u32 list_index = id * IPLB_MAX_LISTS + (__u32)list;
	struct iplb_list_counters *lc =
		bpf_map_lookup_elem(&iplb_list_counters, &list_index);

	if (rc) {
		rc->packets++;
		rc->bytes += skb_len;
	}
	if (lc) {
		lc->packets++;
		lc->bytes += skb_len;
	}
	if (config->flags & IPLB_CONFIG_FIB_REDIRECT)
		return route_to_relay(skb, route, relays->relays[0],
				      outer.saddr);
	return TCX_NEXT;
}

/* Host side, TCX ingress: SYNs and SYN-ACKs from a destination in the table
 * get their MSS clamped too, so that this host's own segments towards it fit
 * the tunnel whichever list their flow takes. */
SEC("tc")
int iplb_host_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end ||
	    eth->h_proto != bpf_htons(ETH_P_IP) || ip->version != 4 ||
	    ip->ihl < 5 || ip->protocol != IPPROTO_TCP ||
	    (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
		return TCX_NEXT;

	struct iplb_v4_key key = { .prefixlen = 32, .addr = ip->saddr };
	const struct iplb_route *route =
		bpf_map_lookup_elem(&iplb_routes_v4, &key);

	if (!route)
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
	const __u32 overhead = most * iplb_encap_layer(route->encap);
	const __u32 mtu = path_mtu(skb, route);

	if (mtu > overhead + 128 &&
	    clamp_mss(skb, sizeof(struct ethhdr), ip->ihl, mtu - overhead - 40))
		count_mss_clamp(route);
	return TCX_NEXT;
}

char LICENSE[] SEC("license") = "GPL";
