/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hashing for the eBPF programs: a 32-bit mix, and the hash of a flow that
 * every choice per flow starts from (a relay list, a GUE source port, an IPv6
 * flow label). A flow hashes the same in every program and every version
 * that includes this: keep it stable, or flows move when programs are
 * replaced.
 */
#ifndef IPLB_HASHING_H
#define IPLB_HASHING_H

#include <linux/types.h>

#include "parsing.h"

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

static __always_inline __u32 flow_hash(const struct flow_tuple *flow)
{
	__u32 h = iplb_mix32(((__u32)flow->sport << 16 | flow->dport) ^
			     flow->protocol);

	if (flow->v6) {
		for (int i = 0; i < 4; i++)
			h = iplb_mix32(h ^ flow->daddr[i] ^
				       iplb_mix32(flow->saddr[i]));
		return h;
	}
	return iplb_mix32(flow->saddr[0] ^ iplb_mix32(flow->daddr[0] ^ h));
}

#endif /* IPLB_HASHING_H */
