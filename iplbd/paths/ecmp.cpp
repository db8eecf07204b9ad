// SPDX-License-Identifier: GPL-2.0-or-later
#include "paths/ecmp.hpp"

#include <functional>
#include <queue>

namespace iplb {

void CostTree::compute(const Topology &topology, Topology::Vertex target)
{
	using Entry = std::pair<uint64_t, Topology::Vertex>;
	std::fill(cost_.begin(), cost_.end(), unreachable);
	target_ = target;
	std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
	cost_[target] = 0;
	heap.push({0, target});
	while (!heap.empty()) {
		auto [c, v] = heap.top();
		heap.pop();
		if (c != cost_[v])
			continue;
		// Hosts on one uplink do not forward for others.
		if (v != target && !topology.can_transit(v))
			continue;
		topology.for_each_in(v, [&](Topology::Vertex u, uint32_t edge) {
			if (c + edge < cost_[u]) {
				cost_[u] = c + edge;
				heap.push({cost_[u], u});
			}
		});
	}
}

uint64_t CostTree::count_paths(const Topology &topology, Topology::Vertex v, uint64_t cap) const
{
	if (!reaches(v))
		return 0;
	// Memoised over the vertices reachable from v in the next-hop DAG.
	std::map<Topology::Vertex, uint64_t> memo;
	std::function<uint64_t(Topology::Vertex)> count = [&](Topology::Vertex x) -> uint64_t {
		if (x == target_)
			return 1;
		if (auto it = memo.find(x); it != memo.end())
			return it->second;
		uint64_t total = 0;
		for_each_next(topology, x,
			      [&](Topology::Vertex w) { total = std::min(cap, total + count(w)); });
		memo[x] = total;
		return total;
	};
	return count(v);
}

const CostTree &CostTreeCache::to(Topology::Vertex target)
{
	auto &slot = trees_[target];
	if (!slot) {
		slot = std::make_unique<CostTree>(topology_.vertex_count());
		slot->compute(topology_, target);
	}
	return *slot;
}

} // namespace iplb
