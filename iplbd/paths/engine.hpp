// SPDX-License-Identifier: GPL-2.0-or-later
// The k paths from one source router to every other router of a topology,
// computed in parallel, and recomputed incrementally after a change.
//
// Routers that cannot be transit (hosts on a single uplink) are not searched
// for: their paths are their uplink's paths plus the last hop, which keeps
// the ranking (the same edge is appended to every path).
#pragma once

#include "paths/path.hpp"
#include "topology/topology.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace iplb {

struct EngineOptions {
	unsigned k = 8;
	Metric metric = Metric::cost;
	unsigned threads = 1;
};

struct EngineCounters {
	uint64_t searched = 0; // destinations that ran Yen
	uint64_t derived = 0;  // single-uplink routers taken from their uplink
	uint64_t reused = 0;   // kept from the previous result (incremental)
};

// Paths by destination vertex; empty for the source, networks and
// unreachable routers.
struct AllPaths {
	Topology::Vertex source = Topology::none;
	EngineOptions options;
	std::vector<std::vector<Path>> by_target;
	EngineCounters counters;
};

Result<AllPaths, Error> compute_all_paths(const Topology &topology, Topology::Vertex source,
					  const EngineOptions &options);

// After the topology changed from `before` to `after`: the same result as
// compute_all_paths(after, ...), recomputing only the destinations whose k
// paths can have changed. Routers are matched by id, so vertices may be
// renumbered; the source must still exist.
//
// A destination keeps its paths when (1) every path still exists with the
// same key, and (2) no path that uses a link new or cheaper in `after` can
// rank before its k-th path, which a lower bound (the source's distance to
// the link's tail + the link + its head's distance to the destination)
// rules out.
Result<AllPaths, Error> recompute_all_paths(const Topology &before, const AllPaths &previous,
					    const Topology &after);

} // namespace iplb
