// SPDX-License-Identifier: GPL-2.0-or-later
// Paths through a Topology, and the order the path engine ranks them in.
#pragma once

#include "topology/topology.hpp"

#include <compare>
#include <cstdint>
#include <string_view>
#include <vector>

namespace iplb {

enum class Metric {
	cost, // OSPF cost, then hop count
	hops, // hop count, then OSPF cost
};

std::string_view to_string(Metric metric);
Result<Metric, Error> parse_metric(std::string_view text);

// What a path is ranked by: (primary, secondary) of the metric, compared
// lexicographically; the router-id sequence breaks the remaining ties.
struct PathKey {
	uint64_t primary = 0;
	uint64_t secondary = 0;

	friend auto operator<=>(const PathKey &, const PathKey &) = default;
	PathKey operator+(const PathKey &o) const
	{
		return {primary + o.primary, secondary + o.secondary};
	}
};

// An edge counts as a hop when it enters a router; the two edges through a
// transit network (router -> network -> router) make one hop.
inline PathKey edge_key(Metric metric, uint32_t cost, bool into_router)
{
	const uint64_t hop = into_router ? 1 : 0;
	return metric == Metric::cost ? PathKey{cost, hop} : PathKey{hop, cost};
}

struct Path {
	std::vector<Topology::Vertex> vertices; // source first, transit networks included
	PathKey key;

	uint64_t cost(Metric metric) const
	{
		return metric == Metric::cost ? key.primary : key.secondary;
	}
	uint64_t hops(Metric metric) const
	{
		return metric == Metric::cost ? key.secondary : key.primary;
	}

	// The ranking: key first, then the vertex sequence, which is the
	// router-id sequence because vertices are numbered in router-id order.
	friend auto operator<=>(const Path &a, const Path &b)
	{
		if (auto c = a.key <=> b.key; c != 0)
			return c;
		return a.vertices <=> b.vertices;
	}
	friend bool operator==(const Path &, const Path &) = default;
};

// The routers of a path, without transit networks.
std::vector<Topology::Vertex> routers_of(const Topology &topology, const Path &path);
// Recomputes the key of a vertex sequence; none if an edge is missing.
std::optional<PathKey> key_of(const Topology &topology, Metric metric,
			      const std::vector<Topology::Vertex> &vertices);

} // namespace iplb
