// SPDX-License-Identifier: GPL-2.0-or-later
// All destinations from one source, in parallel and incrementally.
#include "generators/generators.hpp"
#include "paths/engine.hpp"
#include "paths/yen.hpp"
#include "topology/json_format.hpp"

#include <gtest/gtest.h>

#include <random>

namespace iplb {
namespace {

using Vertex = Topology::Vertex;

// The result in router ids, comparable across renumbered topologies.
std::vector<std::pair<std::string, std::vector<std::vector<std::string>>>>
by_id(const Topology &t, const AllPaths &all)
{
	std::vector<std::pair<std::string, std::vector<std::vector<std::string>>>> out;
	for (Vertex d = 0; d < t.vertex_count(); d++) {
		std::vector<std::vector<std::string>> paths;
		for (const Path &p : all.by_target[d]) {
			std::vector<std::string> ids;
			for (Vertex v : p.vertices)
				ids.push_back(to_string(t.node(v).id));
			paths.push_back(ids);
		}
		out.emplace_back(to_string(t.node(d).id), paths);
	}
	return out;
}

TEST(Engine, EqualsOneYenPerDestinationWhateverTheThreads)
{
	auto t = *make_fat_tree({.k = 6});
	const Vertex source = *t->find(*parse_ipv4("10.1.3.2"));
	for (unsigned threads : {1u, 2u, 3u}) {
		auto all = compute_all_paths(*t, source, {.k = 5, .threads = threads});
		ASSERT_TRUE(all) << all.error().message;
		EXPECT_EQ(all->counters.searched, 45u - 0u) << "every switch";
		EXPECT_EQ(all->counters.derived, 54u - 1u) << "hosts but the source";
		KShortestPaths yen(*t);
		for (Vertex d = 0; d < t->vertex_count(); d++) {
			if (d == source)
				continue;
			EXPECT_EQ(all->by_target[d], *yen.compute(source, d, 5, Metric::cost))
				<< to_string(t->node(d).id);
		}
	}
}

TEST(Engine, RefusesBadSourceAndK)
{
	auto t = *make_fat_tree({.k = 4});
	EXPECT_FALSE(compute_all_paths(*t, 9999, {}));
	EXPECT_FALSE(compute_all_paths(*t, 0, {.k = 0}));
}

// A random change: link cost up or down, link down or up, router removed or
// added. Returns the new topology.
TopologySnapshot mutate(const Topology &t, std::mt19937 &rng, std::string &what)
{
	struct Link {
		Ipv4 from, to;
		uint32_t cost;
	};
	std::vector<Link> links;
	for (Vertex u = 0; u < t.vertex_count(); u++)
		t.for_each_out(u, [&](Vertex v, uint32_t c) {
			links.push_back({t.node(u).id, t.node(v).id, c});
		});
	std::vector<Ipv4> routers;
	for (const Node &n : t.nodes())
		routers.push_back(n.id);
	const auto pick = rng() % 6;
	const Link chosen = links[rng() % links.size()];
	auto same_link = [&](const Link &l) {
		return (l.from == chosen.from && l.to == chosen.to) ||
		       (l.from == chosen.to && l.to == chosen.from);
	};
	std::optional<Ipv4> removed;
	std::vector<Link> added;
	if (pick == 0 || pick == 1) { // cost change, both directions
		const uint32_t cost = pick == 0 ? chosen.cost + 5 : std::max(1u, chosen.cost / 2);
		what = "cost " + std::to_string(cost);
		for (auto &l : links)
			if (same_link(l))
				l.cost = cost;
	} else if (pick == 2) { // link down
		what = "down";
		std::erase_if(links, same_link);
	} else if (pick == 3) { // link up between two routers not linked yet
		const Ipv4 a = routers[rng() % routers.size()], b = routers[rng() % routers.size()];
		bool exists = a == b;
		for (const auto &l : links)
			exists = exists || (l.from == a && l.to == b);
		what = "up";
		if (!exists)
			added = {{a, b, 3}, {b, a, 3}};
	} else if (pick == 4) { // router gone
		removed = chosen.to;
		what = "router gone";
	} else { // router added, with two links
		const Ipv4 fresh{0x0afe0001};
		what = "router added";
		routers.push_back(fresh);
		added = {{fresh, chosen.from, 2},
			 {chosen.from, fresh, 2},
			 {fresh, chosen.to, 2},
			 {chosen.to, fresh, 2}};
	}
	TopologyBuilder b;
	for (Ipv4 r : routers) {
		if (r != removed) {
			EXPECT_TRUE(b.add_router(r));
		}
	}
	for (const auto &l : links) {
		if (l.from != removed && l.to != removed) {
			EXPECT_TRUE(b.add_link(l.from, l.to, l.cost));
		}
	}
	for (const auto &l : added)
		EXPECT_TRUE(b.add_link(l.from, l.to, l.cost));
	return *b.build();
}

TEST(Engine, PrefixChangesRecomputeNothing)
{
	auto before = *make_fat_tree({.k = 4});
	const Vertex source = *before->find(*parse_ipv4("10.1.2.2"));
	auto previous = *compute_all_paths(*before, source, {.k = 4});
	// The same network, one prefix gone and one announced.
	auto text = topology_to_json(*before);
	text.replace(text.find("10.4.3.3/32"), 11, "10.99.0.0/16");
	auto after = *parse_topology_json(text);
	auto updated = *recompute_all_paths(*before, previous, *after);
	EXPECT_EQ(updated.counters.searched, 0u);
	EXPECT_EQ(by_id(*after, updated), by_id(*before, previous));
}

TEST(Engine, IncrementalEqualsFullRecomputeOnRandomChanges)
{
	std::mt19937 rng(4242);
	uint64_t reused = 0, searched = 0;
	for (int round = 0; round < 60; round++) {
		auto topo = round % 2 ? make_jellyfish({.switches = 12,
							.ports = 5,
							.hosts = 10,
							.seed = static_cast<uint64_t>(round)})
				      : make_fat_tree({.k = 4});
		ASSERT_TRUE(topo);
		const Topology &before = **topo;
		const Vertex source = static_cast<Vertex>(rng() % before.vertex_count());
		const EngineOptions options{.k = 1 + static_cast<unsigned>(rng() % 6),
					    .metric = round % 3 ? Metric::cost : Metric::hops,
					    .threads = 2};
		auto previous = *compute_all_paths(before, source, options);
		std::string what;
		auto after = mutate(before, rng, what);
		if (!after->find(before.node(source).id))
			continue; // the source itself went away
		auto incremental = recompute_all_paths(before, previous, *after);
		ASSERT_TRUE(incremental) << incremental.error().message;
		auto full =
			*compute_all_paths(*after, *after->find(before.node(source).id), options);
		ASSERT_EQ(by_id(*after, *incremental), by_id(*after, full))
			<< "round " << round << ": " << what;
		reused += incremental->counters.reused;
		searched += incremental->counters.searched;
	}
	EXPECT_GT(reused, searched) << "most destinations must be reused";
}

} // namespace
} // namespace iplb

namespace iplb {
namespace {

// A router whose only uplink is a transit network (a LAN): networks are
// never searched, so its paths cannot be derived from its uplink's; it is
// searched like a transit router (its prefixes used to get no paths at all).
TEST(Engine, ALeafBehindATransitNetworkIsSearched)
{
	const Ipv4 r1 = *parse_ipv4("10.255.0.1"), r2 = *parse_ipv4("10.255.0.2");
	const Ipv4 lan = *parse_ipv4("10.0.0.1");
	TopologyBuilder b;
	ASSERT_TRUE(b.add_router(r1));
	ASSERT_TRUE(b.add_router(r2));
	ASSERT_TRUE(b.add_network(lan));
	ASSERT_TRUE(b.add_link(r1, lan, 10));
	ASSERT_TRUE(b.add_link(r2, lan, 10));
	ASSERT_TRUE(b.attach_to_network(lan, r1));
	ASSERT_TRUE(b.attach_to_network(lan, r2));
	auto t = b.build();
	ASSERT_TRUE(t) << t.error().message;
	const Vertex source = *(*t)->find(r1), target = *(*t)->find(r2);
	auto all = compute_all_paths(**t, source, {.k = 4});
	ASSERT_TRUE(all) << all.error().message;
	KShortestPaths yen(**t);
	auto expected = yen.compute(source, target, 4, Metric::cost);
	ASSERT_TRUE(expected);
	ASSERT_FALSE(expected->empty());
	EXPECT_EQ(all->by_target[target], *expected);
}

} // namespace
} // namespace iplb
