// SPDX-License-Identifier: GPL-2.0-or-later
// LSA parsing and the LSDB -> topology conversion, on hand-built LSAs.
#include "lsdb/lsa.hpp"
#include "lsdb/topology_builder.hpp"
#include "ospfapi_fixtures.hpp"
#include "topology/json_format.hpp"

#include <gtest/gtest.h>

namespace iplb {
namespace {

using test::lsa_bytes;
using test::LsaSpec;
using test::notification_body;

uint32_t ip(const char *text)
{
	return parse_ipv4(text)->value;
}

struct Link {
	uint32_t id, data;
	uint8_t kind;
	uint16_t metric;
	uint8_t tos = 0;
};

std::vector<uint8_t> router_body(const std::vector<Link> &links, uint8_t flags = 0)
{
	ByteWriter w;
	w.u8(flags);
	w.u8(0);
	w.u16(static_cast<uint16_t>(links.size()));
	for (const Link &l : links) {
		w.u32(l.id);
		w.u32(l.data);
		w.u8(l.kind);
		w.u8(l.tos);
		w.u16(l.metric);
		for (uint8_t t = 0; t < l.tos; t++)
			w.u32(0x08000005); // TOS 8, metric 5
	}
	return w.take();
}

std::vector<uint8_t> router_lsa(const char *id, const std::vector<Link> &links)
{
	return lsa_bytes(
		{.type = 1, .id = ip(id), .adv_router = ip(id), .body = router_body(links)});
}

std::vector<uint8_t> network_lsa(const char *dr, const char *adv, uint32_t mask,
				 const std::vector<const char *> &routers)
{
	ByteWriter w;
	w.u32(mask);
	for (auto r : routers)
		w.u32(ip(r));
	return lsa_bytes({.type = 2, .id = ip(dr), .adv_router = ip(adv), .body = w.take()});
}

std::vector<uint8_t> external_lsa(uint8_t type, const char *net, uint32_t mask, const char *adv,
				  uint32_t metric, bool e2)
{
	ByteWriter w;
	w.u32(mask);
	w.u8(e2 ? 0x80 : 0);
	w.u8(static_cast<uint8_t>(metric >> 16));
	w.u16(static_cast<uint16_t>(metric));
	w.u32(0); // forwarding
	w.u32(7); // tag
	return lsa_bytes({.type = type, .id = ip(net), .adv_router = ip(adv), .body = w.take()});
}

std::vector<uint8_t> summary_lsa(uint8_t type, const char *net, uint32_t mask, const char *adv,
				 uint32_t metric)
{
	ByteWriter w;
	w.u32(mask);
	w.u8(0);
	w.u8(static_cast<uint8_t>(metric >> 16));
	w.u16(static_cast<uint16_t>(metric));
	return lsa_bytes({.type = type, .id = ip(net), .adv_router = ip(adv), .body = w.take()});
}

TEST(Lsa, ParsesRouterLsaLinksAndSkipsTos)
{
	auto bytes = router_lsa("10.0.0.1", {{ip("10.0.0.2"), ip("10.1.0.1"), 1, 10, 2},
					     {ip("10.9.0.1"), ip("10.9.0.5"), 2, 5},
					     {ip("10.255.0.1"), 0xffffffff, 3, 0},
					     {ip("10.0.0.7"), ip("10.1.0.1"), 4, 3}});
	auto lsa = lsa::parse(bytes);
	ASSERT_TRUE(lsa) << lsa.error().message;
	auto &r = std::get<lsa::RouterLsa>(lsa->body);
	ASSERT_EQ(r.links.size(), 4u);
	EXPECT_EQ(r.links[0].kind, lsa::RouterLink::point_to_point);
	EXPECT_EQ(r.links[0].metric, 10);
	EXPECT_EQ(r.links[1].kind, lsa::RouterLink::transit);
	EXPECT_EQ(r.links[2].kind, lsa::RouterLink::stub);
	EXPECT_EQ(r.links[3].kind, lsa::RouterLink::virtual_link);
}

TEST(Lsa, ParsesNetworkSummaryAndExternal)
{
	auto net = lsa::parse(
		network_lsa("10.9.0.1", "10.0.0.1", 0xffffff00, {"10.0.0.1", "10.0.0.2"}));
	ASSERT_TRUE(net);
	EXPECT_EQ(std::get<lsa::NetworkLsa>(net->body).length, 24);
	EXPECT_EQ(std::get<lsa::NetworkLsa>(net->body).routers.size(), 2u);

	auto sum = lsa::parse(summary_lsa(3, "10.7.0.0", 0xffff0000, "10.0.0.1", 0x012345));
	ASSERT_TRUE(sum);
	EXPECT_EQ(std::get<lsa::SummaryLsa>(sum->body).metric, 0x012345u);
	EXPECT_EQ(std::get<lsa::SummaryLsa>(sum->body).length, 16);

	auto ext = lsa::parse(external_lsa(5, "10.8.0.0", 0xfff00000, "10.0.0.2", 20, true));
	ASSERT_TRUE(ext);
	EXPECT_TRUE(std::get<lsa::ExternalLsa>(ext->body).type2);
	EXPECT_EQ(std::get<lsa::ExternalLsa>(ext->body).tag, 7u);
	EXPECT_TRUE(lsa::parse(external_lsa(7, "10.8.0.0", 0xfff00000, "10.0.0.2", 20, false)));

	auto opaque = lsa::parse(lsa_bytes({.type = 10, .id = 1, .adv_router = 1}));
	ASSERT_TRUE(opaque);
	EXPECT_TRUE(std::holds_alternative<lsa::OtherLsa>(opaque->body));
}

TEST(Lsa, MalformedLsasAreErrorsNamingTheLsa)
{
	auto short_links = router_lsa("10.0.0.1", {{ip("10.0.0.2"), 0, 1, 10}});
	short_links.resize(short_links.size() - 4);
	short_links[19] = static_cast<uint8_t>(short_links.size()); // keep the length consistent
	auto e = lsa::parse(short_links);
	ASSERT_FALSE(e);
	EXPECT_NE(e.error().message.find("type 1 id 10.0.0.1"), std::string::npos);
	EXPECT_NE(e.error().message.find("runs past the LSA"), std::string::npos);

	auto lying = router_lsa("10.0.0.1", {});
	lying[19] = 99;
	EXPECT_NE(lsa::parse(lying).error().message.find("length field 99"), std::string::npos);

	auto bad_type = router_lsa("10.0.0.1", {{ip("10.0.0.2"), 0, 9, 10}});
	EXPECT_NE(lsa::parse(bad_type).error().message.find("unknown type 9"), std::string::npos);

	EXPECT_NE(lsa::parse(network_lsa("10.9.0.1", "10.0.0.1", 0xff00ff00, {"10.0.0.1"}))
			  .error()
			  .message.find("non-contiguous mask"),
		  std::string::npos);
	auto tos = router_lsa("10.0.0.1", {{ip("10.0.0.2"), 0, 1, 10, 3}});
	tos.resize(tos.size() - 4);
	tos[19] = static_cast<uint8_t>(tos.size());
	EXPECT_FALSE(lsa::parse(tos));
	EXPECT_FALSE(lsa::parse(std::vector<uint8_t>(10, 0)));
}

TEST(Lsa, MaskLength)
{
	EXPECT_EQ(lsa::mask_length(Ipv4{0}), 0);
	EXPECT_EQ(lsa::mask_length(Ipv4{0xffffffff}), 32);
	EXPECT_EQ(lsa::mask_length(Ipv4{0xffffff00}), 24);
	EXPECT_FALSE(lsa::mask_length(Ipv4{0xff00ff00}));
	EXPECT_FALSE(lsa::mask_length(Ipv4{0x00ffffff}));
}

// An LSDB from LSA bytes, as the session would fill it.
LsaDatabase lsdb_of(const std::vector<std::vector<uint8_t>> &lsas, uint32_t area = 0)
{
	LsaDatabase db;
	for (const auto &bytes : lsas) {
		auto body = notification_body(bytes, area);
		auto n = ospfapi::decode_lsa_notification(body);
		EXPECT_TRUE(n);
		db.apply_update(*n);
	}
	return db;
}

TEST(LsdbTopology, TwoWayCheckNetworksAndPrefixes)
{
	// 1 -- 2 point-to-point (both ways), 3 claims a link to 1 that 1 does
	// not confirm, and 1, 2, 4 share a LAN whose DR is 10.9.0.1.
	auto db = lsdb_of({
		router_lsa("10.0.0.1", {{ip("10.0.0.2"), ip("10.1.0.1"), 1, 10},
					{ip("10.9.0.1"), ip("10.9.0.1"), 2, 5},
					{ip("10.255.0.1"), 0xffffffff, 3, 0}}),
		router_lsa("10.0.0.2", {{ip("10.0.0.1"), ip("10.1.0.2"), 1, 20},
					{ip("10.9.0.1"), ip("10.9.0.2"), 2, 5}}),
		router_lsa("10.0.0.3", {{ip("10.0.0.1"), ip("10.1.0.3"), 1, 1}}),
		router_lsa("10.0.0.4", {{ip("10.9.0.1"), ip("10.9.0.4"), 2, 7}}),
		network_lsa("10.9.0.1", "10.0.0.1", 0xffffff00,
			    {"10.0.0.1", "10.0.0.2", "10.0.0.4"}),
		external_lsa(5, "10.8.0.0", 0xffff0000, "10.0.0.4", 20, true),
		external_lsa(5, "10.6.0.0", 0xffff0000, "10.0.0.4", lsa::ls_infinity, true),
		summary_lsa(4, "10.0.0.9", 0xffffffff, "10.0.0.2", 5),
	});
	auto built = build_topology(db, {});
	ASSERT_TRUE(built) << built.error().message;
	const Topology &t = *built->topology;
	auto v = [&](const char *id) {
		return *t.find(*parse_ipv4(id));
	};
	EXPECT_EQ(built->stats.routers, 4u);
	EXPECT_EQ(built->stats.networks, 1u);
	EXPECT_EQ(t.link_cost(v("10.0.0.1"), v("10.0.0.2")), 10u);
	EXPECT_EQ(t.link_cost(v("10.0.0.2"), v("10.0.0.1")), 20u);
	EXPECT_FALSE(t.link_cost(v("10.0.0.3"), v("10.0.0.1"))) << "one-way link";
	EXPECT_EQ(built->stats.one_way, 1u);
	const auto lan = *t.find(*parse_ipv4("10.9.0.1"), NodeKind::network);
	EXPECT_EQ(t.link_cost(v("10.0.0.4"), lan), 7u);
	EXPECT_EQ(t.link_cost(lan, v("10.0.0.4")), 0u);
	// The stub, the LAN prefix at each member, the E2 external.
	auto stub = t.routes_to(*parse_prefix("10.255.0.1/32"));
	ASSERT_EQ(stub.size(), 1u);
	EXPECT_EQ(stub[0].kind, PrefixKind::stub);
	EXPECT_EQ(t.routes_to(*parse_prefix("10.9.0.0/24")).size(), 3u);
	auto ext = t.routes_to(*parse_prefix("10.8.0.0/16"));
	ASSERT_EQ(ext.size(), 1u);
	EXPECT_EQ(ext[0].kind, PrefixKind::external2);
	EXPECT_EQ(ext[0].cost, 20u);
	EXPECT_TRUE(t.routes_to(*parse_prefix("10.6.0.0/16")).empty()) << "LSInfinity";
	EXPECT_EQ(built->stats.ignored, 2u) << "LSInfinity and the ASBR summary";
}

TEST(LsdbTopology, AnAbrJoinsItsAreasAndSummariesHangOffIt)
{
	// Area 0: 1 -- 2; area 0.0.0.1: 2 -- 3. Router 2 is the ABR, with one
	// router LSA per area; it summarises area 1's 10.30.0.0/16 into area 0
	// and area 0's 10.10.0.0/16 into area 1.
	const auto area0 = std::vector{
		router_lsa("10.0.0.1", {{ip("10.0.0.2"), ip("10.1.0.1"), 1, 10},
					{ip("10.10.0.0"), 0xffff0000, 3, 1}}),
		router_lsa("10.0.0.2", {{ip("10.0.0.1"), ip("10.1.0.2"), 1, 10}}),
		summary_lsa(3, "10.30.0.0", 0xffff0000, "10.0.0.2", 15),
	};
	const auto area1 = std::vector{
		router_lsa("10.0.0.2", {{ip("10.0.0.3"), ip("10.2.0.2"), 1, 20}}),
		router_lsa("10.0.0.3", {{ip("10.0.0.2"), ip("10.2.0.3"), 1, 20},
					{ip("10.30.0.0"), 0xffff0000, 3, 5}}),
		summary_lsa(3, "10.10.0.0", 0xffff0000, "10.0.0.2", 11),
	};
	auto add = [](LsaDatabase &db, const std::vector<std::vector<uint8_t>> &lsas,
		      uint32_t area) {
		for (const auto &bytes : lsas) {
			auto body = notification_body(bytes, area);
			db.apply_update(*ospfapi::decode_lsa_notification(body));
		}
	};

	// A host in area 0 only: the ABR carries area 1's prefix as a summary.
	LsaDatabase host;
	add(host, area0, 0);
	auto built = build_topology(host, {});
	ASSERT_TRUE(built) << built.error().message;
	EXPECT_EQ(built->stats.routers, 2u);
	auto far = built->topology->routes_to(*parse_prefix("10.30.0.0/16"));
	ASSERT_EQ(far.size(), 1u);
	EXPECT_EQ(to_string(built->topology->node(far[0].vertex).id), "10.0.0.2");
	EXPECT_EQ(far[0].kind, PrefixKind::summary);
	EXPECT_EQ(far[0].cost, 15u);

	// The ABR itself sees both areas: one vertex for router 2, the links of
	// both areas, and each area's prefix where it really is.
	LsaDatabase abr;
	add(abr, area0, 0);
	add(abr, area1, 1);
	built = build_topology(abr, {});
	ASSERT_TRUE(built) << built.error().message;
	const Topology &t = *built->topology;
	EXPECT_EQ(built->stats.routers, 3u);
	EXPECT_EQ(built->stats.one_way, 0u);
	auto v = [&](const char *id) {
		return *t.find(*parse_ipv4(id));
	};
	EXPECT_EQ(t.link_cost(v("10.0.0.2"), v("10.0.0.3")), 20u);
	EXPECT_EQ(t.link_cost(v("10.0.0.2"), v("10.0.0.1")), 10u);
	auto stub = t.routes_to(*parse_prefix("10.30.0.0/16"));
	ASSERT_EQ(stub.size(), 2u) << "at router 3 (stub) and its summary at the ABR";
	EXPECT_EQ(to_string(t.node(stub[0].vertex).id), "10.0.0.2");
	EXPECT_EQ(to_string(t.node(stub[1].vertex).id), "10.0.0.3");
	EXPECT_EQ(stub[1].kind, PrefixKind::stub);
}

TEST(LsdbTopology, ParallelLinksKeepTheLowestCostAndRelaysFollowThePolicy)
{
	auto db = lsdb_of({
		router_lsa("10.0.0.1", {{ip("10.0.0.2"), ip("10.1.0.1"), 1, 10},
					{ip("10.0.0.2"), ip("10.2.0.1"), 1, 4},
					{ip("10.255.0.1"), 0xffffffff, 3, 0}}),
		router_lsa("10.0.0.2", {{ip("10.0.0.1"), ip("10.1.0.2"), 1, 10},
					{ip("10.0.0.1"), ip("10.2.0.2"), 1, 4}}),
	});
	auto policy = parse_relay_policy("prefix:10.255.0.0/16");
	auto built = build_topology(db, *policy);
	ASSERT_TRUE(built);
	const Topology &t = *built->topology;
	EXPECT_EQ(t.link_cost(0, 1), 4u);
	EXPECT_EQ(to_string(t.node(0).relay), "10.255.0.1");
	EXPECT_EQ(to_string(t.node(1).relay), "10.0.0.2");
}

TEST(LsdbTopology, MalformedAndTruncatedLsasAreCounted)
{
	LsaDatabase db = lsdb_of({router_lsa("10.0.0.1", {})});
	auto big = router_lsa("10.0.0.2", {{ip("10.0.0.1"), 0, 1, 1}, {ip("10.0.0.3"), 0, 1, 1}});
	big.resize(30); // cut like ospfd cuts long LSAs
	auto body = notification_body(big);
	db.apply_update(*ospfapi::decode_lsa_notification(body));
	auto built = build_topology(db, {});
	ASSERT_TRUE(built);
	EXPECT_EQ(built->stats.malformed, 1u);
	EXPECT_EQ(built->stats.routers, 1u);
}

} // namespace
} // namespace iplb
