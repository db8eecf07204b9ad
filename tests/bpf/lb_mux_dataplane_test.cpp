// SPDX-License-Identifier: GPL-2.0-or-later
// The mux's agent's datapath (roles/lb_mux_dataplane: MuxMapsDataplane) over
// a real mux program, driven as the agent drives it (lbcontrol/mux_agent):
// a new VIP staged, then activated, the next version staged and activated,
// then removed; installed() and the packets agree at every step, and
// MuxMaps' refusals reach the agent as MuxMaps words them. Needs root
// (CAP_BPF).
#include "roles/lb_mux_dataplane.hpp"

#include "lb_fixtures.hpp"
#include "lbcontrol/plan.hpp"
#include "packet_tester.hpp"
#include "packets.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace iplb {
namespace {

using namespace test;

const uint32_t mux_source = addr("10.0.0.1");
const uint32_t client = addr("198.51.100.7");
const uint32_t vip = addr("192.0.2.10");
constexpr uint32_t bucket_count = 256; // a power of two: GUE's source port names the bucket

IpAddress ip(const char *text)
{
	return *parse_ip_address(text);
}

using Installed = std::map<lbcontrol::VipId, std::pair<uint32_t, std::optional<uint32_t>>>;

class MuxMapsDataplaneTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		auto loaded = MuxProgram::load();
		ASSERT_TRUE(loaded) << loaded.error().message;
		mux_.emplace(std::move(*loaded));
		MuxConfig config;
		config.source = Ipv4{mux_source};
		ASSERT_TRUE(mux_->maps().set_config(config));
		dataplane_.emplace(mux_->maps());
		config_.vip = web;
		config_.bucket_count = bucket_count;
	}

	// The controller's next version for these backends.
	lbcontrol::MapVersion next(std::initializer_list<const char *> dips, uint32_t now)
	{
		config_.backends.clear();
		for (const auto *d : dips)
			config_.backends.push_back({lb::Dip{ip(d)}, 1, false});
		const auto pool = lbcontrol::effective_pool(config_, {}, committed_, now);
		auto version = lbcontrol::next_version(config_, pool, committed_, now);
		EXPECT_TRUE(version && *version)
			<< (version ? "no new version" : version.error().message);
		if (!version || !*version)
			return {};
		committed_ = **version;
		return **version;
	}

	// installed(), as pairs (InstalledGenerations has no ==): active, staged.
	Installed installed()
	{
		auto got = dataplane_->installed();
		EXPECT_TRUE(got) << got.error().message;
		Installed out;
		if (got)
			for (const auto &[id, g] : *got)
				out[id] = {g.active, g.staged};
		return out;
	}

	// A few flows to the VIP: how many passed, and for those balanced,
	// whether each went to its bucket's owner in `version` (the bucket is
	// GUE's source port modulo B, mux_test.cpp).
	struct Sent {
		int passed = 0;
		int to_owner = 0;
		int elsewhere = 0;
	};
	Sent send(const lbcontrol::MapVersion &version)
	{
		Sent sent;
		for (uint16_t port = 40000; port < 40032; port++) {
			Ipv4Spec spec;
			spec.src = client;
			spec.dst = vip;
			spec.protocol = proto_tcp;
			const auto frame =
				ethernet(ipv4(spec, tcp_syn(port, 80, 1460, client, vip)));
			auto out = run_xdp(mux_->prog_fd(), frame, 0);
			EXPECT_TRUE(out) << out.error().message;
			if (!out)
				continue;
			if (out->verdict == xdp_pass) {
				sent.passed++;
				continue;
			}
			EXPECT_EQ(out->verdict, xdp_tx);
			// Ethernet, outer IPv4 (no options), then GUE's UDP.
			if (out->frame.size() < 36 || (out->frame[14] & 0x0f) != 5) {
				ADD_FAILURE() << "not an IPv4 tunnel";
				continue;
			}
			const uint32_t to = uint32_t{out->frame[30]} << 24 |
					    uint32_t{out->frame[31]} << 16 |
					    uint32_t{out->frame[32]} << 8 | out->frame[33];
			const uint32_t sport = uint32_t{out->frame[34]} << 8 | out->frame[35];
			const auto &owner = version.map.buckets.at(sport % bucket_count).owner;
			if (owner && owner->address == IpAddress{Ipv4{to}})
				sent.to_owner++;
			else
				sent.elsewhere++;
		}
		return sent;
	}

	const lbcontrol::VipId web{Ipv4{vip}, IPPROTO_TCP, 80};
	std::optional<MuxProgram> mux_;
	std::optional<MuxMapsDataplane> dataplane_;
	lbcontrol::VipConfig config_;
	std::optional<lbcontrol::MapVersion> committed_;
};

TEST_F(MuxMapsDataplaneTest, FollowsTheAgentsTwoPhaseCommit)
{
	auto &dp = *dataplane_;
	EXPECT_EQ(installed(), Installed{});

	// Prepared 1 of a new VIP: staged, not balanced yet.
	const auto first = next({"10.1.0.1", "10.1.0.2"}, 1'700'000'000);
	ASSERT_EQ(first.generation(), 1u);
	ASSERT_TRUE(dp.stage(web, first));
	EXPECT_EQ(installed(), (Installed{{web, {0, 1}}}));
	EXPECT_EQ(send(first).passed, 32) << "a VIP only staged is balanced";

	// Committed 1: active, packets to each bucket's owner.
	ASSERT_TRUE(dp.activate(web, 1));
	EXPECT_EQ(installed(), (Installed{{web, {1, std::nullopt}}}));
	auto sent = send(first);
	EXPECT_EQ(sent.to_owner, 32)
		<< sent.passed << " passed, " << sent.elsewhere << " to another DIP";
	EXPECT_EQ(mux_->maps().vip(to_vip_key(web))->value().map, to_lb_map_version(first));

	// Prepared 2 (10.1.0.1 gone: its buckets remember it): staged, packets
	// still read 1.
	const auto second = next({"10.1.0.2", "10.1.0.3"}, 1'700'000'100);
	ASSERT_EQ(second.generation(), 2u);
	ASSERT_TRUE(dp.stage(web, second));
	EXPECT_EQ(installed(), (Installed{{web, {1, 2}}}));
	EXPECT_EQ(send(first).to_owner, 32) << "staged, and already read";

	// Committed 2.
	ASSERT_TRUE(dp.activate(web, 2));
	EXPECT_EQ(installed(), (Installed{{web, {2, std::nullopt}}}));
	EXPECT_EQ(send(second).to_owner, 32);
	EXPECT_EQ(to_map_version(mux_->maps().vip(to_vip_key(web))->value().map), second)
		<< "reads back as committed";

	// Gone from etcd: removed, packets pass.
	ASSERT_TRUE(dp.remove(web));
	EXPECT_EQ(installed(), Installed{});
	EXPECT_EQ(send(second).passed, 32);
}

TEST_F(MuxMapsDataplaneTest, RefusalsCarryMuxMapsWords)
{
	auto &dp = *dataplane_;
	const auto first = next({"10.1.0.1", "10.1.0.2"}, 1'700'000'000);
	const auto second = next({"10.1.0.1", "10.1.0.3"}, 1'700'000'100);
	ASSERT_TRUE(dp.stage(web, first));
	ASSERT_TRUE(dp.activate(web, 1));
	ASSERT_TRUE(dp.stage(web, second));

	// A generation never staged.
	auto refused = dp.activate(web, 3);
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().message,
		  "192.0.2.10 tcp port 80: cannot activate generation 3: active 1, staged 2");
	const auto key = to_vip_key(web);
	auto direct = mux_->maps().activate(key, 3);
	ASSERT_FALSE(direct);
	EXPECT_EQ(refused.error().message, direct.error().message);
	EXPECT_EQ(installed(), (Installed{{web, {1, 2}}}));

	// An older generation than the active one.
	ASSERT_TRUE(dp.activate(web, 2));
	auto older = dp.stage(web, first);
	ASSERT_FALSE(older);
	EXPECT_NE(older.error().message.find("generation 1 is not newer than the installed 2"),
		  std::string::npos)
		<< older.error().message;
	EXPECT_EQ(installed(), (Installed{{web, {2, std::nullopt}}}));
	EXPECT_EQ(send(second).to_owner, 32);

	// Nothing to remove.
	const lbcontrol::VipId other{ip("192.0.2.11"), IPPROTO_TCP, 443};
	auto absent = dp.remove(other);
	ASSERT_FALSE(absent);
	EXPECT_EQ(absent.error().message, "no VIP 192.0.2.11 tcp port 443");
}

} // namespace
} // namespace iplb
