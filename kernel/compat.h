/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the eBPF programs need that the installed uapi headers lack (Debian
 * 12's linux-libc-dev is 6.1, the running kernels are newer) or that is
 * kernel-internal: TCX verdicts, decapsulation flags, IPv4 fragment bits,
 * address families.
 */
#ifndef IPLB_COMPAT_H
#define IPLB_COMPAT_H

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

/* Address families (sys/socket.h is not for the BPF target) */
#ifndef AF_INET
#define AF_INET 2
#define AF_INET6 10
#endif

#endif /* IPLB_COMPAT_H */
