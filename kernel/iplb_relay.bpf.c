// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Relay side of iplb (TCX ingress): an IP-in-IP (4in4, 6in4, 4in6, 6in6),
 * GRE or GUE (UDP to port 6080) packet, over IPv4 or IPv6, addressed to one
 * of this relay's addresses loses its outer headers, and the stack forwards
 * what was inside (the next relay's header, or the original packet). This is
 * what a switch's tunnel decapsulation does; here it needs no tunnel module.
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "iplb_common_layout.h"
#include "iplb_relay_layout.h"
#include "iplb_bpf_common.h"

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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iplb_relay_counters);
} iplb_relay_counters SEC(".maps");

SEC("tc")
int iplb_relay_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u32 zero = 0;
	struct iplb_relay_counters *c =
		bpf_map_lookup_elem(&iplb_relay_counters, &zero);
	bool outer_v6, local, fragment, bad_header = false;
	__u8 protocol;
	__u32 ip_len;

	if (!c || (void *)(eth + 1) > data_end)
		return TCX_NEXT;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return TCX_NEXT;
		outer_v6 = false;
		protocol = ip->protocol;
		ip_len = ip->ihl * 4;
		fragment = ip->frag_off & bpf_htons(IP_MF | IP_OFFSET);
		/* A later fragment has no UDP header to tell GUE by. */
		if (protocol == IPPROTO_UDP &&
		    (ip->frag_off & bpf_htons(IP_OFFSET)))
			return TCX_NEXT;
		bad_header = ip->version != 4 || ip_len < sizeof(*ip);
		local = bpf_map_lookup_elem(&iplb_local_v4, &ip->daddr);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return TCX_NEXT;
		/* Hosts write no extension headers; anything behind one
		 * (a fragment included) is the stack's. */
		outer_v6 = true;
		protocol = ip6->nexthdr;
		ip_len = sizeof(*ip6);
		fragment = false;
		local = bpf_map_lookup_elem(&iplb_local_v6, &ip6->daddr);
	} else {
		return TCX_NEXT;
	}

	__u32 outer_len = ip_len;
	int inner_v6 = -1; /* as the tunnel says, -1: from the packet */

	if (protocol == IPPROTO_IPIP) {
		inner_v6 = 0;
	} else if (protocol == IPPROTO_IPV6) {
		inner_v6 = 1;
	} else if (protocol == IPPROTO_GRE) {
		outer_len += IPLB_GRE_HEADER;
	} else if (protocol == IPPROTO_UDP) {
		const struct udphdr *udp = (void *)(eth + 1) + ip_len;

		if ((void *)(udp + 1) > data_end ||
		    udp->dest != bpf_htons(IPLB_GUE_PORT))
			return TCX_NEXT; /* not a tunnel: not counted */
		outer_len += IPLB_UDP_HEADER;
	} else {
		return TCX_NEXT;
	}
	if (bad_header) {
		c->malformed++;
		return TCX_NEXT;
	}
	if (!local) {
		c->not_local++;
		return TCX_NEXT;
	}
	if (fragment) {
		c->fragments++;
		return TCX_NEXT;
	}
	if (protocol == IPPROTO_GRE) {
		/* Only the GRE hosts write: no checksum, key or sequence
		 * number, version 0, IPv4 or IPv6 inside. */
		const __be32 *header = (void *)(eth + 1) + ip_len;

		if ((void *)(header + 1) > data_end) {
			c->malformed++;
			return TCX_NEXT;
		}
		if (*header == bpf_htonl(ETH_P_IP))
			inner_v6 = 0;
		else if (*header == bpf_htonl(ETH_P_IPV6))
			inner_v6 = 1;
		else {
			c->malformed++;
			return TCX_NEXT;
		}
	}
	const __u8 *inner = (void *)(eth + 1) + outer_len;

	if ((void *)(inner + 1) > data_end) {
		c->malformed++;
		return TCX_NEXT;
	}
	const __u8 version = *inner >> 4;

	if (inner_v6 < 0) /* GUE variant 1: the version tells */
		inner_v6 = version == 6 ? 1 : version == 4 ? 0 : -1;
	if (inner_v6 < 0 || version != (inner_v6 ? 6 : 4)) {
		c->malformed++;
		return TCX_NEXT;
	}
	const __u32 len = skb->len;

	if (bpf_skb_adjust_room(skb, -(__s32)outer_len, BPF_ADJ_ROOM_MAC,
				inner_v6 ? IPLB_ADJ_ROOM_DECAP_L3_IPV6
					 : IPLB_ADJ_ROOM_DECAP_L3_IPV4))
		return TCX_NEXT;
	if (outer_v6 != inner_v6) {
		const __be16 ethertype =
			bpf_htons(inner_v6 ? ETH_P_IPV6 : ETH_P_IP);

		if (bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto),
					&ethertype, sizeof(ethertype), 0))
			return TC_ACT_SHOT; /* half-done: must not go on */
	}
	c->decapsulated++;
	c->bytes += len;
	return TCX_PASS;
}

char LICENSE[] SEC("license") = "GPL";
