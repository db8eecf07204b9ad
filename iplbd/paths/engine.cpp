// SPDX-License-Identifier: GPL-2.0-or-later
#include "paths/engine.hpp"

#include "paths/yen.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>

namespace iplb {

namespace {

using Vertex = Topology::Vertex;

unsigned thread_count(unsigned requested)
{
	if (requested != 0)
		return requested;
	const unsigned hw = std::thread::hardware_concurrency();
	return hw == 0 ? 1 : hw;
}

// Runs job(i, yen) for i in [0, count) on `threads` workers, each with its
// own search scratch. The first error wins.
std::optional<Error>
for_each_parallel(const Topology &topology, size_t count, unsigned threads,
		  const std::function<std::optional<Error>(size_t, KShortestPaths &)> &job)
{
	std::atomic<size_t> next{0};
	std::atomic<bool> failed{false};
	std::optional<Error> error;
	std::mutex error_mutex;
	auto worker = [&] {
		KShortestPaths yen(topology);
		for (size_t i = next++; i < count && !failed; i = next++)
			if (auto e = job(i, yen)) {
				std::lock_guard lock(error_mutex);
				if (!error)
					error = std::move(e);
				failed = true;
			}
	};
	const unsigned n = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(count)));
	std::vector<std::thread> pool;
	for (unsigned t = 1; t < n; t++)
		pool.emplace_back(worker);
	worker();
	for (auto &t : pool)
		t.join();
	return error;
}

// Yen from result.source to each target, on the configured threads.
Status search(const Topology &topology, const std::vector<Vertex> &targets, AllPaths &result)
{
	const EngineOptions &o = result.options;
	auto error = for_each_parallel(topology, targets.size(), thread_count(o.threads),
				       [&](size_t i, KShortestPaths &yen) -> std::optional<Error> {
					       auto paths = yen.compute(result.source, targets[i],
									o.k, o.metric);
					       if (!paths)
						       return paths.error();
					       result.by_target[targets[i]] = std::move(*paths);
					       return std::nullopt;
				       });
	if (error)
		return unexpected(*error);
	result.counters.searched += targets.size();
	return ok();
}

// Whether a router's paths come from a search: everything that can be
// transit, and a leaf behind a transit network (networks are never searched,
// so there are no uplink paths to derive its own from).
bool searched(const Topology &t, Vertex v, Vertex source)
{
	if (v == source || t.node(v).kind != NodeKind::router)
		return false;
	if (t.can_transit(v))
		return true;
	bool behind_network = false;
	t.for_each_in(v, [&](Vertex uplink, uint32_t) {
		if (t.node(uplink).kind != NodeKind::router)
			behind_network = true;
	});
	return behind_network;
}

std::vector<Vertex> searched_targets(const Topology &t, Vertex source)
{
	std::vector<Vertex> targets;
	for (Vertex v = 0; v < t.vertex_count(); v++)
		if (searched(t, v, source))
			targets.push_back(v);
	return targets;
}

// Single-uplink routers: their uplink's paths plus the last hop.
void derive_leaves(const Topology &t, AllPaths &result)
{
	const Metric metric = result.options.metric;
	for (Vertex leaf = 0; leaf < t.vertex_count(); leaf++) {
		if (leaf == result.source || t.node(leaf).kind != NodeKind::router ||
		    searched(t, leaf, result.source))
			continue;
		result.by_target[leaf].clear();
		t.for_each_in(leaf, [&](Vertex uplink, uint32_t cost) {
			const PathKey last = edge_key(metric, cost, true);
			if (uplink == result.source) {
				result.by_target[leaf].push_back(Path{{uplink, leaf}, last});
				return;
			}
			for (const Path &p : result.by_target[uplink]) {
				Path extended = p;
				extended.vertices.push_back(leaf);
				extended.key = extended.key + last;
				result.by_target[leaf].push_back(std::move(extended));
			}
		});
		result.counters.derived++;
	}
}

Status check(const Topology &t, Vertex source, const EngineOptions &o)
{
	if (source >= t.vertex_count() || t.node(source).kind != NodeKind::router)
		return unexpected(Error{"the source must be a router of the topology"});
	if (o.k == 0 || o.k > KShortestPaths::max_k)
		return unexpected(Error{"k must be in 1-" + std::to_string(KShortestPaths::max_k)});
	return ok();
}

// Smallest keys from `from` to every vertex, ignoring transit restrictions
// (a lower bound for every simple path).
std::vector<std::optional<PathKey>> forward_keys(const Topology &t, Vertex from, Metric metric)
{
	using Entry = std::pair<PathKey, Vertex>;
	std::vector<std::optional<PathKey>> key(t.vertex_count());
	std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
	key[from] = PathKey{};
	heap.push({{}, from});
	while (!heap.empty()) {
		auto [k, v] = heap.top();
		heap.pop();
		if (k != *key[v])
			continue;
		t.for_each_out(v, [&](Vertex w, uint32_t cost) {
			const PathKey offer =
				k + edge_key(metric, cost, t.node(w).kind == NodeKind::router);
			if (!key[w] || offer < *key[w]) {
				key[w] = offer;
				heap.push({offer, w});
			}
		});
	}
	return key;
}

// `before`'s path in `after`'s numbering, if it still exists with its key.
std::optional<Path> carried_over(const Topology &before, const Topology &after, const Path &p,
				 Metric metric)
{
	Path mapped{{}, p.key};
	for (Vertex v : p.vertices) {
		auto w = after.find(before.node(v).id, before.node(v).kind);
		if (!w)
			return std::nullopt;
		mapped.vertices.push_back(*w);
	}
	auto key = key_of(after, metric, mapped.vertices);
	if (!key || *key != p.key)
		return std::nullopt;
	return mapped;
}

} // namespace

Result<AllPaths, Error> compute_all_paths(const Topology &topology, Topology::Vertex source,
					  const EngineOptions &options)
{
	if (auto s = check(topology, source, options); !s)
		return unexpected(s.error());
	AllPaths result;
	result.source = source;
	result.options = options;
	result.by_target.resize(topology.vertex_count());

	if (auto s = search(topology, searched_targets(topology, source), result); !s)
		return unexpected(s.error());
	derive_leaves(topology, result);
	return result;
}

Result<AllPaths, Error> recompute_all_paths(const Topology &before, const AllPaths &previous,
					    const Topology &after)
{
	const EngineOptions &options = previous.options;
	const Metric metric = options.metric;
	auto source = after.find(before.node(previous.source).id);
	if (!source)
		return unexpected(Error{"the source " + to_string(before.node(previous.source).id) +
					" is gone"});
	if (auto s = check(after, *source, options); !s)
		return unexpected(s.error());

	// Links that are new or cheaper: they can make new paths rank first.
	std::vector<std::tuple<Vertex, Vertex, uint32_t>> better;
	for (Vertex u = 0; u < after.vertex_count(); u++)
		after.for_each_out(u, [&](Vertex v, uint32_t cost) {
			auto bu = before.find(after.node(u).id, after.node(u).kind);
			auto bv = before.find(after.node(v).id, after.node(v).kind);
			auto old = bu && bv ? before.link_cost(*bu, *bv) : std::nullopt;
			if (!old || cost < *old)
				better.emplace_back(u, v, cost);
		});
	const auto from_source = forward_keys(after, *source, metric);
	std::vector<std::pair<PathKey, std::vector<std::optional<PathKey>>>> through;
	for (auto [u, v, cost] : better)
		if (from_source[u])
			through.emplace_back(
				*from_source[u] + edge_key(metric, cost,
							   after.node(v).kind == NodeKind::router),
				forward_keys(after, v, metric));

	AllPaths result;
	result.source = *source;
	result.options = options;
	result.by_target.resize(after.vertex_count());
	std::vector<Vertex> redo;
	for (Vertex d : searched_targets(after, *source)) {
		auto old = before.find(after.node(d).id);
		bool keep = old.has_value();
		std::vector<Path> kept;
		if (keep)
			for (const Path &p : previous.by_target[*old]) {
				auto mapped = carried_over(before, after, p, metric);
				if (!mapped) {
					keep = false;
					break;
				}
				kept.push_back(std::move(*mapped));
			}
		// A path through a better link must rank after the k-th, or after
		// everything when there were fewer than k.
		for (size_t i = 0; keep && i < through.size(); i++) {
			const auto &to_d = through[i].second[d];
			if (!to_d)
				continue;
			const PathKey bound = through[i].first + *to_d;
			keep = kept.size() == options.k && bound > kept.back().key;
		}
		if (keep) {
			result.by_target[d] = std::move(kept);
			result.counters.reused++;
		} else {
			redo.push_back(d);
		}
	}
	if (auto s = search(after, redo, result); !s)
		return unexpected(s.error());
	derive_leaves(after, result);
	return result;
}

} // namespace iplb
