// SPDX-License-Identifier: GPL-2.0-or-later
// The path engine: Yen against brute force, the relay planners against the
// forwarding checker, and the seed paper's worked example.
#include "generators/generators.hpp"
#include "paths/forwarding_checker.hpp"
#include "paths/relay_planner.hpp"
#include "paths/yen.hpp"
#include "topology/topology.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>

namespace iplb {
namespace {

using Vertex = Topology::Vertex;

Ipv4 router_ip(unsigned n)
{
	return Ipv4{n}; // 0.0.0.n: vertex order is n's order
}

// A random topology: routers 1..n, random directed links (often both
// ways), small costs so that ties are common, sometimes a transit network.
TopologySnapshot random_topology(std::mt19937 &rng, unsigned n, bool with_network)
{
	TopologyBuilder b;
	for (unsigned i = 1; i <= n; i++)
		EXPECT_TRUE(b.add_router(router_ip(i)));
	std::uniform_int_distribution<unsigned> cost(1, 3);
	std::bernoulli_distribution edge(0.35), both(0.7);
	for (unsigned i = 1; i <= n; i++)
		for (unsigned j = i + 1; j <= n; j++) {
			if (!edge(rng))
				continue;
			const unsigned c = cost(rng);
			if (both(rng)) {
				EXPECT_TRUE(b.add_link(router_ip(i), router_ip(j), c));
				EXPECT_TRUE(b.add_link(router_ip(j), router_ip(i), c));
			} else if (rng() % 2) {
				EXPECT_TRUE(b.add_link(router_ip(i), router_ip(j), c));
			} else {
				EXPECT_TRUE(b.add_link(router_ip(j), router_ip(i), c));
			}
		}
	if (with_network) {
		const Ipv4 net{0x0a090001};
		EXPECT_TRUE(b.add_network(net));
		for (unsigned i = 1; i <= n; i += 2) {
			EXPECT_TRUE(b.attach_to_network(net, router_ip(i)));
			EXPECT_TRUE(b.add_link(router_ip(i), net, cost(rng)));
		}
	}
	return *b.build();
}

// Every simple path from s to t, ranked like the engine ranks them.
std::vector<Path> all_simple_paths(const Topology &t, Vertex s, Vertex target, Metric metric,
				   const Ranking &ranking)
{
	std::vector<Path> out;
	std::vector<Vertex> stack{s};
	std::vector<bool> on(t.vertex_count(), false);
	on[s] = true;
	std::function<void(Vertex, PathKey)> dfs = [&](Vertex v, PathKey key) {
		if (v == target) {
			out.push_back(Path{stack, key});
			return;
		}
		t.for_each_out(v, [&](Vertex w, uint32_t c) {
			if (on[w])
				return;
			on[w] = true;
			stack.push_back(w);
			dfs(w, key + edge_key(metric, c, t.node(w).kind == NodeKind::router));
			stack.pop_back();
			on[w] = false;
		});
	};
	dfs(s, {});
	std::sort(out.begin(), out.end(), PathOrder{ranking});
	return out;
}

TEST(Yen, MatchesBruteForceOnRandomGraphs)
{
	std::mt19937 rng(20261122);
	int compared = 0, with_ties = 0;
	for (int round = 0; round < 300; round++) {
		const unsigned n = 5 + round % 5;
		auto t = random_topology(rng, n, round % 4 == 0);
		KShortestPaths yen(*t);
		const Metric metric = round % 3 == 0 ? Metric::hops : Metric::cost;
		const Vertex s = *t->find(router_ip(1 + static_cast<unsigned>(rng() % n)));
		const Vertex d = *t->find(router_ip(1 + static_cast<unsigned>(rng() % n)));
		if (s == d)
			continue;
		const unsigned k = 1 + static_cast<unsigned>(rng() % 24);
		// The default ranking, and sometimes another one: the result must
		// follow whichever is given.
		const Ranking ranking = round % 2 ? KShortestPaths::default_ranking(*t, s, d)
						  : Ranking(*t, static_cast<uint64_t>(rng()));
		// The diversity rule over every simple path.
		auto expected =
			take_diverse(all_simple_paths(*t, s, d, metric, ranking), k, ranking);
		auto got = yen.compute(s, d, k, metric, ranking);
		ASSERT_TRUE(got) << got.error().message;
		ASSERT_EQ(*got, expected) << "round " << round << " k " << k;
		compared++;
		for (size_t i = 1; i < expected.size(); i++)
			with_ties += expected[i].key == expected[i - 1].key;
	}
	EXPECT_GT(compared, 250);
	EXPECT_GT(with_ties, 100) << "the cases must exercise tie-breaking";
}

// LinkUse counts directed links over the paths added; its filter on the
// tail vertex must never hide a counted link, even when tails collide in it
// (vertices 64 * 64 apart share a filter bit).
TEST(Yen, LinkUseCountsDirectedLinks)
{
	LinkUse use;
	EXPECT_TRUE(use.empty());
	const Topology::Vertex far = 7 + 64 * 64;
	use.add(Path{{7, 3, far, 2}, {}});
	use.add(Path{{9, 3, far, 5}, {}});
	EXPECT_EQ(use.use(7, 3), 1u);
	EXPECT_EQ(use.use(3, far), 2u);
	EXPECT_EQ(use.use(far, 3), 0u) << "links are directed";
	EXPECT_EQ(use.use(far, 2), 1u);
	EXPECT_EQ(use.use(7, far), 0u) << "7 shares far's filter bit but not the link";
	EXPECT_EQ(use.use(1, 2), 0u);
	EXPECT_EQ(use.overlap({9, 3, far, 2}), 1u + 2u + 1u);
	EXPECT_EQ(use.overlap({9, 3, far, 2}, 2), 1u);
	use.clear();
	EXPECT_TRUE(use.empty());
	EXPECT_EQ(use.use(3, far), 0u);
}

// take_diverse itself, by hand: a smaller key always comes first; among
// equal keys, the path sharing fewest links with those taken.
TEST(Yen, TakeDiverseByHand)
{
	TopologyBuilder b;
	for (unsigned i = 1; i <= 6; i++)
		ASSERT_TRUE(b.add_router(router_ip(i)));
	auto t = *b.build();
	const Ranking ranking(*t, 1);
	const Path first{{0, 1, 2, 5}, {2, 3}};
	// Overlaps with first: 2, 1, 0.
	const Path x{{0, 1, 2, 4, 3, 5}, {3, 3}}, y{{0, 1, 3, 5}, {3, 3}}, z{{0, 4, 3, 5}, {3, 3}};
	const Path longer{{0, 2, 5}, {9, 9}}; // no overlap, but a larger key
	auto taken = take_diverse({x, longer, y, z, first}, 4, ranking);
	// After first and z: x overlaps 4 (0-1, 1-2, 4-3, 3-5), y 2 (0-1, 3-5).
	EXPECT_EQ(taken, (std::vector<Path>{first, z, y, x}));
	EXPECT_EQ(take_diverse({x, longer, y, z, first}, 9, ranking).back(), longer);
}

// The diversity rule on a fat-tree (k = 4 ports: 2 aggregation switches per
// pod, 4 cores): the k = 2 paths between hosts of different pods leave
// through different aggregation switches and enter the far pod through
// different ones; with k = 4 each core carries one.
TEST(Yen, EqualCostPathsLeaveThroughDifferentAggregationSwitches)
{
	auto t = *make_fat_tree({.k = 4});
	KShortestPaths yen(*t);
	int pairs = 0;
	for (unsigned src_pod = 1; src_pod <= 4; src_pod++)
		for (unsigned dst_pod = 1; dst_pod <= 4; dst_pod++) {
			if (src_pod == dst_pod)
				continue;
			const Vertex s = *t->find(Ipv4{0x0a000000u | src_pod << 16 | 2 << 8 | 2});
			const Vertex d = *t->find(Ipv4{0x0a000000u | dst_pod << 16 | 3 << 8 | 3});
			auto two = *yen.compute(s, d, 2, Metric::cost);
			ASSERT_EQ(two.size(), 2u);
			ASSERT_EQ(two[0].key, two[1].key) << "both shortest";
			// host, edge, aggregation, core, aggregation, edge, host
			ASSERT_EQ(two[0].vertices.size(), 7u);
			EXPECT_NE(two[0].vertices[2], two[1].vertices[2])
				<< "source pod aggregation";
			EXPECT_NE(two[0].vertices[4], two[1].vertices[4]) << "far pod aggregation";
			auto four = *yen.compute(s, d, 4, Metric::cost);
			ASSERT_EQ(four.size(), 4u);
			std::set<Vertex> cores;
			std::map<Vertex, int> per_aggregation;
			for (const Path &p : four) {
				cores.insert(p.vertices[3]);
				per_aggregation[p.vertices[2]]++;
			}
			EXPECT_EQ(cores.size(), 4u) << "every core once";
			for (auto [agg, n] : per_aggregation)
				EXPECT_EQ(n, 2) << "two paths per aggregation switch";
			pairs++;
		}
	EXPECT_EQ(pairs, 12);
}

TEST(Yen, PathsAreLoopFreeAndRanked)
{
	auto t = *make_fat_tree({.k = 8});
	KShortestPaths yen(*t);
	const Vertex s = *t->find(Ipv4{0x0a010402}); // 10.1.4.2, a host in pod 0
	const Vertex d = *t->find(Ipv4{0x0a080705}); // 10.8.7.5, a host in pod 7
	auto paths = *yen.compute(s, d, 64, Metric::cost);
	ASSERT_EQ(paths.size(), 64u);
	for (size_t i = 0; i < paths.size(); i++) {
		const auto &v = paths[i].vertices;
		EXPECT_EQ(std::set<Vertex>(v.begin(), v.end()).size(), v.size()) << "loop";
		EXPECT_EQ(key_of(*t, Metric::cost, v), paths[i].key);
		if (i > 0) {
			EXPECT_LE(paths[i - 1].key, paths[i].key);
		}
	}
	// (k/2)^2 = 16 equal-cost shortest paths of 6 hops between pods.
	EXPECT_EQ(paths[15].key, (PathKey{60, 6}));
	EXPECT_EQ(paths[16].key.primary, 80u);
	// With fat-tree ties, the 8 best paths to a switch come from the reverse
	// tree alone: no constrained search.
	KShortestPaths eight(*t);
	const Vertex edge = *t->find(Ipv4{0x0a080701}); // 10.8.7.1, d's uplink
	ASSERT_EQ(eight.compute(s, edge, 8, Metric::cost)->size(), 8u);
	EXPECT_GT(eight.counters().spur_fast, 0u);
	EXPECT_EQ(eight.counters().spur_full, 0u);
}

TEST(Yen, TiesDoNotDependOnInputOrder)
{
	std::mt19937 rng(7);
	for (int round = 0; round < 20; round++) {
		auto t = random_topology(rng, 8, false);
		// The same topology, routers and links given in reverse order.
		TopologyBuilder reversed;
		for (Vertex v = static_cast<Vertex>(t->vertex_count()); v-- > 0;)
			ASSERT_TRUE(reversed.add_router(t->node(v).id));
		for (Vertex v = static_cast<Vertex>(t->vertex_count()); v-- > 0;) {
			std::vector<std::pair<Vertex, uint32_t>> out;
			t->for_each_out(v, [&](Vertex w, uint32_t c) { out.emplace_back(w, c); });
			for (auto it = out.rbegin(); it != out.rend(); ++it)
				ASSERT_TRUE(reversed.add_link(t->node(v).id, t->node(it->first).id,
							      it->second));
		}
		auto u = *reversed.build();
		KShortestPaths a(*t), b(*u);
		EXPECT_EQ(*a.compute(0, 7, 10, Metric::cost), *b.compute(0, 7, 10, Metric::cost));
	}
}

TEST(Yen, PairsSpreadOverEqualCostPaths)
{
	// From one host to every host of the other pods of a k=8 fat-tree: each
	// has 16 equal-cost shortest paths; the first of them must not all
	// leave through the same aggregation switch (ECMP-like spreading).
	auto t = *make_fat_tree({.k = 8});
	const Vertex s = *t->find(Ipv4{0x0a010402});
	KShortestPaths yen(*t);
	std::map<Vertex, int> first_agg;
	for (unsigned pod = 2; pod <= 8; pod++)
		for (unsigned edge = 4; edge < 8; edge++) {
			const Vertex d = *t->find(Ipv4{0x0a000000u | pod << 16 | edge << 8 | 2});
			auto paths = *yen.compute(s, d, 4, Metric::cost);
			ASSERT_EQ(paths.size(), 4u);
			first_agg[paths[0].vertices[2]]++;
			// Still deterministic.
			EXPECT_EQ(paths, *KShortestPaths(*t).compute(s, d, 4, Metric::cost));
		}
	EXPECT_EQ(first_agg.size(), 4u) << "all four aggregation switches are used";
	for (auto [agg, n] : first_agg)
		EXPECT_LT(n, 20) << "28 destinations, not concentrated on one uplink";
}

TEST(Yen, TypedErrorsAndUnreachableTargets)
{
	TopologyBuilder b;
	for (unsigned i = 1; i <= 3; i++)
		ASSERT_TRUE(b.add_router(router_ip(i)));
	ASSERT_TRUE(b.add_link(router_ip(1), router_ip(2), 1));
	auto t = *b.build();
	KShortestPaths yen(*t);
	EXPECT_NE(yen.compute(0, 1, 0, Metric::cost).error().message.find("k must be"),
		  std::string::npos);
	EXPECT_FALSE(yen.compute(0, 1, KShortestPaths::max_k + 1, Metric::cost));
	EXPECT_NE(yen.compute(0, 0, 3, Metric::cost).error().message.find("same router"),
		  std::string::npos);
	EXPECT_FALSE(yen.compute(0, 99, 3, Metric::cost));
	auto none = yen.compute(0, 2, 3, Metric::cost);
	ASSERT_TRUE(none);
	EXPECT_TRUE(none->empty()) << "3 is disconnected";
	EXPECT_EQ(yen.compute(0, 1, 3, Metric::cost)->size(), 1u);
}

// The example of the seed paper (SEEDS-en.md): k = 6 paths from switch 8 to
// 17 and the relay lists the tree rule gives them.
TEST(TreePlanner, SeedWorkedExample)
{
	const std::vector<std::vector<unsigned>> example = {
		{8, 11, 1, 9, 17},  {8, 12, 3, 10, 17},	     {8, 11, 2, 9, 17},
		{8, 12, 4, 10, 17}, {8, 11, 1, 5, 2, 9, 17}, {8, 12, 3, 6, 4, 10, 17}};
	const std::vector<std::vector<unsigned>> expected = {{1, 9}, {3, 10}, {2},
							     {4},    {1, 5},  {3, 6}};
	TopologyBuilder b;
	for (unsigned i = 1; i <= 17; i++)
		ASSERT_TRUE(b.add_router(router_ip(i)));
	std::set<std::pair<unsigned, unsigned>> links;
	for (const auto &p : example)
		for (size_t i = 1; i < p.size(); i++)
			links.insert({p[i - 1], p[i]});
	for (auto [a, c] : links)
		ASSERT_TRUE(b.add_link(router_ip(a), router_ip(c), 1));
	auto t = *b.build();

	std::vector<Path> paths;
	for (const auto &p : example) {
		Path path;
		for (unsigned r : p)
			path.vertices.push_back(*t->find(router_ip(r)));
		paths.push_back(path);
	}
	const auto plans = plan_tree(*t, paths);
	ASSERT_EQ(plans.size(), expected.size());
	for (size_t i = 0; i < plans.size(); i++) {
		std::vector<unsigned> relays;
		for (Vertex v : plans[i])
			relays.push_back(t->node(v).id.value);
		EXPECT_EQ(relays, expected[i]) << "path " << i;
	}
}

// Is there any relay subset that pins the path? (exponential, small paths)
std::optional<size_t> fewest_pinning_relays(const Topology &t, CostTreeCache &trees,
					    const Path &path)
{
	std::vector<Vertex> inner;
	for (size_t i = 1; i + 1 < path.vertices.size(); i++)
		if (t.node(path.vertices[i]).kind == NodeKind::router)
			inner.push_back(path.vertices[i]);
	std::optional<size_t> best;
	for (uint32_t mask = 0; mask < (1u << inner.size()); mask++) {
		std::vector<Vertex> relays;
		for (size_t i = 0; i < inner.size(); i++)
			if (mask & (1u << i))
				relays.push_back(inner[i]);
		if (replay_forwarding(t, trees, path.vertices.front(), relays, path.vertices.back())
			    .pins(path.vertices) &&
		    (!best || relays.size() < *best))
			best = relays.size();
	}
	return best;
}

TEST(RelayPlanners, PlansAgreeWithTheCheckerAndExactIsMinimal)
{
	std::mt19937 rng(99);
	int exact_pinned = 0, tree_unpinned = 0, plans_checked = 0;
	for (int round = 0; round < 120; round++) {
		auto t = random_topology(rng, 7 + round % 3, round % 5 == 0);
		KShortestPaths yen(*t);
		CostTreeCache trees(*t);
		const Vertex s = 0, d = static_cast<Vertex>(t->vertex_count() - 1);
		if (t->node(d).kind != NodeKind::router)
			continue;
		auto paths = yen.compute(s, d, 6, Metric::cost);
		ASSERT_TRUE(paths);
		for (Planner planner : {Planner::tree, Planner::exact}) {
			const auto plans = plan_relays(*t, trees, *paths, planner);
			ASSERT_EQ(plans.size(), paths->size());
			for (size_t i = 0; i < plans.size(); i++) {
				const auto &v = (*paths)[i].vertices;
				const auto replay = replay_forwarding(*t, trees, v.front(),
								      plans[i].relays, v.back());
				EXPECT_EQ(plans[i].pinned, replay.pins(v));
				EXPECT_EQ(plans[i].forwarding_paths, replay.paths.size());
				for (Vertex r : plans[i].relays) {
					EXPECT_EQ(t->node(r).kind, NodeKind::router);
					EXPECT_NE(std::find(v.begin() + 1, v.end() - 1, r),
						  v.end() - 1)
						<< "a relay is an inner router of its path";
				}
				plans_checked++;
				if (planner == Planner::tree) {
					tree_unpinned += !plans[i].pinned;
					continue;
				}
				const auto fewest = fewest_pinning_relays(*t, trees, (*paths)[i]);
				EXPECT_EQ(plans[i].pinned, fewest.has_value());
				if (fewest) {
					EXPECT_EQ(plans[i].relays.size(), *fewest);
					exact_pinned++;
				}
			}
		}
	}
	EXPECT_GE(plans_checked, 400);
	EXPECT_GT(exact_pinned, 100);
	EXPECT_GT(tree_unpinned, 0) << "the tree rule does not always pin";
}

TEST(ForwardingChecker, SeesEveryEcmpPath)
{
	// 1 -> {2, 3} -> 4 at equal cost: two paths unless a relay picks one.
	TopologyBuilder b;
	for (unsigned i = 1; i <= 4; i++)
		ASSERT_TRUE(b.add_router(router_ip(i)));
	for (auto [x, y] : {std::pair{1u, 2u}, {1u, 3u}, {2u, 4u}, {3u, 4u}}) {
		ASSERT_TRUE(b.add_link(router_ip(x), router_ip(y), 1));
		ASSERT_TRUE(b.add_link(router_ip(y), router_ip(x), 1));
	}
	auto t = *b.build();
	CostTreeCache trees(*t);
	auto open = replay_forwarding(*t, trees, 0, {}, 3);
	EXPECT_EQ(open.paths, (std::vector<std::vector<Vertex>>{{0, 1, 3}, {0, 2, 3}}));
	EXPECT_FALSE(open.pins({0, 1, 3}));
	const std::vector<Vertex> via3{2};
	auto pinned = replay_forwarding(*t, trees, 0, via3, 3);
	EXPECT_TRUE(pinned.pins({0, 2, 3}));
	auto capped = replay_forwarding(*t, trees, 0, {}, 3, 1);
	EXPECT_TRUE(capped.truncated);
}

} // namespace
} // namespace iplb
