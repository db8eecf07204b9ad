// SPDX-License-Identifier: GPL-2.0-or-later
// MPTCP direct mode's kernel side (iplbd/mptcp/direct_mode.hpp) for real, in
// a network namespace of the test's own (a thread that unshares it): the
// signal endpoint appears in the path manager's list under iplbd's id and
// goes again, and the C flag's sysctl is set and restored. Needs root;
// skipped, with the reason, without MPTCP.
#include "mptcp/direct_mode.hpp"
#include "mptcp_netns.hpp"
#include "util/unique_fd.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

namespace iplb::mptcp {
namespace {

// What `ip mptcp endpoint show` says in the calling thread's namespace.
std::string endpoints()
{
	std::string out;
	std::unique_ptr<FILE, int (*)(FILE *)> pipe(::popen("ip mptcp endpoint show", "r"),
						    ::pclose);
	if (!pipe)
		return "popen failed";
	std::array<char, 256> line{};
	while (std::fgets(line.data(), line.size(), pipe.get()))
		out += line.data();
	return out;
}

TEST(MptcpDirectMode, AnnouncesTheAddressAndSetsTheCFlagThenUndoesBoth)
{
	const std::string skip = testing::in_mptcp_netns([&] {
		const IpAddress dip = parse_ip_address("10.1.1.2").value();
		EXPECT_EQ(joins_to_initial_address_allowed().value(), true) << "the default";

		ASSERT_TRUE(add_signal_endpoint(dip)) << endpoints();
		auto listed = endpoints();
		EXPECT_NE(listed.find("10.1.1.2 id 200 signal"), std::string::npos) << listed;
		ASSERT_TRUE(add_signal_endpoint(dip)) << "again: replaced, not refused";
		ASSERT_TRUE(allow_joins_to_initial_address(false));
		EXPECT_EQ(joins_to_initial_address_allowed().value(), false);

		ASSERT_TRUE(remove_endpoint());
		EXPECT_EQ(endpoints().find("10.1.1.2"), std::string::npos) << endpoints();
		ASSERT_TRUE(remove_endpoint()) << "none there: fine";
		ASSERT_TRUE(allow_joins_to_initial_address(true));
		EXPECT_EQ(joins_to_initial_address_allowed().value(), true);
	});
	if (!skip.empty())
		GTEST_SKIP() << skip;
}

} // namespace
} // namespace iplb::mptcp
