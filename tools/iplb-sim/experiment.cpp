// SPDX-License-Identifier: GPL-2.0-or-later
#include "experiment.hpp"

#include "flow_model.hpp"
#include "generators/generators.hpp"
#include "paths/yen.hpp"
#include "traffic.hpp"

#include <chrono>
#include <string>

namespace iplb::sim {

namespace {

// Stream tags mixed into the instance seed.
enum : uint64_t {
	tag_traffic = 1,
	tag_ecmp = 2,
	tag_subflow_hash = 3,
	tag_last_segment = 4,
	tag_switch_hash = 5,
	tag_cdf_pairs = 6,
	tag_first_turn = 7,
};

std::string vertex_name(const Topology &topology, Vertex v)
{
	return to_string(topology.node(v).id);
}

// Relay-list lengths of the k_max paths of sampled host pairs.
Status count_relays(const Topology &topology, CostTreeCache &trees,
		    const std::vector<Vertex> &hosts, uint64_t seed,
		    const ExperimentOptions &options, InstanceResult &result)
{
	const size_t n = hosts.size();
	const size_t all = n * (n - 1);
	const bool every = options.cdf_pairs == 0 || options.cdf_pairs >= all;
	const size_t pairs = every ? all : options.cdf_pairs;
	Rng rng(mix_seed({seed, tag_cdf_pairs}));
	KShortestPaths yen(topology);
	result.relays.assign(options.planners.size(), {});
	result.relay_pairs = pairs;
	for (size_t p = 0; p < pairs; p++) {
		size_t a, b;
		if (every) {
			a = p / (n - 1);
			b = p % (n - 1);
		} else {
			a = rng.below(n);
			b = rng.below(n - 1);
		}
		if (b >= a)
			b++;
		auto paths = yen.compute(hosts[a], hosts[b], options.k_max, Metric::cost);
		if (!paths)
			return unexpected(paths.error());
		for (size_t i = 0; i < options.planners.size(); i++) {
			if (options.planners[i] == Planner::tree) {
				for (const auto &list : plan_tree(topology, *paths))
					result.relays[i].add(list.size());
			} else {
				for (const Path &path : *paths)
					result.relays[i].add(
						plan_exact(topology, trees, path).relays.size());
			}
		}
	}
	return ok();
}

} // namespace

unsigned fat_tree_switches(unsigned ports)
{
	return 5 * ports * ports / 4;
}

unsigned fat_tree_hosts(unsigned ports)
{
	return ports * ports * ports / 4;
}

Result<TopologySnapshot, Error> make_topology(const ExperimentOptions &options, uint64_t seed)
{
	if (options.kind == TopologyKind::fattree)
		return make_fat_tree(FatTreeOptions{.k = options.ports});
	return make_jellyfish(JellyfishOptions{.switches = options.switches,
					       .ports = options.ports,
					       .hosts = options.hosts,
					       .seed = seed});
}

KPathRoutes route_kpaths(const Topology &topology, CostTreeCache &trees,
			 const ConnectionPlans &plans, unsigned k, Mapping mapping,
			 unsigned subflows, uint64_t seed, size_t connection)
{
	KPathRoutes routes;
	const auto &paths = plans.paths();
	const auto &lists = plans.plans(k);
	const uint64_t switch_salt = mix_seed({seed, tag_switch_hash});
	// Where the route's turn stands when the connection opens: anywhere.
	const uint64_t first_turn = mix_seed({seed, tag_first_turn, connection});
	for (unsigned i = 0; i < subflows; i++) {
		const uint64_t hash = mix_seed({seed, tag_subflow_hash, connection, i});
		const size_t j = map_subflow(mapping, hash, first_turn + i, lists.size());
		const Path &path = paths[j];
		Rng rng(mix_seed({seed, tag_last_segment, connection, i}));
		routes.planned.push_back(path.vertices);
		routes.forwarded.push_back(forward_relays(topology, trees, path.vertices.front(),
							  lists[j].relays, path.vertices.back(),
							  switch_salt, rng));
	}
	return routes;
}

Result<InstanceResult, Error> run_instance(const Topology &topology, uint64_t seed,
					   const ExperimentOptions &options)
{
	const auto started = std::chrono::steady_clock::now();
	InstanceResult result;
	result.seed = seed;
	const std::vector<Vertex> hosts = hosts_of(topology);
	if (hosts.size() < 2)
		return unexpected(Error{"the topology has fewer than two hosts"});
	for (const Scheme &s : options.schemes)
		if (s.kind == Scheme::Kind::kpaths && s.k > options.k_max)
			return unexpected(Error{"scheme " + to_string(s) +
						" needs k-max >= " + std::to_string(s.k)});
	CostTreeCache trees(topology);

	if (options.relay_cdf)
		if (auto s = count_relays(topology, trees, hosts, seed, options, result); !s)
			return unexpected(s.error());

	if (options.throughput) {
		const LinkIndex links(topology);
		const std::vector<double> capacity(links.size(), 1.0);
		const auto to =
			random_permutation_traffic(hosts.size(), mix_seed({seed, tag_traffic}));
		result.connections = hosts.size();

		// The path engine's paths of every connection.
		KShortestPaths yen(topology);
		std::vector<std::vector<Path>> paths;
		for (size_t c = 0; c < hosts.size(); c++) {
			auto p = yen.compute(hosts[c], hosts[to[c]], options.k_max, Metric::cost);
			if (!p)
				return unexpected(p.error());
			if (p->empty())
				return unexpected(Error{"no path from " +
							vertex_name(topology, hosts[c]) + " to " +
							vertex_name(topology, hosts[to[c]])});
			paths.push_back(std::move(*p));
		}

		// Builds the connections of one scheme from a route per subflow
		// and returns their total rate.
		auto total_of = [&](auto &&route) -> Result<double, Error> {
			std::vector<Connection> connections(hosts.size());
			for (size_t c = 0; c < hosts.size(); c++)
				for (unsigned i = 0; i < options.subflows; i++) {
					const std::vector<Vertex> r = route(c, i);
					auto l = links.links_of(r);
					if (!l)
						return unexpected(Error{
							"connection " +
							vertex_name(topology, hosts[c]) + " -> " +
							vertex_name(topology, hosts[to[c]]) + ": " +
							l.error().message});
					connections[c].subflows.push_back(std::move(*l));
				}
			auto a = allocate_max_min(capacity, connections);
			if (!a)
				return unexpected(a.error());
			return a->total;
		};

		auto shortest =
			total_of([&](size_t c, unsigned) { return paths[c].front().vertices; });
		if (!shortest)
			return unexpected(shortest.error());
		result.shortest_total = *shortest;

		std::vector<std::optional<double>> common(options.schemes.size());
		for (size_t s = 0; s < options.schemes.size(); s++) {
			const Scheme &scheme = options.schemes[s];
			Result<double, Error> total = 0.0;
			if (scheme.kind == Scheme::Kind::shortest)
				total = *shortest;
			else if (scheme.kind == Scheme::Kind::ecmp)
				total = total_of([&](size_t c, unsigned i) {
					Rng rng(mix_seed({seed, tag_ecmp, c, i}));
					return ecmp_walk(topology, trees, hosts[c], hosts[to[c]],
							 rng);
				});
			else
				continue;
			if (!total)
				return unexpected(total.error());
			common[s] = *total;
		}

		result.totals.assign(options.planners.size(),
				     std::vector<double>(options.schemes.size(), 0));
		result.diverted.assign(options.planners.size(), 0);
		for (size_t p = 0; p < options.planners.size(); p++) {
			std::vector<ConnectionPlans> plans;
			for (size_t c = 0; c < hosts.size(); c++)
				plans.emplace_back(topology, trees, paths[c], options.planners[p]);
			uint64_t routed = 0;
			for (size_t s = 0; s < options.schemes.size(); s++) {
				if (common[s]) {
					result.totals[p][s] = *common[s];
					continue;
				}
				const unsigned k = options.schemes[s].k;
				std::vector<KPathRoutes> routes;
				for (size_t c = 0; c < hosts.size(); c++) {
					routes.push_back(route_kpaths(topology, trees, plans[c], k,
								      options.mapping,
								      options.subflows, seed, c));
					for (unsigned i = 0; i < options.subflows; i++) {
						routed++;
						if (routes[c].forwarded[i] != routes[c].planned[i])
							result.diverted[p]++;
					}
				}
				auto total = total_of([&](size_t c, unsigned i) {
					return routes[c].forwarded[i];
				});
				if (!total)
					return unexpected(total.error());
				result.totals[p][s] = *total;
			}
			result.kpath_subflows = routed;
		}
	}
	result.seconds =
		std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
	return result;
}

Result<ExperimentResult, Error> run_experiment(const ExperimentOptions &options)
{
	ExperimentResult out;
	out.relays.assign(options.planners.size(), {});
	for (unsigned i = 0; i < options.seeds; i++) {
		const uint64_t seed = options.first_seed + i;
		auto topology = make_topology(options, seed);
		if (!topology)
			return unexpected(topology.error());
		if (i == 0) {
			out.hosts = hosts_of(**topology).size();
			out.switches = 0;
			for (Vertex v = 0; v < (*topology)->vertex_count(); v++)
				out.switches += (*topology)->node(v).kind == NodeKind::router &&
						(*topology)->can_transit(v);
		}
		auto instance = run_instance(**topology, seed, options);
		if (!instance)
			return unexpected(Error{"seed " + std::to_string(seed) + ": " +
						instance.error().message});
		for (size_t p = 0; p < instance->relays.size(); p++)
			out.relays[p].merge(instance->relays[p]);
		out.instances.push_back(std::move(*instance));
	}
	return out;
}

} // namespace iplb::sim
