// SPDX-License-Identifier: GPL-2.0-or-later
// The C interface as the FRR glue uses it.
#include "capi/iplb_core.h"
#include "capi/iplb_mux.h"
#include "capi/iplb_settings.h"
#include "capi/iplb_show.h"

#include "fake_ospf_api_server.hpp"
#include "ospfapi_fixtures.hpp"
#include "poll_loop.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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
		.raise_privileges = nullptr,
		.lower_privileges = nullptr,
		.prefix_list_permits = nullptr,
		.announce_vip = nullptr,
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

using Text = std::unique_ptr<char, decltype(&std::free)>;

// `show iplb status json`, as the glue gets it.
nlohmann::json status_of(const iplb_core *core)
{
	const iplb_glue_facts facts{.frr_version = "8.4.4", .zebra_connected = true};
	char err[256] = "";
	Text text(iplb_show_status(core, &facts, true, err, sizeof(err)), &std::free);
	EXPECT_NE(text, nullptr) << err;
	return text ? nlohmann::json::parse(text.get()) : nlohmann::json::object();
}

std::string state_of(const iplb_core *core)
{
	return status_of(core)["lsdb"]["state"];
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
	EXPECT_EQ(status["version"], iplb_core_version());
	EXPECT_EQ(status["version"], IPLB_VERSION);
	EXPECT_EQ(status["frrVersion"], "8.4.4");
	EXPECT_EQ(status["role"], "host");
	EXPECT_EQ(status["uptimeSec"], 0);
	EXPECT_EQ(status["uptime"], "00:00:00");
	EXPECT_EQ(status["lsdb"]["state"], "idle");
	EXPECT_EQ(status["lsdb"]["server"], "127.0.0.1:2607");
	EXPECT_FALSE(status["lsdb"].contains("routerId"));
	EXPECT_FALSE(status["lsdb"].contains("retryInMsec"));
}

TEST(CoreCapi, SetRoleByName)
{
	Glue glue;
	CorePtr core = glue.make_core();
	char err[128] = "";
	EXPECT_TRUE(iplb_core_set_role(core.get(), "mux", err, sizeof(err)));
	EXPECT_EQ(status_of(core.get())["role"], "mux");
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
	EXPECT_EQ(status_of(core.get())["role"], "backend");
	EXPECT_FALSE(iplb_core_set_role(core.get(), nullptr, nullptr, 0));
	EXPECT_EQ(status_of(core.get())["role"], "backend");
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
	EXPECT_EQ(status_of(core.get())["lsdb"]["server"], "127.0.0.1:2607");
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
	ASSERT_TRUE(glue.loop.run_until([&] { return state_of(core.get()) == "established"; }, 5s));
	const auto lsdb = status_of(core.get())["lsdb"];
	EXPECT_EQ(lsdb["lsas"], 2);
	EXPECT_EQ(lsdb["lsasByType"]["router"], 1);
	EXPECT_EQ(lsdb["lsasByType"]["network"], 1);
	EXPECT_EQ(lsdb["routerId"], "10.255.0.1");
	EXPECT_EQ(lsdb["syncs"], 1);
	ASSERT_TRUE(glue.loop.run_until(
		[&] { return status_of(core.get())["lsdb"]["ospfNeighboursFull"] == 1; }, 5s));
	EXPECT_EQ(status_of(core.get())["lsdb"]["ospfInterfacesUp"], 1);
	EXPECT_EQ(status_of(core.get())["lsdb"]["ospfReachableRouters"], 1);

	// The topology follows after the debounce delay.
	ASSERT_TRUE(glue.loop.run_until(
		[&] { return status_of(core.get())["topology"]["rebuilds"] == 1; }, 5s));
	const auto topo = status_of(core.get())["topology"];
	EXPECT_EQ(topo["routers"], 1);
	EXPECT_EQ(topo["networks"], 1);
	EXPECT_EQ(topo["links"], 2); // router -> LAN -> router
	EXPECT_GE(topo["lastRebuildAgoMsec"], 0);
	char err[128] = "";
	Text json(iplb_show_topology(core.get(), true, err, sizeof(err)), &std::free);
	ASSERT_NE(json, nullptr) << err;
	EXPECT_NE(std::string(json.get()).find(R"({"id":"0.0.0.2","routers":["0.0.0.1"]})"),
		  std::string::npos)
		<< json.get();
	Text text(iplb_show_topology(core.get(), false, err, sizeof(err)), &std::free);
	ASSERT_NE(text, nullptr) << err;
	EXPECT_NE(std::string(text.get()).find("1 routers, 1 transit networks, 2 links"),
		  std::string::npos)
		<< text.get();

	iplb_core_lsdb_enable(core.get(), false);
	EXPECT_EQ(state_of(core.get()), "idle");
	EXPECT_EQ(glue.loop.watched(), 0u);
	EXPECT_EQ(status_of(core.get())["topology"]["routers"], 1) << "kept while the feed is off";
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
		[&] { return status_of(core.get())["topology"]["rebuildsUnchanged"] == 1; }, 5s));
	const auto status = status_of(core.get());
	EXPECT_EQ(status["topology"]["rebuilds"], 1) << "built once, from the dump";
	EXPECT_EQ(status["lsdb"]["lsaDeletes"], 1);
	EXPECT_EQ(status["lsdb"]["lsas"], 1);
}

TEST(CoreCapi, DebounceMustNotExceedItsMaxHold)
{
	Glue glue;
	CorePtr core = glue.make_core();
	char err[128] = "";
	EXPECT_FALSE(iplb_core_set_debounce(core.get(), 500, 100, err, sizeof(err)));
	EXPECT_NE(std::string(err).find("longer than the max hold"), std::string::npos);
	EXPECT_EQ(status_of(core.get())["topology"]["debounceDelayMsec"], 200);
	EXPECT_TRUE(iplb_core_set_debounce(core.get(), 50, 1000, nullptr, 0));
	EXPECT_EQ(status_of(core.get())["topology"]["debounceMaxHoldMsec"], 1000);
}

} // namespace

namespace {

TEST(CoreCapi, StatusTextIsWrittenFromTheSameValuesAsItsJson)
{
	Glue glue;
	CorePtr core = glue.make_core();
	ASSERT_TRUE(iplb_core_set_role(core.get(), "mux", nullptr, 0));
	const iplb_glue_facts facts{.frr_version = "8.4.4", .zebra_connected = false};
	char err[128] = "";
	Text text(iplb_show_status(core.get(), &facts, false, err, sizeof(err)), &std::free);
	ASSERT_NE(text, nullptr) << err;
	const std::string out = text.get();
	EXPECT_EQ(out.rfind(std::string("iplbd ") + IPLB_VERSION + " (FRRouting 8.4.4)\n", 0), 0u)
		<< out;
	for (const char *line :
	     {"  Role:      mux\n", "  Zebra:     not connected\n",
	      "  LSDB feed: idle with ospfd API 127.0.0.1:2607 for ",
	      "    LSAs:       0 (router 0, network 0, summary 0, ASBR-summary 0, "
	      "AS-external 0, NSSA 0)\n",
	      "  Topology:  0 routers, 0 networks, 0 links, 0 prefixes\n",
	      "  Table:     0 destinations from router (unknown)\n",
	      "    Datapath:   none (computed, not installed)\n"})
		EXPECT_NE(out.find(line), std::string::npos) << line << "\nin:\n" << out;
}

// The glue's VIPs: the core decides, the glue's callback carries it.
struct VipGlue : Glue {
	std::vector<std::pair<std::string, bool>> sent;

	VipGlue()
	{
		ops.announce_vip = [](void *ctx, const char *prefix, bool announce) {
			static_cast<VipGlue *>(ctx)->sent.emplace_back(prefix, announce);
			return true;
		};
	}
};

TEST(CoreCapi, TheCoreDecidesWhichVipsGoToZebra)
{
	VipGlue glue;
	CorePtr core = glue.make_core();
	char err[128] = "";
	EXPECT_FALSE(iplb_mux_check_vip("10.99.0.0/24", err, sizeof(err)));
	EXPECT_STREQ(err, "VIP 10.99.0.0/24: an IPv4 /32 or an IPv6 /128 only");
	EXPECT_FALSE(iplb_mux_vip_set(core.get(), "10.99.0.0/24", false, err, sizeof(err)));
	EXPECT_FALSE(iplb_mux_check_vip("127.0.0.1/32", err, sizeof(err)));
	EXPECT_STREQ(err, "VIP 127.0.0.1/32: a loopback address cannot be a VIP");
	EXPECT_FALSE(iplb_mux_vip_set(core.get(), "ff02::1/128", false, err, sizeof(err)));
	EXPECT_STREQ(err, "VIP ff02::1/128: a multicast address cannot be a VIP");

	ASSERT_TRUE(iplb_mux_vip_set(core.get(), "10.99.0.1/32", false, err, sizeof(err))) << err;
	EXPECT_FALSE(iplb_mux_vip_advertised(core.get(), "10.99.0.1/32")) << "role host";
	ASSERT_TRUE(iplb_core_set_role(core.get(), "mux", nullptr, 0));
	EXPECT_TRUE(iplb_mux_vip_advertised(core.get(), "10.99.0.1/32"));
	ASSERT_TRUE(iplb_mux_vip_set(core.get(), "10.99.0.1/32", true, nullptr, 0));
	EXPECT_FALSE(iplb_mux_vip_advertised(core.get(), "10.99.0.1/32"));

	const iplb_glue_facts facts{.frr_version = "8.4.4", .zebra_connected = true};
	Text json(iplb_show_vips(core.get(), &facts, true, err, sizeof(err)), &std::free);
	ASSERT_NE(json, nullptr) << err;
	EXPECT_EQ(nlohmann::json::parse(json.get()),
		  nlohmann::json::parse(R"({"vips": [{"prefix": "10.99.0.1/32", "drain": true,
		                        "advertised": false, "reason": "drained", "etcd": false}]})"));
	Text text(iplb_show_vips(core.get(), &facts, false, err, sizeof(err)), &std::free);
	ASSERT_NE(text, nullptr) << err;
	EXPECT_NE(std::string(text.get()).find("10.99.0.1/32"), std::string::npos) << text.get();
	EXPECT_NE(std::string(text.get()).find("drained"), std::string::npos) << text.get();

	ASSERT_TRUE(iplb_mux_vip_set(core.get(), "10.99.0.1/32", false, nullptr, 0));
	iplb_mux_vip_remove_all(core.get(), "router iplb removed");
	EXPECT_FALSE(iplb_mux_vip_advertised(core.get(), "10.99.0.1/32"));
	using Sent = std::vector<std::pair<std::string, bool>>;
	EXPECT_EQ(glue.sent, (Sent{{"10.99.0.1/32", true},
				   {"10.99.0.1/32", false},
				   {"10.99.0.1/32", true},
				   {"10.99.0.1/32", false}}));
}

// No C++ exception reaches C: a failure inside the core is the function's
// documented failure, logged, and the core goes on.
struct ThrowingGlue : Glue {
	std::vector<std::string> errors;

	ThrowingGlue()
	{
		ops.log = [](void *ctx, int level, const char *message) {
			if (level == 0)
				static_cast<ThrowingGlue *>(ctx)->errors.emplace_back(message);
		};
		ops.announce_vip = [](void *, const char *, bool) -> bool {
			throw std::runtime_error("a callback that throws");
		};
	}
};

TEST(CoreCapi, NoExceptionCrossesIntoC)
{
	ThrowingGlue glue;
	CorePtr core = glue.make_core();
	char err[256] = "";
	// Role host: nothing is announced yet.
	ASSERT_TRUE(iplb_mux_vip_set(core.get(), "10.99.0.1/32", false, err, sizeof(err))) << err;
	// Role mux: the VIP is announced, and the glue's callback throws.
	EXPECT_FALSE(iplb_core_set_role(core.get(), "mux", err, sizeof(err)));
	EXPECT_STREQ(err, "iplb_core_set_role: internal error: a callback that throws");
	ASSERT_EQ(glue.errors.size(), 1u);
	EXPECT_EQ(glue.errors.front(), err);
	EXPECT_FALSE(iplb_mux_vip_set(core.get(), "10.99.0.1/32", false, err, sizeof(err)));
	EXPECT_STREQ(err, "iplb_mux_vip_set: internal error: a callback that throws");
	iplb_core_zebra_connected(core.get()); // nothing to return: logged
	EXPECT_EQ(glue.errors.size(), 3u);
	// The core still answers.
	EXPECT_EQ(status_of(core.get())["role"], "mux");
	EXPECT_FALSE(iplb_mux_vip_advertised(core.get(), "10.99.0.1/32"));
}

// The load balancer's part of the settings is checked with the rest, and
// the controller's thread reports through show; its inbox is watched only
// while it runs.
TEST(CoreCapi, LbSettingsAreCheckedWholeAndTheControllerShows)
{
	Glue glue;
	CorePtr core = glue.make_core();
	using Settings = std::unique_ptr<iplb_settings, decltype(&iplb_settings_free)>;
	const auto settings_of = [](const char *name, bool controller,
				    std::initializer_list<const char *> endpoints) {
		Settings settings(iplb_settings_new(), &iplb_settings_free);
		iplb_settings_lb(settings.get(), name, nullptr, controller, nullptr);
		for (const auto *endpoint : endpoints)
			iplb_settings_lb_endpoint(settings.get(), endpoint);
		return settings;
	};
	const struct {
		Settings settings;
		const char *expected;
	} refused[] = {
		{settings_of("", true, {}), "lb controller needs etcd endpoints"},
		{settings_of("", false, {"ftp://127.0.0.1:2379"}), "etcd endpoint 'ftp://"},
		{settings_of("", false, {"http://127.0.0.1:2379", "http://127.0.0.1:2379"}),
		 "given twice"},
		{settings_of("a/b", false, {"http://127.0.0.1:2379"}), "'a/b'"},
	};
	char err[256] = "";
	for (const auto &c : refused) {
		EXPECT_FALSE(iplb_settings_check(c.settings.get(), err, sizeof(err))) << c.expected;
		EXPECT_NE(std::string(err).find(c.expected), std::string::npos) << err;
		EXPECT_FALSE(iplb_core_configure(core.get(), c.settings.get(), err, sizeof(err)));
	}
	Text off(iplb_show_lb_controller(core.get(), true, err, sizeof(err)), &std::free);
	ASSERT_NE(off, nullptr) << err;
	EXPECT_EQ(nlohmann::json::parse(off.get())["controller"], false) << off.get();
	EXPECT_EQ(glue.loop.watched(), 0u);

	// etcd on a port nothing listens on: the controller runs, says so.
	const auto on = settings_of("c1", true, {"http://127.0.0.1:1"});
	ASSERT_TRUE(iplb_core_configure(core.get(), on.get(), err, sizeof(err))) << err;
	EXPECT_EQ(glue.loop.watched(), 1u) << "the controller's inbox";
	nlohmann::json shown;
	ASSERT_TRUE(glue.loop.run_until(
		[&] {
			Text text(iplb_show_lb_controller(core.get(), true, err, sizeof(err)),
				  &std::free);
			shown = nlohmann::json::parse(text.get());
			return !shown["etcd"]["error"].get<std::string>().empty();
		},
		5s))
		<< shown.dump();
	EXPECT_EQ(shown["name"], "c1");
	EXPECT_EQ(shown["leader"], false);
	EXPECT_EQ(shown["etcd"]["connected"], false);
	EXPECT_EQ(shown["etcd"]["endpoints"], nlohmann::json::array({"http://127.0.0.1:1"}));
	Text text(iplb_show_lb_controller(core.get(), false, err, sizeof(err)), &std::free);
	ASSERT_NE(text, nullptr) << err;
	EXPECT_NE(std::string(text.get()).find("Controller c1: standby, no leader"),
		  std::string::npos)
		<< text.get();
	EXPECT_NE(std::string(text.get()).find("unreachable"), std::string::npos) << text.get();

	const auto stopped = settings_of("c1", false, {"http://127.0.0.1:1"});
	ASSERT_TRUE(iplb_core_configure(core.get(), stopped.get(), err, sizeof(err))) << err;
	EXPECT_EQ(glue.loop.watched(), 0u);
}

} // namespace
