/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The load balancer's maps, records and wire format, as its programs
 * (kernel/iplb_mux.bpf.c, kernel/iplb_backend.bpf.c) and user space
 * (iplbd/datapath/, iplbctl lb) all see them. Maps are pinned and outlive
 * the programs, so a change here is an incompatible change: bump
 * IPLB_LB_LAYOUT_VERSION, which the loader compares (the config maps'
 * layout_version) before re-adopting pins. That includes a change of
 * iplb_common_layout.h.
 *
 * Byte order: addresses, ports and every field of the wire format in network
 * order; the maps' other fields in host order.
 *
 * The mux (Beamer's, NSDI'18): a VIP is an address, a protocol and a port (0:
 * all ports). Its map is B buckets, each naming the backend (DIP) it goes to,
 * the DIP that had it before, and when it changed. A VIP has two slots of B
 * buckets; the program reads the active one, user space writes the other and
 * then flips the VIP's record, so that no packet sees a mix of two maps.
 * Writing and flipping can be two calls (a controller's two-phase commit):
 * the written slot is then "staged" until the flip.
 */
#ifndef IPLB_LB_LAYOUT_H
#define IPLB_LB_LAYOUT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "iplb_common_layout.h"

#define IPLB_LB_LAYOUT_VERSION 5

#define IPLB_LB_MAX_VIPS 256
/* DIPs, every VIP's, in one table; entry 0 is "none" */
#define IPLB_LB_MAX_DIPS 4096
/* Bucket entries: both slots of every VIP, as ranges user space hands out
 * (8 bytes each: 4 MiB). */
#define IPLB_LB_MAX_BUCKET_ENTRIES (1 << 19)
/* Per-bucket counters: one per bucket of every VIP (not per slot). */
#define IPLB_LB_MAX_BUCKET_COUNTERS (IPLB_LB_MAX_BUCKET_ENTRIES / 2)
#define IPLB_LB_MIN_BUCKETS 16
#define IPLB_LB_MAX_BUCKETS 65536

/* ---- The wire format: GUE variant 0 with private data --------------------
 *
 *   outer IPv4 (20) or IPv6 (40)   mux -> DIP, protocol UDP
 *   UDP (8)                        source 0xc000 | 14 bits of the flow hash,
 *                                  destination IPLB_GUE_PORT, checksum 0
 *   GUE (4)                        version 0, C 0, hlen, proto 4 or 41,
 *                                  flags 0
 *   private data (12)              struct iplb_lb_private
 *   previous DIP (4 or 16)         the outer header's family; zero: none
 *   the client's packet            as it arrived, from its IP header on
 *
 * GUE variant 0 starts with bits 00, variant 1 (the host's tunnels, an IP
 * header right after UDP) with 01 (IPv4) or 01 of IPv6's 0110: one port,
 * told apart by the first byte.
 */
#define IPLB_LB_GUE_KIND 0x4c /* 'L': the private data is ours */
#define IPLB_LB_CHAINED 0x01  /* sent on by a backend: never again */

struct iplb_gue_header {
	__u8 hlen;  /* version (2 bits, 0), C (1 bit), hlen (5 bits): 32-bit
		       words after this header */
	__u8 proto; /* of the payload: IPPROTO_IPIP or IPPROTO_IPV6 */
	__be16 flags;
};

struct iplb_lb_private {
	__u8 kind;  /* IPLB_LB_GUE_KIND */
	__u8 flags; /* IPLB_LB_CHAINED */
	__be16 reserved;
	__be32 generation; /* of the map the mux used */
	__be32 changed_at; /* the bucket's last change, unix seconds; 0: never
			    */
};

/* Bytes the encapsulation adds, by outer family. */
#define IPLB_LB_OVERHEAD_V4                                                    \
	(20 + 8 + sizeof(struct iplb_gue_header) +                             \
	 sizeof(struct iplb_lb_private) + 4)
#define IPLB_LB_OVERHEAD_V6                                                    \
	(40 + 8 + sizeof(struct iplb_gue_header) +                             \
	 sizeof(struct iplb_lb_private) + 16)

/* ---- The mux's maps ------------------------------------------------------ */

/* iplb_mux_vips: hash, VIP -> its record. */
struct iplb_vip_key {
	__u32 addr[4]; /* IPv4 in addr[0], the rest 0 */
	__be16 port;   /* 0: every port */
	__u8 protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 v6;       /* 0 or 1; in iplb_mux_vips also | IPLB_VIP_KEY_STAGED */
};

/* A VIP staged and never activated has its record under its key with this
 * bit set in v6, which no packet's key has: its slots and ids are held, its
 * packets pass as to an unknown VIP. Activating it moves the record to the
 * plain key. (Layout 2.) */
#define IPLB_VIP_KEY_STAGED 0x80

struct iplb_mux_vip {
	__u32 id;	     /* index of its counters, 0..IPLB_LB_MAX_VIPS-1 */
	__u32 buckets;	     /* B: the same in both slots */
	__u32 active;	     /* the slot packets read: 0 or 1 */
	__u32 flags;	     /* IPLB_VIP_* */
	__u32 base[2];	     /* each slot's first entry in iplb_mux_buckets */
	__u32 generation[2]; /* each slot's map generation; the slot packets do
				not read is staged while its generation is
				newer than the active one's */
	__u32 counter_base;  /* its first entry in iplb_mux_bucket_counters */
	__u32 pad;
};

/* The DIPs are IPv6 addresses (else IPv4): the outer header's family. */
#define IPLB_VIP_DIPS_V6 0x1
/* MPTCP token mode (layout 3): a join SYN (MP_JOIN, RFC 8684 3.2) goes to
 * the backend its token names in iplb_mux_tokens, or is dropped; the later
 * packets of a join subflow go where iplb_mux_subflows says. */
#define IPLB_VIP_MPTCP_TOKEN 0x2
/* MPTCP port mode (layout 5): each backend of the pool announces the VIP's
 * address with a port of its own (its pool entry's mptcp_port), and the
 * joins to that port go to it (iplb_mux_ports). */
#define IPLB_VIP_MPTCP_PORT 0x4
/* The flags a slot's pool carries into the VIP's record when it flips: the
 * map's family and its MPTCP mode change with the map, on every mux at once. */
#define IPLB_VIP_MAP_FLAGS                                                     \
	(IPLB_VIP_DIPS_V6 | IPLB_VIP_MPTCP_TOKEN | IPLB_VIP_MPTCP_PORT)

/* iplb_mux_buckets: array of IPLB_LB_MAX_BUCKET_ENTRIES. */
struct iplb_mux_bucket {
	__u16 dip;	  /* index in iplb_mux_dips; 0: none, the packet is
			     dropped (counted no_backend) */
	__u16 previous;	  /* 0: none */
	__u32 changed_at; /* unix seconds, 0: never changed */
};

/* iplb_mux_dips: array of IPLB_LB_MAX_DIPS union iplb_addr. */

/* iplb_mux_addresses: hash, address -> number of VIPs on it, so that a
 * fragment or an ICMP error to a VIP address is told from other traffic. */
struct iplb_vip_address {
	__u32 addr[4];
	__u32 v6;
};

/* ---- MPTCP token mode (layout 3) -----------------------------------------
 *
 * iplb_mux_tokens: hash, token (host order: the wire's big-endian value,
 * as the kernel's path-manager events name it) -> the backend that holds the
 * connection, written by user space from the backends' announcements.
 * iplb_mux_subflows: LRU hash, a join subflow's flow -> the backend its join
 * SYN went to: written by the program when it sends a join by its token, and
 * by user space from the backends' subflow announcements, so that a subflow
 * ECMP moves to another mux still finds its backend.
 * iplb_mux_token_misses: ring buffer of the joins dropped for want of an
 * entry (layout 4: with the frame as it arrived and where): user space looks
 * the token up and, found, runs the frame through the program again, so the
 * join goes on at once instead of at the client's SYN retransmission. */
#define IPLB_LB_MAX_TOKENS (1 << 20)
#define IPLB_LB_MAX_SUBFLOWS (1 << 17)
#define IPLB_LB_TOKEN_MISSES_BYTES (1 << 18)

struct iplb_mux_target {
	union iplb_addr dip;
	__u32 v6; /* 0 or 1: the DIP's family, the outer header's */
};

struct iplb_subflow_key {
	__u32 saddr[4]; /* the client's; IPv4 in [0], the rest 0 */
	__u32 daddr[4]; /* the VIP's */
	__be16 sport;
	__be16 dport;
	__u8 v6;
	__u8 pad[3];
};

/* A join SYN's frame fits (IPv6 with Linux's options: 134 bytes). */
#define IPLB_MUX_MISS_FRAME 192

/* ---- MPTCP port mode (layout 5) ------------------------------------------
 *
 * iplb_mux_ports: hash, (VIP address, TCP, a backend's own port) -> that
 * backend, written by user space from the pools of the VIPs in port mode
 * (Beamer's design: the port a backend announced with ADD_ADDR names it, so
 * its joins need no state and no token). Looked up for a TCP packet that is
 * to no VIP's port, before it is passed, while the config has
 * IPLB_MUX_PORTS. */
#define IPLB_LB_MAX_PORTS (1 << 16)

struct iplb_mux_port {
	struct iplb_mux_target to;
	__u32 vip_id; /* the VIP whose backend announced the port: its
			 counters */
};

struct iplb_mux_token_miss {
	__u32 token;
	__u32 vip_id;
	__u32 ifindex; /* where the frame arrived */
	__u32 rx_queue;
	__u32 frame_len; /* 0: longer than IPLB_MUX_MISS_FRAME, not kept */
	__u8 frame[IPLB_MUX_MISS_FRAME];
};

/* iplb_mux_pools: array of IPLB_LB_MAX_VIPS * 2, at id * 2 + slot: the pool
 * each slot's map was made from, so that what is installed can be read back
 * whole (the program does not read it). */
#define IPLB_LB_MAX_BACKENDS 512 /* per VIP */

enum iplb_backend_state {
	IPLB_BACKEND_ACTIVE = 0,
	IPLB_BACKEND_DRAINING = 1,
	IPLB_BACKEND_DOWN = 2,
	/* not in the pool, but some bucket names it as its previous DIP:
	 * kept so that its DIP table entry is not reused */
	IPLB_BACKEND_FORMER = 3,
};

struct iplb_lb_backend {
	__u16 dip; /* index in iplb_mux_dips */
	__u16 weight;
	__u8 state; /* enum iplb_backend_state */
	__u8 pad;
	__u16 mptcp_port; /* port mode: the port it announces; 0: none */
};

struct iplb_lb_pool {
	__u32 backends; /* entries used in backend[] */
	__u32 flags;	/* IPLB_VIP_MAP_FLAGS of this slot's map: the VIP's
			   flags once the slot is active (layout 2; MPTCP
			   mode: 3) */
	struct iplb_lb_backend backend[IPLB_LB_MAX_BACKENDS];
};

/* The single element of iplb_mux_config. */
struct iplb_mux_config {
	__u32 layout_version;
	__u32 flags;	    /* IPLB_MUX_* */
	__u32 source_v4;    /* outer source for IPv4 DIPs */
	__u32 source_v6[4]; /* outer source for IPv6 DIPs */
	/* The largest encapsulated packet (IP, without Ethernet) that may
	 * leave; bigger ones are dropped and counted (too_big). 0: no limit. */
	__u32 mtu;
};

/* Send the encapsulated packet to the FIB's next hop for the DIP (else back
 * to the router it came from, XDP_TX with the MAC addresses swapped: the
 * mux "on a stick", as Katran and Beamer are deployed). */
#define IPLB_MUX_FIB 0x1
/* iplb_mux_ports has entries (kept by user space with the map): only then
 * does a TCP packet to no VIP's port pay the port lookup (about 15 ns). */
#define IPLB_MUX_PORTS 0x2

/* iplb_mux_counters: per CPU, one element. */
struct iplb_mux_counters {
	/* dropped: to a VIP address, a fragment (no ports to hash; IPv6: an
	 * extension header), or too short for its ports (malformed) */
	__u64 fragments;
	__u64 malformed;
	__u64 icmp_other; /* ICMP to a VIP address we do not steer:
			     passed to the stack */
};

/* iplb_mux_vip_counters: per CPU, per VIP id. */
struct iplb_mux_vip_counters {
	__u64 packets;	  /* encapsulated and sent */
	__u64 bytes;	  /* before encapsulation */
	__u64 icmp;	  /* of which ICMP errors, sent to their flow's DIP */
	__u64 no_backend; /* dropped: the bucket has no DIP */
	__u64 too_big;	  /* dropped: bigger than the MTU once encapsulated */
	__u64 no_route; /* dropped: no FIB route or neighbour (IPLB_MUX_FIB) */
	__u64 errors;	/* dropped: could not make room, or a slot
			   pointing outside the tables */
	/* MPTCP token mode (layout 3) */
	__u64 mptcp_joins;	   /* join SYNs sent to their token's DIP */
	__u64 mptcp_subflow;	   /* packets sent by iplb_mux_subflows */
	__u64 mptcp_unknown_token; /* join SYNs dropped: token not known */
	/* MPTCP port mode (layout 5): packets sent by a backend's own port */
	__u64 mptcp_port;
};

/* iplb_mux_bucket_counters: per CPU, __u64 packets per bucket. */

/* ---- The backend's maps -------------------------------------------------- */

/* iplb_backend_vips: hash, VIP (struct iplb_vip_key, port 0: every port) ->
 * the newest map generation seen for it. */
struct iplb_backend_vip {
	__u32 generation; /* the highest seen, written by the program */
	__u32 pad;
};

/* The single element of iplb_backend_config. */
struct iplb_backend_config {
	__u32 layout_version;
	__u32 daisy_timeout; /* seconds a moved bucket's previous DIP is
				chained to; default 240 */
	/* unix time = (bpf_ktime_get_boot_ns() + clock_offset_ns) / 1e9,
	 * written by user space (CLOCK_REALTIME - CLOCK_BOOTTIME) */
	__s64 clock_offset_ns;
};

/* iplb_backend_counters: per CPU, one element. */
struct iplb_backend_counters {
	__u64 delivered; /* decapsulated for the local stack */
	__u64 delivered_syn;
	__u64 delivered_socket;	     /* a local socket had it */
	__u64 delivered_cookie;	     /* an ACK with a valid SYN cookie */
	__u64 delivered_last_resort; /* none of the above: the stack answers */
	__u64 chained;		     /* sent on to the previous DIP */
	__u64 dropped_stale;	 /* an older generation than seen, no socket */
	__u64 dropped_malformed; /* our GUE, but bad or truncated */
	__u64 dropped_chain;	 /* could not be sent on (no route, no room) */
	__u64 not_vip; /* our GUE to a VIP not configured here: passed on */
};

#endif /* IPLB_LB_LAYOUT_H */
