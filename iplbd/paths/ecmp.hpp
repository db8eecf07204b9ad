// SPDX-License-Identifier: GPL-2.0-or-later
// How OSPF routers actually forward toward one router: by cost only, over
// every equal-cost next hop (ECMP). The relay planners and the forwarding
// checker reason with this, not with the path engine's ranking.
#pragma once

#include "topology/topology.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace iplb {

class CostTree {
public:
	explicit CostTree(size_t vertex_count) : cost_(vertex_count, unreachable) {}

	static constexpr uint64_t unreachable = ~uint64_t{0};

	void compute(const Topology &topology, Topology::Vertex target);
	Topology::Vertex target() const { return target_; }
	bool reaches(Topology::Vertex v) const { return cost_[v] != unreachable; }
	uint64_t cost(Topology::Vertex v) const { return cost_[v]; }

	// Next hops of v toward the target: every w with cost(v, w) + cost(w)
	// equal to cost(v).
	template <typename F>
	void for_each_next(const Topology &topology, Topology::Vertex v, F &&f) const
	{
		if (v == target_ || !reaches(v))
			return;
		topology.for_each_out(v, [&](Topology::Vertex w, uint32_t c) {
			if (reaches(w) && cost_[w] + c == cost_[v])
				f(w);
		});
	}

	// Number of forwarding paths from v to the target, counted up to cap.
	uint64_t count_paths(const Topology &topology, Topology::Vertex v, uint64_t cap) const;

private:
	std::vector<uint64_t> cost_;
	Topology::Vertex target_ = Topology::none;
};

// Cost trees by target, computed on first use; one per thread.
class CostTreeCache {
public:
	explicit CostTreeCache(const Topology &topology) : topology_(topology) {}
	const CostTree &to(Topology::Vertex target);

private:
	const Topology &topology_;
	std::map<Topology::Vertex, std::unique_ptr<CostTree>> trees_;
};

} // namespace iplb
