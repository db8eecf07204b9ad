// SPDX-License-Identifier: GPL-2.0-or-later
#include "topology/topology.hpp"

#include "util/enum_names.hpp"

#include <algorithm>
#include <set>

namespace iplb {

namespace {

constexpr EnumNames<PrefixKind, 5> prefix_kind_names{"prefix kind",
						     {{{PrefixKind::stub, "stub"},
						       {PrefixKind::network, "network"},
						       {PrefixKind::summary, "summary"},
						       {PrefixKind::external1, "external1"},
						       {PrefixKind::external2, "external2"}}}};

} // namespace

std::string_view to_string(PrefixKind kind)
{
	return prefix_kind_names.name(kind);
}

Result<PrefixKind, Error> parse_prefix_kind(std::string_view text)
{
	return prefix_kind_names.parse(text);
}

std::optional<Topology::Vertex> Topology::find(Ipv4 id, NodeKind kind) const
{
	auto it = std::lower_bound(nodes_.begin(), nodes_.end(), std::pair{id, kind},
				   [](const Node &n, const std::pair<Ipv4, NodeKind> &key) {
					   return std::pair{n.id, n.kind} < key;
				   });
	if (it == nodes_.end() || it->id != id || it->kind != kind)
		return std::nullopt;
	return static_cast<Vertex>(it - nodes_.begin());
}

std::vector<PrefixRoute> Topology::routes_to(const Ipv4Prefix &prefix) const
{
	auto [first, last] = std::equal_range(
		prefixes_.begin(), prefixes_.end(), prefix, [](const auto &a, const auto &b) {
			if constexpr (std::is_same_v<std::decay_t<decltype(a)>, PrefixRoute>)
				return a.prefix < b;
			else
				return a < b.prefix;
		});
	return {first, last};
}

std::vector<PrefixRoute> Topology::longest_match(Ipv4 address) const
{
	for (int length = 32; length >= 0; length--) {
		const auto len = static_cast<uint8_t>(length);
		auto routes = routes_to({Ipv4{address.value & Ipv4Prefix::mask_of(len)}, len});
		if (!routes.empty())
			return routes;
	}
	return {};
}

std::optional<uint32_t> Topology::link_cost(Vertex from, Vertex to) const
{
	std::optional<uint32_t> cost;
	for_each_out(from, [&](Vertex t, uint32_t c) {
		if (t == to)
			cost = c;
	});
	return cost;
}

Status TopologyBuilder::add_router(Ipv4 id, std::optional<Ipv4> relay)
{
	if (!nodes_.emplace(NodeKey{id, NodeKind::router}, relay.value_or(id)).second)
		return unexpected(Error{"duplicate router " + to_string(id)});
	return ok();
}

Status TopologyBuilder::add_network(Ipv4 id)
{
	if (!nodes_.emplace(NodeKey{id, NodeKind::network}, Ipv4{}).second)
		return unexpected(Error{"duplicate network " + to_string(id)});
	return ok();
}

Status TopologyBuilder::add_link(Ipv4 from, Ipv4 to, uint32_t cost)
{
	if (!has_router(from))
		return unexpected(Error{"link from unknown router " + to_string(from)});
	const NodeKind to_kind = has_router(to) ? NodeKind::router : NodeKind::network;
	if (to_kind == NodeKind::network && !has_network(to))
		return unexpected(Error{"link " + to_string(from) + " -> " + to_string(to) +
					": unknown router or network " + to_string(to)});
	if (from == to && to_kind == NodeKind::router)
		return unexpected(Error{"link " + to_string(from) + " -> itself"});
	if (cost == 0 || cost > max_link_cost)
		return unexpected(Error{"link " + to_string(from) + " -> " + to_string(to) +
					": cost " + std::to_string(cost) + " is not in 1-" +
					std::to_string(max_link_cost)});
	const LinkKey key{{from, NodeKind::router}, {to, to_kind}};
	if (!links_.emplace(key, cost).second)
		return unexpected(
			Error{"duplicate link " + to_string(from) + " -> " + to_string(to)});
	return ok();
}

Status TopologyBuilder::attach_to_network(Ipv4 network, Ipv4 router)
{
	if (!has_network(network))
		return unexpected(Error{"unknown network " + to_string(network)});
	if (!has_router(router))
		return unexpected(Error{"network " + to_string(network) + ": unknown router " +
					to_string(router)});
	const LinkKey key{{network, NodeKind::network}, {router, NodeKind::router}};
	if (!links_.emplace(key, 0).second)
		return unexpected(Error{"router " + to_string(router) +
					" attached twice to network " + to_string(network)});
	return ok();
}

Status TopologyBuilder::add_prefix(Ipv4 router, const Ipv4Prefix &prefix, uint32_t cost,
				   PrefixKind kind)
{
	if (!has_router(router))
		return unexpected(Error{"prefix " + to_string(prefix) + ": unknown router " +
					to_string(router)});
	if (cost > max_prefix_cost)
		return unexpected(Error{"prefix " + to_string(prefix) + ": cost " +
					std::to_string(cost) + " is above " +
					std::to_string(max_prefix_cost)});
	if (!prefixes_.emplace(std::tuple{prefix, router}, std::pair{cost, kind}).second)
		return unexpected(Error{"prefix " + to_string(prefix) + " announced twice by " +
					to_string(router)});
	return ok();
}

Result<TopologySnapshot, Error> TopologyBuilder::build() const
{
	auto topology = std::make_shared<Topology>();
	std::map<NodeKey, Topology::Vertex> index;
	for (const auto &[key, relay] : nodes_) {
		index.emplace(key, static_cast<Topology::Vertex>(topology->nodes_.size()));
		topology->nodes_.push_back(Node{key.first, key.second, relay});
	}

	// links_ is ordered by (from, to), hence by vertex; the CSR's counting
	// sort is stable, so out-edges come out ordered by target.
	std::vector<std::pair<Topology::Vertex, Topology::Vertex>> edges;
	std::vector<EdgeData> data;
	edges.reserve(links_.size());
	data.reserve(links_.size());
	for (const auto &[key, cost] : links_) {
		edges.emplace_back(index.at(key.from), index.at(key.to));
		data.push_back(EdgeData{cost});
	}
	const auto n = static_cast<Topology::Vertex>(topology->nodes_.size());
	topology->graph_ = Topology::Graph(boost::edges_are_unsorted_multi_pass, edges.begin(),
					   edges.end(), data.begin(), n);

	topology->transit_.assign(n, false);
	for (Topology::Vertex v = 0; v < n; v++) {
		std::set<Topology::Vertex> neighbours;
		topology->for_each_out(v, [&](auto t, auto) { neighbours.insert(t); });
		topology->for_each_in(v, [&](auto s, auto) { neighbours.insert(s); });
		topology->transit_[v] = neighbours.size() >= 2;
	}

	for (const auto &[key, value] : prefixes_) {
		const auto &[prefix, router] = key;
		topology->prefixes_.push_back(PrefixRoute{
			prefix, index.at({router, NodeKind::router}), value.first, value.second});
	}
	std::sort(topology->prefixes_.begin(), topology->prefixes_.end());
	return TopologySnapshot(std::move(topology));
}

} // namespace iplb
