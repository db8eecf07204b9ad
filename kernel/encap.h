/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tunnels iplb writes and unwraps (enum iplb_encap): per relay an IPv4 or
 * IPv6 header to the relay, then nothing (IP-in-IP: 4in4, 6in4, 4in6, 6in6),
 * GRE's 4-byte header (RFC 2784: no checksum, key or sequence number) or a
 * UDP header to GUE's port (GUE variant 1: the inner IP packet right after
 * UDP, its version nibble tells the family). Nested, outermost first.
 *
 * Encapsulation: the outer headers built from the packet and the flow hash
 * (build_tunnel_layer, for any hook), and written into an skb
 * (encapsulate_skb: tc/TCX; an XDP program would move the head and copy
 * the same bytes). An IPv4 outer header copies TOS, id and DF from the
 * packet (an IPv6 packet: DF, id 0), TTL 64; an IPv6 one copies the traffic
 * class and puts 20 bits of the flow hash in the flow label (for an IPv6
 * underlay's ECMP), hop limit 64. GUE's UDP source port is 0xc000 | 14 bits
 * of the flow hash, the same in every layer; its checksum is 0.
 *
 * Decapsulation (parse_tunnel, tunnel_inner_family, decapsulate_skb): one
 * layer, of the kinds above only, and over IPv6 only with the tunnel header
 * right after the fixed header (hosts write no extension headers).
 */
#ifndef IPLB_ENCAP_H
#define IPLB_ENCAP_H

#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/types.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "compat.h"
#include "csum.h"
#include "iplb_common_layout.h"
#include "parsing.h"

/* The most one relay's headers take: IPv6 and UDP. */
#define TUNNEL_LAYER_MAX (sizeof(struct ipv6hdr) + IPLB_UDP_HEADER)

/* The header after a layer's IP header: GRE's, UDP's or none. */
static __always_inline __u32 tunnel_l4_len(__u8 encap)
{
	return encap == IPLB_ENCAP_GRE	 ? IPLB_GRE_HEADER
	       : encap == IPLB_ENCAP_GUE ? IPLB_UDP_HEADER
					 : 0;
}

/* The protocol of a layer's IP header, carrying IPv6 or IPv4. */
static __always_inline __u8 tunnel_ip_protocol(__u8 encap, bool payload_v6)
{
	return encap == IPLB_ENCAP_GRE	 ? IPPROTO_GRE
	       : encap == IPLB_ENCAP_GUE ? IPPROTO_UDP
	       : payload_v6		 ? IPPROTO_IPV6
					 : IPPROTO_IPIP;
}

/* One relay's headers into `headers`: an IPv4 or IPv6 header from source to
 * relay, then GRE's or UDP's, carrying payload_len bytes of the next layer
 * (payload_v6: IPv6, else IPv4). Returns their length. */
static __always_inline __u32
build_tunnel_layer(__u8 headers[TUNNEL_LAYER_MAX], __u8 encap, bool outer_v6,
		   const union iplb_addr *source, const union iplb_addr *relay,
		   __u32 payload_len, bool payload_v6,
		   const struct packet_info *pkt, __u32 hash)
{
	const __u8 protocol = tunnel_ip_protocol(encap, payload_v6);
	const __u32 ip_len =
		outer_v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	const __u32 l4_len = tunnel_l4_len(encap);

	if (outer_v6) {
		struct ipv6hdr ip6 = {
			.version = 6,
			.priority = pkt->tos >> 4,
			/* The flow in the flow label, for the underlay's
			 * ECMP. */
			.flow_lbl = { (__u8)((pkt->tos & 0xf) << 4 |
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
			.tos = pkt->tos,
			.tot_len = bpf_htons(
				(__u16)(sizeof(ip) + l4_len + payload_len)),
			.id = pkt->id,
			.frag_off = pkt->df ? bpf_htons(IP_DF) : 0,
			.ttl = 64,
			.protocol = protocol,
			.saddr = source->v4,
			.daddr = relay->v4,
		};
		ip.check = ipv4_header_checksum(&ip);
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
	return ip_len + l4_len;
}

/* Rewrites the frame's Ethernet type, for a packet whose outermost family
 * changed. Returns the helper's result, 0 on success. */
static __always_inline long set_ethertype(struct __sk_buff *skb, bool v6)
{
	const __be16 ethertype = bpf_htons(v6 ? ETH_P_IPV6 : ETH_P_IP);

	return bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto),
				   &ethertype, sizeof(ethertype), 0);
}

/* Makes room for n relays' headers after the Ethernet header and writes
 * them, outermost first: header i leads to relays[i] and carries what the
 * relays after it will unwrap. outer_v6 and encap are meant to be constants
 * at each call: a loop that branched on them at every layer would be more
 * paths than the verifier takes. Returns 0, 1 if there was no room (the
 * packet is as it was), -1 if it is half-written. */
static __always_inline int
encapsulate_skb(struct __sk_buff *skb, const union iplb_addr *relays, __u32 n,
		const union iplb_addr *source, const struct packet_info *pkt,
		__u32 hash, const bool outer_v6, const __u8 encap)
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
		__u8 headers[TUNNEL_LAYER_MAX];
		const __u32 len = build_tunnel_layer(
			headers, encap, outer_v6, source, &relays[i],
			pkt->l3_len + (n - i - 1) * layer,
			last ? pkt->flow.v6 : outer_v6, pkt, hash);

		if (bpf_skb_store_bytes(skb, sizeof(struct ethhdr) + i * layer,
					headers, len, 0))
			return -1;
	}
	if (outer_v6 != pkt->flow.v6 && set_ethertype(skb, outer_v6))
		return -1;
	return 0;
}

/* A tunnel already, by its flow (most likely one of ours): IP-in-IP, GRE,
 * or UDP to GUE's port. A host encapsulates no tunnel: one that its FIB
 * redirect sends out of another uplink passes the hook a second time. */
static __always_inline bool is_tunnel(const struct flow_tuple *flow)
{
	return flow->protocol == IPPROTO_IPIP ||
	       flow->protocol == IPPROTO_IPV6 ||
	       flow->protocol == IPPROTO_GRE ||
	       (flow->protocol == IPPROTO_UDP &&
		flow->dport == bpf_htons(IPLB_GUE_PORT));
}

/* A tunnel packet's outer layer, as parse_tunnel found it. The lengths are
 * bytes (at most 60 + 8): as __u8 they stay bounded for the verifier when the
 * struct is read back from the stack, so packet pointers can be made of
 * them; as __u32 they came back unbounded and the reads were refused. */
struct tunnel_info {
	__u32 saddr[4]; /* the outer source; IPv4: [0] */
	__u32 daddr[4]; /* the outer destination; IPv4: [0] */
	__u8 ip_len;	/* of the outer IP header */
	__u8 outer_len; /* IP header, then GRE's or UDP's: what goes */
	__u8 protocol;	/* of the outer IP header */
	__u8 outer_v6;
	__u8 fragment;	 /* an IPv4 fragment: the stack reassembles it */
	__u8 bad_header; /* IPv4 of another version or shorter than 20 */
};

/* Whether the frame is a tunnel of a kind iplb writes, by its outer IP
 * header: IP-in-IP, GRE, or UDP to GUE's port. Fills t if it is; the caller
 * then judges it (bad_header, its own address?, an allowed source?,
 * fragment) before asking for the inner family. Other UDP, and a later IPv4
 * fragment of UDP (no header to tell GUE by), is not a tunnel. */
static __always_inline bool parse_tunnel(void *data, void *data_end,
					 struct tunnel_info *t)
{
	const struct iphdr *ip = ipv4_header(data, data_end);

	if (ip) {
		t->outer_v6 = false;
		t->protocol = ip->protocol;
		t->ip_len = ip->ihl * 4;
		t->fragment = ipv4_is_fragment(ip);
		if (t->protocol == IPPROTO_UDP &&
		    (ip->frag_off & bpf_htons(IP_OFFSET)))
			return false;
		t->bad_header = !ipv4_header_sane(ip);
		t->saddr[0] = ip->saddr;
		t->daddr[0] = ip->daddr;
	} else {
		const struct ipv6hdr *ip6 = ipv6_header(data, data_end);

		if (!ip6)
			return false;
		/* Hosts write no extension headers; anything behind one
		 * (a fragment included) is the stack's. */
		t->outer_v6 = true;
		t->protocol = ip6->nexthdr;
		t->ip_len = sizeof(*ip6);
		t->fragment = false;
		t->bad_header = false;
		__builtin_memcpy(t->saddr, &ip6->saddr, 16);
		__builtin_memcpy(t->daddr, &ip6->daddr, 16);
	}

	t->outer_len = t->ip_len;
	if (t->protocol == IPPROTO_IPIP || t->protocol == IPPROTO_IPV6)
		return true;
	if (t->protocol == IPPROTO_GRE) {
		t->outer_len += IPLB_GRE_HEADER;
		return true;
	}
	if (t->protocol == IPPROTO_UDP) {
		const struct udphdr *udp =
			data + sizeof(struct ethhdr) + t->ip_len;

		if ((void *)(udp + 1) > data_end ||
		    udp->dest != bpf_htons(IPLB_GUE_PORT))
			return false;
		t->outer_len += IPLB_UDP_HEADER;
		return true;
	}
	return false;
}

/* The family of what the tunnel carries: 1 IPv6, 0 IPv4, -1 not what a
 * host writes (GRE with any flag or another payload type, GUE that is not
 * variant 1, an inner version other than the tunnel says) or truncated. */
static __always_inline int tunnel_inner_family(void *data, void *data_end,
					       const struct tunnel_info *t)
{
	int inner_v6 = t->protocol == IPPROTO_IPIP   ? 0
		       : t->protocol == IPPROTO_IPV6 ? 1
						     : -1;

	if (t->protocol == IPPROTO_GRE) {
		/* Only the GRE hosts write: no checksum, key or sequence
		 * number, version 0, IPv4 or IPv6 inside. */
		const __be32 *header = data + sizeof(struct ethhdr) + t->ip_len;

		if ((void *)(header + 1) > data_end)
			return -1;
		if (*header == bpf_htonl(ETH_P_IP))
			inner_v6 = 0;
		else if (*header == bpf_htonl(ETH_P_IPV6))
			inner_v6 = 1;
		else
			return -1;
	}
	const __u8 *inner = data + sizeof(struct ethhdr) + t->outer_len;

	if ((void *)(inner + 1) > data_end)
		return -1;
	const __u8 version = *inner >> 4;

	if (inner_v6 < 0) /* GUE variant 1: the version tells */
		inner_v6 = version == 6 ? 1 : version == 4 ? 0 : -1;
	if (inner_v6 < 0 || version != (inner_v6 ? 6 : 4))
		return -1;
	return inner_v6;
}

/* Removes the tunnel's outer layer (t->outer_len bytes after the Ethernet
 * header); the Ethernet type follows the inner family. Returns 0, 1 if the
 * kernel refused (the packet is as it was), -1 if it is half-done. */
static __always_inline int decapsulate_skb(struct __sk_buff *skb,
					   const struct tunnel_info *t,
					   bool inner_v6)
{
	if (bpf_skb_adjust_room(skb, -(__s32)t->outer_len, BPF_ADJ_ROOM_MAC,
				inner_v6 ? IPLB_ADJ_ROOM_DECAP_L3_IPV6
					 : IPLB_ADJ_ROOM_DECAP_L3_IPV4))
		return 1;
	if (t->outer_v6 != inner_v6 && set_ethertype(skb, inner_v6))
		return -1;
	return 0;
}

#endif /* IPLB_ENCAP_H */
