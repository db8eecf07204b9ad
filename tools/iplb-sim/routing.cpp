// SPDX-License-Identifier: GPL-2.0-or-later
#include "routing.hpp"

#include <charconv>

namespace iplb::sim {

namespace {

// The next hops of v towards the tree's target.
void next_hops(const Topology &topology, const CostTree &tree, Vertex v, std::vector<Vertex> &out)
{
	out.clear();
	tree.for_each_next(topology, v, [&](Vertex w) { out.push_back(w); });
}

// Walks to the tree's target, choosing among next hops with choose(v, n).
template <typename Choose>
bool walk(const Topology &topology, const CostTree &tree, Vertex from, Choose &&choose,
	  std::vector<Vertex> &path)
{
	if (!tree.reaches(from))
		return false;
	std::vector<Vertex> hops;
	for (Vertex v = from; v != tree.target();) {
		next_hops(topology, tree, v, hops);
		if (hops.empty())
			return false;
		v = hops[hops.size() == 1 ? 0 : choose(v, hops.size())];
		path.push_back(v);
	}
	return true;
}

} // namespace

Result<Scheme, Error> parse_scheme(std::string_view text, unsigned k_max)
{
	if (text == "shortest")
		return Scheme{Scheme::Kind::shortest, 1};
	if (text == "ecmp")
		return Scheme{Scheme::Kind::ecmp, 1};
	if (text.size() >= 2 && text[0] == 'k') {
		unsigned k = 0;
		const char *end = text.data() + text.size();
		auto [ptr, ec] = std::from_chars(text.data() + 1, end, k);
		if (ec == std::errc{} && ptr == end && k >= 1 && k <= k_max)
			return Scheme{Scheme::Kind::kpaths, k};
	}
	return unexpected(Error{"scheme must be shortest, ecmp or k1-k" + std::to_string(k_max) +
				", not '" + std::string(text) + "'"});
}

std::string to_string(const Scheme &scheme)
{
	switch (scheme.kind) {
	case Scheme::Kind::shortest:
		return "shortest";
	case Scheme::Kind::ecmp:
		return "ecmp";
	case Scheme::Kind::kpaths:
		break;
	}
	return "k" + std::to_string(scheme.k);
}

Result<Mapping, Error> parse_mapping(std::string_view text)
{
	if (text == "hash")
		return Mapping::hash;
	if (text == "round-robin")
		return Mapping::round_robin;
	return unexpected(
		Error{"mapping must be hash or round-robin, not '" + std::string(text) + "'"});
}

std::string_view to_string(Mapping mapping)
{
	return mapping == Mapping::hash ? "hash" : "round-robin";
}

std::vector<Vertex> ecmp_walk(const Topology &topology, CostTreeCache &trees, Vertex from,
			      Vertex to, Rng &rng)
{
	std::vector<Vertex> path{from};
	if (from == to)
		return path;
	if (!walk(
		    topology, trees.to(to), from, [&](Vertex, size_t n) { return rng.below(n); },
		    path))
		return {};
	return path;
}

std::vector<Vertex> forward_relays(const Topology &topology, CostTreeCache &trees, Vertex source,
				   std::span<const Vertex> relays, Vertex target,
				   uint64_t switch_salt, Rng &rng)
{
	std::vector<Vertex> path{source};
	for (Vertex relay : relays) {
		if (relay == path.back())
			continue;
		auto by_switch = [&](Vertex v, size_t n) {
			return static_cast<size_t>(mix_seed({switch_salt, v, relay}) % n);
		};
		if (!walk(topology, trees.to(relay), path.back(), by_switch, path))
			return {};
	}
	if (path.back() != target && !walk(
					     topology, trees.to(target), path.back(),
					     [&](Vertex, size_t n) { return rng.below(n); }, path))
		return {};
	return path;
}

ConnectionPlans::ConnectionPlans(const Topology &topology, CostTreeCache &trees,
				 std::vector<Path> paths, Planner planner)
    : paths_(std::move(paths))
{
	if (planner == Planner::exact) {
		// A path's exact list does not depend on the other paths.
		const auto all = plan_relays(topology, trees, paths_, planner);
		for (size_t k = 1; k <= paths_.size(); k++)
			by_k_.emplace_back(all.begin(), all.begin() + static_cast<ptrdiff_t>(k));
		return;
	}
	for (size_t k = 1; k <= paths_.size(); k++)
		by_k_.push_back(plan_relays(topology, trees, std::span(paths_).first(k), planner));
}

const std::vector<RelayPlan> &ConnectionPlans::plans(unsigned k) const
{
	static const std::vector<RelayPlan> none;
	if (by_k_.empty())
		return none;
	return by_k_[std::min<size_t>(k, by_k_.size()) - 1];
}

size_t map_subflow(Mapping mapping, uint64_t subflow_hash, uint64_t turn, size_t m)
{
	return static_cast<size_t>((mapping == Mapping::hash ? subflow_hash : turn) % m);
}

} // namespace iplb::sim
