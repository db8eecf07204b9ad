// SPDX-License-Identifier: GPL-2.0-or-later
// Replays forwarding for a relay list: the packet goes by OSPF's ECMP
// shortest paths from the source to the first relay, is decapsulated there,
// goes on to the next relay, and finally to the destination. The result is
// every path the packet may take; a relay list pins a path when that set is
// exactly the path.
#pragma once

#include "paths/ecmp.hpp"
#include "paths/path.hpp"

#include <span>
#include <vector>

namespace iplb {

struct ForwardingReplay {
	std::vector<std::vector<Topology::Vertex>> paths; // sorted, each source..target
	bool truncated = false;				  // there are more than the limit
	bool reachable = true;				  // every segment has a route

	bool pins(const std::vector<Topology::Vertex> &intended) const
	{
		return reachable && !truncated && paths.size() == 1 && paths.front() == intended;
	}
};

ForwardingReplay replay_forwarding(const Topology &topology, CostTreeCache &trees,
				   Topology::Vertex source,
				   std::span<const Topology::Vertex> relays,
				   Topology::Vertex target, size_t limit = 64);

} // namespace iplb
