// SPDX-License-Identifier: GPL-2.0-or-later
#include "pipeline/table_format.hpp"

#include <set>
#include <sstream>

namespace iplb {

using json = nlohmann::ordered_json;

namespace {

std::string node_name(const Topology &topology, Topology::Vertex v)
{
	const Node &n = topology.node(v);
	return (n.kind == NodeKind::network ? "net " : "") + to_string(n.id);
}

std::string verdict(const RelayPlan &plan)
{
	if (plan.pinned)
		return "forwarding follows the path";
	if (plan.forwarding_paths == 0)
		return "no forwarding path";
	return "forwarding may take " + std::to_string(plan.forwarding_paths) + " paths";
}

} // namespace

json route_json(const RouteSpec &route)
{
	json lists = json::array();
	for (const RelayList &list : route.lists) {
		json relays = json::array();
		for (const IpAddress &r : list.relays)
			relays.push_back(to_string(r));
		lists.push_back({{"relays", relays}, {"weight", list.weight}});
	}
	return {{"prefix", to_string(route.prefix)},
		{"encap", std::string(to_string(route.encap))},
		{"mode", std::string(to_string(route.selection))},
		{"mtu", route.mtu},
		{"lists", lists}};
}

json table_json(std::span<const RouteSpec> routes)
{
	json out = json::array();
	for (const RouteSpec &route : routes)
		out.push_back(route_json(route));
	return out;
}

std::string route_text(const RouteSpec &route)
{
	std::string out = to_string(route.prefix) + " encap " +
			  std::string(to_string(route.encap)) + " mode " +
			  std::string(to_string(route.selection));
	if (route.mtu)
		out += " mtu " + std::to_string(route.mtu);
	for (const RelayList &list : route.lists) {
		out += " relay " + to_string(list);
		if (list.weight != 1)
			out += " weight " + std::to_string(list.weight);
	}
	return out;
}

std::string paths_text(const Topology &topology, const PrefixView &view, Metric metric)
{
	std::ostringstream out;
	out << to_string(view.prefix) << (view.is_static ? ": static route\n" : "\n");
	for (size_t i = 0; i < view.paths.paths.size(); i++) {
		const Path &p = view.paths.paths[i];
		out << "  path " << i + 1 << ": cost " << p.cost(metric) << ", " << p.hops(metric)
		    << " hops:";
		for (Topology::Vertex v : p.vertices)
			if (topology.node(v).kind == NodeKind::router)
				out << " " << to_string(topology.node(v).id);
		out << "\n";
		if (i < view.paths.plans.size()) {
			const RelayPlan &plan = view.paths.plans[i];
			out << "    relays:";
			if (plan.relays.empty())
				out << " none (direct)";
			for (Topology::Vertex v : plan.relays)
				out << " " << to_string(topology.node(v).relay);
			out << "; " << verdict(plan) << "\n";
		}
	}
	out << "  route: " << route_text(view.route) << "\n";
	if (view.not_installed)
		out << "  not installed: " << to_string(*view.not_installed) << "\n";
	return out.str();
}

json paths_json(const Topology &topology, const PrefixView &view, Metric metric)
{
	json paths = json::array();
	for (size_t i = 0; i < view.paths.paths.size(); i++) {
		const Path &p = view.paths.paths[i];
		json routers = json::array();
		for (Topology::Vertex v : p.vertices)
			if (topology.node(v).kind == NodeKind::router)
				routers.push_back(to_string(topology.node(v).id));
		json entry = {
			{"cost", p.cost(metric)}, {"hops", p.hops(metric)}, {"routers", routers}};
		if (i < view.paths.plans.size()) {
			const RelayPlan &plan = view.paths.plans[i];
			json relays = json::array();
			for (Topology::Vertex v : plan.relays)
				relays.push_back(to_string(topology.node(v).relay));
			entry["relays"] = relays;
			entry["pinned"] = plan.pinned;
			entry["forwardingPaths"] = plan.forwarding_paths;
			entry["checker"] = verdict(plan);
		}
		paths.push_back(entry);
	}
	json out = {{"prefix", to_string(view.prefix)},
		    {"static", view.is_static},
		    {"paths", paths},
		    {"route", route_json(view.route)}};
	if (view.not_installed) {
		out["installed"] = false;
		out["reason"] = to_string(*view.not_installed);
	}
	return out;
}

std::string paths_dot(const Topology &topology, const PrefixView &view)
{
	std::set<Topology::Vertex> nodes, relays;
	std::set<std::pair<Topology::Vertex, Topology::Vertex>> links;
	for (size_t i = 0; i < view.paths.paths.size(); i++) {
		const auto &vertices = view.paths.paths[i].vertices;
		nodes.insert(vertices.begin(), vertices.end());
		for (size_t j = 0; j + 1 < vertices.size(); j++)
			links.emplace(vertices[j], vertices[j + 1]);
		if (i < view.paths.plans.size())
			relays.insert(view.paths.plans[i].relays.begin(),
				      view.paths.plans[i].relays.end());
	}
	std::ostringstream out;
	out << "digraph \"" << to_string(view.prefix) << "\" {\n  rankdir=LR;\n";
	for (Topology::Vertex v : nodes) {
		const bool network = topology.node(v).kind == NodeKind::network;
		out << "  \"" << node_name(topology, v) << "\" [shape="
		    << (relays.count(v) ? "box, style=bold"
			: network	? "point"
					: "ellipse")
		    << "];\n";
	}
	for (const auto &[from, to] : links)
		out << "  \"" << node_name(topology, from) << "\" -> \"" << node_name(topology, to)
		    << "\" [label=\"" << topology.link_cost(from, to).value_or(0) << "\"];\n";
	out << "}\n";
	return out.str();
}

} // namespace iplb
