// SPDX-License-Identifier: GPL-2.0-or-later
// Yen's k shortest loopless paths, with diversity among equal keys. The
// result is the greedy choice over all simple paths: each next path has the
// least PathKey (cost then hops, or hops then cost) among those not taken,
// then the least overlap with the paths taken (the sum over its links of how
// many taken paths use the link, see LinkUse), then comes first in
// PathOrder (routers compared by Ranking). So the keys are those of the k
// shortest loopless paths; only the choice among ties changes, towards paths
// that share fewest links with the others (on a fat-tree, the k = 2 paths
// leave through different aggregation switches). Whatever order the
// topology was given in, the answer is the same; the default ranking
// differs per (source, destination), so pairs spread over equal-cost paths.
// Taking a path never changes which paths are left, and removing a path
// that was not taken never changes the choice: the engine's incremental
// recompute relies on it.
//
// Candidates are kept per root (a prefix of a taken path, ending at the spur
// node), as in Yen's algorithm with Lawler's change. A candidate's overlap
// can only grow as paths are taken, so a candidate computed before the last
// take is a lower bound: when it comes first it is checked again, and its
// spur search redone only if its own links gained use.
//
// Each spur search first tries the unconstrained reverse tree of the target:
// if a first hop of the best unconstrained key has an optimal continuation
// that avoids the root, the optimal key is the unconstrained one. The
// least overlap among those continuations, and the best-ranked path that
// has it, is found by dynamic programming over the tree's equal-key next
// hops (memoised per vertex; a continuation without overlap ends the search
// at once). Only when no continuation avoids the root does it run a
// constrained backward search, stopped at the spur node, and the same
// dynamic programming over that tree.
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
	uint64_t spur_fast = 0;	   // answered from the reverse tree
	uint64_t spur_full = 0;	   // needed a constrained search
	uint64_t spur_diverse = 0; // no optimal continuation without overlap
	uint64_t rechecked = 0;	   // candidates checked again after a take
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
	// A root's best path not taken yet, and when it was computed.
	struct Candidate {
		Path path;
		uint64_t overlap = 0;	   // with the paths taken when computed
		uint64_t spur_overlap = 0; // of its links from the spur node on
		size_t spur_index = 0;
		size_t taken = 0; // how many paths were taken then
	};
	struct CandidateOrder {
		PathOrder order;
		bool operator()(const Candidate &a, const Candidate &b) const
		{
			if (a.path.key != b.path.key)
				return a.path.key < b.path.key;
			if (a.overlap != b.overlap)
				return a.overlap < b.overlap;
			return order(a.path, b.path);
		}
	};

	std::optional<Candidate> root_candidate(const std::vector<Topology::Vertex> &root_path,
						size_t spur_index, const std::vector<Path> &taken,
						Topology::Vertex target, Metric metric,
						const Ranking &ranking);
	std::optional<Path> spur_path(Topology::Vertex spur, Topology::Vertex target, Metric metric,
				      const Ranking &ranking);
	// The least overlap from v to the target over optimal next hops (tight
	// in the given tree), smallest ranked next hop among equals.
	std::pair<uint64_t, Topology::Vertex>
	least_overlap_hop(Topology::Vertex v, PathKey want, Topology::Vertex spur,
			  Topology::Vertex target, Metric metric, const Ranking &ranking,
			  const ReverseTree &tree);
	uint64_t least_overlap(Topology::Vertex v, Topology::Vertex spur, Topology::Vertex target,
			       Metric metric, const Ranking &ranking, const ReverseTree &tree);
	std::optional<Path> least_overlap_path(Topology::Vertex spur, PathKey key,
					       Topology::Vertex target, Metric metric,
					       const Ranking &ranking, const ReverseTree &tree);

	const Topology &topology_;
	ReverseTree tree_; // unconstrained, per target
	bool tree_valid_ = false;
	Metric tree_metric_ = Metric::cost;
	uint64_t tree_seed_ = 0;
	ReverseTree scratch_; // constrained spur searches
	Constraints constraints_;
	YenCounters counters_;
	// Of one compute(): the links of the paths taken.
	LinkUse use_;
	// Scratch of one least-overlap search.
	std::vector<uint32_t> overlap_stamp_;
	std::vector<uint64_t> overlap_;
	std::vector<Topology::Vertex> overlap_next_;
	uint32_t overlap_generation_ = 0;
	std::vector<std::pair<uint64_t, Topology::Vertex>> hops_; // (rank, vertex), a stack
};

} // namespace iplb
