// SPDX-License-Identifier: GPL-2.0-or-later
#include "status/daemon_status.hpp"
#include "status/role.hpp"
#include "status/uptime.hpp"

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

TEST(DaemonStatus, UptimeIsMeasuredFromStart)
{
	const DaemonStatus::Clock::time_point start{};
	DaemonStatus status(start);
	EXPECT_EQ(status.uptime(start), 0s);
	EXPECT_EQ(status.uptime(start + 90s + 500ms), 90s);
}

TEST(DaemonStatus, RoleDefaultsToHost)
{
	DaemonStatus status;
	EXPECT_EQ(status.role(), Role::host);
	status.set_role(Role::backend);
	EXPECT_EQ(status.role(), Role::backend);
}

} // namespace
} // namespace iplb
