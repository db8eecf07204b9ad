// SPDX-License-Identifier: GPL-2.0-or-later
#include "paths/path.hpp"

#include "util/enum_names.hpp"
#include "util/splitmix.hpp"

namespace iplb {

namespace {

constexpr EnumNames<Metric, 2> metric_names{"metric",
					    {{{Metric::cost, "cost"}, {Metric::hops, "hops"}}}};

} // namespace

std::string_view to_string(Metric metric)
{
	return metric_names.name(metric);
}

Result<Metric, Error> parse_metric(std::string_view text)
{
	return metric_names.parse(text);
}

namespace {

uint64_t identity(const Node &n)
{
	return uint64_t{n.id.value} << 1 | (n.kind == NodeKind::network ? 1 : 0);
}

} // namespace

Ranking Ranking::for_pair(const Topology &topology, Topology::Vertex source,
			  Topology::Vertex destination)
{
	return Ranking(topology, splitmix64(splitmix64(identity(topology.node(source))) ^
					    identity(topology.node(destination))));
}

uint64_t Ranking::rank(Topology::Vertex v) const
{
	// Never 0, so that 0 can mean "not computed yet" to callers.
	return splitmix64(seed_ ^ identity(topology_->node(v))) | 1;
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
		key = key +
		      edge_key(metric, *cost, topology.node(vertices[i]).kind == NodeKind::router);
	}
	return key;
}

} // namespace iplb
