// SPDX-License-Identifier: GPL-2.0-or-later
// Paths through a Topology, and the order the path engine ranks them in.
#pragma once

#include "topology/topology.hpp"
#include "util/splitmix.hpp"

#include <algorithm>
#include <array>
#include <compare>
#include <cstdint>
#include <string_view>
#include <vector>

namespace iplb {

enum class Metric {
	cost, // OSPF cost, then hop count
	hops, // hop count, then OSPF cost
};

std::string_view to_string(Metric metric);
Result<Metric, Error> parse_metric(std::string_view text);

// What a path is ranked by: (primary, secondary) of the metric, compared
// lexicographically; a Ranking of the routers breaks the remaining ties.
struct PathKey {
	uint64_t primary = 0;
	uint64_t secondary = 0;

	friend auto operator<=>(const PathKey &, const PathKey &) = default;
	PathKey operator+(const PathKey &o) const
	{
		return {primary + o.primary, secondary + o.secondary};
	}
};

// An edge counts as a hop when it enters a router; the two edges through a
// transit network (router -> network -> router) make one hop.
inline PathKey edge_key(Metric metric, uint32_t cost, bool into_router)
{
	const uint64_t hop = into_router ? 1 : 0;
	return metric == Metric::cost ? PathKey{cost, hop} : PathKey{hop, cost};
}

struct Path {
	std::vector<Topology::Vertex> vertices; // source first, transit networks included
	PathKey key;

	uint64_t cost(Metric metric) const
	{
		return metric == Metric::cost ? key.primary : key.secondary;
	}
	uint64_t hops(Metric metric) const
	{
		return metric == Metric::cost ? key.secondary : key.primary;
	}

	friend bool operator==(const Path &, const Path &) = default;
};

// The order in which ties between equal-key paths are broken: routers along
// the paths are compared first to last by a rank, a hash of the router's id
// seeded per (source, destination) pair. Different pairs thus prefer
// different equal-cost paths, the spreading ECMP hashing gives, while every
// run on every machine gives the same answer. (Equal hashes, improbable,
// fall back to the vertex order.)
class Ranking {
public:
	Ranking(const Topology &topology, uint64_t seed) : topology_(&topology), seed_(seed) {}
	// The ranking iplbd uses from `source` to `destination`.
	static Ranking for_pair(const Topology &topology, Topology::Vertex source,
				Topology::Vertex destination);

	uint64_t seed() const { return seed_; }
	// Never 0, so that 0 can mean "not computed yet" to callers. Inline:
	// the searches call it on every tie.
	uint64_t rank(Topology::Vertex v) const
	{
		return splitmix64(seed_ ^ identity(topology_->node(v))) | 1;
	}
	bool less(Topology::Vertex a, Topology::Vertex b) const
	{
		const uint64_t ra = rank(a), rb = rank(b);
		return ra != rb ? ra < rb : a < b;
	}

private:
	static uint64_t identity(const Node &n)
	{
		return uint64_t{n.id.value} << 1 | (n.kind == NodeKind::network ? 1 : 0);
	}

	const Topology *topology_;
	uint64_t seed_;
};

// Strict total order of paths: key, then the vertex sequences compared by
// rank, element by element.
struct PathOrder {
	Ranking ranking;

	bool operator()(const Path &a, const Path &b) const
	{
		if (a.key != b.key)
			return a.key < b.key;
		return std::lexicographical_compare(
			a.vertices.begin(), a.vertices.end(), b.vertices.begin(), b.vertices.end(),
			[this](auto x, auto y) { return ranking.less(x, y); });
	}
};

// How many of a set of paths use each directed link: the overlap of a path
// with the set is the sum over its links. Among paths of equal key, the
// engine takes the one of least overlap with those it took already (the
// diversity rule, see yen.hpp).
class LinkUse {
public:
	void add(const Path &path);
	void clear();
	uint32_t use(Topology::Vertex from, Topology::Vertex to) const
	{
		// The searches ask about many links that no taken path has: a
		// filter on the link's tail answers most of them.
		if (!(from_filter_[filter_word(from)] & filter_bit(from)))
			return 0;
		const uint64_t wanted = link(from, to);
		auto it = std::lower_bound(
			count_.begin(), count_.end(), wanted,
			[](const auto &entry, uint64_t l) { return entry.first < l; });
		return it != count_.end() && it->first == wanted ? it->second : 0;
	}
	// Over the links of vertices[from...].
	uint64_t overlap(const std::vector<Topology::Vertex> &vertices, size_t from = 0) const;
	bool empty() const { return count_.empty(); }

private:
	static uint64_t link(Topology::Vertex from, Topology::Vertex to)
	{
		return uint64_t{from} << 32 | to;
	}
	static constexpr size_t filter_words = 64;
	static size_t filter_word(Topology::Vertex v) { return (v / 64) % filter_words; }
	static uint64_t filter_bit(Topology::Vertex v) { return uint64_t{1} << (v % 64); }

	// (link, paths using it), sorted: k paths of a few dozen links, where
	// a binary search beats hashing.
	std::vector<std::pair<uint64_t, uint32_t>> count_;
	std::array<uint64_t, filter_words> from_filter_{};
};

// The diversity rule applied to a given pool (paths to several destinations
// of one prefix, say): repeatedly the pool's path of least key, then least
// overlap with those taken, then first in PathOrder; at most k, in the order
// taken.
std::vector<Path> take_diverse(std::vector<Path> pool, size_t k, const Ranking &ranking);

// The routers of a path, without transit networks.
std::vector<Topology::Vertex> routers_of(const Topology &topology, const Path &path);
// Recomputes the key of a vertex sequence; none if an edge is missing.
std::optional<PathKey> key_of(const Topology &topology, Metric metric,
			      const std::vector<Topology::Vertex> &vertices);

} // namespace iplb
