// SPDX-License-Identifier: GPL-2.0-or-later
// Relay planners: which routers of a path a host must tunnel through so
// that the packet follows that path.
//
//  tree   the seed paper's rule: build the tree of the k paths (a router at
//         another hop count is another tree node), and make a router a relay
//         of a path where its parent in the tree has more than one child;
//         the source's children never are (routing to the first relay
//         chooses them), nor is the destination.
//  exact  the fewest relays such that OSPF's ECMP forwarding from each stop
//         to the next can only follow the path; where ties make that
//         impossible, relays at every router where it helps, and the plan
//         says how many paths remain.
#pragma once

#include "paths/ecmp.hpp"
#include "paths/forwarding_checker.hpp"
#include "paths/path.hpp"

#include <span>
#include <string_view>
#include <vector>

namespace iplb {

enum class Planner { tree, exact };

std::string_view to_string(Planner planner);
Result<Planner, Error> parse_planner(std::string_view text);

struct RelayPlan {
	std::vector<Topology::Vertex> relays; // routers, in path order
	bool pinned = false;		      // forwarding can only follow the path
	size_t forwarding_paths = 0;	      // what the checker found (capped)
};

// For each path, its relay list by the tree rule (no pinning verdict).
std::vector<std::vector<Topology::Vertex>> plan_tree(const Topology &topology,
						     std::span<const Path> paths);

RelayPlan plan_exact(const Topology &topology, CostTreeCache &trees, const Path &path);

// Both planners, each list checked by replaying forwarding.
std::vector<RelayPlan> plan_relays(const Topology &topology, CostTreeCache &trees,
				   std::span<const Path> paths, Planner planner);

} // namespace iplb
