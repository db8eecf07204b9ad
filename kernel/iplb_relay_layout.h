/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The relay program's maps and records (kernel/iplb_relay.bpf.c), as it and
 * user space (iplbd/datapath/) both see them: the addresses it decapsulates
 * for (iplb_local_v4, iplb_local_v6: keys only) and its counters.
 *
 * IPLB_RELAY_LAYOUT_VERSION names this layout, but unlike the host's it is
 * not checked against pinned maps: the relay has no map to keep it in (no
 * config map, and its per-CPU counters have no version field), and giving it
 * one changes the relay's maps. So a change here goes unnoticed by the
 * loader: libbpf refuses a pinned map whose key or value size differs (with
 * its own, obscure error), and one of the same size is re-adopted with the
 * old meaning. Whoever changes this layout first adds that map (a config
 * with the version, as the host's iplb_config) and its check.
 */
#ifndef IPLB_RELAY_LAYOUT_H
#define IPLB_RELAY_LAYOUT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define IPLB_RELAY_LAYOUT_VERSION 1

#define IPLB_MAX_LOCAL 64 /* addresses a relay decapsulates for */

/* Per CPU, one element: what it decapsulated or passed on. */
struct iplb_relay_counters {
	__u64 decapsulated;
	__u64 bytes;	 /* before decapsulation */
	__u64 not_local; /* a tunnel, but to another address: passed on */
	__u64 fragments; /* a fragment of an encapsulated packet: passed on */
	/* passed on, for the stack: not what a host writes (GRE flags, IPv6
	 * extension headers before the tunnel, ...) or truncated */
	__u64 malformed;
};

#endif /* IPLB_RELAY_LAYOUT_H */
