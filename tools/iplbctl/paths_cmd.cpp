// SPDX-License-Identifier: GPL-2.0-or-later
// iplbctl paths: the k paths from a router to a router or prefix of a
// topology file, with their relay lists, as iplbd would compute them.
#include "cli.hpp"

#include "paths/relay_planner.hpp"
#include "paths/yen.hpp"
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

int paths_command(const Options &options, std::span<const std::string> words)
{
	Args args(words);
	const std::string file = args.required("--topology");
	const std::string from_text = args.required("--from");
	const std::string to_text = args.required("--to");
	const unsigned k = args.number("-k", 8, 1, iplb::KShortestPaths::max_k);
	auto metric = iplb::parse_metric(args.value("--metric").value_or("cost"));
	if (!metric)
		throw UsageError("--metric: " + metric.error().message);
	auto planner = iplb::parse_planner(args.value("--planner").value_or("exact"));
	if (!planner)
		throw UsageError("--planner: " + planner.error().message);
	const auto relay_source = args.value("--relay-source");
	std::optional<iplb::RelayPolicy> policy;
	if (relay_source) {
		auto parsed = iplb::parse_relay_policy(*relay_source);
		if (!parsed)
			throw UsageError("--relay-source: " + parsed.error().message);
		policy = *parsed;
	}
	args.finish();

	auto topology = iplb::load_topology_file(file);
	if (!topology)
		throw CommandError(topology.error().message);
	if (policy) {
		auto assigned = iplb::assign_relays(**topology, *policy);
		if (!assigned)
			throw CommandError(assigned.error().message);
		if (assigned->fallbacks > 0)
			std::fprintf(stderr,
				     "iplbctl: %zu routers have no matching /32 stub prefix: their "
				     "router id is their relay\n",
				     assigned->fallbacks);
		topology = assigned->topology;
	}
	const Topology &t = **topology;
	const auto source = router_vertex(t, from_text, "--from");

	// The first k over every announcing router, all ranked alike: each
	// one's first k hold the overall first k.
	const auto targets = destinations(t, to_text);
	for (auto [target, prefix_cost] : targets)
		if (target == source)
			throw CommandError(
				to_text.find('/') == std::string::npos
					? "source and destination are the same router " + to_text
					: "--to " + to_text + " is announced by the source itself");
	const auto ranking =
		iplb::KShortestPaths::default_ranking(t, source, targets.front().first);
	iplb::KShortestPaths yen(t);
	std::vector<Path> paths;
	for (auto [target, prefix_cost] : targets) {
		auto found = yen.compute(source, target, k, *metric, ranking);
		if (!found)
			throw CommandError(found.error().message);
		for (Path &p : *found) {
			(*metric == iplb::Metric::cost ? p.key.primary : p.key.secondary) +=
				prefix_cost;
			paths.push_back(std::move(p));
		}
	}
	std::sort(paths.begin(), paths.end(), iplb::PathOrder{ranking});
	if (paths.size() > k)
		paths.resize(k);
	if (paths.empty())
		throw CommandError(to_text + " is unreachable from " + from_text);

	iplb::CostTreeCache trees(t);
	const auto plans = iplb::plan_relays(t, trees, paths, *planner);

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
