// SPDX-License-Identifier: GPL-2.0-or-later
#include "pipeline/desired_table.hpp"

#include "paths/yen.hpp"

#include <algorithm>
#include <set>

namespace iplb {

Result<PrefixPaths, Error> paths_to(const Topology &topology, Topology::Vertex source,
				    std::span<const Destination> destinations, unsigned k,
				    Metric metric, Planner planner, CostTreeCache &trees)
{
	PrefixPaths out;
	if (destinations.empty())
		return out;
	for (const Destination &d : destinations)
		if (d.router == source)
			return unexpected(Error{"the destination is the source " +
						to_string(topology.node(source).id) + " itself"});
	// The first k of every destination router, ranked alike, then the
	// diversity rule over all of them (for one destination, the same k).
	const auto ranking =
		KShortestPaths::default_ranking(topology, source, destinations.front().router);
	KShortestPaths yen(topology);
	for (const Destination &d : destinations) {
		auto found = yen.compute(source, d.router, k, metric, ranking);
		if (!found)
			return unexpected(found.error());
		for (Path &p : *found) {
			(metric == Metric::cost ? p.key.primary : p.key.secondary) += d.cost;
			out.paths.push_back(std::move(p));
		}
	}
	out.paths = take_diverse(std::move(out.paths), k, ranking);
	out.plans = plan_relays(topology, trees, out.paths, planner);
	return out;
}

Result<PrefixPaths, Error> paths_to_prefix(const Topology &topology, Topology::Vertex source,
					   const Ipv4Prefix &prefix, unsigned k, Metric metric,
					   Planner planner, CostTreeCache &trees)
{
	std::vector<Destination> destinations;
	for (const PrefixRoute &route : topology.routes_to(prefix)) {
		if (route.vertex == source)
			return unexpected(Error{to_string(prefix) + " is announced by the source " +
						to_string(topology.node(source).id) + " itself"});
		destinations.push_back({route.vertex, route.cost});
	}
	return paths_to(topology, source, destinations, k, metric, planner, trees);
}

std::vector<RelayList> relay_lists(const Topology &topology, const PrefixPaths &paths)
{
	std::vector<RelayList> lists;
	std::set<std::vector<Topology::Vertex>> seen;
	for (const RelayPlan &plan : paths.plans) {
		if (lists.size() == max_lists_per_route)
			break;
		if (!seen.insert(plan.relays).second)
			continue; // a better path already gave this list its flows
		RelayList list;
		for (Topology::Vertex v : plan.relays)
			list.relays.push_back(topology.node(v).relay);
		lists.push_back(std::move(list));
	}
	return lists;
}

std::set<Ipv4Prefix> destination_prefixes(const Topology &topology, Topology::Vertex source)
{
	std::set<Ipv4Prefix> own, others;
	for (const PrefixRoute &route : topology.prefixes())
		(route.vertex == source ? own : others).insert(route.prefix);
	for (const Ipv4Prefix &prefix : own)
		others.erase(prefix);
	return others;
}

Result<std::vector<RouteSpec>, Error>
desired_table(const Topology &topology, Topology::Vertex source, const TableOptions &options)
{
	CostTreeCache trees(topology);
	std::vector<RouteSpec> table;
	for (const Ipv4Prefix &prefix : destination_prefixes(topology, source)) {
		auto paths = paths_to_prefix(topology, source, prefix, options.k, options.metric,
					     options.planner, trees);
		if (!paths)
			return unexpected(paths.error());
		if (paths->paths.empty())
			continue; // unreachable: the normal route (if any) decides
		RouteSpec spec;
		spec.prefix = prefix;
		spec.lists = relay_lists(topology, *paths);
		spec.encap = options.encap;
		spec.selection = options.selection;
		table.push_back(std::move(spec));
	}
	return table;
}

} // namespace iplb
