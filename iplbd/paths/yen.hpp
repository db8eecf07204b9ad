// SPDX-License-Identifier: GPL-2.0-or-later
// Yen's k shortest loopless paths, exact under a total order: paths are
// ranked by PathKey (cost then hops, or hops then cost), then by their
// router-id sequence. The result is the first k simple paths in that order,
// whatever order the topology was given in, so ties are deterministic.
//
// Each spur search first tries the unconstrained reverse tree of the target:
// if one of the best-ranked first hops has an optimal continuation that
// avoids the root (searched depth-first over the tree's equal-key next hops,
// smallest router id first), that path is provably the constrained optimum
// and the first in router-id order. Only otherwise does it run a
// constrained backward search, stopped at the spur node.
#pragma once

#include "paths/path.hpp"
#include "paths/reverse_tree.hpp"
#include "topology/topology.hpp"
#include "util/result.hpp"

#include <vector>

namespace iplb {

struct YenCounters {
	uint64_t spur_searches = 0;
	uint64_t spur_fast = 0;	   // answered from the reverse tree
	uint64_t spur_full = 0;	   // needed a constrained search
};

class KShortestPaths {
public:
	static constexpr unsigned max_k = 1024;

	explicit KShortestPaths(const Topology &topology);

	// Errors: k out of 1..max_k, same source and target, a vertex out of
	// range. An unreachable target gives an empty list.
	Result<std::vector<Path>, Error> compute(Topology::Vertex source, Topology::Vertex target,
						 unsigned k, Metric metric);

	// The unconstrained reverse tree of the last target (reused by callers
	// that need distances to it).
	const ReverseTree &tree() const { return tree_; }
	const YenCounters &counters() const { return counters_; }

private:
	std::optional<Path> spur_path(Topology::Vertex spur, Topology::Vertex target, Metric metric);
	bool clean_optimal_path(Topology::Vertex from, Topology::Vertex spur,
				Topology::Vertex target, Metric metric,
				std::vector<Topology::Vertex> &out);

	const Topology &topology_;
	ReverseTree tree_;	// unconstrained, per target
	bool tree_valid_ = false;
	Metric tree_metric_ = Metric::cost;
	ReverseTree scratch_;	// constrained spur searches
	Constraints constraints_;
	YenCounters counters_;
	// Scratch of one spur search.
	std::vector<std::pair<PathKey, Topology::Vertex>> candidates_;
	std::vector<Topology::Vertex> walk_;
	std::vector<uint32_t> dead_;
	uint32_t dead_generation_ = 0;
};

} // namespace iplb
