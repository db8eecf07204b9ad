// SPDX-License-Identifier: GPL-2.0-or-later
// The path engine's topology from a mirrored LSDB: routers and transit
// networks of the areas this router is in, links that pass OSPF's two-way
// check (RFC 2328 16.1), and the prefixes the LSDB announces.
#pragma once

#include "lsdb/lsa_database.hpp"
#include "topology/relay_policy.hpp"
#include "topology/topology.hpp"
#include "util/result.hpp"

#include <cstdint>

namespace iplb {

struct LsdbTopologyStats {
	uint64_t routers = 0;
	uint64_t networks = 0;
	uint64_t links = 0;
	uint64_t prefixes = 0;
	uint64_t one_way = 0;	// links dropped by the two-way check
	uint64_t ignored = 0;	// LSAs and links not used (virtual links, type 4, opaque)
	uint64_t malformed = 0; // LSAs that did not parse (e.g. truncated by ospfd)
};

struct LsdbTopology {
	TopologySnapshot topology;
	LsdbTopologyStats stats;
};

// Where the LSDB is silent the choices are: a network LSA's prefix belongs to
// every attached router at the cost of its link onto the network; summary
// and external prefixes belong to the router that announces them (an
// external's forwarding address is not followed); a metric of LSInfinity
// announces nothing.
Result<LsdbTopology, Error> build_topology(const LsaDatabase &lsdb, const RelayPolicy &relays);

} // namespace iplb
