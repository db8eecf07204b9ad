// SPDX-License-Identifier: GPL-2.0-or-later
#include "paths/relay_planner.hpp"

#include "util/enum_names.hpp"

#include <algorithm>
#include <limits>
#include <set>

namespace iplb {

namespace {

constexpr EnumNames<Planner, 2> planner_names{
	"planner", {{{Planner::tree, "tree"}, {Planner::exact, "exact"}}}};

} // namespace

std::string_view to_string(Planner planner)
{
	return planner_names.name(planner);
}

Result<Planner, Error> parse_planner(std::string_view text)
{
	return planner_names.parse(text);
}

std::vector<std::vector<Topology::Vertex>> plan_tree(const Topology &topology,
						     std::span<const Path> paths)
{
	std::vector<std::vector<Topology::Vertex>> routers;
	for (const Path &p : paths)
		routers.push_back(routers_of(topology, p));

	std::vector<std::vector<Topology::Vertex>> plans;
	for (const auto &r : routers) {
		std::vector<Topology::Vertex> relays;
		// r[0] is the source, r.back() the destination; r[1] is a child of
		// the source.
		for (size_t i = 2; i + 1 < r.size(); i++) {
			// Children of the tree node r[0..i-1]: what the paths sharing
			// that prefix have at position i.
			std::set<Topology::Vertex> children;
			for (const auto &other : routers)
				if (other.size() > i &&
				    std::equal(r.begin(), r.begin() + i, other.begin()))
					children.insert(other[i]);
			if (children.size() > 1)
				relays.push_back(r[i]);
		}
		plans.push_back(std::move(relays));
	}
	return plans;
}

namespace {

// Is the stretch path[a..b] the only way OSPF forwards from path[a] to path[b]?
bool pinned_segment(const Topology &topology, const CostTree &tree, const Path &path, size_t a,
		    size_t b)
{
	const auto &v = path.vertices;
	uint64_t cost = 0;
	for (size_t i = a; i < b; i++)
		cost += *topology.link_cost(v[i], v[i + 1]);
	if (!tree.reaches(v[a]) || tree.cost(v[a]) != cost)
		return false;
	return tree.count_paths(topology, v[a], 2) == 1;
}

} // namespace

RelayPlan plan_exact(const Topology &topology, CostTreeCache &trees, const Path &path)
{
	const auto &v = path.vertices;
	std::vector<size_t> stops; // positions of routers: possible relays
	for (size_t i = 0; i < v.size(); i++)
		if (topology.node(v[i]).kind == NodeKind::router)
			stops.push_back(i);
	const size_t n = stops.size();

	// Fewest segments, where an unpinned segment costs more than any number
	// of pinned ones; ties go to the earliest relays.
	constexpr uint64_t unpinned = 1 << 20;
	constexpr uint64_t infinity = std::numeric_limits<uint64_t>::max();
	std::vector<uint64_t> best(n, infinity);
	std::vector<size_t> from(n, 0);
	best[0] = 0;
	for (size_t j = 1; j < n; j++) {
		const CostTree &tree = trees.to(v[stops[j]]);
		for (size_t i = 0; i < j; i++) {
			if (best[i] == infinity)
				continue;
			const bool pinned =
				pinned_segment(topology, tree, path, stops[i], stops[j]);
			// Unpinned stretches are allowed only router by router.
			if (!pinned && j != i + 1)
				continue;
			const uint64_t weight = best[i] + 1 + (pinned ? 0 : unpinned);
			if (weight < best[j]) {
				best[j] = weight;
				from[j] = i;
			}
		}
	}
	RelayPlan plan;
	for (size_t j = from[n - 1]; j != 0; j = from[j])
		plan.relays.push_back(v[stops[j]]);
	std::reverse(plan.relays.begin(), plan.relays.end());
	const auto replay = replay_forwarding(topology, trees, v.front(), plan.relays, v.back());
	plan.pinned = replay.pins(v);
	plan.forwarding_paths = replay.paths.size();
	return plan;
}

std::vector<RelayPlan> plan_relays(const Topology &topology, CostTreeCache &trees,
				   std::span<const Path> paths, Planner planner)
{
	std::vector<RelayPlan> plans;
	if (planner == Planner::exact) {
		for (const Path &p : paths)
			plans.push_back(plan_exact(topology, trees, p));
		return plans;
	}
	auto lists = plan_tree(topology, paths);
	for (size_t i = 0; i < paths.size(); i++) {
		const auto &v = paths[i].vertices;
		const auto replay =
			replay_forwarding(topology, trees, v.front(), lists[i], v.back());
		plans.push_back(
			RelayPlan{std::move(lists[i]), replay.pins(v), replay.paths.size()});
	}
	return plans;
}

} // namespace iplb
