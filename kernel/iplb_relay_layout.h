/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The relay program's maps and records (kernel/iplb_relay.bpf.c), as it and
 * user space (iplbd/datapath/) both see them: the addresses it decapsulates
 * for (iplb_local_v4, iplb_local_v6: keys only), the tunnel sources it
 * accepts (iplb_sources_v4, iplb_sources_v6: LPM tries, keys only), its
 * config (the layout version) and its counters.
 *
 * Maps are pinned and outlive the program, so a change here is an
 * incompatible change: bump IPLB_RELAY_LAYOUT_VERSION, which the loader
 * compares (iplb_relay_config's layout_version) before re-adopting pins.
 * That includes a change of iplb_common_layout.h. Layout 1 had no config
 * map: pins without one are of layout 1.
 *
 * Byte order: addresses in network order, everything else in host order.
 */
#ifndef IPLB_RELAY_LAYOUT_H
#define IPLB_RELAY_LAYOUT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "iplb_common_layout.h"

/* 2: allowed tunnel sources, the config map, refused_source. */
#define IPLB_RELAY_LAYOUT_VERSION 2

#define IPLB_MAX_LOCAL 64 /* addresses a relay decapsulates for */
/*
 * Allowed tunnel source prefixes, per family. The seed design gives every
 * host one tunnel source (its loopback) taken from one range, so a fabric
 * needs one prefix, or a few (one per pod or per address block); 256 also
 * lists every host's /32 in a fabric of up to 256 hosts. An LPM trie's lookup
 * costs by prefix length (at most 32 or 128 levels), not by entries, and its
 * elements are allocated as they are added: the bound only caps memory.
 */
#define IPLB_MAX_SOURCES 256

/* The single element of the config array. */
struct iplb_relay_config {
	__u32 layout_version; /* IPLB_RELAY_LAYOUT_VERSION; 0: maps just made */
};

/* Per CPU, one element: what it decapsulated, refused or passed on. */
struct iplb_relay_counters {
	__u64 decapsulated;
	__u64 bytes;	 /* before decapsulation */
	__u64 not_local; /* a tunnel, but to another address: passed on */
	__u64 fragments; /* a fragment of an encapsulated packet: passed on */
	/* passed on, for the stack: not what a host writes (GRE flags, IPv6
	 * extension headers before the tunnel, ...) or truncated */
	__u64 malformed;
	/* a tunnel to one of its addresses whose outer source is in no allowed
	 * prefix: dropped, never decapsulated nor handed to the stack */
	__u64 refused_source;
};

#endif /* IPLB_RELAY_LAYOUT_H */
