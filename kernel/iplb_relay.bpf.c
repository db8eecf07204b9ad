// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Relay side of iplb (TCX ingress): an IP-in-IP (4in4, 6in4, 4in6, 6in6),
 * GRE or GUE (UDP to port 6080) packet, over IPv4 or IPv6, addressed to one
 * of this relay's addresses loses its outer headers, and the stack forwards
 * what was inside (the next relay's header, or the original packet). This is
 * what a switch's tunnel decapsulation does; here it needs no tunnel module.
 *
 * Only tunnels whose outer source is inside an allowed prefix (the hosts'
 * tunnel sources) are decapsulated; one from any other source is dropped and
 * counted (refused_source), never handed to the stack, where a fallback
 * tunnel device or a UDP socket on GUE's port could take it. None allowed:
 * every tunnel is refused.
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/in6.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_helpers.h>

#include "compat.h"
#include "encap.h"
#include "iplb_relay_layout.h"

/* The addresses packets are decapsulated for (value unused). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IPLB_MAX_LOCAL);
	__type(key, __u32);
	__type(value, __u8);
} iplb_local_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IPLB_MAX_LOCAL);
	__type(key, struct in6_addr);
	__type(value, __u8);
} iplb_local_v6 SEC(".maps");

/* The outer sources tunnels are accepted from (value unused); empty: none. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, IPLB_MAX_SOURCES);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* required of LPM tries */
	__type(key, struct iplb_v4_key);
	__type(value, __u8);
} iplb_sources_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, IPLB_MAX_SOURCES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct iplb_v6_key);
	__type(value, __u8);
} iplb_sources_v6 SEC(".maps");

/* The layout of these maps, for the loader (the program does not read it). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iplb_relay_config);
} iplb_relay_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iplb_relay_counters);
} iplb_relay_counters SEC(".maps");

/* Whether the tunnel's outer source is inside an allowed prefix. */
static __always_inline bool source_allowed(const struct tunnel_info *t)
{
	if (t->outer_v6) {
		struct iplb_v6_key key = { .prefixlen = 128 };

		__builtin_memcpy(key.addr, t->saddr, sizeof(key.addr));
		return bpf_map_lookup_elem(&iplb_sources_v6, &key);
	}
	struct iplb_v4_key key = { .prefixlen = 32, .addr = t->saddr[0] };

	return bpf_map_lookup_elem(&iplb_sources_v4, &key);
}

SEC("tc")
int iplb_relay_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 zero = 0;
	struct iplb_relay_counters *c =
		bpf_map_lookup_elem(&iplb_relay_counters, &zero);
	struct tunnel_info tunnel = {};

	if (!c || !parse_tunnel(data, data_end, &tunnel))
		return TCX_NEXT; /* not a tunnel: not counted */
	if (tunnel.bad_header) {
		c->malformed++;
		return TCX_NEXT;
	}
	const bool local =
		tunnel.outer_v6
			? bpf_map_lookup_elem(&iplb_local_v6, tunnel.daddr)
			: bpf_map_lookup_elem(&iplb_local_v4, tunnel.daddr);

	if (!local) {
		c->not_local++;
		return TCX_NEXT;
	}
	if (!source_allowed(&tunnel)) {
		/* Fragments too: reassembled, the stack would take them. */
		c->refused_source++;
		return TC_ACT_SHOT;
	}
	if (tunnel.fragment) {
		c->fragments++;
		return TCX_NEXT;
	}
	const int inner_v6 = tunnel_inner_family(data, data_end, &tunnel);

	if (inner_v6 < 0) {
		c->malformed++;
		return TCX_NEXT;
	}
	const __u32 len = skb->len;
	const int done = decapsulate_skb(skb, &tunnel, inner_v6);

	if (done > 0)
		return TCX_NEXT;
	if (done < 0)
		return TC_ACT_SHOT; /* half-done: must not go on */
	c->decapsulated++;
	c->bytes += len;
	return TCX_PASS;
}

char LICENSE[] SEC("license") = "GPL";
