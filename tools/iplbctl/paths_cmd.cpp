// SPDX-License-Identifier: GPL-2.0-or-later
// iplbctl paths: the k paths from a router to a router or prefix of a
// topology file, with their relay lists, as iplbd would compute them.
#include "cli.hpp"

#include "paths/yen.hpp"
#include "pipeline/desired_table.hpp"
#include "topology/json_format.hpp"
#include "topology/relay_policy.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace iplbctl {

namespace {

using iplb::Ipv4;
using iplb::Path;
using iplb::Topology;

Topology::Vertex router_vertex(const Topology &t, const std::string &text, const char *what)
{
	auto id = iplb::parse_ipv4(text);
	if (!id)
		throw UsageError(std::string(what) + ": " + id.error().message);
	auto v = t.find(*id);
	if (!v)
		throw CommandError(std::string(what) + ": unknown router " + text);
	return *v;
}

// The routers a destination stands for, each with the cost of reaching the
// prefix from it (0 for a router itself).
std::vector<std::pair<Topology::Vertex, uint32_t>> destinations(const Topology &t,
								const std::string &text)
{
	if (text.find('/') == std::string::npos)
		return {{router_vertex(t, text, "--to"), 0}};
	auto prefix = iplb::parse_prefix(text);
	if (!prefix)
		throw UsageError("--to: " + prefix.error().message);
	std::vector<std::pair<Topology::Vertex, uint32_t>> out;
	for (const auto &route : t.routes_to(*prefix))
		out.emplace_back(route.vertex, route.cost);
	if (out.empty())
		throw CommandError("--to: no router announces " + text);
	return out;
}

std::string join(const std::vector<std::string> &items, const char *sep)
{
	std::string out;
	for (const auto &i : items)
		out += (out.empty() ? "" : sep) + i;
	return out;
}

} // namespace

PathOptions path_options(Args &args)
{
	PathOptions o;
	o.file = args.required("--topology");
	o.from = args.required("--from");
	o.k = args.number("-k", 8, 1, iplb::KShortestPaths::max_k);
	o.metric = usage_take(iplb::parse_metric(args.value("--metric").value_or("cost")),
			      "--metric: ");
	o.planner = usage_take(iplb::parse_planner(args.value("--planner").value_or("exact")),
			       "--planner: ");
	if (const auto relay_source = args.value("--relay-source"))
		o.relay_policy =
			usage_take(iplb::parse_relay_policy(*relay_source), "--relay-source: ");
	return o;
}

iplb::TopologySnapshot load_topology(const PathOptions &o)
{
	auto topology = take(iplb::load_topology_file(o.file));
	if (o.relay_policy) {
		auto assigned = take(iplb::assign_relays(*topology, *o.relay_policy));
		if (assigned.fallbacks > 0)
			std::fprintf(stderr,
				     "iplbctl: %zu routers have no matching /32 stub prefix: their "
				     "router id is their relay\n",
				     assigned.fallbacks);
		topology = assigned.topology;
	}
	return topology;
}

int paths_command(const Options &options, std::span<const std::string> words)
{
	Args args(words);
	const PathOptions po = path_options(args);
	const std::string to_text = args.required("--to");
	args.finish();
	const std::string &from_text = po.from;
	const unsigned k = po.k;
	const auto metric = &po.metric;
	const auto planner = &po.planner;
	const auto topology = load_topology(po);
	const Topology &t = *topology;
	const auto source = router_vertex(t, from_text, "--from");

	const auto targets = destinations(t, to_text);
	for (auto [target, prefix_cost] : targets)
		if (target == source)
			throw CommandError(
				to_text.find('/') == std::string::npos
					? "source and destination are the same router " + to_text
					: "--to " + to_text + " is announced by the source itself");
	std::vector<iplb::Destination> destinations;
	for (auto [target, prefix_cost] : targets)
		destinations.push_back({target, prefix_cost});
	iplb::CostTreeCache trees(t);
	auto found = iplb::paths_to(t, source, destinations, k, *metric, *planner, trees);
	if (!found)
		throw CommandError(found.error().message);
	const std::vector<Path> &paths = found->paths;
	const std::vector<iplb::RelayPlan> &plans = found->plans;
	if (paths.empty())
		throw CommandError(to_text + " is unreachable from " + from_text);

	if (options.json) {
		nlohmann::ordered_json out = {{"from", from_text},
					      {"to", to_text},
					      {"k", k},
					      {"metric", std::string(iplb::to_string(*metric))},
					      {"planner", std::string(iplb::to_string(*planner))},
					      {"paths", nlohmann::ordered_json::array()}};
		for (size_t i = 0; i < paths.size(); i++) {
			nlohmann::ordered_json hops = nlohmann::ordered_json::array();
			for (auto v : iplb::routers_of(t, paths[i]))
				hops.push_back(iplb::to_string(t.node(v).id));
			nlohmann::ordered_json relays = nlohmann::ordered_json::array();
			for (auto v : plans[i].relays)
				relays.push_back(iplb::to_string(t.node(v).relay));
			out["paths"].push_back({{"cost", paths[i].cost(*metric)},
						{"hops", hops},
						{"relays", relays},
						{"pinned", plans[i].pinned}});
		}
		std::printf("%s\n", out.dump(2).c_str());
		return 0;
	}

	std::printf("%s -> %s: %zu paths (k %u, metric %s, planner %s)\n", from_text.c_str(),
		    to_text.c_str(), paths.size(), k, std::string(iplb::to_string(*metric)).c_str(),
		    std::string(iplb::to_string(*planner)).c_str());
	std::printf("%3s %6s %4s  %-6s  %-32s %s\n", "#", "cost", "hops", "pinned", "relays",
		    "path");
	for (size_t i = 0; i < paths.size(); i++) {
		std::vector<std::string> hops, relays;
		for (auto v : iplb::routers_of(t, paths[i]))
			hops.push_back(iplb::to_string(t.node(v).id));
		for (auto v : plans[i].relays)
			relays.push_back(iplb::to_string(t.node(v).relay));
		std::printf("%3zu %6llu %4zu  %-6s  %-32s %s\n", i + 1,
			    static_cast<unsigned long long>(paths[i].cost(*metric)),
			    hops.size() - 1, plans[i].pinned ? "yes" : "no",
			    relays.empty() ? "-" : join(relays, ",").c_str(),
			    join(hops, " ").c_str());
	}
	return 0;
}

} // namespace iplbctl
