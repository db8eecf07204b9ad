// SPDX-License-Identifier: GPL-2.0-or-later
#include "paths/reverse_tree.hpp"

#include <algorithm>

namespace iplb {

void ReverseTree::compute(const Topology &topology, Topology::Vertex target, Metric metric,
			  const Ranking &ranking, const Constraints *constraints,
			  Topology::Vertex stop_at)
{
	if (++generation_ == 0) {
		std::fill(stamp_.begin(), stamp_.end(), 0);
		std::fill(settled_.begin(), settled_.end(), 0);
		generation_ = 1;
	}
	target_ = target;
	heap_ = {};
	stamp_[target] = generation_;
	key_[target] = {};
	next_[target] = Topology::none;
	heap_.push({{}, target});

	while (!heap_.empty()) {
		const Entry top = heap_.top();
		heap_.pop();
		const Topology::Vertex v = top.vertex;
		if (settled_[v] == generation_ || top.key != key_[v])
			continue;
		settled_[v] = generation_;
		if (v == stop_at)
			return;
		// A vertex that cannot be inside a simple path starts paths but
		// does not extend them.
		if (v != target && !topology.can_transit(v))
			continue;
		const bool into_router = topology.node(v).kind == NodeKind::router;
		bool stopped = false;
		uint64_t v_rank = 0; // hashed on v's first tie
		topology.for_each_in(v, [&](Topology::Vertex u, uint32_t cost) {
			if (settled_[u] == generation_)
				return;
			if (constraints && (constraints->forbidden(u) || constraints->banned(u, v)))
				return;
			const PathKey offer = edge_key(metric, cost, into_router) + key_[v];
			if (!topology.can_transit(u)) {
				// A vertex with one neighbour has one way out, and v's key
				// is final: so is u's. It need not wait in the heap.
				stamp_[u] = generation_;
				settled_[u] = generation_;
				key_[u] = offer;
				next_[u] = v;
				if (u == stop_at)
					stopped = true;
				return;
			}
			if (stamp_[u] != generation_ || offer < key_[u]) {
				stamp_[u] = generation_;
				key_[u] = offer;
				next_[u] = v;
				next_rank_[u] = 0;
				heap_.push({offer, u});
			} else if (offer == key_[u]) {
				// A tie: the better-ranked next hop wins. Ranks are hashed
				// only when ties happen, and the winner's is kept.
				if (next_rank_[u] == 0)
					next_rank_[u] = ranking.rank(next_[u]);
				if (v_rank == 0)
					v_rank = ranking.rank(v);
				if (v_rank < next_rank_[u] ||
				    (v_rank == next_rank_[u] && v < next_[u])) {
					next_[u] = v;
					next_rank_[u] = v_rank;
				}
			}
		});
		if (stopped)
			return;
	}
}

std::vector<Topology::Vertex> ReverseTree::walk(Topology::Vertex from) const
{
	std::vector<Topology::Vertex> path;
	if (!reaches(from))
		return path;
	for (Topology::Vertex v = from; v != Topology::none; v = next_[v])
		path.push_back(v);
	return path;
}

} // namespace iplb
