// SPDX-License-Identifier: GPL-2.0-or-later
#include "paths/path.hpp"

namespace iplb {

std::string_view to_string(Metric metric)
{
	return metric == Metric::cost ? "cost" : "hops";
}

Result<Metric, Error> parse_metric(std::string_view text)
{
	if (text == "cost")
		return Metric::cost;
	if (text == "hops")
		return Metric::hops;
	return unexpected(Error{"unknown metric '" + std::string(text) + "': expected cost or hops"});
}

std::vector<Topology::Vertex> routers_of(const Topology &topology, const Path &path)
{
	std::vector<Topology::Vertex> routers;
	for (auto v : path.vertices)
		if (topology.node(v).kind == NodeKind::router)
			routers.push_back(v);
	return routers;
}

std::optional<PathKey> key_of(const Topology &topology, Metric metric,
			      const std::vector<Topology::Vertex> &vertices)
{
	PathKey key;
	for (size_t i = 1; i < vertices.size(); i++) {
		auto cost = topology.link_cost(vertices[i - 1], vertices[i]);
		if (!cost)
			return std::nullopt;
		key = key + edge_key(metric, *cost,
				     topology.node(vertices[i]).kind == NodeKind::router);
	}
	return key;
}

} // namespace iplb
