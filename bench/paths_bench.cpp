// SPDX-License-Identifier: GPL-2.0-or-later
// Times the path engine for bench/paths_compare.py, which runs it beside
// networkx and igraph on the same topology files. One JSON object on stdout.
//
//   iplb-paths-bench query --topology F -k K --pairs A:B[,C:D...] [--repeat R]
//       per query: the path costs and the median time of R runs, each run
//       from a fresh engine (no state kept between queries)
//   iplb-paths-bench all --topology F --from A -k K --threads N [--repeat R]
//       every destination from one source
//   iplb-paths-bench incremental --topology F --from A -k K --threads N --fail A:B
//       recompute after the link A<->B fails, checked against a full run
//   iplb-paths-bench plan --topology F -k K --pairs A:B[,C:D...]
//       both relay planners on the pairs' paths: how many lists pin their
//       path (the forwarding checker's verdict) and how many relays they use
#include "paths/engine.hpp"
#include "paths/relay_planner.hpp"
#include "paths/yen.hpp"
#include "topology/json_format.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace iplb;
using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

[[noreturn]] void fail(const std::string &message)
{
	std::fprintf(stderr, "iplb-paths-bench: %s\n", message.c_str());
	std::exit(1);
}

std::map<std::string, std::string> options(int argc, char **argv)
{
	std::map<std::string, std::string> out;
	for (int i = 2; i + 1 < argc; i += 2)
		out[argv[i]] = argv[i + 1];
	return out;
}

std::string need(const std::map<std::string, std::string> &o, const std::string &name)
{
	auto it = o.find(name);
	if (it == o.end())
		fail("missing " + name);
	return it->second;
}

Topology::Vertex router(const Topology &t, const std::string &id)
{
	auto address = parse_ipv4(id);
	auto v = address ? t.find(*address) : std::nullopt;
	if (!v)
		fail("unknown router " + id);
	return *v;
}

double seconds_since(Clock::time_point start)
{
	return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values)
{
	std::sort(values.begin(), values.end());
	return values[values.size() / 2];
}

size_t path_count(const AllPaths &all)
{
	size_t n = 0;
	for (const auto &paths : all.by_target)
		n += paths.size();
	return n;
}

std::vector<std::pair<std::string, std::string>> pairs_of(const std::string &text)
{
	std::vector<std::pair<std::string, std::string>> pairs;
	for (size_t start = 0; start < text.size();) {
		size_t end = text.find(',', start);
		if (end == std::string::npos)
			end = text.size();
		const std::string pair = text.substr(start, end - start);
		start = end + 1;
		const auto colon = pair.find(':');
		if (colon == std::string::npos)
			fail("--pairs: expected A:B, not " + pair);
		pairs.emplace_back(pair.substr(0, colon), pair.substr(colon + 1));
	}
	return pairs;
}

unsigned k_of(const std::map<std::string, std::string> &o)
{
	return static_cast<unsigned>(std::stoul(need(o, "-k")));
}

json query(const Topology &t, const std::map<std::string, std::string> &o)
{
	const unsigned k = k_of(o);
	const int repeat = o.count("--repeat") ? std::stoi(o.at("--repeat")) : 3;
	json results = json::array();
	for (const auto &[from_id, to_id] : pairs_of(need(o, "--pairs"))) {
		const auto from = router(t, from_id);
		const auto to = router(t, to_id);
		std::vector<double> times;
		std::vector<uint64_t> costs;
		YenCounters counters;
		for (int r = 0; r < repeat; r++) {
			const auto begin = Clock::now();
			KShortestPaths yen(t);
			auto paths = yen.compute(from, to, k, Metric::cost);
			times.push_back(seconds_since(begin));
			if (!paths)
				fail(paths.error().message);
			costs.clear();
			for (const Path &p : *paths)
				costs.push_back(p.cost(Metric::cost));
			counters = yen.counters();
		}
		results.push_back({{"from", from_id},
				   {"to", to_id},
				   {"costs", costs},
				   {"seconds", median(times)},
				   {"spur_searches", counters.spur_searches},
				   {"spur_full", counters.spur_full},
				   {"spur_diverse", counters.spur_diverse},
				   {"rechecked", counters.rechecked}});
	}
	return {{"queries", results}};
}

json plan(const Topology &t, const std::map<std::string, std::string> &o)
{
	const unsigned k = k_of(o);
	KShortestPaths yen(t);
	CostTreeCache trees(t);
	json out;
	for (Planner planner : {Planner::tree, Planner::exact}) {
		size_t lists = 0, pinned = 0, relays = 0;
		for (const auto &[from_id, to_id] : pairs_of(need(o, "--pairs"))) {
			auto paths =
				yen.compute(router(t, from_id), router(t, to_id), k, Metric::cost);
			if (!paths)
				fail(paths.error().message);
			for (const RelayPlan &p : plan_relays(t, trees, *paths, planner)) {
				lists++;
				pinned += p.pinned;
				relays += p.relays.size();
			}
		}
		out[std::string(to_string(planner))] = {
			{"lists", lists}, {"pinned", pinned}, {"relays", relays}};
	}
	return out;
}

json all(const Topology &t, const std::map<std::string, std::string> &o)
{
	const EngineOptions options{
		.k = k_of(o), .threads = static_cast<unsigned>(std::stoul(need(o, "--threads")))};
	const auto source = router(t, need(o, "--from"));
	const int repeat = o.count("--repeat") ? std::stoi(o.at("--repeat")) : 3;
	std::vector<double> times;
	size_t paths = 0, destinations = 0;
	for (int r = 0; r < repeat; r++) {
		const auto begin = Clock::now();
		auto result = compute_all_paths(t, source, options);
		times.push_back(seconds_since(begin));
		if (!result)
			fail(result.error().message);
		paths = path_count(*result);
		destinations = result->counters.searched + result->counters.derived;
	}
	return {{"seconds", median(times)}, {"destinations", destinations}, {"paths", paths}};
}

json incremental(const Topology &t, const std::map<std::string, std::string> &o)
{
	const EngineOptions options{
		.k = k_of(o), .threads = static_cast<unsigned>(std::stoul(need(o, "--threads")))};
	const auto source = router(t, need(o, "--from"));
	const std::string link = need(o, "--fail");
	const auto a = router(t, link.substr(0, link.find(':')));
	const auto b = router(t, link.substr(link.find(':') + 1));

	TopologyBuilder builder;
	for (const Node &n : t.nodes())
		if (n.kind == NodeKind::router ? !builder.add_router(n.id, n.relay)
					       : !builder.add_network(n.id))
			fail("copy");
	for (Topology::Vertex u = 0; u < t.vertex_count(); u++)
		t.for_each_out(u, [&](Topology::Vertex v, uint32_t cost) {
			if ((u == a && v == b) || (u == b && v == a))
				return;
			const bool ok =
				t.node(u).kind == NodeKind::network
					? builder.attach_to_network(t.node(u).id, t.node(v).id)
						  .has_value()
					: builder.add_link(t.node(u).id, t.node(v).id, cost)
						  .has_value();
			if (!ok)
				fail("copy");
		});
	auto after = builder.build();
	if (!after)
		fail(after.error().message);

	auto before = compute_all_paths(t, source, options);
	if (!before)
		fail(before.error().message);
	const auto begin = Clock::now();
	auto updated = recompute_all_paths(t, *before, **after);
	const double seconds = seconds_since(begin);
	if (!updated)
		fail(updated.error().message);
	auto full = compute_all_paths(**after, *(*after)->find(t.node(source).id), options);
	bool equal = true;
	for (size_t d = 0; d < full->by_target.size(); d++)
		equal = equal && full->by_target[d] == updated->by_target[d];
	return {{"seconds", seconds},
		{"searched", updated->counters.searched},
		{"reused", updated->counters.reused},
		{"equals_full_recompute", equal}};
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 2)
		fail("usage: iplb-paths-bench query|all|incremental|plan --topology FILE ...");
	const std::string mode = argv[1];
	const auto o = options(argc, argv);
	auto topology = load_topology_file(need(o, "--topology"));
	if (!topology)
		fail(topology.error().message);
	json out;
	if (mode == "query")
		out = query(**topology, o);
	else if (mode == "all")
		out = all(**topology, o);
	else if (mode == "incremental")
		out = incremental(**topology, o);
	else if (mode == "plan")
		out = plan(**topology, o);
	else
		fail("unknown mode " + mode);
	std::printf("%s\n", out.dump().c_str());
	return 0;
}
