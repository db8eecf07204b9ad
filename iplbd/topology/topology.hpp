// SPDX-License-Identifier: GPL-2.0-or-later
// The network as the path engine sees it: routers and OSPF transit networks
// as vertices, directed links weighted by OSPF cost, prefixes attached to
// routers. A Topology is immutable once built (TopologyBuilder::build), so
// planners work on a snapshot while the LSDB moves on.
#pragma once

#include "util/ipv4.hpp"
#include "util/prefix.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <boost/graph/compressed_sparse_row_graph.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>

namespace iplb {

enum class NodeKind : uint8_t {
	router,
	network, // an OSPF transit network (network LSA): a pseudo-node
};

struct Node {
	Ipv4 id; // router id, or the DR's interface address
	NodeKind kind = NodeKind::router;
	Ipv4 relay; // what hosts encapsulate to (routers)
};

enum class PrefixKind : uint8_t {
	stub,	   // router LSA stub link, or configured
	network,   // a transit network's own prefix
	summary,   // type 3, from an ABR
	external1, // type 5/7, metric type 1
	external2, // type 5/7, metric type 2
};

std::string_view to_string(PrefixKind kind);
Result<PrefixKind, Error> parse_prefix_kind(std::string_view text);

struct PrefixRoute {
	Ipv4Prefix prefix;
	uint32_t vertex = 0; // the router that announces it
	uint32_t cost = 0;
	PrefixKind kind = PrefixKind::stub;

	friend auto operator<=>(const PrefixRoute &, const PrefixRoute &) = default;
};

struct EdgeData {
	uint32_t cost = 0;
};

class Topology {
public:
	using Vertex = uint32_t;
	using Graph =
		boost::compressed_sparse_row_graph<boost::bidirectionalS, boost::no_property,
						   EdgeData, boost::no_property, Vertex, Vertex>;
	static constexpr Vertex none = ~Vertex{0};

	size_t vertex_count() const { return nodes_.size(); }
	size_t edge_count() const { return boost::num_edges(graph_); }
	const Node &node(Vertex v) const { return nodes_[v]; }
	std::span<const Node> nodes() const { return nodes_; }
	const Graph &graph() const { return graph_; }

	// Vertices are ordered by (id, kind): comparing vertex numbers is
	// comparing router ids, whatever order the input came in.
	std::optional<Vertex> find(Ipv4 id, NodeKind kind = NodeKind::router) const;

	// Sorted by (prefix, vertex).
	std::span<const PrefixRoute> prefixes() const { return prefixes_; }
	std::vector<PrefixRoute> routes_to(const Ipv4Prefix &prefix) const;
	// The most specific prefixes containing the address.
	std::vector<PrefixRoute> longest_match(Ipv4 address) const;

	// A vertex can lie inside a simple path only if it touches at least two
	// other vertices; hosts on a single uplink cannot.
	bool can_transit(Vertex v) const { return transit_[v]; }

	template <typename F>
	void for_each_out(Vertex v, F &&f) const
	{
		for (auto [it, end] = boost::out_edges(v, graph_); it != end; ++it)
			f(boost::target(*it, graph_), graph_[*it].cost);
	}
	template <typename F>
	void for_each_in(Vertex v, F &&f) const
	{
		for (auto [it, end] = boost::in_edges(v, graph_); it != end; ++it)
			f(boost::source(*it, graph_), graph_[*it].cost);
	}
	std::optional<uint32_t> link_cost(Vertex from, Vertex to) const;

private:
	friend class TopologyBuilder;

	std::vector<Node> nodes_;
	Graph graph_;
	std::vector<PrefixRoute> prefixes_;
	std::vector<bool> transit_;
};

using TopologySnapshot = std::shared_ptr<const Topology>;

// Collects a topology, refusing what cannot be right (unknown endpoints,
// duplicate links, costs out of range) with a message naming the element.
class TopologyBuilder {
public:
	static constexpr uint32_t max_link_cost = 0xffff;     // OSPF interface cost
	static constexpr uint32_t max_prefix_cost = 0xffffff; // LSA metric field

	Status add_router(Ipv4 id, std::optional<Ipv4> relay = std::nullopt);
	Status add_network(Ipv4 id);
	// A directed link from a router to a router or to a transit network.
	Status add_link(Ipv4 from, Ipv4 to, uint32_t cost);
	// A router attached to a transit network: the network reaches it at
	// cost 0, as OSPF's network LSA says.
	Status attach_to_network(Ipv4 network, Ipv4 router);
	Status add_prefix(Ipv4 router, const Ipv4Prefix &prefix, uint32_t cost,
			  PrefixKind kind = PrefixKind::stub);

	bool has_router(Ipv4 id) const { return nodes_.count({id, NodeKind::router}) > 0; }
	bool has_network(Ipv4 id) const { return nodes_.count({id, NodeKind::network}) > 0; }

	Result<TopologySnapshot, Error> build() const;

private:
	using NodeKey = std::pair<Ipv4, NodeKind>;
	struct LinkKey {
		NodeKey from, to;
		friend auto operator<=>(const LinkKey &, const LinkKey &) = default;
	};

	std::map<NodeKey, Ipv4> nodes_; // -> relay
	std::map<LinkKey, uint32_t> links_;
	std::map<std::tuple<Ipv4Prefix, Ipv4>, std::pair<uint32_t, PrefixKind>> prefixes_;
};

} // namespace iplb
