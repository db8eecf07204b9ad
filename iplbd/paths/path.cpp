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

Ranking Ranking::for_pair(const Topology &topology, Topology::Vertex source,
			  Topology::Vertex destination)
{
	return Ranking(topology, splitmix64(splitmix64(identity(topology.node(source))) ^
					    identity(topology.node(destination))));
}

void LinkUse::add(const Path &path)
{
	for (size_t i = 1; i < path.vertices.size(); i++) {
		const Topology::Vertex from = path.vertices[i - 1];
		const uint64_t l = link(from, path.vertices[i]);
		auto it = std::lower_bound(
			count_.begin(), count_.end(), l,
			[](const auto &entry, uint64_t wanted) { return entry.first < wanted; });
		if (it != count_.end() && it->first == l)
			it->second++;
		else
			count_.insert(it, {l, 1});
		from_filter_[filter_word(from)] |= filter_bit(from);
	}
}

void LinkUse::clear()
{
	count_.clear();
	from_filter_.fill(0);
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
