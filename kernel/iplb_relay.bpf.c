// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Relay side of iplb (TCX ingress): an IP-in-IP, GRE or GUE (UDP to port
 * 6080) packet addressed to one of this relay's addresses loses its outer
 * headers, and the stack forwards what was inside (the next relay's header, or
 * the original packet). This is what a switch's tunnel decapsulation does; here
 * it needs no tunnel module.
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "iplb_datapath.h"
#include "iplb_bpf_common.h"

/* The addresses packets are decapsulated for (value unused). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IPLB_MAX_LOCAL);
	__type(key, __u32);
	__type(value, __u8);
} iplb_local_v4 SEC(".maps");

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
	struct iphdr *outer = (void *)(eth + 1);
	__u32 zero = 0;
	struct iplb_relay_counters *c =
		bpf_map_lookup_elem(&iplb_relay_counters, &zero);

	if (!c || (void *)(outer + 1) > data_end ||
	    eth->h_proto != bpf_htons(ETH_P_IP))
		return TCX_NEXT;
	const __u32 ip_len = outer->ihl * 4;
	__u32 outer_len = ip_len;

	if (outer->protocol == IPPROTO_GRE) {
		outer_len += IPLB_GRE_HEADER;
	} else if (outer->protocol == IPPROTO_UDP) {
		/* Only GUE is ours; the port is read below, once the header is
		 * known to be there. */
		outer_len += IPLB_UDP_HEADER;
	} else if (outer->protocol != IPPROTO_IPIP) {
		return TCX_NEXT;
	}
	if (outer->protocol == IPPROTO_UDP) {
		const struct udphdr *udp = (const void *)outer + ip_len;

		if (ip_len < sizeof(*outer) || (void *)(udp + 1) > data_end ||
		    (outer->frag_off & bpf_htons(IP_OFFSET)) ||
		    udp->dest != bpf_htons(IPLB_GUE_PORT))
			return TCX_NEXT; /* not a tunnel: not counted */
	}
	if (!bpf_map_lookup_elem(&iplb_local_v4, &outer->daddr)) {
		c->not_local++;
		return TCX_NEXT;
	}
	if (outer->frag_off & bpf_htons(IP_MF | IP_OFFSET)) {
		c->fragments++;
		return TCX_NEXT;
	}

	const __u8 *inner = (const void *)outer + outer_len;

	if (outer->version != 4 || ip_len < sizeof(*outer) ||
	    (const void *)(inner + 1) > data_end || (*inner >> 4) != 4) {
		c->malformed++;
		return TCX_NEXT;
	}
	/* Only the GRE hosts write: no checksum, key or sequence number,
	 * version 0, IPv4 inside. */
	if (outer->protocol == IPPROTO_GRE) {
		const __be32 *header = (const void *)outer + ip_len;

		if ((const void *)(header + 1) > data_end ||
		    *header != bpf_htonl(ETH_P_IP)) {
			c->malformed++;
			return TCX_NEXT;
		}
	}
	const __u32 len = skb->len;

	if (bpf_skb_adjust_room(skb, -(__s32)outer_len, BPF_ADJ_ROOM_MAC,
				IPLB_ADJ_ROOM_DECAP_L3_IPV4))
		return TCX_NEXT;
	c->decapsulated++;
	c->bytes += len;
	return TCX_PASS;
}

char LICENSE[] SEC("license") = "GPL";
