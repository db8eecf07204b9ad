/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP MSS clamping for the eBPF programs: a SYN's (or SYN-ACK's) MSS option
 * lowered to what a tunnel carries, so that neither end sends segments the
 * path cannot take once encapsulated (ICMP errors about a tunnel packet go to
 * the tunnel's source, not to the sender). Works on an skb (tc/TCX).
 *
 * clamp_mss is a global function, on purpose: the verifier checks it once,
 * on its own, and its caller sees a bounded result rather than one path per
 * option walked. Made static inline, the walk would be verified again on
 * every path of the caller (see docs/DEVELOPMENT.md, the verifier's budget).
 * Hence also: include this header in one file per program only.
 */
#ifndef IPLB_TCP_MSS_H
#define IPLB_TCP_MSS_H

#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/tcp.h>
#include <linux/types.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "csum.h"

/* The MSS that fits a path MTU once a tunnel's overhead and the packet's
 * own IP and TCP headers are taken off (v6: the packet is IPv6); 0: none
 * sensible. */
static __always_inline __u32 fitting_mss(__u32 mtu, __u32 overhead, bool v6)
{
	const __u32 headers = overhead + (v6 ? 60 : 40);

	return mtu > headers + 88 ? mtu - headers : 0;
}

/* Lowers the MSS option of a TCP SYN (or SYN-ACK) whose TCP header is at
 * tcp_off to max_mss, with the checksum updated incrementally. Returns
 * whether it changed the packet (whose pointers are then stale). */
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
			l4_csum_replace16(
				skb, tcp_off + offsetof(struct tcphdr, check),
				old_mss, new_mss);
			return true;
		}
		at += option[1];
	}
	return false;
}

#endif /* IPLB_TCP_MSS_H */
