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

void LinkUse::add(const Path &path)
{
	for (size_t i = 1; i < path.vertices.size(); i++)
		count_[link(path.vertices[i - 1], path.vertices[i])]++;
}

uint64_t LinkUse::overlap(const std::vector<Topology::Vertex> &vertices, size_t from) const
{
	uint64_t sum = 0;
	for (size_t i = from + 1; i < vertices.size(); i++)
		sum += use(vertices[i - 1], vertices[i]);
	return sum;
}

std::vector<Path> take_diverse(std::vector<Path> pool, size_t k, const Ranking &ranking)
{
	const PathOrder order{ranking};
	std::vector<Path> taken;
	LinkUse use;
	while (taken.size() < k && !pool.empty()) {
		auto best = pool.begin();
		uint64_t best_overlap = use.overlap(best->vertices);
		for (auto it = std::next(pool.begin()); it != pool.end(); ++it) {
			if (it->key != best->key) {
				if (it->key < best->key) {
					best = it;
					best_overlap = use.overlap(it->vertices);
				}
				continue;
			}
			const uint64_t overlap = use.overlap(it->vertices);
			if (overlap < best_overlap ||
			    (overlap == best_overlap && order(*it, *best))) {
				best = it;
				best_overlap = overlap;
			}
		}
		use.add(*best);
		taken.push_back(std::move(*best));
		pool.erase(best);
	}
	return taken;
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
