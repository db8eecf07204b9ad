// SPDX-License-Identifier: GPL-2.0-or-later
#include "network.hpp"

#include <string>

namespace iplb::sim {

LinkIndex::LinkIndex(const Topology &topology)
{
	first_.reserve(topology.vertex_count() + 1);
	for (Vertex u = 0; u < topology.vertex_count(); u++) {
		first_.push_back(ends_.size());
		topology.for_each_out(u, [&](Vertex v, uint32_t) { ends_.emplace_back(u, v); });
	}
	first_.push_back(ends_.size());
}

std::optional<LinkId> LinkIndex::find(Vertex from, Vertex to) const
{
	if (from + size_t{1} >= first_.size())
		return std::nullopt;
	for (size_t l = first_[from]; l < first_[from + 1]; l++)
		if (ends_[l].second == to)
			return static_cast<LinkId>(l);
	return std::nullopt;
}

Result<LinkPath, Error> LinkIndex::links_of(const std::vector<Vertex> &vertices) const
{
	if (vertices.size() < 2)
		return unexpected(Error{"a path needs at least two vertices"});
	LinkPath links;
	links.reserve(vertices.size() - 1);
	for (size_t i = 0; i + 1 < vertices.size(); i++) {
		auto l = find(vertices[i], vertices[i + 1]);
		if (!l)
			return unexpected(Error{"no link from vertex " +
						std::to_string(vertices[i]) + " to vertex " +
						std::to_string(vertices[i + 1])});
		links.push_back(*l);
	}
	return links;
}

std::vector<Vertex> hosts_of(const Topology &topology)
{
	std::vector<Vertex> hosts;
	for (Vertex v = 0; v < topology.vertex_count(); v++)
		if (topology.node(v).kind == NodeKind::router && !topology.can_transit(v))
			hosts.push_back(v);
	return hosts;
}

} // namespace iplb::sim
