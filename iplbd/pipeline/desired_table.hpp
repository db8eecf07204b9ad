// SPDX-License-Identifier: GPL-2.0-or-later
// What a host's iplb table should hold, from a topology: for each prefix
// other routers announce, the k shortest loopless paths to it (over every
// router announcing it, ranked together) and one relay list per distinct
// relay plan, best path first. The step between the path engine and the
// datapath (sync_table).
#pragma once

#include "paths/ecmp.hpp"
#include "paths/path.hpp"
#include "paths/relay_planner.hpp"
#include "table/route_spec.hpp"
#include "topology/topology.hpp"
#include "util/result.hpp"

#include <set>
#include <span>
#include <vector>

namespace iplb {

struct TableOptions {
	unsigned k = 8;
	Metric metric = Metric::cost;
	Planner planner = Planner::exact;
	Encap encap = Encap::ipip;
	// New flows take the lists in turn, so that an MPTCP connection's
	// subflows spread over them (docs/IPLBD.md, "datapath mode").
	Selection selection = Selection::round_robin;
};

struct PrefixPaths {
	std::vector<Path> paths;
	std::vector<RelayPlan> plans;
};

// A router that announces a destination, and its cost of it (0: the router
// itself is the destination).
struct Destination {
	Topology::Vertex router = 0;
	uint32_t cost = 0;
};

// The k best paths from `source` to any of `destinations`, ranked together
// (each path's key includes its destination's cost), and each path's relay
// plan. Empty when none is reachable; an error when one is the source.
Result<PrefixPaths, Error> paths_to(const Topology &topology, Topology::Vertex source,
				    std::span<const Destination> destinations, unsigned k,
				    Metric metric, Planner planner, CostTreeCache &trees);

// The same to the routers that announce `prefix`.
Result<PrefixPaths, Error> paths_to_prefix(const Topology &topology, Topology::Vertex source,
					   const Ipv4Prefix &prefix, unsigned k, Metric metric,
					   Planner planner, CostTreeCache &trees);

// The relay lists of those paths, for the table: relays by their relay
// addresses, a path that needs no relay as the direct list, a plan equal to
// a better path's dropped, at most max_lists_per_route lists.
std::vector<RelayList> relay_lists(const Topology &topology, const PrefixPaths &paths);

// The prefixes announced by a router other than `source` and not by
// `source` itself (the host reaches its own without a tunnel), in order.
std::set<Ipv4Prefix> destination_prefixes(const Topology &topology, Topology::Vertex source);

// Every prefix announced by a router other than `source` (and not by
// `source` itself) that `source` reaches, in prefix order.
Result<std::vector<RouteSpec>, Error>
desired_table(const Topology &topology, Topology::Vertex source, const TableOptions &options);

} // namespace iplb
