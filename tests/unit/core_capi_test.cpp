// SPDX-License-Identifier: GPL-2.0-or-later
// The C interface as the FRR glue uses it.
#include "capi/iplb_core.h"

#include "fake_ospf_api_server.hpp"
#include "ospfapi_fixtures.hpp"
#include "poll_loop.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

struct CoreDeleter {
	void operator()(iplb_core *core) const { iplb_core_free(core); }
};
using CorePtr = std::unique_ptr<iplb_core, CoreDeleter>;

// Glue-side event loop: the C callbacks forward to a PollLoop.
struct Glue {
	iplb::test::PollLoop loop;
	iplb_io_ops ops{
		.ctx = this,
		.watch =
			[](void *ctx, int fd, bool read, bool write) {
				using iplb::Interest;
				static_cast<Glue *>(ctx)->loop.watch(
					fd, read && write ? Interest::read_write
					    : read	  ? Interest::read
					    : write	  ? Interest::write
							  : Interest::none);
			},
		.arm_timer =
			[](void *ctx, uint32_t msec) {
				static_cast<Glue *>(ctx)->loop.arm_timer(
					std::chrono::milliseconds{msec});
			},
		.cancel_timer = [](void *ctx) { static_cast<Glue *>(ctx)->loop.cancel_timer(); },
		.log = nullptr,
		.datapath_changed = nullptr,
		.raise_privileges = nullptr,
		.lower_privileges = nullptr,
		.prefix_list_permits = nullptr,
	};

	CorePtr make_core()
	{
		CorePtr core(iplb_core_new(&ops));
		iplb_core *raw = core.get();
		loop.set_handlers([raw](int fd, bool r, bool w) { iplb_core_on_io(raw, fd, r, w); },
				  [raw] { iplb_core_on_timer(raw); });
		return core;
	}
};

iplb_status status_of(const iplb_core *core)
{
	iplb_status status;
	iplb_core_status(core, &status);
	return status;
}

TEST(CoreCapi, RefusesIncompleteIoCallbacks)
{
	iplb_io_ops ops{};
	EXPECT_EQ(iplb_core_new(&ops), nullptr);
	EXPECT_EQ(iplb_core_new(nullptr), nullptr);
}

TEST(CoreCapi, NewCoreReportsVersionHostRoleAndAnIdleFeed)
{
	Glue glue;
	CorePtr core = glue.make_core();
	ASSERT_NE(core, nullptr);
	const auto status = status_of(core.get());
	EXPECT_STREQ(status.version, iplb_core_version());
	EXPECT_STREQ(status.version, IPLB_VERSION);
	EXPECT_STREQ(status.role, "host");
	EXPECT_EQ(status.uptime_sec, 0u);
	EXPECT_STREQ(status.uptime, "00:00:00");
	EXPECT_STREQ(status.lsdb.state, "idle");
	EXPECT_STREQ(status.lsdb.server, "127.0.0.1:2607");
	EXPECT_FALSE(status.lsdb.has_router_id);
	EXPECT_EQ(status.lsdb.retry_in_msec, -1);
}

TEST(CoreCapi, SetRoleByName)
{
	Glue glue;
	CorePtr core = glue.make_core();
	char err[128] = "";
	EXPECT_TRUE(iplb_core_set_role(core.get(), "mux", err, sizeof(err)));
	EXPECT_STREQ(status_of(core.get()).role, "mux");
	EXPECT_STREQ(err, "");
}

TEST(CoreCapi, UnknownRoleIsRejectedAndChangesNothing)
{
	Glue glue;
	CorePtr core = glue.make_core();
	ASSERT_TRUE(iplb_core_set_role(core.get(), "backend", nullptr, 0));
	char err[128] = "";
	EXPECT_FALSE(iplb_core_check_role("switch", err, sizeof(err)));
	EXPECT_NE(std::string(err).find("'switch'"), std::string::npos) << err;
	EXPECT_FALSE(iplb_core_set_role(core.get(), "switch", err, sizeof(err)));
	EXPECT_STREQ(status_of(core.get()).role, "backend");
	EXPECT_FALSE(iplb_core_set_role(core.get(), nullptr, nullptr, 0));
	EXPECT_STREQ(status_of(core.get()).role, "backend");
}

TEST(CoreCapi, ErrorMessageIsTruncatedToTheBuffer)
{
	char err[8];
	std::memset(err, 'x', sizeof(err));
	EXPECT_FALSE(iplb_core_check_role("a-very-long-unknown-role", err, sizeof(err)));
	EXPECT_EQ(std::strlen(err), sizeof(err) - 1);
}

TEST(CoreCapi, BadApiServerIsRejectedAndKeepsTheOldOne)
{
	Glue glue;
	CorePtr core = glue.make_core();
	char err[128] = "";
	EXPECT_FALSE(iplb_core_lsdb_set_server(core.get(), "10.0.0.300", 2607, err, sizeof(err)));
	EXPECT_NE(std::string(err).find("not an IPv4 address"), std::string::npos) << err;
	EXPECT_FALSE(iplb_core_lsdb_set_server(core.get(), "10.0.0.3", 0, err, sizeof(err)));
	EXPECT_STREQ(status_of(core.get()).lsdb.server, "127.0.0.1:2607");
}

TEST(CoreCapi, LsdbFeedThroughTheGlueCallbacks)
{
	iplb::test::FakeServerScript script;
	script.router_id = 0x0aff0001;
	// Router 0.0.0.1 on a LAN whose DR is 0.0.0.2 (mask /24, member 0.0.0.1).
	script.dump = {
		iplb::test::lsa_bytes({.type = 1,
				       .id = 1,
				       .adv_router = 1,
				       .body = {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 2, 0, 0, 5}}),
		iplb::test::lsa_bytes({.type = 2,
				       .id = 2,
				       .adv_router = 1,
				       .body = {255, 255, 255, 0, 0, 0, 0, 1}})};
	script.interfaces = {{.address = 0x0a000001, .area = 0, .state = 5 /* DROther */}};
	script.neighbours = {{.interface = 0x0a000001,
			      .address = 0x0a000002,
			      .router_id = 2,
			      .state = iplb::ospfapi::nsm_full}};
	script.reachable = {2};
	iplb::test::FakeOspfApiServer server(script);
	Glue glue;
	CorePtr core = glue.make_core();

	ASSERT_TRUE(iplb_core_lsdb_set_server(core.get(), "127.0.0.1", server.port(), nullptr, 0));
	iplb_core_lsdb_enable(core.get(), true);
	ASSERT_TRUE(glue.loop.run_until(
		[&] { return std::string(status_of(core.get()).lsdb.state) == "established"; },
		5s));
	const auto lsdb = status_of(core.get()).lsdb;
	EXPECT_EQ(lsdb.lsas, 2u);
	EXPECT_EQ(lsdb.lsas_by_type[1], 1u);
	EXPECT_EQ(lsdb.lsas_by_type[2], 1u);
	EXPECT_TRUE(lsdb.has_router_id);
	EXPECT_STREQ(lsdb.router_id, "10.255.0.1");
	EXPECT_EQ(lsdb.syncs, 1u);
	ASSERT_TRUE(glue.loop.run_until(
		[&] { return status_of(core.get()).lsdb.ospf_neighbours_full == 1; }, 5s));
	EXPECT_EQ(status_of(core.get()).lsdb.ospf_interfaces_up, 1u);
	EXPECT_EQ(status_of(core.get()).lsdb.ospf_reachable_routers, 1u);

	// The topology follows after the debounce delay.
	ASSERT_TRUE(glue.loop.run_until(
		[&] { return status_of(core.get()).topology.rebuilds == 1; }, 5s));
	const auto topo = status_of(core.get()).topology;
	EXPECT_EQ(topo.routers, 1u);
	EXPECT_EQ(topo.networks, 1u);
	EXPECT_EQ(topo.links, 2u); // router -> LAN -> router
	EXPECT_GE(topo.last_rebuild_ago_msec, 0);
	std::unique_ptr<char, decltype(&std::free)> json(iplb_core_topology_json(core.get()),
							 &std::free);
	EXPECT_NE(std::string(json.get()).find(R"({"id":"0.0.0.2","routers":["0.0.0.1"]})"),
		  std::string::npos)
		<< json.get();
	std::unique_ptr<char, decltype(&std::free)> text(iplb_core_topology_text(core.get()),
							 &std::free);
	EXPECT_NE(std::string(text.get()).find("1 routers, 1 transit networks, 2 links"),
		  std::string::npos)
		<< text.get();

	iplb_core_lsdb_enable(core.get(), false);
	EXPECT_STREQ(status_of(core.get()).lsdb.state, "idle");
	EXPECT_EQ(glue.loop.watched(), 0u);
	EXPECT_EQ(status_of(core.get()).topology.routers, 1u) << "kept while the feed is off";
}

TEST(CoreCapi, ARefreshDoesNotRebuildTheTopology)
{
	using iplb::test::frame;
	using iplb::test::notification_body;
	const auto lsa =
		iplb::test::lsa_bytes({.type = 1, .id = 1, .adv_router = 1, .seq = 0x80000001});
	const auto next =
		iplb::test::lsa_bytes({.type = 1, .id = 1, .adv_router = 1, .seq = 0x80000002});
	iplb::test::FakeServerScript script;
	script.dump = {lsa};
	// ospfd reports a refresh as a withdrawal and an announcement.
	script.late_async = {
		frame(iplb::ospfapi::MsgType::lsa_delete_notify, 0, notification_body(lsa)),
		frame(iplb::ospfapi::MsgType::lsa_update_notify, 0, notification_body(next))};
	script.late_delay = 300ms;
	iplb::test::FakeOspfApiServer server(script);
	Glue glue;
	CorePtr core = glue.make_core();
	ASSERT_TRUE(iplb_core_set_debounce(core.get(), 20, 100, nullptr, 0));
	ASSERT_TRUE(iplb_core_lsdb_set_server(core.get(), "127.0.0.1", server.port(), nullptr, 0));
	iplb_core_lsdb_enable(core.get(), true);

	ASSERT_TRUE(glue.loop.run_until(
		[&] { return status_of(core.get()).topology.rebuilds_unchanged == 1; }, 5s));
	const auto status = status_of(core.get());
	EXPECT_EQ(status.topology.rebuilds, 1u) << "built once, from the dump";
	EXPECT_EQ(status.lsdb.lsa_deletes, 1u);
	EXPECT_EQ(status.lsdb.lsas, 1u);
}

TEST(CoreCapi, DebounceMustNotExceedItsMaxHold)
{
	Glue glue;
	CorePtr core = glue.make_core();
	char err[128] = "";
	EXPECT_FALSE(iplb_core_set_debounce(core.get(), 500, 100, err, sizeof(err)));
	EXPECT_NE(std::string(err).find("longer than the max hold"), std::string::npos);
	EXPECT_EQ(status_of(core.get()).topology.debounce_delay_msec, 200u);
	EXPECT_TRUE(iplb_core_set_debounce(core.get(), 50, 1000, nullptr, 0));
	EXPECT_EQ(status_of(core.get()).topology.debounce_max_hold_msec, 1000u);
}

} // namespace
