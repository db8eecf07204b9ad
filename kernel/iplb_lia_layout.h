/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The coupled congestion control's per-connection state (kernel/iplb_lia.bpf.c,
 * RFC 6356's Linked Increases Algorithm for MPTCP subflows), as the program and
 * user space (iplbd/datapath/congestion_control.cpp, iplbctl cc status) see it.
 *
 * One entry per MPTCP connection, keyed by the address of its struct sock (the
 * msk every subflow's mptcp_subflow_context names). A subflow cannot see its
 * siblings, so each one holds a slot of the entry and writes its own window
 * and RTT there on every ACK; each reads all slots to compute its increase.
 * Slots are claimed and released with atomic or/and on `used`; the subflow
 * that releases the last one deletes the entry. The map is an LRU hash: an
 * entry that leaks (a socket that never released) is evicted eventually, and
 * a slot not written for IPLB_LIA_STALE_MS is left out of the sums.
 *
 * The maps are not re-adopted by another program version (they go with the
 * program), so no layout version is kept.
 */
#ifndef IPLB_LIA_LAYOUT_H
#define IPLB_LIA_LAYOUT_H

#include <linux/types.h>

/* The name the kernel registers (tcp_available_congestion_control). */
#define IPLB_LIA_NAME "iplb_lia"

/* Subflows per connection that take part in the coupling. A subflow that
 * finds every slot taken still couples to the others, but they do not see
 * it. */
#define IPLB_LIA_SLOTS 8
#define IPLB_LIA_MAX_CONNECTIONS 16384
/* A slot not written for this long (a subflow that sends nothing, or one
 * left by a connection that never released) is not counted. */
#define IPLB_LIA_STALE_MS 1000

/* alpha as the program last computed it, times this (display only). */
#define IPLB_LIA_ALPHA_ONE 1024

/* Settings (iplb_lia_config, one entry), written by the loader. */
struct iplb_lia_config {
	/* A subflow whose window is below this many packets grows as Reno,
	 * uncoupled: with fewer than 4 packets in flight a loss cannot be
	 * repaired by fast retransmit (3 duplicate ACKs), and the timeout
	 * that repairs it stalls the whole connection at the MPTCP level.
	 * 0: RFC 6356 as written. */
	__u32 min_coupled_cwnd;
	__u32 unused;
};

struct iplb_lia_slot {
	__u32 owner;	/* random tag of the subflow holding it, never 0 */
	__u32 cwnd;	/* packets */
	__u32 srtt_us;	/* smoothed RTT in 1/8 us, as tcp_sock keeps it */
	__u32 stamp_ms; /* CLOCK_MONOTONIC in ms (wraps) at the last write */
};

struct iplb_lia_conn {
	__u64 used;	  /* bit i: slots[i] is held */
	__u32 alpha;	  /* the last alpha, IPLB_LIA_ALPHA_ONE = 1 */
	__u32 total_cwnd; /* the sum of windows it was computed from */
	struct iplb_lia_slot slots[IPLB_LIA_SLOTS];
};

#endif /* IPLB_LIA_LAYOUT_H */
