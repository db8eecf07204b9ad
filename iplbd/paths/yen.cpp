// SPDX-License-Identifier: GPL-2.0-or-later
#include "paths/yen.hpp"

#include <algorithm>
#include <set>

namespace iplb {

KShortestPaths::KShortestPaths(const Topology &topology)
    : topology_(topology), tree_(topology.vertex_count()), scratch_(topology.vertex_count()),
      constraints_(topology.vertex_count()), dead_(topology.vertex_count(), 0)
{
}

// The first path in router-id order from v to the target among those of
// the unconstrained optimal key (the reverse tree's equal-key next hops),
// avoiding constrained vertices and the spur node. Vertices from which no
// such path exists are marked dead for the rest of this spur search.
bool KShortestPaths::clean_optimal_path(Topology::Vertex from, Topology::Vertex spur,
					Topology::Vertex target, Metric metric,
					const Ranking &ranking, std::vector<Topology::Vertex> &out)
{
	out.clear();
	out.push_back(from);
	while (!out.empty()) {
		const Topology::Vertex v = out.back();
		if (v == target)
			return true;
		// The best-ranked optimal next hop of v not tried yet.
		Topology::Vertex chosen = Topology::none;
		topology_.for_each_out(v, [&](Topology::Vertex y, uint32_t cost) {
			if (dead_[y] == dead_generation_ || y == spur ||
			    constraints_.forbidden(y) || !tree_.reaches(y))
				return;
			if (y != target && !topology_.can_transit(y))
				return;
			if (edge_key(metric, cost, topology_.node(y).kind == NodeKind::router) +
					    tree_.key(y) ==
				    tree_.key(v) &&
			    (chosen == Topology::none || ranking.less(y, chosen)))
				chosen = y;
		});
		if (chosen != Topology::none) {
			out.push_back(chosen);
		} else {
			dead_[v] = dead_generation_;
			out.pop_back();
		}
	}
	return false;
}

// The best path from spur to target that uses no constrained vertex and no
// banned first edge (the constraints are set by the caller).
std::optional<Path> KShortestPaths::spur_path(Topology::Vertex spur, Topology::Vertex target,
					      Metric metric, const Ranking &ranking)
{
	counters_.spur_searches++;
	// Allowed first hops, ranked by their unconstrained total key.
	candidates_.clear();
	topology_.for_each_out(spur, [&](Topology::Vertex w, uint32_t cost) {
		if (constraints_.forbidden(w) || constraints_.banned(spur, w) || !tree_.reaches(w))
			return;
		if (w != target && !topology_.can_transit(w))
			return;
		candidates_.push_back(
			{edge_key(metric, cost, topology_.node(w).kind == NodeKind::router) +
				 tree_.key(w),
			 w});
	});
	if (candidates_.empty())
		return std::nullopt; // not even without constraints
	std::sort(candidates_.begin(), candidates_.end(), [&](const auto &a, const auto &b) {
		return a.first != b.first ? a.first < b.first : ranking.less(a.second, b.second);
	});

	// A first hop whose optimal continuation avoids the root is the answer
	// if nothing ranked before it could do better: those that failed can
	// only do worse than their unconstrained key, so only candidates of the
	// first key qualify.
	if (++dead_generation_ == 0) {
		std::fill(dead_.begin(), dead_.end(), 0);
		dead_generation_ = 1;
	}
	const PathKey first_key = candidates_.front().first;
	for (const auto &[key, w] : candidates_) {
		if (key != first_key)
			break;
		if (clean_optimal_path(w, spur, target, metric, ranking, walk_)) {
			counters_.spur_fast++;
			Path path{{spur}, key};
			path.vertices.insert(path.vertices.end(), walk_.begin(), walk_.end());
			return path;
		}
	}

	counters_.spur_full++;
	scratch_.compute(topology_, target, metric, ranking, &constraints_, spur);
	if (!scratch_.settled(spur))
		return std::nullopt;
	return Path{scratch_.walk(spur), scratch_.key(spur)};
}

Ranking KShortestPaths::default_ranking(const Topology &topology, Topology::Vertex source,
					Topology::Vertex target)
{
	Topology::Vertex anchor = target;
	if (!topology.can_transit(target))
		topology.for_each_in(target, [&](Topology::Vertex uplink, uint32_t) {
			if (uplink != source)
				anchor = uplink;
		});
	return Ranking::for_pair(topology, source, anchor);
}

Result<std::vector<Path>, Error> KShortestPaths::compute(Topology::Vertex source,
							 Topology::Vertex target, unsigned k,
							 Metric metric,
							 std::optional<Ranking> given)
{
	const auto n = topology_.vertex_count();
	if (k == 0 || k > max_k)
		return unexpected(Error{"k must be in 1-" + std::to_string(max_k) + ", not " +
					std::to_string(k)});
	if (source >= n || target >= n)
		return unexpected(Error{"vertex out of range"});
	if (source == target)
		return unexpected(Error{"source and destination are the same router " +
					to_string(topology_.node(source).id)});

	const Ranking ranking = given ? *given : default_ranking(topology_, source, target);
	std::vector<Path> found;
	if (!tree_valid_ || tree_.target() != target || tree_metric_ != metric ||
	    tree_seed_ != ranking.seed()) {
		tree_.compute(topology_, target, metric, ranking);
		tree_valid_ = true;
		tree_metric_ = metric;
		tree_seed_ = ranking.seed();
	}
	if (!tree_.reaches(source))
		return found;
	found.push_back(Path{tree_.walk(source), tree_.key(source)});

	std::set<Path, PathOrder> candidates(PathOrder{ranking});
	std::set<std::vector<Topology::Vertex>> known{found.front().vertices};
	while (found.size() < k) {
		const Path previous = found.back();
		PathKey root_key;
		for (size_t j = 0; j + 1 < previous.vertices.size(); j++) {
			const Topology::Vertex spur = previous.vertices[j];
			constraints_.clear();
			for (size_t r = 0; r < j; r++)
				constraints_.forbid(previous.vertices[r]);
			// No path already found may be found again through this root.
			for (const Path &p : found)
				if (p.vertices.size() > j + 1 &&
				    std::equal(p.vertices.begin(), p.vertices.begin() + j + 1,
					       previous.vertices.begin()))
					constraints_.ban_edge_from(spur, p.vertices[j + 1]);

			if (auto tail = spur_path(spur, target, metric, ranking)) {
				Path total;
				total.vertices.assign(previous.vertices.begin(),
						      previous.vertices.begin() + j);
				total.vertices.insert(total.vertices.end(), tail->vertices.begin(),
						      tail->vertices.end());
				total.key = root_key + tail->key;
				if (!known.count(total.vertices))
					candidates.insert(std::move(total));
			}
			const Topology::Vertex next = previous.vertices[j + 1];
			root_key =
				root_key + edge_key(metric, *topology_.link_cost(spur, next),
						    topology_.node(next).kind == NodeKind::router);
		}
		if (candidates.empty())
			break;
		found.push_back(*candidates.begin());
		known.insert(found.back().vertices);
		candidates.erase(candidates.begin());
	}
	return found;
}

} // namespace iplb
