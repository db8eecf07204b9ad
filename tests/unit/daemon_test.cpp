// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's timing pieces: one host timer shared by several clients,
// and the SPF-like debounce of topology rebuilds; and what the daemon hands
// the path engine.
#include "daemon/daemon.hpp"
#include "daemon/debouncer.hpp"
#include "show/show.hpp"
#include "util/timer_mux.hpp"

#include "fake_ospf_api_server.hpp"
#include "ospfapi_fixtures.hpp"
#include "poll_loop.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace std::chrono_literals;

namespace iplb {
namespace {

TEST(TimerMux, EachClientHasItsOwnTimer)
{
	test::PollLoop loop;
	TimerMux mux(loop);
	std::vector<char> fired;
	auto &a = mux.client([&] { fired.push_back('a'); });
	auto &b = mux.client([&] { fired.push_back('b'); });
	loop.set_handlers([](int, bool, bool) {}, [&] { mux.on_timer(); });

	b.arm_timer(40ms);
	a.arm_timer(10ms);
	EXPECT_TRUE(loop.timer_armed());
	ASSERT_TRUE(loop.run_until([&] { return fired.size() == 2; }, 2s));
	EXPECT_EQ(fired, (std::vector<char>{'a', 'b'}));

	a.arm_timer(10ms);
	a.cancel_timer();
	EXPECT_FALSE(loop.timer_armed()) << "nothing left to wait for";
}

TEST(Debouncer, RunsOnceAfterChangesStop)
{
	test::PollLoop loop;
	int runs = 0;
	Debouncer d(loop, [&] { runs++; }, {20ms, 1000ms});
	loop.set_handlers([](int, bool, bool) {}, [&] { d.on_timer(); });
	for (int i = 0; i < 5; i++) {
		d.poke();
		std::this_thread::sleep_for(5ms);
	}
	EXPECT_TRUE(d.pending());
	EXPECT_EQ(runs, 0);
	ASSERT_TRUE(loop.run_until([&] { return runs > 0; }, 2s));
	loop.run_until([] { return false; }, 60ms);
	EXPECT_EQ(runs, 1) << "five changes, one rebuild";
	EXPECT_FALSE(d.pending());
}

TEST(Debouncer, AFlappingLinkCannotStarveIt)
{
	test::PollLoop loop;
	int runs = 0;
	Debouncer d(loop, [&] { runs++; }, {30ms, 60ms});
	loop.set_handlers([](int, bool, bool) {}, [&] { d.on_timer(); });
	const auto start = std::chrono::steady_clock::now();
	// A change every 10 ms, forever: the max hold still fires it.
	loop.run_until(
		[&] {
			if (runs == 0)
				d.poke();
			return runs > 0;
		},
		2s);
	EXPECT_EQ(runs, 1);
	EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
}

// A router LSA of `router` with point-to-point links to `peers` at `cost`.
std::vector<uint8_t> p2p_router_lsa(uint32_t router, std::vector<uint32_t> peers, uint16_t cost,
				    uint32_t seq = 0x80000001)
{
	std::vector<uint8_t> body{0, 0, 0, static_cast<uint8_t>(peers.size())};
	for (uint32_t peer : peers) {
		const uint8_t link[] = {0,
					0,
					0,
					static_cast<uint8_t>(peer),
					10,
					0,
					0,
					static_cast<uint8_t>(router),
					1,
					0,
					static_cast<uint8_t>(cost >> 8),
					static_cast<uint8_t>(cost)};
		body.insert(body.end(), std::begin(link), std::end(link));
	}
	return test::lsa_bytes(
		{.type = 1, .id = router, .adv_router = router, .seq = seq, .body = body});
}

struct Emitted {
	TopologySnapshot before, after;
	DeltaSummary delta;
};

class DaemonTopology : public ::testing::Test {
protected:
	void start(uint16_t port)
	{
		daemon.set_debounce({20ms, 100ms});
		daemon.set_topology_listener([this](const TopologySnapshot &before,
						    const TopologySnapshot &after,
						    const TopologyDelta &delta) {
			emitted.push_back({before, after, summarize(delta)});
		});
		loop.set_handlers([this](int fd, bool r, bool w) { daemon.on_io(fd, r, w); },
				  [this] { daemon.on_timer(); });
		ApiSessionConfig config;
		config.port = port;
		daemon.lsdb().reconfigure(config);
		daemon.lsdb().start();
	}

	test::PollLoop loop;
	Daemon daemon{loop};
	std::vector<Emitted> emitted;
};

TEST_F(DaemonTopology, HandsTheEngineEachNewSnapshotWithItsDelta)
{
	test::FakeServerScript script;
	script.dump = {p2p_router_lsa(1, {2}, 10), p2p_router_lsa(2, {1}, 10)};
	const auto dearer = p2p_router_lsa(1, {2}, 25, 0x80000002);
	script.late_async = {test::frame(ospfapi::MsgType::lsa_delete_notify, 0,
					 test::notification_body(script.dump[0])),
			     test::frame(ospfapi::MsgType::lsa_update_notify, 0,
					 test::notification_body(dearer))};
	script.late_delay = 200ms;
	test::FakeOspfApiServer server(script);
	start(server.port());

	ASSERT_TRUE(loop.run_until([&] { return emitted.size() == 2; }, 5s));
	EXPECT_EQ(emitted[0].before->vertex_count(), 0u) << "the first one replaces nothing";
	EXPECT_EQ(emitted[0].delta.nodes_added, 2u);
	EXPECT_EQ(emitted[0].delta.links_added, 2u);

	EXPECT_EQ(emitted[1].before, emitted[0].after) << "each delta starts where the last ended";
	EXPECT_EQ(emitted[1].after, daemon.topology());
	EXPECT_EQ(emitted[1].delta.links_changed, 1u);
	EXPECT_EQ(emitted[1].delta.links_added + emitted[1].delta.links_removed, 0u);
	EXPECT_EQ(daemon.rebuilds().snapshots, 2u);
	EXPECT_EQ(daemon.rebuilds().last_delta.links_changed, 1u);
}

TEST_F(DaemonTopology, AnLsdbChangeThatLeavesTheGraphAloneIsNotHandedOn)
{
	test::FakeServerScript script;
	script.dump = {p2p_router_lsa(1, {2}, 10), p2p_router_lsa(2, {1}, 10)};
	// Router 2 now also lists a link to 9, which does not list it back: the
	// LSDB changed, the two-way check keeps the graph as it was.
	const auto one_way = p2p_router_lsa(2, {1, 9}, 10, 0x80000002);
	script.late_async = {test::frame(ospfapi::MsgType::lsa_update_notify, 0,
					 test::notification_body(one_way))};
	script.late_delay = 200ms;
	test::FakeOspfApiServer server(script);
	start(server.port());

	ASSERT_TRUE(loop.run_until([&] { return daemon.rebuilds().same_topology == 1; }, 5s));
	EXPECT_EQ(emitted.size(), 1u);
	EXPECT_EQ(daemon.rebuilds().rebuilds, 2u);
	EXPECT_EQ(daemon.topology_stats().one_way, 1u);
}

// `show iplb vip`: each VIP from etcd's pools is marked on its own line.
TEST(DaemonShow, EtcdVipsAreMarkedOnTheirOwnLines)
{
	test::PollLoop loop;
	Daemon daemon{loop};
	daemon.mux().set_etcd_vips({parse_ip_prefix("192.0.2.80/32").value(),
				    parse_ip_prefix("2001:db8:ff::80/128").value()});
	const std::string text = vips_text(daemon, GlueFacts{"8.4.4", true});
	std::vector<std::string> lines;
	for (size_t at = 0; at < text.size();) {
		const size_t end = text.find('\n', at);
		lines.push_back(text.substr(at, end - at));
		at = end + 1;
	}
	ASSERT_EQ(lines.size(), 3u) << text;
	EXPECT_EQ(lines[0].find("etcd"), std::string::npos) << "the header: " << lines[0];
	for (size_t i = 1; i < 3; i++)
		EXPECT_NE(lines[i].find("(etcd's pools)"), std::string::npos) << lines[i];
}

} // namespace
} // namespace iplb
