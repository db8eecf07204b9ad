/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Packet parsing for the eBPF programs, on the bytes of an Ethernet frame
 * (data, data_end: a tc program's __sk_buff or an XDP program's xdp_md)
 * whose IP header follows the Ethernet header directly.
 *
 * In two steps, so that a packet a program does not handle costs it only a
 * header check: first the IPv4 or IPv6 header (ipv4_header, ipv6_header), from
 * which the program decides whether the packet is its business (the host looks
 * its destination up in its table); then, for the packets that are, what the
 * program needs of them (describe_ipv4, describe_ipv6): the flow, length, TOS,
 * DF, id and where the ports are. Nothing here looks anything up.
 *
 * A flow is TCP/UDP/SCTP by 5-tuple; ICMP, other protocols and every IPv4
 * fragment (first or not, so that the fragments of one datagram stay
 * together) by source, destination and protocol. IPv6 is parsed to the fixed
 * header only: an extension header (a fragment header too) right after it
 * hides the ports, and such a packet is a flow like an IPv4 fragment.
 */
#ifndef IPLB_PARSING_H
#define IPLB_PARSING_H

#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/types.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "compat.h"

/* The first 8 bytes of an ICMP or ICMPv6 error; the packet it quotes follows
 * (linux/icmp.h is not for the BPF target: it includes libc's headers). */
struct icmp_error {
	__u8 type;
	__u8 code;
	__be16 checksum;
	__be32 rest; /* unused, or the MTU */
};

#define IPLB_ICMP_DEST_UNREACH 3
#define IPLB_ICMP_FRAG_NEEDED 4
#define IPLB_ICMPV6_PKT_TOOBIG 2

/* A flow, either family: what hashing and flow tables see. */
struct flow_tuple {
	__u32 saddr[4]; /* IPv4: [0], the rest 0 */
	__u32 daddr[4];
	__u16 sport, dport; /* network order; 0: no ports (see above) */
	__u8 protocol;	    /* IPv6: the next header after the fixed header */
	__u8 v6;
};

/* What a program needs of an IPv4 or IPv6 packet it handles. */
struct packet_info {
	struct flow_tuple flow;
	__u32 l3_len; /* the IP packet's length */
	__u32 l4_off; /* of the TCP/UDP/SCTP header in the frame, 0: none */
	__u8 tos;     /* IPv4 TOS, IPv6 traffic class */
	__u8 df;      /* may not be fragmented: IPv4 DF, every IPv6 packet */
	__be16 id;    /* IPv4's identification, 0 for IPv6 */
};

/* The IPv4 header after the frame's Ethernet header: the Ethernet type says
 * IPv4 and 20 bytes are there. NULL otherwise. Its version and length are
 * not checked (ipv4_header_sane). */
static __always_inline struct iphdr *ipv4_header(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(eth + 1) > data_end ||
	    eth->h_proto != bpf_htons(ETH_P_IP) || (void *)(ip + 1) > data_end)
		return NULL;
	return ip;
}

/* Version 4 and at least the fixed header long. */
static __always_inline bool ipv4_header_sane(const struct iphdr *ip)
{
	return ip->version == 4 && ip->ihl >= 5;
}

/* Any fragment of a datagram, the first (MF) or a later one (offset). */
static __always_inline bool ipv4_is_fragment(const struct iphdr *ip)
{
	return ip->frag_off & bpf_htons(IP_MF | IP_OFFSET);
}

/* The IPv6 fixed header after the frame's Ethernet header, as ipv4_header. */
static __always_inline struct ipv6hdr *ipv6_header(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);

	if ((void *)(eth + 1) > data_end ||
	    eth->h_proto != bpf_htons(ETH_P_IPV6) ||
	    (void *)(ip6 + 1) > data_end)
		return NULL;
	return ip6;
}

static __always_inline bool ipv6_header_sane(const struct ipv6hdr *ip6)
{
	return ip6->version == 6;
}

static __always_inline bool has_ports(__u8 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP ||
	       protocol == IPPROTO_SCTP;
}

/* The ports of the L4 header at l4, for a protocol that has them and a
 * header that is there; otherwise no ports and no L4 offset. */
static __always_inline void read_ports(const void *l4, void *data_end,
				       struct packet_info *pkt)
{
	const __be16 *ports = l4;

	if (has_ports(pkt->flow.protocol) &&
	    (const void *)(ports + 2) <= data_end) {
		pkt->flow.sport = ports[0];
		pkt->flow.dport = ports[1];
	} else {
		pkt->l4_off = 0;
	}
}

/* Fills pkt (zeroed by the caller) from a sane IPv4 header. */
static __always_inline void
describe_ipv4(const struct iphdr *ip, void *data_end, struct packet_info *pkt)
{
	pkt->flow.saddr[0] = ip->saddr;
	pkt->flow.daddr[0] = ip->daddr;
	pkt->flow.protocol = ip->protocol;
	pkt->l3_len = bpf_ntohs(ip->tot_len);
	pkt->tos = ip->tos;
	pkt->df = !!(ip->frag_off & bpf_htons(IP_DF));
	pkt->id = ip->id;
	if (ipv4_is_fragment(ip))
		return; /* no ports to read */
	pkt->l4_off = sizeof(struct ethhdr) + ip->ihl * 4;
	read_ports((const void *)ip + ip->ihl * 4, data_end, pkt);
}

/* Fills pkt (zeroed by the caller) from an IPv6 fixed header. */
static __always_inline void describe_ipv6(const struct ipv6hdr *ip6,
					  void *data_end,
					  struct packet_info *pkt)
{
	__builtin_memcpy(pkt->flow.saddr, &ip6->saddr, 16);
	__builtin_memcpy(pkt->flow.daddr, &ip6->daddr, 16);
	pkt->flow.protocol = ip6->nexthdr;
	pkt->flow.v6 = 1;
	pkt->l3_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	pkt->tos = (__u8)(ip6->priority << 4 | ip6->flow_lbl[0] >> 4);
	pkt->df = 1;
	pkt->l4_off = sizeof(struct ethhdr) + sizeof(*ip6);
	read_ports(ip6 + 1, data_end, pkt);
}

#endif /* IPLB_PARSING_H */
