// SPDX-License-Identifier: GPL-2.0-or-later
#include "topology/topology_delta.hpp"

#include <algorithm>
#include <tuple>

namespace iplb {
namespace {

NodeRef ref_of(const Topology &t, Topology::Vertex v)
{
	return {t.node(v).id, t.node(v).kind};
}

struct LinkEntry {
	NodeRef from, to;
	uint32_t cost;
};

std::vector<LinkEntry> links_of(const Topology &t)
{
	std::vector<LinkEntry> out;
	out.reserve(t.edge_count());
	for (Topology::Vertex v = 0; v < t.vertex_count(); v++)
		t.for_each_out(v, [&](Topology::Vertex to, uint32_t cost) {
			out.push_back({ref_of(t, v), ref_of(t, to), cost});
		});
	// Vertices are numbered in (id, kind) order, so this is nearly sorted.
	std::ranges::sort(out, {}, [](const LinkEntry &l) { return std::tie(l.from, l.to); });
	return out;
}

struct PrefixEntry {
	Ipv4Prefix prefix;
	Ipv4 router;
	const PrefixRoute *route;
};

std::vector<PrefixEntry> prefixes_of(const Topology &t)
{
	std::vector<PrefixEntry> out;
	out.reserve(t.prefixes().size());
	for (const auto &p : t.prefixes())
		out.push_back({p.prefix, t.node(p.vertex).id, &p});
	std::ranges::sort(out, {},
			  [](const PrefixEntry &e) { return std::tie(e.prefix, e.router); });
	return out;
}

// Walks two sorted ranges together: only_a / only_b / both(a, b).
template <typename A, typename Key, typename OnlyA, typename OnlyB, typename Both>
void merge_walk(const std::vector<A> &a, const std::vector<A> &b, Key key, OnlyA only_a,
		OnlyB only_b, Both both)
{
	size_t i = 0, j = 0;
	while (i < a.size() || j < b.size()) {
		if (j == b.size() || (i < a.size() && key(a[i]) < key(b[j])))
			only_a(a[i++]);
		else if (i == a.size() || key(b[j]) < key(a[i]))
			only_b(b[j++]);
		else
			both(a[i++], b[j++]);
	}
}

} // namespace

TopologyDelta diff(const Topology &before, const Topology &after)
{
	TopologyDelta delta;

	// Nodes are sorted by (id, kind) in both snapshots.
	{
		size_t i = 0, j = 0;
		const auto nb = before.nodes(), na = after.nodes();
		auto key = [](const Node &n) {
			return NodeRef{n.id, n.kind};
		};
		while (i < nb.size() || j < na.size()) {
			if (j == na.size() || (i < nb.size() && key(nb[i]) < key(na[j]))) {
				delta.nodes_removed.push_back(key(nb[i++]));
			} else if (i == nb.size() || key(na[j]) < key(nb[i])) {
				delta.nodes_added.push_back(key(na[j++]));
			} else {
				if (na[j].kind == NodeKind::router && na[j].relay != nb[i].relay)
					delta.relays_changed.push_back(na[j].id);
				i++, j++;
			}
		}
	}

	merge_walk(
		links_of(before), links_of(after),
		[](const LinkEntry &l) { return std::tie(l.from, l.to); },
		[&](const LinkEntry &l) {
			delta.links.push_back({l.from, l.to, l.cost, {}});
		},
		[&](const LinkEntry &l) {
			delta.links.push_back({l.from, l.to, {}, l.cost});
		},
		[&](const LinkEntry &b, const LinkEntry &a) {
			if (b.cost != a.cost)
				delta.links.push_back({b.from, b.to, b.cost, a.cost});
		});

	merge_walk(
		prefixes_of(before), prefixes_of(after),
		[](const PrefixEntry &e) { return std::tie(e.prefix, e.router); },
		[&](const PrefixEntry &e) {
			delta.prefixes.push_back({e.prefix, e.router, *e.route, {}});
		},
		[&](const PrefixEntry &e) {
			delta.prefixes.push_back({e.prefix, e.router, {}, *e.route});
		},
		[&](const PrefixEntry &b, const PrefixEntry &a) {
			if (b.route->cost != a.route->cost || b.route->kind != a.route->kind)
				delta.prefixes.push_back({b.prefix, b.router, *b.route, *a.route});
		});
	return delta;
}

DeltaSummary summarize(const TopologyDelta &delta)
{
	DeltaSummary s;
	s.nodes_added = delta.nodes_added.size();
	s.nodes_removed = delta.nodes_removed.size();
	s.relays_changed = delta.relays_changed.size();
	for (const auto &l : delta.links)
		(l.before ? (l.after ? s.links_changed : s.links_removed) : s.links_added)++;
	for (const auto &p : delta.prefixes)
		(p.before ? (p.after ? s.prefixes_changed : s.prefixes_removed)
			  : s.prefixes_added)++;
	return s;
}

std::string to_string(const DeltaSummary &s)
{
	std::string out = "+" + std::to_string(s.nodes_added) + " -" +
			  std::to_string(s.nodes_removed) + " nodes, +" +
			  std::to_string(s.links_added) + " -" + std::to_string(s.links_removed) +
			  " ~" + std::to_string(s.links_changed) + " links, +" +
			  std::to_string(s.prefixes_added) + " -" +
			  std::to_string(s.prefixes_removed) + " ~" +
			  std::to_string(s.prefixes_changed) + " prefixes";
	if (s.relays_changed)
		out += ", " + std::to_string(s.relays_changed) + " relays moved";
	return out;
}

namespace {

std::string name(const NodeRef &n)
{
	return (n.kind == NodeKind::network ? "net " : "") + to_string(n.id);
}

std::string cost(const std::optional<uint32_t> &c)
{
	return c ? std::to_string(*c) : "-";
}

} // namespace

std::vector<std::string> describe(const TopologyDelta &delta, size_t limit)
{
	std::vector<std::string> lines;
	for (const auto &n : delta.nodes_added)
		lines.push_back("node " + name(n) + " added");
	for (const auto &n : delta.nodes_removed)
		lines.push_back("node " + name(n) + " removed");
	for (const auto &r : delta.relays_changed)
		lines.push_back("router " + to_string(r) + " relay address changed");
	for (const auto &l : delta.links)
		lines.push_back("link " + name(l.from) + " -> " + name(l.to) + " cost " +
				cost(l.before) + " -> " + cost(l.after));
	for (const auto &p : delta.prefixes)
		lines.push_back(
			"prefix " + to_string(p.prefix) + " via " + to_string(p.router) + " cost " +
			cost(p.before ? std::optional(p.before->cost) : std::nullopt) + " -> " +
			cost(p.after ? std::optional(p.after->cost) : std::nullopt));
	if (lines.size() > limit) {
		const size_t more = lines.size() - limit;
		lines.resize(limit);
		lines.push_back("... and " + std::to_string(more) + " more");
	}
	return lines;
}

} // namespace iplb
