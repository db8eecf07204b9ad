// SPDX-License-Identifier: GPL-2.0-or-later
#include "generators/generators.hpp"
#include "topology/json_format.hpp"
#include "topology/relay_policy.hpp"
#include "topology/topology.hpp"
#include "topology/topology_delta.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace iplb {
namespace {

Ipv4 ip(const char *text)
{
	return *parse_ipv4(text);
}

std::string error_of(std::string_view json)
{
	auto t = parse_topology_json(json);
	return t ? std::string("(no error)") : t.error().message;
}

TEST(Prefix, ParsesAndRefusesHostBits)
{
	auto p = parse_prefix("10.4.1.0/24");
	ASSERT_TRUE(p);
	EXPECT_EQ(to_string(*p), "10.4.1.0/24");
	EXPECT_TRUE(p->contains(ip("10.4.1.77")));
	EXPECT_FALSE(p->contains(ip("10.4.2.1")));
	EXPECT_NE(parse_prefix("10.4.1.1/24").error().message.find("did you mean 10.4.1.0/24"),
		  std::string::npos);
	EXPECT_FALSE(parse_prefix("10.4.1.0/33"));
	EXPECT_FALSE(parse_prefix("10.4.1.0"));
	EXPECT_TRUE(parse_prefix("0.0.0.0/0"));
}

TEST(TopologyBuilder, RefusesWhatCannotBeRight)
{
	TopologyBuilder b;
	ASSERT_TRUE(b.add_router(ip("10.0.0.1")));
	ASSERT_TRUE(b.add_router(ip("10.0.0.2")));
	EXPECT_EQ(b.add_router(ip("10.0.0.1")).error().message, "duplicate router 10.0.0.1");
	EXPECT_NE(b.add_link(ip("10.0.0.1"), ip("10.0.0.9"), 10).error().message.find("unknown"),
		  std::string::npos);
	EXPECT_NE(b.add_link(ip("10.0.0.1"), ip("10.0.0.2"), 0).error().message.find("cost 0"),
		  std::string::npos);
	EXPECT_FALSE(b.add_link(ip("10.0.0.1"), ip("10.0.0.2"), 70000));
	EXPECT_FALSE(b.add_link(ip("10.0.0.1"), ip("10.0.0.1"), 1));
	ASSERT_TRUE(b.add_link(ip("10.0.0.1"), ip("10.0.0.2"), 10));
	EXPECT_EQ(b.add_link(ip("10.0.0.1"), ip("10.0.0.2"), 20).error().message,
		  "duplicate link 10.0.0.1 -> 10.0.0.2");
	EXPECT_FALSE(b.add_prefix(ip("10.0.0.9"), *parse_prefix("10.9.0.0/16"), 0));
}

TEST(Topology, VerticesAreInRouterIdOrderWhateverTheInputOrder)
{
	TopologyBuilder b;
	for (const char *id : {"10.0.0.3", "10.0.0.1", "10.0.0.2"})
		ASSERT_TRUE(b.add_router(ip(id)));
	auto t = *b.build();
	ASSERT_EQ(t->vertex_count(), 3u);
	EXPECT_EQ(to_string(t->node(0).id), "10.0.0.1");
	EXPECT_EQ(to_string(t->node(2).id), "10.0.0.3");
	EXPECT_EQ(t->find(ip("10.0.0.2")), 1u);
	EXPECT_FALSE(t->find(ip("10.0.0.4")));
	EXPECT_EQ(to_string(t->node(0).relay), "10.0.0.1") << "relay defaults to the id";
}

TEST(TopologyDelta, MatchesByIdentityNotVertexNumber)
{
	// 1.1.1.1 - 2.2.2.2 - 4.4.4.4; then 3.3.3.3 joins (every vertex after
	// it is renumbered), 2-4 gets dearer, 4's prefix moves to 3 and a LAN
	// appears between 1 and 3.
	auto before = parse_topology_json(R"({
	  "routers": [{"id": "1.1.1.1"}, {"id": "2.2.2.2"}, {"id": "4.4.4.4"}],
	  "links": [{"from": "1.1.1.1", "to": "2.2.2.2", "cost": 10},
	            {"from": "2.2.2.2", "to": "1.1.1.1", "cost": 10},
	            {"from": "2.2.2.2", "to": "4.4.4.4", "cost": 10},
	            {"from": "4.4.4.4", "to": "2.2.2.2", "cost": 10}],
	  "prefixes": [{"router": "4.4.4.4", "prefix": "10.4.0.0/16", "cost": 1},
	               {"router": "1.1.1.1", "prefix": "10.1.0.0/16", "cost": 1}]
	})");
	auto after = parse_topology_json(R"({
	  "routers": [{"id": "1.1.1.1"}, {"id": "2.2.2.2"}, {"id": "3.3.3.3"}, {"id": "4.4.4.4"}],
	  "networks": [{"id": "10.9.0.1", "routers": ["1.1.1.1", "3.3.3.3"]}],
	  "links": [{"from": "1.1.1.1", "to": "2.2.2.2", "cost": 10},
	            {"from": "2.2.2.2", "to": "1.1.1.1", "cost": 10},
	            {"from": "2.2.2.2", "to": "4.4.4.4", "cost": 40},
	            {"from": "4.4.4.4", "to": "2.2.2.2", "cost": 10},
	            {"from": "1.1.1.1", "to": "10.9.0.1", "cost": 1},
	            {"from": "3.3.3.3", "to": "10.9.0.1", "cost": 1}],
	  "prefixes": [{"router": "3.3.3.3", "prefix": "10.4.0.0/16", "cost": 1},
	               {"router": "1.1.1.1", "prefix": "10.1.0.0/16", "cost": 7}]
	})");
	ASSERT_TRUE(before && after);
	const auto delta = diff(**before, **after);

	ASSERT_EQ(delta.nodes_added.size(), 2u);
	EXPECT_EQ(to_string(delta.nodes_added[0].id), "3.3.3.3");
	EXPECT_EQ(delta.nodes_added[1].kind, NodeKind::network);
	EXPECT_TRUE(delta.nodes_removed.empty());

	const auto s = summarize(delta);
	EXPECT_EQ(s.links_changed, 1u);
	EXPECT_EQ(s.links_added, 4u) << "1 and 3 to the LAN, and the LAN back to each";
	EXPECT_EQ(s.links_removed, 0u);
	EXPECT_EQ(s.prefixes_added, 1u);
	EXPECT_EQ(s.prefixes_removed, 1u);
	EXPECT_EQ(s.prefixes_changed, 1u);
	const auto changed = std::ranges::find_if(
		delta.links, [](const LinkChange &l) { return l.before && l.after; });
	EXPECT_EQ(to_string(changed->from.id), "2.2.2.2");
	EXPECT_EQ(to_string(changed->to.id), "4.4.4.4");
	EXPECT_EQ(changed->after, 40u);

	const auto lines = describe(delta, 3);
	ASSERT_EQ(lines.size(), 4u);
	EXPECT_EQ(lines[0], "node 3.3.3.3 added");
	EXPECT_EQ(lines[3], "... and 7 more");

	const auto back = summarize(diff(**after, **before));
	EXPECT_EQ(back.nodes_removed, 2u);
	EXPECT_EQ(back.links_removed, 4u);
	EXPECT_TRUE(diff(**after, **after).empty());
}

TEST(TopologyDelta, ARelayAddressMoveIsAChange)
{
	TopologyBuilder a, b;
	ASSERT_TRUE(a.add_router(ip("1.1.1.1")));
	ASSERT_TRUE(b.add_router(ip("1.1.1.1"), ip("10.255.0.1")));
	const auto delta = diff(**a.build(), **b.build());
	ASSERT_EQ(delta.relays_changed.size(), 1u);
	EXPECT_FALSE(delta.empty());
}

TEST(Topology, TransitNetworksAndLeaves)
{
	const char *json = R"({
	  "routers": [{"id": "1.1.1.1"}, {"id": "2.2.2.2"}, {"id": "3.3.3.3"},
	              {"id": "4.4.4.4", "relay": "10.255.0.4"}],
	  "networks": [{"id": "10.9.0.1", "routers": ["1.1.1.1", "2.2.2.2", "3.3.3.3"]}],
	  "links": [{"from": "1.1.1.1", "to": "10.9.0.1", "cost": 5},
	            {"from": "2.2.2.2", "to": "10.9.0.1", "cost": 5},
	            {"from": "3.3.3.3", "to": "10.9.0.1", "cost": 5},
	            {"from": "3.3.3.3", "to": "4.4.4.4", "cost": 1},
	            {"from": "4.4.4.4", "to": "3.3.3.3", "cost": 1}],
	  "prefixes": [{"router": "4.4.4.4", "prefix": "10.4.0.0/16", "cost": 3, "kind": "external2"}]
	})";
	auto t = parse_topology_json(json);
	ASSERT_TRUE(t) << t.error().message;
	const auto net = (*t)->find(ip("10.9.0.1"), NodeKind::network);
	ASSERT_TRUE(net);
	EXPECT_EQ((*t)->link_cost(*net, *(*t)->find(ip("2.2.2.2"))), 0u);
	EXPECT_TRUE((*t)->can_transit(*net));
	EXPECT_FALSE((*t)->can_transit(*(*t)->find(ip("4.4.4.4")))) << "a host on one uplink";
	auto routes = (*t)->longest_match(ip("10.4.7.7"));
	ASSERT_EQ(routes.size(), 1u);
	EXPECT_EQ(routes[0].cost, 3u);
	EXPECT_EQ(routes[0].kind, PrefixKind::external2);
	EXPECT_EQ(to_string((*t)->node(routes[0].vertex).relay), "10.255.0.4");
}

TEST(TopologyJson, ErrorsNameTheLineOrTheField)
{
	EXPECT_NE(error_of("{\n  \"routers\": [\n  ,]\n}").find("line 3"), std::string::npos)
		<< error_of("{\n  \"routers\": [\n  ,]\n}");
	EXPECT_EQ(error_of(R"({"routers": [{"id": "1.1.1.1"}, {"id": "1.1.1.300"}]})"),
		  "routers[1].id: '1.1.1.300' is not an IPv4 address");
	EXPECT_EQ(error_of(R"({"routers": [{"id": "1.1.1.1", "relya": "1.1.1.1"}]})"),
		  "routers[0]: unknown field 'relya'");
	EXPECT_EQ(error_of(R"({"routers": [{"id": "1.1.1.1"}, {"id": "2.2.2.2"}],
	                      "links": [{"from": "1.1.1.1", "to": "2.2.2.2"}]})"),
		  "links[0].cost: missing");
	EXPECT_EQ(error_of(R"({"routers": [{"id": "1.1.1.1"}, {"id": "2.2.2.2"}],
	                      "links": [{"from": "1.1.1.1", "to": "2.2.2.2", "cost": -1}]})"),
		  "links[0].cost: -1 is out of range");
	EXPECT_EQ(error_of(R"({"routers": [{"id": "1.1.1.1"}, {"id": "2.2.2.2"}],
	                      "links": [{"from": "1.1.1.1", "to": "2.2.2.2", "cost": 0}]})"),
		  "links[0]: link 1.1.1.1 -> 2.2.2.2: cost 0 is not in 1-65535");
	EXPECT_EQ(error_of(R"({"routers": [{"id": "1.1.1.1"}], "prefixes": [
	                      {"router": "1.1.1.1", "prefix": "10.0.0.1/8"}]})"),
		  "prefixes[0].prefix: '10.0.0.1/8': host bits are set (did you mean 10.0.0.0/8?)");
	EXPECT_EQ(error_of(R"({"switches": []})"), "topology: unknown field 'switches'");
	EXPECT_EQ(error_of(R"({"links": {}})"), "links: expected an array");
}

TEST(TopologyJson, WritesWhatItReads)
{
	auto fat = *make_fat_tree({.k = 4});
	const std::string text = topology_to_json(*fat);
	auto again = parse_topology_json(text);
	ASSERT_TRUE(again) << again.error().message;
	EXPECT_EQ(topology_to_json(**again), text);
	EXPECT_EQ((*again)->vertex_count(), fat->vertex_count());
	EXPECT_EQ((*again)->edge_count(), fat->edge_count());
}

size_t routers_with_prefix(const Topology &t, bool with_prefix)
{
	std::set<Topology::Vertex> hosts;
	for (const auto &p : t.prefixes())
		hosts.insert(p.vertex);
	return with_prefix ? hosts.size() : t.vertex_count() - hosts.size();
}

TEST(Generators, FatTreeHasTheTextbookCounts)
{
	for (unsigned k : {4u, 8u}) {
		auto t = *make_fat_tree({.k = k});
		const size_t switches = 5 * k * k / 4, hosts = k * k * k / 4;
		EXPECT_EQ(routers_with_prefix(*t, false), switches);
		EXPECT_EQ(routers_with_prefix(*t, true), hosts);
		// Each switch uses all k ports; each host one; links counted both ways.
		EXPECT_EQ(t->edge_count(), switches * k + hosts);
		for (Topology::Vertex v = 0; v < t->vertex_count(); v++) {
			size_t degree = 0;
			t->for_each_out(v, [&](auto, auto cost) {
				degree++;
				EXPECT_EQ(cost, 10u);
			});
			EXPECT_TRUE(degree == k || degree == 1) << degree;
		}
	}
	EXPECT_FALSE(make_fat_tree({.k = 5}));
	EXPECT_FALSE(make_fat_tree({.k = 66}));
}

TEST(Generators, JellyfishIsRegularConnectedAndReproducible)
{
	const JellyfishOptions sizes[] = {{.switches = 20, .ports = 4, .hosts = 16},
					  {.switches = 45, .ports = 6, .hosts = 54},
					  {.switches = 80, .ports = 8, .hosts = 128}};
	for (auto options : sizes) {
		auto t = make_jellyfish(options);
		ASSERT_TRUE(t) << t.error().message;
		EXPECT_EQ(routers_with_prefix(**t, true), options.hosts);
		EXPECT_EQ(routers_with_prefix(**t, false), options.switches);
		size_t full = 0;
		for (Topology::Vertex v = 0; v < (*t)->vertex_count(); v++) {
			size_t degree = 0;
			(*t)->for_each_out(v, [&](auto, auto) { degree++; });
			EXPECT_LE(degree, options.ports);
			full += degree == options.ports;
		}
		// All ports used but at most a few left over by the construction.
		EXPECT_GE(full + 2, options.switches);
		EXPECT_EQ(topology_to_json(**make_jellyfish(options)), topology_to_json(**t));
	}
	auto a = *make_jellyfish({.switches = 20, .ports = 4, .hosts = 16, .seed = 1});
	auto b = *make_jellyfish({.switches = 20, .ports = 4, .hosts = 16, .seed = 2});
	EXPECT_NE(topology_to_json(*a), topology_to_json(*b));
	EXPECT_FALSE(make_jellyfish({.switches = 4, .ports = 2, .hosts = 8}));
}

} // namespace
} // namespace iplb

namespace iplb {
namespace {

TEST(RelayPolicy, PicksTheRoutersAddress)
{
	const char *json = R"({
	  "routers": [{"id": "1.1.1.1"}, {"id": "2.2.2.2", "relay": "9.9.9.9"}, {"id": "3.3.3.3"}],
	  "links": [{"from": "1.1.1.1", "to": "2.2.2.2", "cost": 1},
	            {"from": "2.2.2.2", "to": "3.3.3.3", "cost": 1}],
	  "prefixes": [{"router": "1.1.1.1", "prefix": "10.255.0.1/32"},
	               {"router": "1.1.1.1", "prefix": "10.0.1.7/32"},
	               {"router": "1.1.1.1", "prefix": "10.1.0.0/24"},
	               {"router": "2.2.2.2", "prefix": "10.255.0.2/32"},
	               {"router": "3.3.3.3", "prefix": "10.3.0.0/24"}]})";
	auto t = *parse_topology_json(json);
	auto relay_of = [](const Topology &topo, const char *id) {
		return to_string(topo.node(*topo.find(*parse_ipv4(id))).relay);
	};

	auto by_id = *assign_relays(*t, *parse_relay_policy("router-id"));
	EXPECT_EQ(relay_of(*by_id.topology, "2.2.2.2"), "2.2.2.2");
	EXPECT_EQ(by_id.fallbacks, 0u);

	auto loopback = *assign_relays(*t, *parse_relay_policy("loopback"));
	EXPECT_EQ(relay_of(*loopback.topology, "1.1.1.1"), "10.0.1.7") << "the lowest /32";
	EXPECT_EQ(relay_of(*loopback.topology, "2.2.2.2"), "10.255.0.2");
	EXPECT_EQ(relay_of(*loopback.topology, "3.3.3.3"), "3.3.3.3") << "no /32: the id";
	EXPECT_EQ(loopback.fallbacks, 1u);

	auto ranged = *assign_relays(*t, *parse_relay_policy("prefix:10.255.0.0/16"));
	EXPECT_EQ(relay_of(*ranged.topology, "1.1.1.1"), "10.255.0.1");
	EXPECT_EQ(ranged.topology->edge_count(), t->edge_count());
	EXPECT_EQ(ranged.topology->prefixes().size(), t->prefixes().size());

	EXPECT_FALSE(parse_relay_policy("anycast"));
	EXPECT_FALSE(parse_relay_policy("prefix:10.255.0.1/16"));
}

} // namespace
} // namespace iplb
