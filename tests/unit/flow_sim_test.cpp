// SPDX-License-Identifier: GPL-2.0-or-later
// iplb-sim: the weighted max-min allocation on cases computed by hand, the
// traffic permutation, the routing schemes against OSPF forwarding, the
// relay statistics and a small experiment end to end.
#include "generators/generators.hpp"
#include "iplb-sim/experiment.hpp"
#include "iplb-sim/flow_model.hpp"
#include "iplb-sim/network.hpp"
#include "iplb-sim/random.hpp"
#include "iplb-sim/relay_stats.hpp"
#include "iplb-sim/routing.hpp"
#include "iplb-sim/traffic.hpp"
#include "paths/yen.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace iplb::sim {
namespace {

constexpr double eps = 1e-9;

Connection single(LinkPath path)
{
	return Connection{{std::move(path)}};
}

Allocation allocate(const std::vector<double> &capacities, const std::vector<Connection> &c)
{
	auto a = allocate_max_min(capacities, c);
	EXPECT_TRUE(a) << (a ? "" : a.error().message);
	return a ? *a : Allocation{};
}

// ---------------------------------------------------------------------------
// The flow model

TEST(FlowSimModel, TwoFlowsShareOneLinkEqually)
{
	const auto a = allocate({1.0}, {single({0}), single({0})});
	EXPECT_NEAR(a.connection_rates[0], 0.5, eps);
	EXPECT_NEAR(a.connection_rates[1], 0.5, eps);
	EXPECT_NEAR(a.link_load[0], 1.0, eps);
	EXPECT_NEAR(a.total, 1.0, eps);
}

// Links 0-1-2 in a line. `long` crosses all three; a and b share link 0
// with it, c is alone with it on link 1, d on link 2.
// Filling: link 0 has weight 3 and fills at level 1/3, link 1 and 2 (weight
// 2) would fill at 1/2. So long = a = b = 1/3. Then c and d alone on links
// 1 and 2 with 2/3 left each: c = d = 2/3. Every link is full.
TEST(FlowSimModel, ParkingLotLongFlowGetsAThird)
{
	const auto a = allocate(
		{1, 1, 1}, {single({0, 1, 2}), single({0}), single({0}), single({1}), single({2})});
	EXPECT_NEAR(a.connection_rates[0], 1.0 / 3, eps);
	EXPECT_NEAR(a.connection_rates[1], 1.0 / 3, eps);
	EXPECT_NEAR(a.connection_rates[2], 1.0 / 3, eps);
	EXPECT_NEAR(a.connection_rates[3], 2.0 / 3, eps);
	EXPECT_NEAR(a.connection_rates[4], 2.0 / 3, eps);
	for (double load : a.link_load)
		EXPECT_NEAR(load, 1.0, eps);
	EXPECT_NEAR(a.total, 1.0 / 3 * 3 + 2.0 / 3 * 2, eps);
	EXPECT_EQ(a.rounds, 2u);
}

// Connection M has two subflows (weight 1/2 each): s1 on link X (0) shared
// with a single-path flow F (weight 1), s2 alone on link Y (1).
// X: weight 1/2 + 1 = 3/2, fills at level 2/3: s1 = 1/3, F = 2/3.
// Y: s2 alone (weight 1/2) fills at level 2: s2 = 1.
// M = 1/3 + 1 = 4/3, F = 2/3.
TEST(FlowSimModel, CoupledSubflowYieldsOnSharedBottleneck)
{
	const auto a = allocate({1, 1}, {Connection{{{0}, {1}}}, single({0})});
	EXPECT_NEAR(a.subflow_rates[0][0], 1.0 / 3, eps);
	EXPECT_NEAR(a.subflow_rates[0][1], 1.0, eps);
	EXPECT_NEAR(a.connection_rates[0], 4.0 / 3, eps);
	EXPECT_NEAR(a.connection_rates[1], 2.0 / 3, eps);
	EXPECT_NEAR(a.link_load[0], 1.0, eps);
	EXPECT_NEAR(a.link_load[1], 1.0, eps);
}

// Eight subflows on one path behave as one TCP flow: weight 8 * 1/8 = 1
// against F's 1, the link fills at level 1/2: each subflow 1/16.
TEST(FlowSimModel, EightSubflowsOnOnePathAreOneFlow)
{
	Connection m;
	for (int i = 0; i < 8; i++)
		m.subflows.push_back({0});
	const auto a = allocate({1}, {m, single({0})});
	for (double r : a.subflow_rates[0])
		EXPECT_NEAR(r, 1.0 / 16, eps);
	EXPECT_NEAR(a.connection_rates[0], 0.5, eps);
	EXPECT_NEAR(a.connection_rates[1], 0.5, eps);
}

// Four subflows (weight 1/4): three on link 0 with F, one alone on link 1.
// Link 0: weight 3/4 + 1 = 7/4, fills at level 4/7: each of the three gets
// 1/7, F gets 4/7. Link 1: the fourth subflow fills it at level 4: 1.
// M = 3/7 + 1 = 10/7.
TEST(FlowSimModel, ShareOnBottleneckFollowsSubflowCount)
{
	const auto a = allocate({1, 1}, {Connection{{{0}, {0}, {0}, {1}}}, single({0})});
	for (int i = 0; i < 3; i++)
		EXPECT_NEAR(a.subflow_rates[0][i], 1.0 / 7, eps);
	EXPECT_NEAR(a.subflow_rates[0][3], 1.0, eps);
	EXPECT_NEAR(a.connection_rates[0], 10.0 / 7, eps);
	EXPECT_NEAR(a.connection_rates[1], 4.0 / 7, eps);
}

// Link 0 (capacity 2) carries A and B; B also crosses link 1 (0.5).
// Link 1 fills first (level 0.5): B = 0.5. A then takes the 1.5 left.
TEST(FlowSimModel, UnequalCapacities)
{
	const auto a = allocate({2, 0.5}, {single({0}), single({0, 1})});
	EXPECT_NEAR(a.connection_rates[0], 1.5, eps);
	EXPECT_NEAR(a.connection_rates[1], 0.5, eps);
	EXPECT_NEAR(a.link_load[0], 2.0, eps);
	EXPECT_NEAR(a.link_load[1], 0.5, eps);
}

// A path that crosses link 0 twice loads it twice: it fills at 0.5.
TEST(FlowSimModel, LinkCrossedTwiceCountsTwice)
{
	const auto a = allocate({1, 1}, {single({0, 1, 0})});
	EXPECT_NEAR(a.connection_rates[0], 0.5, eps);
	EXPECT_NEAR(a.link_load[0], 1.0, eps);
	EXPECT_NEAR(a.link_load[1], 0.5, eps);
}

// Random instances: loads are the sums of what crosses each link, no link
// is over capacity, and every subflow has a bottleneck: a full link on
// which no subflow has a higher rate per weight (weighted max-min).
TEST(FlowSimModel, RandomInstancesAreFeasibleAndMaxMin)
{
	Rng rng(42);
	for (int round = 0; round < 200; round++) {
		const size_t links = 2 + rng.below(30);
		std::vector<double> capacity(links);
		for (double &c : capacity)
			c = 0.5 + static_cast<double>(rng.below(16)) / 8;
		std::vector<Connection> connections(1 + rng.below(20));
		for (Connection &c : connections) {
			c.subflows.resize(1 + rng.below(max_subflows));
			for (LinkPath &p : c.subflows) {
				p.resize(1 + rng.below(5));
				for (LinkId &l : p)
					l = static_cast<LinkId>(rng.below(links));
			}
		}
		const auto a = allocate(capacity, connections);
		std::vector<double> load(links, 0);
		double total = 0;
		for (size_t c = 0; c < connections.size(); c++) {
			double sum = 0;
			for (size_t s = 0; s < connections[c].subflows.size(); s++) {
				sum += a.subflow_rates[c][s];
				for (LinkId l : connections[c].subflows[s])
					load[l] += a.subflow_rates[c][s];
			}
			EXPECT_NEAR(a.connection_rates[c], sum, eps);
			total += sum;
		}
		EXPECT_NEAR(a.total, total, eps);
		for (size_t l = 0; l < links; l++) {
			EXPECT_NEAR(a.link_load[l], load[l], eps);
			EXPECT_LE(load[l], capacity[l] * (1 + eps));
		}
		for (size_t c = 0; c < connections.size(); c++) {
			const double w = 1.0 / static_cast<double>(connections[c].subflows.size());
			for (size_t s = 0; s < connections[c].subflows.size(); s++) {
				const double level = a.subflow_rates[c][s] / w;
				EXPECT_GT(a.subflow_rates[c][s], 0);
				bool bottleneck = false;
				for (LinkId l : connections[c].subflows[s]) {
					if (load[l] < capacity[l] * (1 - eps))
						continue;
					bool highest = true;
					for (size_t c2 = 0; c2 < connections.size(); c2++) {
						const double w2 =
							1.0 /
							static_cast<double>(
								connections[c2].subflows.size());
						for (size_t s2 = 0;
						     s2 < connections[c2].subflows.size(); s2++) {
							const auto &p =
								connections[c2].subflows[s2];
							if (std::find(p.begin(), p.end(), l) !=
								    p.end() &&
							    a.subflow_rates[c2][s2] / w2 >
								    level * (1 + eps))
								highest = false;
						}
					}
					bottleneck = bottleneck || highest;
				}
				EXPECT_TRUE(bottleneck) << "round " << round << " connection " << c
							<< " subflow " << s;
			}
		}
	}
}

TEST(FlowSimModel, RejectsBadInput)
{
	auto message = [](const std::vector<double> &cap, const std::vector<Connection> &c) {
		auto a = allocate_max_min(cap, c);
		return a ? std::string("accepted") : a.error().message;
	};
	EXPECT_EQ(message({1}, {single({})}), "connection 0, subflow 0: empty path");
	EXPECT_EQ(message({1}, {single({0}), single({0, 1})}),
		  "connection 1, subflow 0: unknown link 1");
	EXPECT_EQ(message({1, 0}, {single({0})}),
		  "link 1: capacity must be a positive number, not 0.000000");
	EXPECT_NE(message({-1}, {single({0})}), "accepted");
	EXPECT_NE(message({std::nan("")}, {single({0})}), "accepted");
	EXPECT_EQ(message({1}, {Connection{}}), "connection 0 has 0 subflows, not 1-8");
	EXPECT_EQ(message({1}, {Connection{std::vector<LinkPath>(9, LinkPath{0})}}),
		  "connection 0 has 9 subflows, not 1-8");
	// Nothing to allocate is not an error.
	auto empty = allocate_max_min({1}, {});
	ASSERT_TRUE(empty);
	EXPECT_EQ(empty->total, 0);
}

// ---------------------------------------------------------------------------
// Traffic

TEST(FlowSimTraffic, PermutationIsADerangement)
{
	for (size_t n : {2, 3, 16, 54, 128, 432}) {
		const auto to = random_permutation_traffic(n, 7);
		ASSERT_EQ(to.size(), n);
		std::vector<int> received(n, 0);
		for (size_t i = 0; i < n; i++) {
			EXPECT_NE(to[i], i);
			ASSERT_LT(to[i], n);
			received[to[i]]++;
		}
		for (int r : received)
			EXPECT_EQ(r, 1);
	}
	EXPECT_EQ(random_permutation_traffic(2, 99), (std::vector<size_t>{1, 0}));
	EXPECT_TRUE(random_permutation_traffic(1, 1).empty());
}

TEST(FlowSimTraffic, PermutationIsDeterministicPerSeed)
{
	EXPECT_EQ(random_permutation_traffic(128, 5), random_permutation_traffic(128, 5));
	EXPECT_NE(random_permutation_traffic(128, 5), random_permutation_traffic(128, 6));
	// SplitMix64 and the unbiased draw are fixed arithmetic: this value must
	// be the same on every machine (checked against a Python transcription
	// of SplitMix64 and Fisher-Yates).
	EXPECT_EQ(random_permutation_traffic(6, 1), (std::vector<size_t>{3, 5, 4, 1, 0, 2}));
}

// n = 3 has two derangements, (1 2 0) and (2 0 1): each about half the time.
TEST(FlowSimTraffic, PermutationIsUniformOverDerangements)
{
	std::map<std::vector<size_t>, int> seen;
	for (uint64_t seed = 0; seed < 4000; seed++)
		seen[random_permutation_traffic(3, seed)]++;
	ASSERT_EQ(seen.size(), 2u);
	for (const auto &[perm, count] : seen) {
		EXPECT_GT(count, 1800);
		EXPECT_LT(count, 2200);
	}
}

// ---------------------------------------------------------------------------
// Routing

TopologySnapshot jellyfish(unsigned ports, uint64_t seed)
{
	auto t = make_jellyfish(JellyfishOptions{.switches = fat_tree_switches(ports),
						 .ports = ports,
						 .hosts = fat_tree_hosts(ports),
						 .seed = seed});
	EXPECT_TRUE(t);
	return *t;
}

uint64_t cost_of(const Topology &t, const std::vector<Vertex> &path)
{
	uint64_t cost = 0;
	for (size_t i = 0; i + 1 < path.size(); i++) {
		auto c = t.link_cost(path[i], path[i + 1]);
		EXPECT_TRUE(c);
		cost += c.value_or(0);
	}
	return cost;
}

TEST(FlowSimRouting, NetworkLinksAndHosts)
{
	const auto t = jellyfish(4, 1);
	const LinkIndex links(*t);
	EXPECT_EQ(links.size(), t->edge_count());
	const auto hosts = hosts_of(*t);
	EXPECT_EQ(hosts.size(), 16u);
	for (LinkId l = 0; l < links.size(); l++)
		EXPECT_EQ(links.find(links.ends(l).first, links.ends(l).second), l);
	// A host and another host are never linked.
	EXPECT_FALSE(links.find(hosts[0], hosts[1]));
	EXPECT_FALSE(links.links_of({hosts[0], hosts[1]}));
	EXPECT_FALSE(links.links_of({hosts[0]}));
}

// Every hop of an ECMP walk is on a shortest path: the walk's cost is the
// distance, and it ends at the destination.
TEST(FlowSimRouting, EcmpWalkUsesOnlyShortestPaths)
{
	const auto t = jellyfish(8, 3);
	CostTreeCache trees(*t);
	const auto hosts = hosts_of(*t);
	Rng pick(1);
	std::set<std::vector<Vertex>> distinct;
	for (int i = 0; i < 300; i++) {
		const Vertex a = hosts[pick.below(hosts.size())];
		Vertex b = a;
		while (b == a)
			b = hosts[pick.below(hosts.size())];
		Rng rng(static_cast<uint64_t>(i));
		const auto walk = ecmp_walk(*t, trees, a, b, rng);
		ASSERT_GE(walk.size(), 3u);
		EXPECT_EQ(walk.front(), a);
		EXPECT_EQ(walk.back(), b);
		EXPECT_EQ(cost_of(*t, walk), trees.to(b).cost(a));
		distinct.insert(walk);
	}
	EXPECT_GT(distinct.size(), 250u);
}

// k = 4 fat-tree: between pods there are 4 shortest paths, one per core
// switch; per-hop ECMP takes each about a quarter of the time.
TEST(FlowSimRouting, EcmpWalkSpreadsOverCores)
{
	auto t = make_fat_tree(FatTreeOptions{.k = 4});
	ASSERT_TRUE(t);
	CostTreeCache trees(**t);
	const auto hosts = hosts_of(**t);
	const Vertex a = hosts.front(), b = hosts.back(); // pods 0 and 3
	std::map<Vertex, int> by_core;
	for (uint64_t i = 0; i < 800; i++) {
		Rng rng(i);
		const auto walk = ecmp_walk(**t, trees, a, b, rng);
		ASSERT_EQ(walk.size(), 7u); // host edge agg core agg edge host
		by_core[walk[3]]++;
	}
	ASSERT_EQ(by_core.size(), 4u);
	for (const auto &[core, n] : by_core) {
		EXPECT_GT(n, 150);
		EXPECT_LT(n, 250);
	}
}

// A square a-b-c-d-a with a tail c-e, all costs 10. From a to c there are
// two equal-cost paths (via b or d).
struct Square {
	TopologySnapshot t;
	Vertex a, b, c, d, e;
};

Square square()
{
	TopologyBuilder builder;
	const Ipv4 a{1}, b{2}, c{3}, d{4}, e{5};
	for (Ipv4 r : {a, b, c, d, e})
		EXPECT_TRUE(builder.add_router(r));
	for (auto [x, y] : {std::pair{a, b}, {b, c}, {c, d}, {d, a}, {c, e}}) {
		EXPECT_TRUE(builder.add_link(x, y, 10));
		EXPECT_TRUE(builder.add_link(y, x, 10));
	}
	auto t = builder.build();
	EXPECT_TRUE(t);
	auto v = [&](Ipv4 r) {
		return *(*t)->find(r);
	};
	return {*t, v(a), v(b), v(c), v(d), v(e)};
}

TEST(FlowSimRouting, ForwardingFollowsRelaysThenEcmp)
{
	const Square s = square();
	CostTreeCache trees(*s.t);
	const std::vector<Vertex> via_b{s.b};
	std::set<std::vector<Vertex>> direct, relayed;
	for (uint64_t i = 0; i < 64; i++) {
		Rng r1(i), r2(i);
		direct.insert(forward_relays(*s.t, trees, s.a, {}, s.c, 0, r1));
		relayed.insert(forward_relays(*s.t, trees, s.a, via_b, s.c, 0, r2));
	}
	// Without relays, the last segment is hashed per subflow: both paths.
	EXPECT_EQ(direct, (std::set<std::vector<Vertex>>{{s.a, s.b, s.c}, {s.a, s.d, s.c}}));
	// Relay b pins it.
	EXPECT_EQ(relayed, (std::set<std::vector<Vertex>>{{s.a, s.b, s.c}}));
}

// While encapsulated towards a relay, every subflow goes the same way (the
// switches hash an outer header that is the same for all); which way
// depends on the switches' hash (salt).
TEST(FlowSimRouting, EncapsulatedSegmentIsOnePathPerSwitchHash)
{
	const Square s = square();
	CostTreeCache trees(*s.t);
	const std::vector<Vertex> via_c{s.c};
	std::set<std::vector<Vertex>> for_one_salt, over_salts;
	for (uint64_t i = 0; i < 64; i++) {
		Rng r1(i), r2(i);
		for_one_salt.insert(forward_relays(*s.t, trees, s.a, via_c, s.e, 7, r1));
		over_salts.insert(forward_relays(*s.t, trees, s.a, via_c, s.e, i, r2));
	}
	EXPECT_EQ(for_one_salt.size(), 1u);
	EXPECT_EQ(over_salts,
		  (std::set<std::vector<Vertex>>{{s.a, s.b, s.c, s.e}, {s.a, s.d, s.c, s.e}}));
}

// The exact planner's lists pin their paths: forwarding is the planned path
// whatever the hashes. The tree planner's do not always: on this graph some
// subflows leave their planned path (what comparing the planners is about).
TEST(FlowSimRouting, ExactPlannerForwardingEqualsPlannedPath)
{
	const auto t = jellyfish(8, 2);
	CostTreeCache trees(*t);
	KShortestPaths yen(*t);
	const auto hosts = hosts_of(*t);
	const auto to = random_permutation_traffic(hosts.size(), 11);
	size_t checked = 0, tree_diverted = 0, with_relays = 0;
	for (size_t c = 0; c < hosts.size(); c++) {
		auto paths = yen.compute(hosts[c], hosts[to[c]], 8, Metric::cost);
		ASSERT_TRUE(paths);
		const ConnectionPlans exact(*t, trees, *paths, Planner::exact);
		const ConnectionPlans tree(*t, trees, *paths, Planner::tree);
		for (unsigned k = 1; k <= 8; k++) {
			const auto r =
				route_kpaths(*t, trees, exact, k, Mapping::round_robin, 8, 5, c);
			for (size_t i = 0; i < r.planned.size(); i++) {
				EXPECT_EQ(r.forwarded[i], r.planned[i]);
				checked++;
			}
			for (const RelayPlan &p : exact.plans(k)) {
				EXPECT_TRUE(p.pinned);
				with_relays += !p.relays.empty();
			}
			const auto rt =
				route_kpaths(*t, trees, tree, k, Mapping::round_robin, 8, 5, c);
			for (size_t i = 0; i < rt.planned.size(); i++) {
				tree_diverted += rt.forwarded[i] != rt.planned[i];
				EXPECT_EQ(rt.forwarded[i].front(), hosts[c]);
				EXPECT_EQ(rt.forwarded[i].back(), hosts[to[c]]);
			}
		}
	}
	EXPECT_EQ(checked, hosts.size() * 8 * 8);
	EXPECT_GT(with_relays, checked / 16);
	EXPECT_GT(tree_diverted, 0u);
}

TEST(FlowSimRouting, SubflowMapping)
{
	EXPECT_EQ(map_subflow(Mapping::round_robin, 12345, 5, 3), 2u);
	EXPECT_EQ(map_subflow(Mapping::hash, 12345, 5, 3), 12345u % 3);
	// Hashed subflows spread over all paths.
	std::vector<int> hits(4, 0);
	for (uint64_t i = 0; i < 4000; i++)
		hits[map_subflow(Mapping::hash, mix_seed({1, i}), 0, 4)]++;
	for (int h : hits) {
		EXPECT_GT(h, 900);
		EXPECT_LT(h, 1100);
	}
}

TEST(FlowSimRouting, SchemeNames)
{
	EXPECT_EQ(parse_scheme("ecmp", 8)->kind, Scheme::Kind::ecmp);
	EXPECT_EQ(parse_scheme("shortest", 8)->kind, Scheme::Kind::shortest);
	EXPECT_EQ(parse_scheme("k5", 8)->k, 5u);
	EXPECT_EQ(to_string(*parse_scheme("k8", 8)), "k8");
	for (const char *bad : {"k9", "k0", "k", "k2x", "ECMP", "", "k-1"})
		EXPECT_FALSE(parse_scheme(bad, 8)) << bad;
	EXPECT_EQ(parse_scheme("k9", 8).error().message,
		  "scheme must be shortest, ecmp or k1-k8, not 'k9'");
	EXPECT_EQ(*parse_mapping("round-robin"), Mapping::round_robin);
	EXPECT_FALSE(parse_mapping("random"));
}

// ---------------------------------------------------------------------------
// Relay statistics

TEST(FlowSimRelays, HistogramCdfPercentileMean)
{
	RelayHistogram h;
	for (size_t r : {0, 1, 1, 3})
		h.add(r);
	EXPECT_EQ(h.paths(), 4u);
	EXPECT_EQ(h.cdf_up_to(4), (std::vector<double>{0.25, 0.75, 0.75, 1.0, 1.0}));
	EXPECT_EQ(h.percentile(0.9), 3u);
	EXPECT_EQ(h.percentile(0.75), 1u);
	EXPECT_DOUBLE_EQ(h.mean(), 1.25);
	RelayHistogram ten;
	for (int i = 0; i < 10; i++)
		ten.add(i < 9 ? 2 : 5);
	EXPECT_EQ(ten.percentile(0.9), 2u); // exactly 90% have at most 2
	h.merge(ten);
	EXPECT_EQ(h.paths(), 14u);
	EXPECT_EQ(h.count(2), 9u);
}

// The seed: 3 relays of GRE are 4.8% of a 1500-byte packet, 0.8% of 9000.
TEST(FlowSimRelays, EncapsulationOverhead)
{
	EXPECT_NEAR(header_share(3, gre_bytes_per_relay, 1500), 0.048, eps);
	EXPECT_NEAR(header_share(3, gre_bytes_per_relay, 9000), 0.008, eps);
	EXPECT_NEAR(header_share(3, ipip_bytes_per_relay, 1500), 0.04, eps);
	EXPECT_NEAR(header_share(1.5, ipip_bytes_per_relay, 1500), 0.02, eps);
}

TEST(FlowSimRelays, CdfOfAJellyfishIsMonotoneAndEndsAtOne)
{
	ExperimentOptions o;
	o.ports = 6;
	o.switches = fat_tree_switches(6);
	o.hosts = fat_tree_hosts(6);
	o.seeds = 1;
	o.throughput = false;
	o.cdf_pairs = 0; // all 54 * 53 pairs
	auto r = run_experiment(o);
	ASSERT_TRUE(r) << r.error().message;
	ASSERT_EQ(r->relays.size(), 2u);
	for (const RelayHistogram &h : r->relays) {
		// 54 hosts on 45 switches: the first 9 switches have two, and
		// those 18 ordered pairs have one path (host, switch, host); the
		// others have all 8.
		EXPECT_EQ(h.paths(), (54u * 53u - 18u) * 8u + 18u);
		const auto cdf = h.cdf_up_to(std::max<size_t>(8, h.max_relays()));
		for (size_t i = 1; i < cdf.size(); i++)
			EXPECT_GE(cdf[i], cdf[i - 1]);
		EXPECT_DOUBLE_EQ(cdf.back(), 1.0);
		EXPECT_LT(cdf.front(), 0.5); // most paths need a relay
		EXPECT_GT(h.mean(), 0.5);
	}
}

// ---------------------------------------------------------------------------
// The experiment

TEST(FlowSimExperiment, SmallRunIsConsistent)
{
	ExperimentOptions o;
	o.ports = 4;
	o.switches = 20;
	o.hosts = 16;
	o.seeds = 3;
	o.relay_cdf = false;
	for (const char *name : {"shortest", "ecmp", "k1", "k2", "k4", "k8"})
		o.schemes.push_back(*parse_scheme(name, 8));
	auto r = run_experiment(o);
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_EQ(r->switches, 20u);
	EXPECT_EQ(r->hosts, 16u);
	ASSERT_EQ(r->instances.size(), 3u);
	for (const InstanceResult &i : r->instances) {
		EXPECT_EQ(i.connections, 16u);
		// A host's link carries one connection each way: at most 16.
		EXPECT_GT(i.shortest_total, 1.0);
		EXPECT_LE(i.shortest_total, 16.0 + eps);
		for (size_t p = 0; p < 2; p++) {
			EXPECT_DOUBLE_EQ(i.totals[p][0], i.shortest_total);
			EXPECT_LE(i.totals[p][1], 16.0 + eps);
			for (size_t s = 2; s < o.schemes.size(); s++)
				EXPECT_LE(i.totals[p][s], 16.0 + eps);
		}
		// k1 with the exact planner is the shortest path, pinned.
		EXPECT_NEAR(i.totals[1][2], i.shortest_total, eps);
		EXPECT_EQ(i.diverted[1], 0u);
		EXPECT_EQ(i.kpath_subflows, 16u * 8u * 4u);
	}
	// The same options give the same numbers.
	auto again = run_experiment(o);
	ASSERT_TRUE(again);
	EXPECT_EQ(again->instances[2].totals, r->instances[2].totals);
}

} // namespace
} // namespace iplb::sim
