// SPDX-License-Identifier: GPL-2.0-or-later
// Best paths from every vertex to one target: a Dijkstra search run
// backwards from the target. "Best" is the smallest PathKey, then the
// next hop first in the Ranking, which makes each vertex's path the first
// in PathOrder: the search settles vertices by key, and every edge has a
// positive key, so all equal offers reach a vertex before it is settled and
// the best-ranked next hop among them wins.
#pragma once

#include "paths/path.hpp"
#include "topology/topology.hpp"

#include <cstdint>
#include <queue>
#include <span>
#include <vector>

namespace iplb {

// What a constrained search may not use: marked vertices, and some out-edges
// of one vertex (the spur node of Yen's algorithm).
class Constraints {
public:
	explicit Constraints(size_t vertex_count) : mark_(vertex_count, 0) {}

	void clear()
	{
		if (++generation_ == 0) { // wrapped: reset the marks once
			std::fill(mark_.begin(), mark_.end(), 0);
			generation_ = 1;
		}
		spur_ = Topology::none;
		banned_.clear();
	}
	void forbid(Topology::Vertex v) { mark_[v] = generation_; }
	bool forbidden(Topology::Vertex v) const { return mark_[v] == generation_; }
	void ban_edge_from(Topology::Vertex spur, Topology::Vertex next)
	{
		spur_ = spur;
		banned_.push_back(next);
	}
	bool banned(Topology::Vertex from, Topology::Vertex to) const
	{
		if (from != spur_)
			return false;
		for (auto b : banned_)
			if (b == to)
				return true;
		return false;
	}

private:
	std::vector<uint32_t> mark_;
	uint32_t generation_ = 1;
	Topology::Vertex spur_ = Topology::none;
	std::vector<Topology::Vertex> banned_;
};

class ReverseTree {
public:
	explicit ReverseTree(size_t vertex_count)
	    : key_(vertex_count), next_(vertex_count), next_rank_(vertex_count),
	      stamp_(vertex_count, 0), settled_(vertex_count, 0)
	{
	}

	// Searches from target; with stop_at, stops once that vertex is settled
	// (its path is then final, others may not be).
	void compute(const Topology &topology, Topology::Vertex target, Metric metric,
		     const Ranking &ranking, const Constraints *constraints = nullptr,
		     Topology::Vertex stop_at = Topology::none);

	Topology::Vertex target() const { return target_; }
	bool reaches(Topology::Vertex v) const { return stamp_[v] == generation_; }
	bool settled(Topology::Vertex v) const { return settled_[v] == generation_; }
	PathKey key(Topology::Vertex v) const { return key_[v]; }
	Topology::Vertex next(Topology::Vertex v) const { return next_[v]; }

	// from, next(from), ..., target
	std::vector<Topology::Vertex> walk(Topology::Vertex from) const;

private:
	struct Entry {
		PathKey key;
		Topology::Vertex vertex;
		bool operator>(const Entry &o) const
		{
			return key != o.key ? key > o.key : vertex > o.vertex;
		}
	};

	std::vector<PathKey> key_;
	std::vector<Topology::Vertex> next_;
	std::vector<uint64_t> next_rank_; // rank of next_, or 0 until a tie needs it
	std::vector<uint32_t> stamp_;	  // == generation_: reached in this search
	std::vector<uint32_t> settled_;
	uint32_t generation_ = 0;
	Topology::Vertex target_ = Topology::none;
	std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
};

} // namespace iplb
