// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's plane: what a change of its configuration restarts.
// No etcd and no eBPF: the endpoint is a closed port on loopback (the
// controller only retries), and the pin root cannot be created (under
// /dev/null), so the role's program never opens and nothing is mounted or
// loaded; the role's part still starts and stops, which the test sees
// through the plane's listeners and privilege hooks.
#include "roles/lb_plane.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <set>
#include <string>

namespace iplb {
namespace {

class IdleIo : public IoDriver {
public:
	void watch(int, Interest) override {}
	void arm_timer(std::chrono::milliseconds) override {}
	void cancel_timer() override {}
};

// Counts every time the plane touches the role's part: privileges are
// raised to open, attach or detach its program, the VIPs are withdrawn
// when the mux stops, health changes when its problems come or go.
struct Touches {
	int raised = 0;
	int vips = 0;
	int health = 0;

	friend bool operator==(const Touches &, const Touches &) = default;
};

void PrintTo(const Touches &t, std::ostream *out)
{
	*out << "{raised " << t.raised << ", vips " << t.vips << ", health " << t.health << "}";
}

class LbPlaneTest : public ::testing::Test {
protected:
	LbPlaneTest()
	{
		plane_.set_privileges(Privileges{[this] { touches_.raised++; },
						 [] {
						 }});
		plane_.set_vips_listener([this](const std::set<IpPrefix> &) { touches_.vips++; });
		plane_.set_health_listener([this] { touches_.health++; });
		config_.endpoints = {"http://127.0.0.1:1"};
		config_.name = "n1";
		config_.interfaces = {"iplbt0"};
		config_.pin_root = "/dev/null/iplb-unit-test";
	}

	// The role's part was started once and has stayed as it was.
	void expect_role_started(const std::string &program)
	{
		ASSERT_EQ(plane_.problems().size(), 1u);
		EXPECT_NE(plane_.problems()[0].find("cannot open the " + program + " program"),
			  std::string::npos)
			<< plane_.problems()[0];
	}

	// Toggles the controller on and off: the role's part is not touched.
	void toggle_controller_only(const std::string &program)
	{
		const auto before = touches_;
		config_.controller = true;
		ASSERT_TRUE(plane_.configure(config_));
		EXPECT_TRUE(plane_.controller_view().has_value());
		EXPECT_EQ(touches_, before) << "the " << program << " was restarted";
		expect_role_started(program);

		config_.controller = false;
		ASSERT_TRUE(plane_.configure(config_));
		EXPECT_FALSE(plane_.controller_view().has_value());
		EXPECT_EQ(touches_, before) << "the " << program << " was restarted";
		expect_role_started(program);

		// Another change of the role's part does restart it (the test sees
		// a restart when there is one).
		config_.interfaces = {"iplbt1"};
		ASSERT_TRUE(plane_.configure(config_));
		EXPECT_NE(touches_, before);
		expect_role_started(program);
	}

	IdleIo io_;
	Touches touches_;
	LbPlane plane_{io_, {}};
	LbPlaneConfig config_;
};

TEST_F(LbPlaneTest, ControllerFlagAloneLeavesTheMuxAlone)
{
	plane_.set_role(Role::mux);
	ASSERT_TRUE(plane_.configure(config_));
	expect_role_started("mux");
	EXPECT_GT(touches_.raised, 0);
	toggle_controller_only("mux");
}

TEST_F(LbPlaneTest, ControllerFlagAloneLeavesTheBackendAlone)
{
	plane_.set_role(Role::backend);
	ASSERT_TRUE(plane_.configure(config_));
	expect_role_started("backend");
	EXPECT_GT(touches_.raised, 0);
	toggle_controller_only("backend");
}

TEST(LbPlaneController, RestartsOnlyForItsOwnSettings)
{
	IdleIo io;
	int started = 0;
	LbPlane plane(io, [&](LogLevel, const std::string &message) {
		started += message.find("lb controller n1 started") != std::string::npos;
	});
	LbPlaneConfig config;
	config.endpoints = {"http://127.0.0.1:1"};
	config.name = "n1";
	config.controller = true;
	ASSERT_TRUE(plane.configure(config));
	EXPECT_EQ(started, 1);
	// Not the controller's: it keeps running (and leading, if it does).
	config.interfaces = {"iplbt0"};
	config.instance = "other";
	ASSERT_TRUE(plane.configure(config));
	EXPECT_EQ(started, 1);
	// Its own: a new one campaigns with them.
	config.prefix = "/other/";
	ASSERT_TRUE(plane.configure(config));
	EXPECT_EQ(started, 2);
	config.endpoints.push_back("http://127.0.0.1:2");
	ASSERT_TRUE(plane.configure(config));
	EXPECT_EQ(started, 3);
}

// `lb redis endpoints`: checked before anything changes.
TEST(LbPlaneConfigCheck, RedisEndpoints)
{
	LbPlaneConfig config;
	config.redis = {"127.0.0.1:6379", "redis.example:6380", "[2001:db8::1]:6379"};
	EXPECT_TRUE(check_lb_config(config));
	for (const auto &[bad, expected] :
	     {std::pair{"127.0.0.1", "HOST:PORT"}, std::pair{"127.0.0.1:0", "1-65535"},
	      std::pair{"127.0.0.1:70000", "1-65535"}, std::pair{":6379", "HOST:PORT"},
	      std::pair{"a b:6379", "host name"}}) {
		config.redis = {bad};
		const auto checked = check_lb_config(config);
		ASSERT_FALSE(checked) << bad;
		EXPECT_NE(checked.error().message.find(expected), std::string::npos)
			<< checked.error().message;
	}
	config.redis = {"127.0.0.1:6379", "127.0.0.1:6379"};
	const auto twice = check_lb_config(config);
	ASSERT_FALSE(twice);
	EXPECT_NE(twice.error().message.find("given twice"), std::string::npos);
}

// Only Redis changes: the mux (or backend) and its agent are not restarted
// (its program would be detached for a moment otherwise).
TEST_F(LbPlaneTest, RedisAloneLeavesTheMuxAlone)
{
	plane_.set_role(Role::mux);
	ASSERT_TRUE(plane_.configure(config_));
	expect_role_started("mux");
	const auto before = touches_;
	config_.redis = {"127.0.0.1:1"};
	ASSERT_TRUE(plane_.configure(config_));
	EXPECT_EQ(touches_.vips, before.vips) << "the mux was restarted";
	config_.redis.clear();
	ASSERT_TRUE(plane_.configure(config_));
	EXPECT_EQ(touches_.vips, before.vips) << "the mux was restarted";
}

} // namespace
} // namespace iplb
