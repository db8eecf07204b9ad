/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the layouts of iplb's program families share, as the eBPF programs
 * (kernel/) and user space (iplbd/datapath/) both see them: the tunnel types a
 * record may name and their wire constants, how deep tunnels nest, relay
 * addresses and LPM trie keys. Part of each family's layout: a change here is a
 * change of every family that uses it (bump their versions:
 * iplb_host_layout.h, iplb_relay_layout.h).
 *
 * Byte order: addresses and ports are in network order, everything else in
 * host order.
 */
#ifndef IPLB_COMMON_LAYOUT_H
#define IPLB_COMMON_LAYOUT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define IPLB_MAX_RELAYS 8 /* relays per list: tunnel headers nested at most */

enum iplb_encap {
	IPLB_ENCAP_IPIP = 1, /* IPv4 in IPv4, one header per relay */
	IPLB_ENCAP_GRE = 2,  /* IPv4 + GRE (RFC 2784, 4 bytes) per relay */
	/* IPv4 + UDP per relay, to GUE's port: GUE variant 1 (direct IP in
	 * UDP, draft-ietf-intarea-gue). The UDP source port comes from the
	 * flow hash, so the underlay's ECMP spreads flows as well. */
	IPLB_ENCAP_GUE = 3,
};
#define IPLB_GRE_HEADER 4
#define IPLB_UDP_HEADER 8
#define IPLB_GUE_PORT 6080 /* IANA's, for GUE */

/* The bytes one relay's header adds: an IPv4 or IPv6 header, and GRE's or
 * UDP's. */
static inline __u32 iplb_encap_layer(__u8 encap, int outer_v6)
{
	return (outer_v6 ? 40 : 20) + (encap == IPLB_ENCAP_GRE ? IPLB_GRE_HEADER
				       : encap == IPLB_ENCAP_GUE
					       ? IPLB_UDP_HEADER
					       : 0);
}

/* LPM trie keys (the host's routes, the relay's allowed sources):
 * prefixlen counts the bits of addr that matter. */
struct iplb_v4_key {
	__u32 prefixlen;
	__u32 addr;
};

struct iplb_v6_key {
	__u32 prefixlen;
	__u32 addr[4];
};

/* An address of either family; IPv4 in v4, the rest zero. */
union iplb_addr {
	__u32 v4;
	__u32 v6[4];
};

#endif /* IPLB_COMMON_LAYOUT_H */
