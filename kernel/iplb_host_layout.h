/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host program's table and records (kernel/iplb_host.bpf.c), as it and
 * user space (iplbd/datapath/) both see them: routes and their relay lists,
 * the config, counters, and mode flow's table. Maps are pinned and survive an
 * iplbd restart, so a layout change is an incompatible change: bump
 * IPLB_HOST_LAYOUT_VERSION, which the loader compares (iplb_config's
 * layout_version) before re-adopting pins. That includes a change of
 * iplb_common_layout.h.
 *
 * Byte order: addresses and ports are in network order, everything else in
 * host order.
 */
#ifndef IPLB_HOST_LAYOUT_H
#define IPLB_HOST_LAYOUT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "iplb_common_layout.h"

#define IPLB_HOST_LAYOUT_VERSION 4

#define IPLB_MAX_LISTS 16    /* relay lists per destination */
#define IPLB_MAX_ROUTES 4096 /* destination prefixes, and route ids */
#define IPLB_MAX_FLOWS 65536 /* flows remembered by mode flow (LRU) */

enum iplb_select {
	/* Consistent (rendezvous) hashing of the flow over the lists: adding or
	 * removing a list moves only the flows that list gains or loses. */
	IPLB_SELECT_HASH = 0,
	/* The same, weighted: a list gets flows in proportion to its weight,
	 * and a weight change moves only flows to or from that list. */
	IPLB_SELECT_WEIGHTED = 1,
	/* A flow keeps the list it was given (weighted) until it has been idle
	 * for config.flow_idle_ms or its list goes; lists added or reweighted
	 * meanwhile take only new flows. Remembered in an LRU table: when it
	 * is full the least recently seen flow is forgotten, new ones still go.
	 */
	IPLB_SELECT_FLOW = 2,
	/* As flow, but a new flow takes the route's next list in turn (weights
	 * ignored): the subflows of an MPTCP connection, opened one after the
	 * other, go through different lists, where a hash may put two on one
	 * list and leave another unused. */
	IPLB_SELECT_ROUND_ROBIN = 3,
};

struct iplb_relay_list {
	__u32 key; /* stable identity, from the relays, for the hashing */
	__u16 weight;
	/* 0: the direct list, its flows take the normal route, unencapsulated
	 * (the shortest path, when it needs no relay) */
	__u8 n_relays;
	__u8 pad;
	union iplb_addr relays[IPLB_MAX_RELAYS]; /* outermost first */
};

struct iplb_route {
	__u32 id; /* index of this route's counters */
	__u8 n_lists;
	__u8 encap;  /* enum iplb_encap */
	__u8 select; /* enum iplb_select */
	__u8 flags;  /* IPLB_ROUTE_* */
	__u16 mtu;   /* of the path, 0: unknown */
	__u16 pad;
	struct iplb_relay_list lists[IPLB_MAX_LISTS];
};

/* The relays are IPv6 addresses (else IPv4): the tunnel's family, whatever
 * the destination's. */
#define IPLB_ROUTE_RELAYS_V6 0x1

/* The single element of the config array. */
struct iplb_config {
	__u32 layout_version;
	__u32 source_v4; /* outer source address; 0: the packet's own source */
	__u32 flags;	 /* IPLB_CONFIG_* */
	__u32 flow_idle_ms; /* mode flow: forgotten after this long unseen */
	__u32 source_v6[4]; /* outer IPv6 source; 0: the packet's own */
	/* The owner's lease. iplbd renews it every second; once jiffies
	 * (bpf_jiffies64(): a plain load, where a clock read cost ~35 ns a
	 * packet) pass owner_deadline_jiffies, nobody keeps the table up to
	 * date and matching packets go out unencapsulated, on their normal
	 * route (IPLB_BYPASS_STALE). 0: no owner (iplbctl's datapaths). */
	__u64 owner_deadline_jiffies;
	/* When it was renewed (CLOCK_MONOTONIC ns) and for how long, for
	 * readers that have no kernel clock (iplbctl show). */
	__u64 owner_renewed_ns;
	__u32 owner_lease_ms;
	__u32 pad;
};
#define IPLB_FLOW_IDLE_MS_DEFAULT 30000
/* The kernel's clocks, read together by the iplb_host_clock program
 * (BPF_PROG_TEST_RUN): jiffies for the lease, against CLOCK_MONOTONIC. */
struct iplb_clock {
	__u64 jiffies;
	__u64 monotonic_ns;
};
/* flags: route the encapsulated packet by FIB, towards its first relay */
#define IPLB_CONFIG_FIB_REDIRECT 0x1

/* Why a matching packet went out unencapsulated, on its normal route: the
 * host never drops for iplb's sake, so a fault costs multipath, not traffic. */
enum iplb_bypass {
	IPLB_BYPASS_BAD_ROUTE, /* an entry user space should not have written */
	IPLB_BYPASS_NO_ROOM,   /* bpf_skb_adjust_room refused */
	IPLB_BYPASS_TOO_BIG,   /* over the path MTU once encapsulated, DF set */
	/* A tunnel of the other family than the packet, and no outer source
	 * address of that family configured. */
	IPLB_BYPASS_NO_SOURCE,
	IPLB_BYPASS_STALE, /* the owner's lease has passed (iplb_config) */
	IPLB_BYPASS_REASONS,
};

/* Per CPU, per route (index route.id). */
struct iplb_counters {
	__u64 packets; /* sent through a list: encapsulated, or direct */
	__u64 bytes;   /* before encapsulation */
	__u64 bypass[IPLB_BYPASS_REASONS];
	/* FIB redirect on, but no resolved route towards the first relay:
	 * encapsulated, sent where the inner destination was routed. */
	__u64 fib_fallback;
	__u64 mss_clamped; /* TCP SYNs whose MSS option was lowered */
	/* Mode flow: flows given a list (new, back after idling, or whose
	 * list went), and those of them the flow table could not remember
	 * (sent all the same). */
	__u64 flows_assigned;
	__u64 flows_unremembered;
};

/* Mode flow's table. Fragments, and protocols without ports, have ports 0
 * (as in the hash). */
struct iplb_flow_key {
	__u32 saddr[4]; /* IPv4: saddr[0], the rest 0 */
	__u32 daddr[4];
	__u16 sport;
	__u16 dport;
	__u8 protocol;
	__u8 family; /* AF_INET, AF_INET6 */
	__u16 pad;
};

struct iplb_flow {
	__u32 list_key; /* iplb_relay_list.key of the flow's list */
	__u32 route_id;
	__u64 last_seen_ns; /* bpf_ktime_get_ns() */
};

/* Per CPU, per relay list (index route.id * IPLB_MAX_LISTS + list). */
struct iplb_list_counters {
	__u64 packets;
	__u64 bytes;
};

#endif /* IPLB_HOST_LAYOUT_H */
