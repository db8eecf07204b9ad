// SPDX-License-Identifier: GPL-2.0-or-later
#include "paths/forwarding_checker.hpp"

#include <algorithm>

namespace iplb {

namespace {

// Every forwarding path from `from` to the tree's target, at most limit + 1.
void segment_paths(const Topology &topology, const CostTree &tree, Topology::Vertex from,
		   size_t limit, std::vector<Topology::Vertex> &prefix,
		   std::vector<std::vector<Topology::Vertex>> &out)
{
	if (out.size() > limit)
		return;
	prefix.push_back(from);
	if (from == tree.target())
		out.push_back(prefix);
	else
		tree.for_each_next(topology, from, [&](Topology::Vertex w) {
			segment_paths(topology, tree, w, limit, prefix, out);
		});
	prefix.pop_back();
}

} // namespace

ForwardingReplay replay_forwarding(const Topology &topology, CostTreeCache &trees,
				   Topology::Vertex source,
				   std::span<const Topology::Vertex> relays,
				   Topology::Vertex target, size_t limit)
{
	ForwardingReplay replay;
	replay.paths = {{source}};
	std::vector<Topology::Vertex> stops(relays.begin(), relays.end());
	stops.push_back(target);

	Topology::Vertex from = source;
	for (Topology::Vertex stop : stops) {
		if (stop == from)
			continue;
		const CostTree &tree = trees.to(stop);
		if (!tree.reaches(from)) {
			replay.reachable = false;
			replay.paths.clear();
			return replay;
		}
		std::vector<std::vector<Topology::Vertex>> segments;
		std::vector<Topology::Vertex> prefix;
		segment_paths(topology, tree, from, limit, prefix, segments);
		std::vector<std::vector<Topology::Vertex>> joined;
		for (const auto &head : replay.paths)
			for (const auto &segment : segments) {
				if (joined.size() > limit)
					break;
				auto path = head;
				path.insert(path.end(), segment.begin() + 1, segment.end());
				joined.push_back(std::move(path));
			}
		replay.paths = std::move(joined);
		if (replay.paths.size() > limit) {
			replay.truncated = true;
			replay.paths.resize(limit);
		}
		from = stop;
	}
	std::sort(replay.paths.begin(), replay.paths.end());
	return replay;
}

} // namespace iplb
