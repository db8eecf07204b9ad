// SPDX-License-Identifier: GPL-2.0-or-later
#include "paths/yen.hpp"

#include <algorithm>
#include <set>

namespace iplb {

KShortestPaths::KShortestPaths(const Topology &topology)
    : topology_(topology), tree_(topology.vertex_count()), scratch_(topology.vertex_count()),
      constraints_(topology.vertex_count()), overlap_stamp_(topology.vertex_count(), 0),
      overlap_(topology.vertex_count(), 0), overlap_next_(topology.vertex_count(), Topology::none)
{
}

// The best path from spur to target that uses no constrained vertex and no
// banned first edge (the constraints are set by the caller).
std::optional<Path> KShortestPaths::spur_path(Topology::Vertex spur, Topology::Vertex target,
					      Metric metric, const Ranking &ranking)
{
	counters_.spur_searches++;
	// The best unconstrained total key over the allowed first hops.
	std::optional<PathKey> first_key;
	topology_.for_each_out(spur, [&](Topology::Vertex w, uint32_t cost) {
		if (constraints_.forbidden(w) || constraints_.banned(spur, w) || !tree_.reaches(w))
			return;
		if (w != target && !topology_.can_transit(w))
			return;
		const PathKey key =
			edge_key(metric, cost, topology_.node(w).kind == NodeKind::router) +
			tree_.key(w);
		if (!first_key || key < *first_key)
			first_key = key;
	});
	if (!first_key)
		return std::nullopt; // not even without constraints

	// If some optimal continuation in the unconstrained tree avoids the
	// root, the constrained optimum is that key (constraints only remove
	// paths), and the least-overlap search over the tree's equal-key next
	// hops finds the answer among them; it fails only when none avoids
	// the root.
	if (auto path = least_overlap_path(spur, *first_key, target, metric, ranking, tree_)) {
		counters_.spur_fast++;
		return path;
	}

	counters_.spur_full++;
	scratch_.compute(topology_, target, metric, ranking, &constraints_, spur);
	if (!scratch_.settled(spur))
		return std::nullopt;
	return least_overlap_path(spur, scratch_.key(spur), target, metric, ranking, scratch_);
}

namespace {

constexpr uint64_t no_path = UINT64_MAX;

} // namespace

// The least overlap from v to the target over next hops whose key plus the
// tree's key from them is `want`, and the best-ranked next hop that gives it.
std::pair<uint64_t, Topology::Vertex>
KShortestPaths::least_overlap_hop(Topology::Vertex v, PathKey want, Topology::Vertex spur,
				  Topology::Vertex target, Metric metric, const Ranking &ranking,
				  const ReverseTree &tree)
{
	// The next hops, best-ranked first: then a hop whose own link is used
	// at least as much as the best total so far cannot win (the rest of its
	// path adds nothing negative, and ties go to the earlier rank), and a
	// total of 0 ends the search.
	const size_t first = hops_.size();
	topology_.for_each_out(v, [&](Topology::Vertex y, uint32_t cost) {
		if (y == spur || constraints_.forbidden(y) || constraints_.banned(v, y) ||
		    !tree.settled(y))
			return;
		if (y != target && !topology_.can_transit(y))
			return;
		if (edge_key(metric, cost, topology_.node(y).kind == NodeKind::router) +
			    tree.key(y) ==
		    want)
			hops_.push_back({ranking.rank(y), y});
	});
	std::sort(hops_.begin() + static_cast<std::ptrdiff_t>(first), hops_.end());
	uint64_t best = no_path;
	Topology::Vertex best_next = Topology::none;
	for (size_t i = first; i < hops_.size() && best != 0; i++) {
		const Topology::Vertex y = hops_[i].second;
		const uint64_t link = use_.use(v, y);
		if (best != no_path && link >= best)
			continue;
		const uint64_t rest = least_overlap(y, spur, target, metric, ranking, tree);
		if (rest != no_path && link + rest < best) {
			best = link + rest;
			best_next = y;
		}
	}
	hops_.resize(first);
	return {best, best_next};
}

uint64_t KShortestPaths::least_overlap(Topology::Vertex v, Topology::Vertex spur,
				       Topology::Vertex target, Metric metric,
				       const Ranking &ranking, const ReverseTree &tree)
{
	if (v == target)
		return 0;
	if (overlap_stamp_[v] != overlap_generation_) {
		auto [overlap, next] =
			least_overlap_hop(v, tree.key(v), spur, target, metric, ranking, tree);
		overlap_stamp_[v] = overlap_generation_;
		overlap_[v] = overlap;
		overlap_next_[v] = next;
	}
	return overlap_[v];
}

// Among the continuations from spur of the given key that are tight in the
// tree and respect the constraints, the one of least overlap, then first
// in rank order; none if there is none.
std::optional<Path> KShortestPaths::least_overlap_path(Topology::Vertex spur, PathKey key,
						       Topology::Vertex target, Metric metric,
						       const Ranking &ranking,
						       const ReverseTree &tree)
{
	if (++overlap_generation_ == 0) {
		std::fill(overlap_stamp_.begin(), overlap_stamp_.end(), 0);
		overlap_generation_ = 1;
	}
	const auto [overlap, first] =
		least_overlap_hop(spur, key, spur, target, metric, ranking, tree);
	if (overlap == no_path)
		return std::nullopt;
	if (overlap > 0)
		counters_.spur_diverse++;
	Path path{{spur}, key};
	for (Topology::Vertex v = first; v != Topology::none; v = overlap_next_[v]) {
		path.vertices.push_back(v);
		if (v == target)
			break;
	}
	return path;
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

// The best path not taken whose root is vertices[0..spur_index]: it avoids
// the root's other vertices and leaves the spur node by a link no taken path
// with this root leaves by.
std::optional<KShortestPaths::Candidate>
KShortestPaths::root_candidate(const std::vector<Topology::Vertex> &vertices, size_t spur_index,
			       const std::vector<Path> &taken, Topology::Vertex target,
			       Metric metric, const Ranking &ranking)
{
	const Topology::Vertex spur = vertices[spur_index];
	constraints_.clear();
	PathKey root_key;
	for (size_t r = 0; r < spur_index; r++) {
		constraints_.forbid(vertices[r]);
		root_key = root_key +
			   edge_key(metric, *topology_.link_cost(vertices[r], vertices[r + 1]),
				    topology_.node(vertices[r + 1]).kind == NodeKind::router);
	}
	for (const Path &p : taken)
		if (p.vertices.size() > spur_index + 1 &&
		    std::equal(p.vertices.begin(), p.vertices.begin() + spur_index + 1,
			       vertices.begin()))
			constraints_.ban_edge_from(spur, p.vertices[spur_index + 1]);

	auto tail = spur_path(spur, target, metric, ranking);
	if (!tail)
		return std::nullopt;
	Candidate c;
	c.path.vertices.assign(vertices.begin(), vertices.begin() + spur_index);
	c.path.vertices.insert(c.path.vertices.end(), tail->vertices.begin(), tail->vertices.end());
	c.path.key = root_key + tail->key;
	c.overlap = use_.overlap(c.path.vertices);
	c.spur_overlap = use_.overlap(c.path.vertices, spur_index);
	c.spur_index = spur_index;
	c.taken = taken.size();
	return c;
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
	// A target behind a single uplink (a host): its paths are the uplink's
	// plus the last link, which all of them share (so the choice among the
	// uplink's is the same, and its searches never cross that link).
	if (!topology_.can_transit(target)) {
		Topology::Vertex uplink = Topology::none;
		unsigned uplinks = 0;
		topology_.for_each_in(target, [&](Topology::Vertex u, uint32_t) {
			uplink = u;
			uplinks++;
		});
		if (uplinks == 1 && uplink != source && topology_.can_transit(uplink)) {
			auto paths = compute(source, uplink, k, metric, ranking);
			if (!paths)
				return paths;
			const PathKey last =
				edge_key(metric, *topology_.link_cost(uplink, target),
					 topology_.node(target).kind == NodeKind::router);
			for (Path &p : *paths) {
				p.vertices.push_back(target);
				p.key = p.key + last;
			}
			return paths;
		}
	}
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

	use_.clear();
	use_.add(found.front());

	std::set<Candidate, CandidateOrder> candidates(CandidateOrder{PathOrder{ranking}});
	auto add_roots = [&](const Path &taken, size_t from) {
		for (size_t j = from; j + 1 < taken.vertices.size(); j++)
			if (auto c = root_candidate(taken.vertices, j, found, target, metric,
						    ranking))
				candidates.insert(std::move(*c));
	};
	add_roots(found.front(), 0);
	while (found.size() < k && !candidates.empty()) {
		auto node = candidates.extract(candidates.begin());
		Candidate &first = node.value();
		if (first.taken != found.size()) {
			// Computed before the last take: a lower bound. Still the
			// root's best unless its own links gained use (the root's
			// links add the same to all of the root's paths).
			counters_.rechecked++;
			if (use_.overlap(first.path.vertices, first.spur_index) ==
			    first.spur_overlap) {
				first.overlap = use_.overlap(first.path.vertices);
				first.taken = found.size();
				candidates.insert(std::move(node));
			} else if (auto c = root_candidate(first.path.vertices, first.spur_index,
							   found, target, metric, ranking)) {
				candidates.insert(std::move(*c));
			}
			continue;
		}
		const size_t spur_index = first.spur_index;
		found.push_back(std::move(first.path));
		if (found.size() == k)
			break; // the last path's roots would only feed a next one
		use_.add(found.back());
		// The root the path came from now bans its next hop; the longer
		// prefixes of the path are new roots.
		const Path &taken = found.back();
		if (auto c = root_candidate(taken.vertices, spur_index, found, target, metric,
					    ranking))
			candidates.insert(std::move(*c));
		add_roots(taken, spur_index + 1);
	}
	return found;
}

} // namespace iplb
