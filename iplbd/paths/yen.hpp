// SPDX-License-Identifier: GPL-2.0-or-later
// Yen's k shortest loopless paths, exact under a total order (PathOrder):
// paths are ranked by PathKey (cost then hops, or hops then cost), then by
// their routers compared by Ranking. The result is the first k simple paths
// in that order, whatever order the topology was given in, so ties are
// deterministic; the default ranking differs per (source, destination), so
// pairs spread over equal-cost paths.
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

#include <optional>
#include <vector>

namespace iplb {

struct YenCounters {
	uint64_t spur_searches = 0;
	uint64_t spur_fast = 0; // answered from the reverse tree
	uint64_t spur_full = 0; // needed a constrained search
};

class KShortestPaths {
public:
	static constexpr unsigned max_k = 1024;

	explicit KShortestPaths(const Topology &topology);

	// Errors: k out of 1..max_k, same source and target, a vertex out of
	// range. An unreachable target gives an empty list. Without a ranking,
	// default_ranking(source, target).
	Result<std::vector<Path>, Error> compute(Topology::Vertex source, Topology::Vertex target,
						 unsigned k, Metric metric,
						 std::optional<Ranking> ranking = std::nullopt);

	// The pair's ranking, taken from the target's uplink when the target
	// is a single-uplink router (a host): then the engine can derive a
	// host's paths from its uplink's and get the same answer.
	static Ranking default_ranking(const Topology &topology, Topology::Vertex source,
				       Topology::Vertex target);

	// The unconstrained reverse tree of the last target (reused by callers
	// that need distances to it).
	const ReverseTree &tree() const { return tree_; }
	const YenCounters &counters() const { return counters_; }

private:
	std::optional<Path> spur_path(Topology::Vertex spur, Topology::Vertex target, Metric metric,
				      const Ranking &ranking);
	bool clean_optimal_path(Topology::Vertex from, Topology::Vertex spur,
				Topology::Vertex target, Metric metric, const Ranking &ranking,
				std::vector<Topology::Vertex> &out);

	const Topology &topology_;
	ReverseTree tree_; // unconstrained, per target
	bool tree_valid_ = false;
	Metric tree_metric_ = Metric::cost;
	uint64_t tree_seed_ = 0;
	ReverseTree scratch_; // constrained spur searches
	Constraints constraints_;
	YenCounters counters_;
	// Scratch of one spur search.
	std::vector<std::pair<PathKey, Topology::Vertex>> candidates_;
	std::vector<Topology::Vertex> walk_;
	std::vector<uint32_t> dead_;
	uint32_t dead_generation_ = 0;
};

} // namespace iplb
