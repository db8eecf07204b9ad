// SPDX-License-Identifier: GPL-2.0-or-later
// The conversions between lbcontrol's values and the mux maps' (roles/
// lb_mux_dataplane): what the agent stages is what the maps are given, and
// what the maps read back converts to the version staged. No kernel: the
// adapter over real maps is tested in tests/bpf/lb_mux_dataplane_test.cpp.
#include "roles/lb_mux_dataplane.hpp"

#include "lbcontrol/plan.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>

#include <initializer_list>
#include <optional>
#include <set>
#include <string>

namespace iplb {
namespace {

IpAddress ip(const char *text)
{
	return *parse_ip_address(text);
}

lbcontrol::VipConfig config_of(const char *vip, std::initializer_list<const char *> dips)
{
	lbcontrol::VipConfig config;
	config.vip = {ip(vip), IPPROTO_TCP, 80};
	config.bucket_count = 400;
	for (const auto *d : dips)
		config.backends.push_back({lb::Dip{ip(d)}, 1, false});
	return config;
}

// Three versions of a VIP: all active, then one drained (draining), one
// down by its health check and a weight changed; buckets moved, so with
// previous owners and change times.
std::vector<lbcontrol::MapVersion> versions_of(const char *vip,
					       std::initializer_list<const char *> dips)
{
	auto config = config_of(vip, dips);
	config.health_check.kind = lbcontrol::HealthCheckConfig::Kind::tcp;
	lbcontrol::VipStatus status;
	for (const auto &b : config.backends)
		status.backends[b.dip] = {lbcontrol::Health::up, 0};
	std::vector<lbcontrol::MapVersion> out;
	std::optional<lbcontrol::MapVersion> committed;
	auto next = [&](uint32_t now) {
		const auto pool = lbcontrol::effective_pool(config, status, committed, now);
		auto version = lbcontrol::next_version(config, pool, committed, now);
		EXPECT_TRUE(version && *version)
			<< (version ? "no change" : version.error().message);
		if (version && *version) {
			committed = **version;
			out.push_back(**version);
		}
	};
	next(1'700'000'000);
	config.backends[0].drain = true;
	status = lbcontrol::next_status(config, status, {}, committed, 1'700'000'100);
	status.backends[config.backends[1].dip].health = lbcontrol::Health::down;
	config.backends[2].weight = 7;
	next(1'700'000'100);
	return out;
}

TEST(LbMuxDataplane, VipKeysRoundTrip)
{
	for (const lbcontrol::VipId &vip : {lbcontrol::VipId{ip("192.0.2.10"), IPPROTO_TCP, 80},
					    lbcontrol::VipId{ip("2001:db8::10"), IPPROTO_UDP, 0}}) {
		const VipKey key = to_vip_key(vip);
		EXPECT_EQ(key.address, vip.address);
		EXPECT_EQ(key.protocol, vip.protocol);
		EXPECT_EQ(key.port, vip.port);
		EXPECT_EQ(to_vip_id(key), vip);
		EXPECT_EQ(to_string(key), lbcontrol::to_string(vip))
			<< "one spelling for operators";
	}
}

TEST(LbMuxDataplane, MapVersionsRoundTrip)
{
	for (const auto &[vip, dips] :
	     {std::pair{"192.0.2.10", std::vector{"10.1.0.1", "10.1.0.2", "10.1.0.3"}},
	      std::pair{"2001:db8::10", std::vector{"fc00:1::1", "fc00:1::2", "fc00:1::3"}}}) {
		const auto versions = versions_of(vip, {dips[0], dips[1], dips[2]});
		ASSERT_EQ(versions.size(), 2u) << vip;
		std::set<LbBackendState> states;
		bool moved = false;
		for (const auto &version : versions) {
			const LbMapVersion lb = to_lb_map_version(version);
			EXPECT_EQ(lb.generation, version.generation()) << vip;
			ASSERT_EQ(lb.pool.size(), version.pool.size()) << vip;
			for (size_t i = 0; i < lb.pool.size(); i++) {
				EXPECT_EQ(lb.pool[i].dip, version.pool[i].dip.address);
				EXPECT_EQ(lb.pool[i].weight, version.pool[i].weight);
				EXPECT_EQ(to_string(lb.pool[i].state),
					  lb::to_string(version.pool[i].state));
				states.insert(lb.pool[i].state);
			}
			ASSERT_EQ(lb.buckets.size(), version.map.buckets.size()) << vip;
			for (size_t i = 0; i < lb.buckets.size(); i++) {
				const auto &b = version.map.buckets[i];
				EXPECT_EQ(lb.buckets[i].dip.has_value(), b.owner.has_value());
				if (b.owner) {
					EXPECT_EQ(*lb.buckets[i].dip, b.owner->address);
				}
				EXPECT_EQ(lb.buckets[i].previous.has_value(),
					  b.previous.has_value());
				if (b.previous) {
					EXPECT_EQ(*lb.buckets[i].previous, b.previous->address);
				}
				EXPECT_EQ(lb.buckets[i].changed_at, b.changed_at);
				moved = moved || (b.previous && b.changed_at != 0);
			}
			EXPECT_EQ(to_map_version(lb), version) << vip;
		}
		EXPECT_EQ(states, (std::set<LbBackendState>{LbBackendState::active,
							    LbBackendState::draining,
							    LbBackendState::down}))
			<< vip << ": every state converted";
		EXPECT_TRUE(moved) << vip << ": a bucket with a previous owner and a change time";
	}
}

TEST(LbMuxDataplane, TheMptcpModeConverts)
{
	auto versions = versions_of("192.0.2.10", {"10.1.0.1", "10.1.0.2", "10.1.0.3"});
	ASSERT_FALSE(versions.empty());
	auto version = versions.front();
	EXPECT_EQ(to_lb_map_version(version).mptcp, MuxMptcpMode::none);
	version.mptcp = lbcontrol::MptcpMode::token;
	const LbMapVersion lb = to_lb_map_version(version);
	EXPECT_EQ(lb.mptcp, MuxMptcpMode::token);
	EXPECT_EQ(to_map_version(lb), version);

	// Port mode: each pool entry carries its backend's port.
	version.mptcp = lbcontrol::MptcpMode::port;
	uint16_t port = 40000;
	for (const auto &backend : version.pool)
		version.mptcp_ports[backend.dip] = port++;
	const LbMapVersion ported = to_lb_map_version(version);
	EXPECT_EQ(ported.mptcp, MuxMptcpMode::port);
	ASSERT_EQ(ported.pool.size(), 3u);
	EXPECT_EQ(ported.pool[2].mptcp_port, 40002);
	EXPECT_EQ(to_map_version(ported), version);
}

// An empty map (no backend active): buckets without an owner.
TEST(LbMuxDataplane, BucketsWithoutOwnerConvert)
{
	lbcontrol::MapVersion version;
	version.map.generation = 3;
	version.pool.push_back({lb::Dip{ip("10.1.0.1")}, 2, lb::BackendState::down});
	version.map.buckets.assign(16, lb::Bucket{std::nullopt, lb::Dip{ip("10.1.0.1")}, 42});
	const auto lb = to_lb_map_version(version);
	EXPECT_EQ(lb.buckets[5], (LbBucketEntry{std::nullopt, ip("10.1.0.1"), 42}));
	EXPECT_EQ(lb.pool[0], (LbPoolEntry{ip("10.1.0.1"), 2, LbBackendState::down}));
	EXPECT_EQ(to_map_version(lb), version);
}

} // namespace
} // namespace iplb
