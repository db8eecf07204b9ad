/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internet checksums for the eBPF programs: the IPv4 header checksum of a
 * header being written, and incremental updates of a TCP or UDP checksum
 * after a 16-bit field of the segment changed.
 */
#ifndef IPLB_CSUM_H
#define IPLB_CSUM_H

#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/types.h>

#include <bpf/bpf_helpers.h>

/* The one's complement sum, folded to 16 bits (twice: the first fold can
 * carry once more). */
static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* The checksum of a 20-byte IPv4 header (no options) whose check field is
 * 0, to be stored as it is (the sum is over words in memory order). */
static __always_inline __u16 ipv4_header_checksum(const struct iphdr *ip)
{
	const __u16 *word = (const __u16 *)ip;
	__u32 sum = 0;

	for (int i = 0; i < (int)sizeof(*ip) / 2; i++)
		sum += word[i];
	return (__u16)~csum_fold(sum);
}

/* A 16-bit field of an skb's TCP or UDP segment went from `from` to `to`:
 * the checksum at check_off follows (RFC 1624). For a CHECKSUM_PARTIAL skb
 * the helper leaves the sum for the stack to complete. Returns the helper's
 * result, 0 on success. */
static __always_inline long l4_csum_replace16(struct __sk_buff *skb,
					      __u32 check_off, __be16 from,
					      __be16 to)
{
	return bpf_l4_csum_replace(skb, check_off, from, to, sizeof(to));
}

#endif /* IPLB_CSUM_H */
