// SPDX-License-Identifier: GPL-2.0-or-later
// Roles, what each runs, and the uptime operators read.
#include "daemon/daemon.hpp"
#include "roles/role.hpp"
#include "show/uptime.hpp"

#include "poll_loop.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace iplb {
namespace {

TEST(Role, NamesRoundTrip)
{
	for (Role role : all_roles) {
		auto parsed = parse_role(to_string(role));
		ASSERT_TRUE(parsed) << to_string(role);
		EXPECT_EQ(*parsed, role);
	}
}

TEST(Role, UnknownNameIsAnErrorThatNamesTheToken)
{
	auto parsed = parse_role("router");
	ASSERT_FALSE(parsed);
	EXPECT_NE(parsed.error().message.find("'router'"), std::string::npos);
	EXPECT_NE(parsed.error().message.find("host, mux or backend"), std::string::npos);
}

TEST(Role, MatchIsExact)
{
	EXPECT_FALSE(parse_role("Host"));
	EXPECT_FALSE(parse_role("host "));
	EXPECT_FALSE(parse_role(""));
}

TEST(Role, OnlyAMuxAdvertisesVips)
{
	EXPECT_EQ(planes_of(Role::host), (Planes{.host = true, .mux = false}));
	EXPECT_EQ(planes_of(Role::mux), (Planes{.host = true, .mux = true}));
	EXPECT_EQ(planes_of(Role::backend), (Planes{.host = true, .mux = false}));
}

TEST(Uptime, BelowADayIsClockLike)
{
	EXPECT_EQ(format_uptime(0s), "00:00:00");
	EXPECT_EQ(format_uptime(59s), "00:00:59");
	EXPECT_EQ(format_uptime(1h + 2min + 3s), "01:02:03");
	EXPECT_EQ(format_uptime(24h - 1s), "23:59:59");
}

TEST(Uptime, DaysThenWeeks)
{
	EXPECT_EQ(format_uptime(24h), "1d00h00m");
	EXPECT_EQ(format_uptime(2 * 24h + 3h + 4min + 5s), "2d03h04m");
	EXPECT_EQ(format_uptime(7 * 24h), "01w0d00h");
	EXPECT_EQ(format_uptime(15 * 24h + 5h), "02w1d05h");
}

TEST(Uptime, NegativeIsZero)
{
	EXPECT_EQ(format_uptime(-5s), "00:00:00");
}

TEST(DaemonRole, UptimeIsMeasuredFromStart)
{
	test::PollLoop loop;
	const Daemon::Clock::time_point start = Daemon::Clock::now();
	Daemon daemon(loop, {}, start);
	EXPECT_EQ(daemon.uptime(start), 0s);
	EXPECT_EQ(daemon.uptime(start + 90s + 500ms), 90s);
}

TEST(DaemonRole, RoleDefaultsToHostAndPicksThePlanes)
{
	test::PollLoop loop;
	Daemon daemon(loop);
	EXPECT_EQ(daemon.role(), Role::host);
	EXPECT_FALSE(daemon.planes().mux);
	daemon.set_role(Role::mux);
	EXPECT_EQ(daemon.role(), Role::mux);
	EXPECT_TRUE(daemon.planes().mux);
	daemon.set_role(Role::backend);
	EXPECT_EQ(daemon.role(), Role::backend);
	EXPECT_FALSE(daemon.planes().mux);
}

} // namespace
} // namespace iplb
