// SPDX-License-Identifier: GPL-2.0-or-later
// The LSDB feed against a stand-in API server over real loopback sockets.
#include "lsdb/api_session.hpp"

#include "fake_ospf_api_server.hpp"
#include "ospfapi_fixtures.hpp"
#include "poll_loop.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace iplb {
namespace {

using test::FakeOspfApiServer;
using test::FakeServerScript;
using test::lsa_bytes;
using test::notification_body;

constexpr auto patience = 5s;

std::vector<uint8_t> router_lsa(uint32_t router, uint32_t seq = 0x80000001)
{
	return lsa_bytes({.type = 1, .id = router, .adv_router = router, .seq = seq});
}

class ApiSessionTest : public ::testing::Test {
protected:
	ApiSessionConfig config_for(uint16_t port)
	{
		ApiSessionConfig config;
		config.port = port;
		config.backoff_initial = 50ms;
		config.backoff_max = 200ms;
		return config;
	}

	void attach(ApiSession &session)
	{
		loop.set_handlers([&](int fd, bool r, bool w) { session.on_io(fd, r, w); },
				  [&] { session.on_timer(); });
	}

	bool run_until_state(ApiSession &session, SessionState state)
	{
		return loop.run_until([&] { return session.status().state == state; }, patience);
	}

	test::PollLoop loop;
};

TEST_F(ApiSessionTest, SynchronisesTheDatabaseAndRouterId)
{
	FakeServerScript script;
	script.router_id = 0x0aff0101;
	script.dump = {router_lsa(1), router_lsa(2), router_lsa(3)};
	FakeOspfApiServer server(script);
	ApiSession session(loop, config_for(server.port()));
	attach(session);

	session.start();
	ASSERT_TRUE(run_until_state(session, SessionState::established))
		<< session.status().last_error;

	const auto status = session.status();
	EXPECT_EQ(status.lsas, 3u);
	ASSERT_TRUE(status.router_id);
	EXPECT_EQ(to_string(*status.router_id), "10.255.1.1");
	EXPECT_EQ(status.counters.syncs, 1u);
	EXPECT_EQ(status.counters.connect_attempts, 1u);
	EXPECT_TRUE(status.last_error.empty());
	// Registration before the dump, so no change slips between them; the
	// router-id request after it is the barrier, with the four-byte pad;
	// then ospfd's reachable routers, interfaces and neighbours.
	ASSERT_TRUE(loop.run_until([&] { return server.requests().size() == 6; }, patience));
	EXPECT_EQ(server.requests(), (std::vector<uint8_t>{3, 4, 19, 7, 8, 9}));
	EXPECT_EQ(server.request_sizes()[2], 4u);
}

TEST_F(ApiSessionTest, FollowsLiveUpdatesAndDeletes)
{
	FakeServerScript script;
	script.dump = {router_lsa(1), router_lsa(2)};
	script.after_sync = {notification_body(router_lsa(3)),
			     notification_body(router_lsa(1, 0x80000002))};
	script.deletes = {notification_body(router_lsa(2))};
	FakeOspfApiServer server(script);
	ApiSession session(loop, config_for(server.port()));
	attach(session);

	session.start();
	ASSERT_TRUE(loop.run_until([&] { return session.status().counters.lsa_deletes == 1; },
				   patience));
	const auto &entries = session.database().entries();
	ASSERT_EQ(entries.size(), 2u); // 1 (refreshed) and 3
	EXPECT_EQ(entries.begin()->first.adv_router.value, 1u);
	EXPECT_EQ(entries.begin()->second.header.seq, 0x80000002u);
	EXPECT_EQ(entries.rbegin()->first.adv_router.value, 3u);
}

TEST_F(ApiSessionTest, MalformedNotificationsAreCountedAndSkipped)
{
	FakeServerScript script;
	script.dump = {router_lsa(1)};
	script.raw_async = {test::frame(ospfapi::MsgType::lsa_update_notify, 0, {1, 2, 3}),
			    test::frame(ospfapi::MsgType::lsa_update_notify, 0,
					notification_body(router_lsa(4)))};
	FakeOspfApiServer server(script);
	ApiSession session(loop, config_for(server.port()));
	attach(session);

	session.start();
	ASSERT_TRUE(loop.run_until([&] { return session.status().lsas == 2; }, patience));
	EXPECT_EQ(session.status().counters.malformed, 1u);
	EXPECT_EQ(session.status().state, SessionState::established);
}

TEST_F(ApiSessionTest, KeepsTheLastDatabaseWhileOspfdIsAwayAndResyncs)
{
	FakeServerScript script;
	script.dump = {router_lsa(1), router_lsa(2)};
	script.close_after_sync = true;
	auto server = std::make_unique<FakeOspfApiServer>(script);
	ApiSession session(loop, config_for(server->port()));
	attach(session);

	session.start();
	// The server closes right after the sync: established, then lost.
	ASSERT_TRUE(loop.run_until(
		[&] {
			return session.status().counters.syncs == 1 &&
			       session.status().state == SessionState::backoff;
		},
		patience));
	auto status = session.status();
	EXPECT_EQ(status.lsas, 2u) << "the last complete view is kept";
	EXPECT_EQ(status.counters.disconnects, 1u);
	EXPECT_NE(status.last_error.find("closed"), std::string::npos) << status.last_error;
	ASSERT_TRUE(status.retry_in);

	// The server comes back with another database: the session resyncs by
	// itself and replaces the view in one step.
	script.dump = {router_lsa(5)};
	script.close_after_sync = false;
	server->set_script(script);
	ASSERT_TRUE(loop.run_until(
		[&] {
			return session.status().counters.syncs >= 2 &&
			       session.status().state == SessionState::established;
		},
		patience));
	EXPECT_EQ(session.status().lsas, 1u);
	EXPECT_TRUE(session.status().last_error.empty());
}

TEST_F(ApiSessionTest, FollowsOspfdsInterfacesNeighboursAndReachableRouters)
{
	FakeServerScript script;
	script.dump = {router_lsa(1), router_lsa(2)};
	script.reachable = {2, 3, 4};
	script.interfaces = {{.address = 0x0a010001, .area = 0, .state = 4},
			     {.address = 0x0a020001, .area = 0, .state = ospfapi::ism_down}};
	script.neighbours = {{.interface = 0x0a010001,
			      .address = 0x0a010002,
			      .router_id = 2,
			      .state = ospfapi::nsm_full},
			     {.interface = 0x0a030001,
			      .address = 0x0a030002,
			      .router_id = 3,
			      .state = 6 /* ExStart */},
			     // ospfd lists itself on each interface, in state TwoWay
			     {.interface = 0x0a010001,
			      .address = 0x0a010001,
			      .router_id = script.router_id,
			      .state = 5}};
	// Live: the second neighbour reaches Full, the first goes Down, and
	// router 4 drops out of ospfd's SPF.
	script.raw_async = {
		test::frame(ospfapi::MsgType::nsm_change, 0,
			    {10, 3, 0, 1, 10, 3, 0, 2, 0, 0, 0, 3, ospfapi::nsm_full, 0, 0, 0}),
		test::frame(ospfapi::MsgType::nsm_change, 0,
			    {10, 1, 0, 1, 10, 1, 0, 2, 0, 0, 0, 2, 2 /* Down */, 0, 0, 0}),
		test::frame(ospfapi::MsgType::reachable_change, 0, {0, 0, 0, 1, 0, 0, 0, 4}),
		test::frame(ospfapi::MsgType::reachable_change, 0, {0, 1})}; // malformed
	FakeOspfApiServer server(script);
	ApiSession session(loop, config_for(server.port()));
	attach(session);

	session.start();
	ASSERT_TRUE(
		loop.run_until([&] { return session.status().counters.malformed == 1; }, patience));
	const auto status = session.status();
	EXPECT_EQ(status.interfaces, 2u);
	EXPECT_EQ(status.interfaces_up, 1u);
	EXPECT_EQ(status.neighbours, 1u) << "the neighbour that went Down is forgotten";
	EXPECT_EQ(status.neighbours_full, 1u);
	EXPECT_EQ(status.reachable_routers, 2u);
	EXPECT_EQ(status.state, SessionState::established);

	session.stop();
	EXPECT_EQ(session.status().interfaces, 0u) << "not shown as current once ospfd is gone";
	EXPECT_EQ(session.status().lsas, 2u) << "unlike the database";
}

TEST_F(ApiSessionTest, AnOspfdWithoutStateSyncStillFeedsTheDatabase)
{
	FakeServerScript script;
	script.dump = {router_lsa(1)};
	script.refuse_state_sync = true;
	script.after_sync = {notification_body(router_lsa(2))};
	FakeOspfApiServer server(script);
	ApiSession session(loop, config_for(server.port()));
	attach(session);

	session.start();
	ASSERT_TRUE(loop.run_until([&] { return session.status().lsas == 2; }, patience));
	const auto status = session.status();
	EXPECT_EQ(status.state, SessionState::established);
	EXPECT_EQ(status.counters.disconnects, 0u);
	EXPECT_EQ(status.interfaces, 0u);
	EXPECT_EQ(server.requests(), (std::vector<uint8_t>{3, 4, 19, 7, 8, 9}));
}

// Real frames, recorded from switch s1 of the lab (tests/fixtures/ospfapi):
// three point-to-point neighbours, all Full, and its loopback.
TEST_F(ApiSessionTest, OspfdsOwnStateAsRecordedInTheLab)
{
	FakeServerScript script;
	script.router_id = 0x0aff0001; // s1, 10.255.0.1
	script.raw_async = {test::read_fixture("lab-state-s1.bin")};
	ASSERT_FALSE(script.raw_async[0].empty());
	script.refuse_state_sync = true; // the recording is the answer
	FakeOspfApiServer server(script);
	ApiSession session(loop, config_for(server.port()));
	attach(session);

	session.start();
	ASSERT_TRUE(
		loop.run_until([&] { return session.status().reachable_routers == 5; }, patience));
	ASSERT_TRUE(loop.run_until([&] { return session.status().neighbours == 3; }, patience));
	const auto status = session.status();
	EXPECT_EQ(status.interfaces, 4u);
	EXPECT_EQ(status.interfaces_up, 4u);
	EXPECT_EQ(status.neighbours_full, 3u) << "s1 lists itself on each interface: not counted";
	EXPECT_EQ(status.counters.malformed, 0u);
}

TEST_F(ApiSessionTest, RetriesWithGrowingBackoffWhileNobodyListens)
{
	ApiSession session(loop, config_for(test::unused_port()));
	attach(session);

	session.start();
	ASSERT_TRUE(loop.run_until([&] { return session.status().counters.connect_attempts >= 4; },
				   patience));
	const auto status = session.status();
	EXPECT_NE(status.last_error.find("Connection refused"), std::string::npos)
		<< status.last_error;
	// 50, 100, 200, then capped at 200 ms.
	const auto &arms = loop.timer_arms();
	std::vector<std::chrono::milliseconds> backoffs;
	for (auto delay : arms)
		if (delay < 1s) // not the connect timeout
			backoffs.push_back(delay);
	ASSERT_GE(backoffs.size(), 3u);
	EXPECT_EQ(backoffs[0], 50ms);
	EXPECT_EQ(backoffs[1], 100ms);
	EXPECT_EQ(backoffs[2], 200ms);
	if (backoffs.size() > 3) {
		EXPECT_EQ(backoffs[3], 200ms);
	}
}

TEST_F(ApiSessionTest, AZeroRouterIdMeansNone)
{
	FakeServerScript script;
	script.router_id = 0; // ospfd without an instance (patch 0004)
	FakeOspfApiServer server(script);
	ApiSession session(loop, config_for(server.port()));
	attach(session);

	session.start();
	ASSERT_TRUE(run_until_state(session, SessionState::established));
	EXPECT_FALSE(session.status().router_id);
	EXPECT_EQ(session.status().lsas, 0u);
}

TEST_F(ApiSessionTest, ARefusedRegistrationFailsTheSessionWithTheReason)
{
	FakeServerScript script;
	script.register_reply = -7;
	FakeOspfApiServer server(script);
	ApiSession session(loop, config_for(server.port()));
	attach(session);

	session.start();
	ASSERT_TRUE(run_until_state(session, SessionState::backoff));
	EXPECT_NE(session.status().last_error.find("not ready"), std::string::npos)
		<< session.status().last_error;
}

TEST_F(ApiSessionTest, StopClosesEverythingAndKeepsTheDatabase)
{
	FakeServerScript script;
	script.dump = {router_lsa(1)};
	FakeOspfApiServer server(script);
	ApiSession session(loop, config_for(server.port()));
	attach(session);

	session.start();
	ASSERT_TRUE(run_until_state(session, SessionState::established));
	session.stop();
	EXPECT_EQ(session.status().state, SessionState::idle);
	EXPECT_EQ(loop.watched(), 0u);
	EXPECT_FALSE(loop.timer_armed());
	EXPECT_EQ(session.status().lsas, 1u);
}

TEST_F(ApiSessionTest, ReconfiguringTheServerReconnects)
{
	FakeServerScript first;
	first.dump = {router_lsa(1)};
	FakeServerScript second;
	second.dump = {router_lsa(2), router_lsa(3)};
	FakeOspfApiServer a(first), b(second);
	ApiSession session(loop, config_for(a.port()));
	attach(session);

	session.start();
	ASSERT_TRUE(run_until_state(session, SessionState::established));
	session.reconfigure(config_for(b.port()));
	ASSERT_TRUE(loop.run_until([&] { return session.status().lsas == 2; }, patience));
	EXPECT_EQ(b.sessions(), 1);
}

} // namespace
} // namespace iplb
