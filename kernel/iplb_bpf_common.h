/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the eBPF programs share and the installed uapi headers (Debian 12's
 * linux-libc-dev is 6.1) may lack. */
#ifndef IPLB_BPF_COMMON_H
#define IPLB_BPF_COMMON_H

#include <linux/types.h>

/* TCX verdicts (linux/bpf.h of 6.6+). TCX_NEXT hands the packet to the next
 * program of the chain, or the stack: what a program that does not handle
 * a packet must return. TCX_PASS ends the chain. */
#ifndef TCX_NEXT
#define TCX_NEXT -1
#define TCX_PASS 0
#define TCX_DROP 2
#endif

/* IPv4 fragment bits (kernel-internal in include/net/ip.h) */
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

/* bpf_skb_adjust_room() flags of 6.3+ */
#define IPLB_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define IPLB_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)

/* MurmurHash3's finaliser: every input bit moves every output bit. */
static __always_inline __u32 iplb_mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

#endif /* IPLB_BPF_COMMON_H */
