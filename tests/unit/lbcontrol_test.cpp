// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's control plane without etcd: what it stores (names,
// keys, JSON both ways, refusals of malformed values) and the controller's
// decisions (plan.hpp). The controller and the agents against a real etcd
// are in tests/cluster/lb_control_test.cpp.
#include "lb/assign.hpp"
#include "lbcontrol/checker_monitor.hpp"
#include "lbcontrol/plan.hpp"
#include "lbcontrol/pool_edit.hpp"
#include "lbcontrol/schema.hpp"
#include "util/inbox.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <poll.h>

#include <thread>

namespace iplb::lbcontrol {
namespace {

lb::Dip dip(const char *text)
{
	return lb::parse_dip(text).value();
}

VipId vip4()
{
	return VipId{parse_ip_address("192.0.2.10").value(), 6, 80};
}

VipConfig config_of(std::initializer_list<const char *> dips)
{
	VipConfig config;
	config.vip = vip4();
	config.bucket_count = 1000;
	for (const auto *d : dips)
		config.backends.push_back({dip(d), 1, false});
	return config;
}

TEST(LbSchema, VipNamesRoundTrip)
{
	for (const auto &vip : {vip4(), VipId{parse_ip_address("2001:db8::1").value(), 17, 0}}) {
		const auto name = vip_name(vip);
		EXPECT_EQ(name.find('/'), std::string::npos) << name;
		const auto parsed = parse_vip_name(name);
		ASSERT_TRUE(parsed) << parsed.error().message;
		EXPECT_EQ(*parsed, vip);
	}
	EXPECT_EQ(vip_name(vip4()), "192.0.2.10-tcp-80");
	EXPECT_EQ(to_string(VipId{parse_ip_address("2001:db8::1").value(), 17, 0}),
		  "2001:db8::1 udp");
	for (const auto *bad :
	     {"", "192.0.2.10", "192.0.2.10-tcp", "192.0.2.10-sctp-80", "192.0.2.10-tcp-65536",
	      "192.0.2.10-tcp-x", "nope-tcp-80", "192.0.2.10-tcp-"})
		EXPECT_FALSE(parse_vip_name(bad)) << bad;
}

TEST(LbSchema, KeysParseBackToTheirKind)
{
	const Keys keys{"/iplb/lb/"};
	const auto vip = vip4();
	const struct {
		std::string key;
		ParsedKey::Kind kind;
		std::string member;
	} cases[] = {
		{keys.config(vip), ParsedKey::Kind::config, ""},
		{keys.status(vip), ParsedKey::Kind::status, ""},
		{keys.prepared(vip), ParsedKey::Kind::prepared, ""},
		{keys.map(vip), ParsedKey::Kind::map, ""},
		{keys.ack(vip, "m1"), ParsedKey::Kind::ack, "m1"},
		{keys.mux("m-2.a"), ParsedKey::Kind::mux, "m-2.a"},
		{keys.backend("b1"), ParsedKey::Kind::backend, "b1"},
		{keys.leader(), ParsedKey::Kind::leader, ""},
	};
	for (const auto &c : cases) {
		const auto parsed = parse_key(keys, c.key);
		EXPECT_EQ(parsed.kind, c.kind) << c.key;
		EXPECT_EQ(parsed.member, c.member) << c.key;
		EXPECT_EQ(parsed.vip.has_value(), c.member != "m-2.a" && c.member != "b1" &&
							  c.kind != ParsedKey::Kind::leader)
			<< c.key;
	}
	for (const auto *other : {"/iplb/lb/map/bad-name", "/iplb/lb/muxes/a b", "/other/leader",
				  "/iplb/lb/acks/192.0.2.10-tcp-80", "/iplb/lb/unknown/x",
				  "/iplb/lb/acks/192.0.2.10-tcp-80/a/b"})
		EXPECT_EQ(parse_key(keys, other).kind, ParsedKey::Kind::other) << other;
}

TEST(LbSchema, ConfigRoundTripsAndIsSorted)
{
	VipConfig config = config_of({"10.0.1.2", "10.0.1.1"});
	config.backends[0].weight = 7;
	config.backends[1].drain = true;
	config.health_check = {HealthCheckConfig::Kind::http, 8080, "/health", 500, 200, 2, 4};
	const auto decoded = decode_vip_config(encode(config));
	ASSERT_TRUE(decoded) << decoded.error().message;
	EXPECT_EQ(decoded->backends[0].dip, dip("10.0.1.1")) << "backends come back in DIP order";
	EXPECT_TRUE(decoded->backends[0].drain);
	EXPECT_EQ(decoded->backends[1].weight, 7u);
	EXPECT_EQ(decoded->health_check, config.health_check);
	EXPECT_EQ(decoded->vip, config.vip);
	EXPECT_EQ(decoded->bucket_count, 1000u);
}

TEST(LbSchema, MemberRecordsRoundTrip)
{
	// A mux's or a controller's record: no backend fields written.
	const MemberRecord mux{"m1", 1700000000, std::nullopt, {}, std::nullopt, {}, ""};
	EXPECT_EQ(encode(mux), R"({"name":"m1","since":1700000000})");
	// A backend's: its DIPs, its health, its VIPs, why it is not healthy.
	MemberRecord backend{"b1",  1700000000, parse_ip_address("10.0.1.1").value(),	      {},
			     false, {},		"192.0.2.11 tcp port 80: cannot add: no room"};
	backend.addresses = {parse_ip_address("10.0.1.1").value(),
			     parse_ip_address("2001:db8::1").value()};
	backend.vips = {vip4(), VipId{parse_ip_address("2001:db8::10").value(), 17, 0}};
	for (const auto &member : {mux, backend}) {
		const auto decoded = decode_member(encode(member));
		ASSERT_TRUE(decoded) << decoded.error().message;
		EXPECT_EQ(*decoded, member) << encode(member);
	}
	const auto json = nlohmann::json::parse(encode(backend));
	EXPECT_EQ(json["vips"][0], "192.0.2.10-tcp-80");
	EXPECT_EQ(json["healthy"], false);
	// A healthy backend with no VIP says so: "vips": [].
	const MemberRecord idle{"b2", 1, std::nullopt, {}, true, {}, ""};
	EXPECT_EQ(encode(idle), R"({"healthy":true,"name":"b2","since":1,"vips":[]})");
	EXPECT_EQ(decode_member(encode(idle)).value(), idle);
	EXPECT_FALSE(decode_member(R"({"name":"b1","healthy":"yes"})"));
	EXPECT_FALSE(decode_member(R"({"name":"b1","vips":["192.0.2.10-sctp-80"]})"));
	EXPECT_FALSE(decode_member(R"({"name":"b1","vips":"192.0.2.10-tcp-80"})"));
	EXPECT_FALSE(decode_member(R"({"name":"b1","addresses":["10.0.1.x"]})"));
	EXPECT_FALSE(decode_member(R"({"name":"b1","error":1})"));
}

TEST(LbSchema, ConfigRefusals)
{
	const auto refused = [](VipConfig config, const char *expected) {
		const auto checked = check_vip_config(config);
		ASSERT_FALSE(checked) << expected;
		EXPECT_NE(checked.error().message.find(expected), std::string::npos)
			<< checked.error().message;
		// Stored as is, the decoder refuses it the same way.
		const auto decoded = decode_vip_config(encode(config));
		EXPECT_FALSE(decoded) << expected;
	};
	auto twice = config_of({"10.0.1.1", "10.0.1.1"});
	refused(twice, "configured twice");
	auto heavy = config_of({"10.0.1.1"});
	heavy.backends[0].weight = 1001;
	refused(heavy, "weight");
	auto small = config_of({"10.0.1.1"});
	small.bucket_count = 99;
	refused(small, "99");
	auto crowded = config_of({"10.0.1.1", "10.0.1.2", "10.0.1.3"});
	crowded.bucket_count = 200;
	refused(crowded, "200");
	auto loopback = config_of({"10.0.1.1"});
	loopback.vip.address = parse_ip_address("127.0.0.1").value();
	refused(loopback, "loopback");
	auto mixed = config_of({"10.0.1.1", "2001:db8::2"});
	refused(mixed, "2001:db8::2");
	auto interval = config_of({"10.0.1.1"});
	interval.health_check = {HealthCheckConfig::Kind::tcp, 0, "/", 100, 200, 3, 3};
	refused(interval, "shorter than the timeout");
	auto path = config_of({"10.0.1.1"});
	path.health_check = {HealthCheckConfig::Kind::http, 0, "health", 2000, 1000, 3, 3};
	refused(path, "must start with '/'");
	auto every_port = config_of({"10.0.1.1"});
	every_port.vip.port = 0;
	every_port.health_check.kind = HealthCheckConfig::Kind::tcp;
	refused(every_port, "needs a port");
	auto rise = config_of({"10.0.1.1"});
	rise.health_check = {HealthCheckConfig::Kind::tcp, 0, "/", 2000, 1000, 0, 3};
	refused(rise, "rise and fall");
}

TEST(LbSchema, MalformedValuesAreRefusedWithTheirField)
{
	const auto refused = [](const Result<MapVersion, Error> &decoded, const char *expected) {
		ASSERT_FALSE(decoded) << expected;
		EXPECT_NE(decoded.error().message.find(expected), std::string::npos)
			<< decoded.error().message;
	};
	refused(decode_map_version("[]"), "not a JSON object");
	refused(decode_map_version("{\"generation\":1"), "not a JSON object");
	const std::string pool = R"("pool":[{"address":"10.0.1.1","weight":1,"state":"active"}],)";
	refused(decode_map_version(R"({"generation":0,"buckets":100,)" + pool +
				   R"("dips":["10.0.1.1"],"runs":[[100,0,-1,0]]})"),
		"generation 0");
	refused(decode_map_version(R"({"generation":1,"buckets":100,)" + pool +
				   R"("dips":["10.0.1.1"],"runs":[[99,0,-1,0]]})"),
		"hold 99 buckets, not 100");
	refused(decode_map_version(R"({"generation":1,"buckets":100,)" + pool +
				   R"("dips":["10.0.1.1"],"runs":[[100,1,-1,0]]})"),
		"out of range");
	refused(decode_map_version(R"({"generation":1,"buckets":100,)" + pool +
				   R"("dips":["10.0.1.1"],"runs":[[60,0,-1,0],[60,0,-1,0]]})"),
		"out of range");
	refused(decode_map_version(R"({"generation":1,"buckets":100,"pool":[],)"
				   R"("dips":["10.0.1.1"],"runs":[[100,0,-1,0]]})"),
		"not in the pool");
	refused(decode_map_version(R"({"generation":1,"buckets":100,)" + pool +
				   R"("dips":["10.0.1.1"],"runs":[[100,0,-1,"x"]]})"),
		"a run is not");
	EXPECT_FALSE(decode_ack(R"({"ok":true})"));
	EXPECT_FALSE(decode_ack(R"({"generation":"2","ok":true})"));
	EXPECT_FALSE(decode_member(R"({"name":"a/b"})"));
	EXPECT_FALSE(decode_vip_status(R"({"backends":{"nope":{}}})"));
	EXPECT_FALSE(decode_vip_status(R"({"backends":{"10.0.1.1":{"health":"sick"}}})"));
	EXPECT_FALSE(decode_vip_config(R"({"vip":"192.0.2.10","buckets":1000,"backends":[1]})"));
}

TEST(LbSchema, MapVersionRoundTripsAsRuns)
{
	const auto config = config_of({"10.0.1.1", "10.0.1.2", "10.0.1.3"});
	const auto first = next_version(config, effective_pool(config, {}, std::nullopt, 100),
					std::nullopt, 100);
	ASSERT_TRUE(first && *first);
	auto second_config = config;
	second_config.backends.pop_back();
	const auto second = next_version(
		second_config, effective_pool(second_config, {}, **first, 200), **first, 200);
	ASSERT_TRUE(second && *second);
	for (const auto &version : {**first, **second}) {
		const auto text = encode(version);
		const auto decoded = decode_map_version(text);
		ASSERT_TRUE(decoded) << decoded.error().message;
		EXPECT_EQ(*decoded, version);
		// Runs, not buckets: a few runs for a thousand buckets.
		const auto runs = nlohmann::json::parse(text)["runs"].size();
		EXPECT_LT(runs, 10u) << text;
	}
	EXPECT_EQ((*second)->map.buckets[999].previous.has_value() ||
			  (*second)->map.buckets[0].previous.has_value() ||
			  std::any_of((*second)->map.buckets.begin(), (*second)->map.buckets.end(),
				      [](const auto &b) { return b.previous.has_value(); }),
		  true)
		<< "moved buckets remember their previous owner";
}

// The MPTCP mode (docs/MPTCP.md) is part of the VIP's configuration and of
// every map version, so that it flips on every mux with the map.
TEST(LbSchema, MptcpModeRoundTripsAndDefaultsToNone)
{
	auto config = config_of({"10.0.1.1", "10.0.1.2"});
	EXPECT_EQ(config.mptcp, MptcpMode::none);
	config.mptcp = MptcpMode::token;
	const auto text = encode(config);
	EXPECT_NE(text.find("\"mptcp\":\"token\""), std::string::npos) << text;
	const auto decoded = decode_vip_config(text);
	ASSERT_TRUE(decoded) << decoded.error().message;
	EXPECT_EQ(*decoded, config);

	// Written before the mode existed: none.
	auto old = nlohmann::json::parse(text);
	old.erase("mptcp");
	EXPECT_EQ(decode_vip_config(old.dump()).value().mptcp, MptcpMode::none);
	old["mptcp"] = "ports";
	const auto refused = decode_vip_config(old.dump());
	ASSERT_FALSE(refused);
	EXPECT_NE(refused.error().message.find("none, token, port or direct"), std::string::npos)
		<< refused.error().message;
	old["mptcp"] = "direct";
	EXPECT_EQ(decode_vip_config(old.dump()).value().mptcp, MptcpMode::direct);

	const auto version = next_version(config, effective_pool(config, {}, std::nullopt, 100),
					  std::nullopt, 100);
	ASSERT_TRUE(version && *version);
	EXPECT_EQ((*version)->mptcp, MptcpMode::token);
	const auto round = decode_map_version(encode(**version));
	ASSERT_TRUE(round) << round.error().message;
	EXPECT_EQ(*round, **version);
}

// Port mode: the VIP's configuration names the first port of its range;
// every map version gives each backend of its pool a port of it.
TEST(LbSchema, MptcpPortModeRoundTripsAndIsChecked)
{
	auto config = config_of({"10.0.1.1", "10.0.1.2"});
	config.mptcp = MptcpMode::port;
	EXPECT_FALSE(check_vip_config(config)) << "no first port";
	config.mptcp_first_port = 40000;
	ASSERT_TRUE(check_vip_config(config));
	const auto text = encode(config);
	EXPECT_NE(text.find("\"mptcp_first_port\":40000"), std::string::npos) << text;
	EXPECT_EQ(decode_vip_config(text).value(), config);

	auto bad = config;
	bad.mptcp_first_port = 65100;
	EXPECT_FALSE(check_vip_config(bad)) << "512 ports do not fit";
	bad.mptcp_first_port = 1;
	EXPECT_FALSE(check_vip_config(bad)) << "the VIP's port 80 is in the range";
	bad = config;
	bad.vip.port = 0;
	EXPECT_FALSE(check_vip_config(bad)) << "a VIP on every port";
	bad = config;
	bad.vip.protocol = 17;
	EXPECT_FALSE(check_vip_config(bad)) << "UDP";

	const auto version = next_version(config, effective_pool(config, {}, std::nullopt, 100),
					  std::nullopt, 100);
	ASSERT_TRUE(version && *version);
	EXPECT_EQ((*version)->mptcp_ports, (std::map<lb::Dip, uint16_t>{{dip("10.0.1.1"), 40000},
									{dip("10.0.1.2"), 40001}}));
	const auto encoded = encode(**version);
	EXPECT_NE(encoded.find("\"mptcp_port\":40001"), std::string::npos) << encoded;
	EXPECT_EQ(decode_map_version(encoded).value(), **version);

	// A port given twice, or a backend without one, is malformed.
	auto twice = nlohmann::json::parse(encoded);
	twice["pool"][1]["mptcp_port"] = 40000;
	EXPECT_FALSE(decode_map_version(twice.dump()));
	auto missing = nlohmann::json::parse(encoded);
	missing["pool"][1].erase("mptcp_port");
	EXPECT_FALSE(decode_map_version(missing.dump()));
}

TEST(LbPlan, ABackendKeepsItsMptcpPortAndANewOneTakesTheLowestFree)
{
	auto config = config_of({"10.0.1.1", "10.0.1.2", "10.0.1.3"});
	config.mptcp = MptcpMode::port;
	config.mptcp_first_port = 40000;
	const auto first = next_version(config, effective_pool(config, {}, std::nullopt, 100),
					std::nullopt, 100);
	ASSERT_TRUE(first && *first);
	EXPECT_EQ((*first)->mptcp_ports.at(dip("10.0.1.3")), 40002);

	// 10.0.1.1 goes, 10.0.1.0 comes (first in DIP order): it takes the
	// freed port, the others keep theirs (their clients' joins name them).
	config.backends.erase(config.backends.begin());
	config.backends.insert(config.backends.begin(), {dip("10.0.1.0"), 1, false});
	const auto second =
		next_version(config, effective_pool(config, {}, **first, 200), **first, 200);
	ASSERT_TRUE(second && *second);
	EXPECT_EQ((*second)->mptcp_ports, (std::map<lb::Dip, uint16_t>{{dip("10.0.1.0"), 40000},
								       {dip("10.0.1.2"), 40001},
								       {dip("10.0.1.3"), 40002}}));
	const auto third =
		next_version(config, effective_pool(config, {}, **second, 300), **second, 300);
	ASSERT_TRUE(third);
	EXPECT_FALSE(*third) << "nothing changed since";

	// Another range: every backend gets a port of it.
	config.mptcp_first_port = 50000;
	const auto fourth =
		next_version(config, effective_pool(config, {}, **second, 400), **second, 400);
	ASSERT_TRUE(fourth && *fourth);
	EXPECT_EQ((*fourth)->mptcp_ports.at(dip("10.0.1.0")), 50000);
	EXPECT_EQ((*fourth)->mptcp_ports.at(dip("10.0.1.3")), 50002);
	// Token mode: none.
	config.mptcp = MptcpMode::token;
	const auto fifth =
		next_version(config, effective_pool(config, {}, **fourth, 500), **fourth, 500);
	ASSERT_TRUE(fifth && *fifth);
	EXPECT_TRUE((*fifth)->mptcp_ports.empty());
	EXPECT_EQ((*fifth)->map.buckets, (*fourth)->map.buckets) << "no bucket moves";
}

TEST(LbPlan, AModeChangeAloneMakesAVersionWithTheSameBuckets)
{
	auto config = config_of({"10.0.1.1", "10.0.1.2"});
	const auto first = next_version(config, effective_pool(config, {}, std::nullopt, 100),
					std::nullopt, 100);
	ASSERT_TRUE(first && *first);
	config.mptcp = MptcpMode::token;
	const auto second =
		next_version(config, effective_pool(config, {}, **first, 200), **first, 200);
	ASSERT_TRUE(second && *second) << "the mode changed: a new version";
	EXPECT_EQ((*second)->generation(), (*first)->generation() + 1);
	EXPECT_EQ((*second)->mptcp, MptcpMode::token);
	EXPECT_EQ((*second)->map.buckets, (*first)->map.buckets) << "no bucket moves";
	const auto third =
		next_version(config, effective_pool(config, {}, **second, 300), **second, 300);
	ASSERT_TRUE(third);
	EXPECT_FALSE(*third) << "nothing changed since";
}

TEST(LbPlan, EffectivePoolStates)
{
	auto config = config_of({"10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4"});
	config.drain_timeout = 60;
	config.backends[1].drain = true;
	config.backends[2].drain = true;
	config.health_check.kind = HealthCheckConfig::Kind::tcp;
	VipStatus status;
	status.backends[dip("10.0.1.1")] = {Health::down, 0};
	status.backends[dip("10.0.1.2")] = {Health::up, 1000};
	status.backends[dip("10.0.1.3")] = {Health::up, 900};
	// .4: never checked, and serving in the committed map.
	MapVersion committed;
	committed.pool = {{dip("10.0.1.4"), 1, lb::BackendState::active}};
	const auto pool = effective_pool(config, status, committed, 1000 + 30);
	ASSERT_EQ(pool.size(), 4u);
	EXPECT_EQ(pool[0].state, lb::BackendState::down) << "health down";
	EXPECT_EQ(pool[1].state, lb::BackendState::draining) << "drained 30 s ago";
	EXPECT_EQ(pool[2].state, lb::BackendState::down) << "drained 130 s ago, timeout 60";
	EXPECT_EQ(pool[3].state, lb::BackendState::active) << "serving, health unknown";
	// Not serving yet and unknown: it waits for the check.
	const auto fresh = effective_pool(config, status, std::nullopt, 1030);
	EXPECT_EQ(fresh[3].state, lb::BackendState::down);
	// Without a check, health does not count.
	config.health_check.kind = HealthCheckConfig::Kind::none;
	EXPECT_EQ(effective_pool(config, status, std::nullopt, 1030)[0].state,
		  lb::BackendState::active);
	// The next change by itself: .2's drain runs out at 1060.
	config.health_check.kind = HealthCheckConfig::Kind::tcp;
	EXPECT_EQ(next_deadline(config, status, 1030), 1060u);
	EXPECT_EQ(next_deadline(config, status, 1060), std::nullopt);
}

TEST(LbPlan, NextStatusRecordsDrainsAndObservations)
{
	auto config = config_of({"10.0.1.1", "10.0.1.2", "10.0.1.3"});
	config.health_check.kind = HealthCheckConfig::Kind::tcp;
	config.backends[0].drain = true;
	VipStatus stored;
	stored.backends[dip("10.0.1.2")] = {Health::up, 500}; // undrained since
	stored.backends[dip("10.0.1.9")] = {Health::up, 0};   // removed from the pool
	// The drain clock starts once the committed map has .1 draining.
	const auto before = next_status(config, stored, {}, std::nullopt, 650);
	EXPECT_EQ(before.backends.at(dip("10.0.1.1")).drain_since, 0u)
		<< "the draining version is not committed yet (it may be held)";
	MapVersion committed;
	committed.pool = {{dip("10.0.1.1"), 1, lb::BackendState::draining}};
	const auto status =
		next_status(config, stored,
			    {{dip("10.0.1.2"), Health::unknown}, {dip("10.0.1.3"), Health::down}},
			    committed, 700);
	ASSERT_EQ(status.backends.size(), 3u);
	EXPECT_EQ(status.backends.at(dip("10.0.1.1")), (BackendStatus{Health::unknown, 700}));
	EXPECT_EQ(status.backends.at(dip("10.0.1.2")), (BackendStatus{Health::up, 0}))
		<< "an observation of unknown keeps the stored health";
	EXPECT_EQ(status.backends.at(dip("10.0.1.3")), (BackendStatus{Health::down, 0}));
	// A drain keeps its first time.
	EXPECT_EQ(next_status(config, status, {}, committed, 800)
			  .backends.at(dip("10.0.1.1"))
			  .drain_since,
		  700u);
}

TEST(LbPlan, NextVersionOnlyWhenThePoolChanges)
{
	auto config = config_of({"10.0.1.1", "10.0.1.2"});
	const auto pool = effective_pool(config, {}, std::nullopt, 100);
	const auto first = next_version(config, pool, std::nullopt, 100);
	ASSERT_TRUE(first && *first);
	EXPECT_EQ((*first)->generation(), 1u);
	// A standby computing from the stored version finds nothing to do.
	const auto again =
		next_version(config, effective_pool(config, {}, **first, 500), **first, 500);
	ASSERT_TRUE(again);
	EXPECT_FALSE(*again) << "no reshuffle without a pool change";
	// Weights change the map; a weight change of a down backend changes
	// the pool only, and still makes a version.
	config.backends[1].weight = 3;
	const auto weighted =
		next_version(config, effective_pool(config, {}, **first, 600), **first, 600);
	ASSERT_TRUE(weighted && *weighted);
	EXPECT_EQ((*weighted)->generation(), 2u);
	config.health_check.kind = HealthCheckConfig::Kind::tcp;
	VipStatus down;
	down.backends[dip("10.0.1.1")] = {Health::down, 0};
	const auto without = next_version(config, effective_pool(config, down, **weighted, 700),
					  **weighted, 700);
	ASSERT_TRUE(without && *without);
	for (const auto &bucket : (*without)->map.buckets)
		EXPECT_EQ(bucket.owner, dip("10.0.1.2"));
	config.backends[0].weight = 5;
	const auto pool_only =
		next_version(config, effective_pool(config, down, **without, 800), **without, 800);
	ASSERT_TRUE(pool_only && *pool_only);
	EXPECT_EQ((*pool_only)->map.buckets, (*without)->map.buckets);
	EXPECT_EQ((*pool_only)->generation(), (*without)->generation() + 1);
	// Same inputs, same version: every controller computes the same.
	const auto twice =
		next_version(config, effective_pool(config, down, **without, 800), **without, 800);
	EXPECT_EQ(**twice, **pool_only);
}

TEST(LbHealthTargets, OnePerBackendOfEachCheckedVip)
{
	auto http = config_of({"10.0.1.1", "10.0.1.2"});
	http.health_check = {HealthCheckConfig::Kind::http, 0, "/ping", 500, 250, 2, 4};
	auto unchecked = config_of({"10.0.2.1"});
	unchecked.vip.port = 443;
	auto tcp = config_of({"10.0.3.1"});
	tcp.vip.port = 8443;
	tcp.health_check.kind = HealthCheckConfig::Kind::tcp;
	tcp.health_check.port = 9000;
	const auto targets =
		check_targets({{http.vip, http}, {unchecked.vip, unchecked}, {tcp.vip, tcp}});
	ASSERT_EQ(targets.size(), 3u);
	const auto &first = targets.at("192.0.2.10-tcp-80/10.0.1.1");
	EXPECT_EQ(first.kind, health::CheckSpec::Kind::http);
	EXPECT_EQ(first.port, 80) << "the VIP's port when the check has none";
	EXPECT_EQ(first.http_path, "/ping");
	EXPECT_EQ(first.interval, std::chrono::milliseconds(500));
	EXPECT_EQ(first.timeout, std::chrono::milliseconds(250));
	EXPECT_EQ(first.rise, 2u);
	EXPECT_EQ(first.fall, 4u);
	EXPECT_TRUE(targets.contains("192.0.2.10-tcp-80/10.0.1.2"));
	const auto &third = targets.at("192.0.2.10-tcp-8443/10.0.3.1");
	EXPECT_EQ(third.kind, health::CheckSpec::Kind::tcp);
	EXPECT_EQ(third.port, 9000);
	for (const auto &[id, spec] : targets)
		EXPECT_TRUE(health::validate(spec)) << id;
}

TEST(Inbox, OtherThreadsWorkRunsInOrderOnDrain)
{
	Inbox inbox;
	std::vector<int> ran;
	std::thread poster([&] {
		for (int i = 0; i < 100; ++i)
			inbox.post([&ran, i] { ran.push_back(i); });
	});
	poster.join();
	pollfd readable{inbox.fd(), POLLIN, 0};
	ASSERT_EQ(::poll(&readable, 1, 1000), 1) << "posting wakes the loop";
	EXPECT_TRUE(ran.empty()) << "nothing runs before drain()";
	inbox.drain();
	ASSERT_EQ(ran.size(), 100u);
	for (int i = 0; i < 100; ++i)
		EXPECT_EQ(ran[static_cast<size_t>(i)], i);
	EXPECT_EQ(::poll(&readable, 1, 0), 0) << "drained: no wake-up left";
}

TEST(LbPoolEdit, EditsAndRefusals)
{
	using Op = PoolEdit::Op;
	PoolEdit edit;
	edit.vip = vip4();
	edit.op = Op::add_vip;
	auto created = apply_edit(std::nullopt, edit);
	ASSERT_TRUE(created && *created) << created.error().message;
	EXPECT_EQ((*created)->bucket_count, 4096u) << "the default";
	EXPECT_TRUE((*created)->backends.empty());
	const auto refused = [](const std::optional<VipConfig> &current, const PoolEdit &e,
				const char *expected) {
		const auto result = apply_edit(current, e);
		ASSERT_FALSE(result) << expected;
		EXPECT_NE(result.error().message.find(expected), std::string::npos)
			<< result.error().message;
	};
	refused(*created, edit, "exists already");

	auto config = **created;
	edit.op = Op::set_backend;
	edit.backend = dip("10.0.1.2");
	config = *apply_edit(config, edit).value();
	edit.backend = dip("10.0.1.1");
	edit.weight = 3;
	config = *apply_edit(config, edit).value();
	ASSERT_EQ(config.backends.size(), 2u);
	EXPECT_EQ(config.backends[0], (BackendConfig{dip("10.0.1.1"), 3, false})) << "DIP order";
	EXPECT_EQ(config.backends[1], (BackendConfig{dip("10.0.1.2"), 1, false}));
	edit.weight.reset();
	refused(config, edit, "in the pool of 192.0.2.10 tcp port 80 already");
	edit.drain = true;
	config = *apply_edit(config, edit).value();
	EXPECT_EQ(config.backends[0], (BackendConfig{dip("10.0.1.1"), 3, true}))
		<< "the weight is kept";
	edit.drain.reset();
	edit.weight = 1001;
	refused(config, edit, "weight 1001 is out of range (1-1000)");
	edit.weight = 0;
	refused(config, edit, "weight 0 is out of range");
	edit.weight.reset();

	edit.op = Op::remove_backend;
	edit.backend = dip("10.0.1.9");
	refused(config, edit, "has no backend 10.0.1.9");
	edit.backend = dip("10.0.1.2");
	config = *apply_edit(config, edit).value();
	EXPECT_EQ(config.backends.size(), 1u);

	edit.op = Op::set_health_check;
	edit.health_check = {HealthCheckConfig::Kind::http, 0, "no-slash", 2000, 1000, 3, 3};
	refused(config, edit, "must start with '/'");
	edit.health_check.path = "/ok";
	config = *apply_edit(config, edit).value();
	EXPECT_EQ(config.health_check.path, "/ok");
	edit.op = Op::remove_health_check;
	config = *apply_edit(config, edit).value();
	EXPECT_EQ(config.health_check.kind, HealthCheckConfig::Kind::none);

	edit.op = Op::set_backend;
	edit.backend = dip("2001:db8::1");
	edit.weight = 1;
	refused(config, edit, "2001:db8::1");

	// 100 buckets take one backend: a second one does not fit.
	PoolEdit small;
	small.vip = vip4();
	small.bucket_count = 100;
	auto tiny = *apply_edit(std::nullopt, small).value();
	small.op = Op::set_backend;
	small.backend = dip("10.0.1.1");
	tiny = *apply_edit(tiny, small).value();
	small.backend = dip("10.0.1.2");
	refused(tiny, small, "100");

	edit.op = Op::remove_vip;
	refused(std::nullopt, edit, "unknown VIP 192.0.2.10 tcp port 80");
	const auto removed = apply_edit(config, edit);
	ASSERT_TRUE(removed);
	EXPECT_FALSE(*removed);
}

// A bucket moved twice within the window breaks its first owner's
// connections (the chain is one hop): such a change waits, unless it only
// brings buckets back to their previous owner, their previous owner is
// gone, or a serving backend is down (urgent).
TEST(LbPlan, SecondMoveWithinTheWindowIsHeld)
{
	auto config = config_of({"10.0.1.1", "10.0.1.2", "10.0.1.3"});
	config.drain_timeout = 60;
	const auto first = *next_version(config, effective_pool(config, {}, std::nullopt, 100),
					 std::nullopt, 100)
				    .value();
	// Drain .1 at 1000: its buckets move to .2 and .3 (previous .1).
	config.backends[0].drain = true;
	VipStatus drained;
	drained.backends[dip("10.0.1.1")] = {Health::unknown, 1000};
	const auto second =
		*next_version(config, effective_pool(config, drained, first, 1000), first, 1000)
			 .value();
	EXPECT_EQ(second_move_until(first, second, 60, 1000), std::nullopt)
		<< "buckets that never moved move freely";
	// Remove .3 at 1010: some of its buckets came from .1 at 1000, and .1
	// (draining) still has connections on them.
	auto removed = config;
	removed.backends.pop_back();
	const auto third =
		*next_version(removed, effective_pool(removed, drained, second, 1010), second, 1010)
			 .value();
	EXPECT_EQ(second_move_until(second, third, 60, 1010), 1060u);
	EXPECT_EQ(second_move_until(second, third, 60, 1060), std::nullopt) << "window over";
	// .1 down (its drain ran out): nothing left to chain to, safe now.
	auto second_down = second;
	for (auto &backend : second_down.pool)
		if (backend.dip == dip("10.0.1.1"))
			backend.state = lb::BackendState::down;
	EXPECT_EQ(second_move_until(second_down, third, 60, 1010), std::nullopt);
	// Back to the previous owner: undrain .1 at 1010.
	config.backends[0].drain = false;
	const auto back =
		*next_version(config, effective_pool(config, {}, second, 1010), second, 1010)
			 .value();
	EXPECT_EQ(second_move_until(second, back, 60, 1010), std::nullopt)
		<< "buckets going back to .1 break nothing";

	// Urgent: a serving backend down by its check.
	config.health_check.kind = HealthCheckConfig::Kind::tcp;
	VipStatus dead;
	dead.backends[dip("10.0.1.2")] = {Health::down, 0};
	EXPECT_TRUE(urgent(config, dead, second));
	EXPECT_FALSE(urgent(config, drained, second));
	config.health_check.kind = HealthCheckConfig::Kind::none;
	EXPECT_FALSE(urgent(config, dead, second)) << "no check, no health";
}

TEST(LbPlan, NewBackendsWaitForEachOthersFirstCheck)
{
	auto config = config_of({"10.0.1.1", "10.0.1.2", "10.0.1.3"});
	EXPECT_FALSE(first_checks_pending(config, {}, std::nullopt)) << "no check configured";
	config.health_check.kind = HealthCheckConfig::Kind::tcp;
	VipStatus status;
	status.backends[dip("10.0.1.1")] = {Health::up, 0};
	status.backends[dip("10.0.1.2")] = {Health::down, 0};
	EXPECT_TRUE(first_checks_pending(config, status, std::nullopt)) << ".3 never checked";
	status.backends[dip("10.0.1.3")] = {Health::unknown, 0};
	EXPECT_TRUE(first_checks_pending(config, status, std::nullopt)) << ".3 still unknown";
	status.backends[dip("10.0.1.3")] = {Health::up, 0};
	EXPECT_FALSE(first_checks_pending(config, status, std::nullopt)) << "every verdict in";
	// Unknown but serving (a new leader's checks): nothing to wait for.
	MapVersion committed;
	committed.pool = {{dip("10.0.1.3"), 1, lb::BackendState::active}};
	status.backends[dip("10.0.1.3")] = {Health::unknown, 0};
	EXPECT_FALSE(first_checks_pending(config, status, committed));
	// Drained before it ever served: it will get no buckets anyway.
	committed.pool.clear();
	config.backends[2].drain = true;
	EXPECT_FALSE(first_checks_pending(config, status, committed));
}

TEST(LbPoolEdit, SetsTheMptcpMode)
{
	PoolEdit edit;
	edit.vip = vip4();
	edit.op = PoolEdit::Op::set_mptcp;
	edit.mptcp = MptcpMode::token;
	const auto config = config_of({"10.0.1.1"});
	const auto edited = apply_edit(config, edit);
	ASSERT_TRUE(edited && *edited) << edited.error().message;
	EXPECT_EQ((*edited)->mptcp, MptcpMode::token);
	edit.mptcp = MptcpMode::none;
	EXPECT_EQ(apply_edit(**edited, edit).value()->mptcp, MptcpMode::none);
	EXPECT_FALSE(apply_edit(std::nullopt, edit)) << "no such VIP";
	EXPECT_EQ(parse_mptcp_mode("token").value(), MptcpMode::token);
	EXPECT_EQ(parse_mptcp_mode("direct").value(), MptcpMode::direct);
	EXPECT_EQ(parse_mptcp_mode("port").value(), MptcpMode::port);

	// Port mode with a first port, kept when only the mode is set again.
	edit.mptcp = MptcpMode::port;
	EXPECT_FALSE(apply_edit(config, edit)) << "port mode without a first port";
	edit.mptcp_first_port = 40000;
	const auto ported = apply_edit(config, edit);
	ASSERT_TRUE(ported && *ported) << ported.error().message;
	EXPECT_EQ((*ported)->mptcp_first_port, 40000);
	edit.mptcp = MptcpMode::token;
	edit.mptcp_first_port = 0;
	const auto token = apply_edit(**ported, edit);
	edit.mptcp = MptcpMode::port;
	EXPECT_EQ(apply_edit(token.value().value(), edit).value()->mptcp_first_port, 40000);
	EXPECT_FALSE(parse_mptcp_mode("Direct"));
}

} // namespace
} // namespace iplb::lbcontrol
