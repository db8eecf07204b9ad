// SPDX-License-Identifier: GPL-2.0-or-later
// MPTCP path-manager events from the kernel (iplbd/mptcp/event_source.hpp),
// for real: a connection over loopback in a network namespace of the
// test's own (a thread that unshares it; gone with the thread). The token
// the server side's event names must be the one the accepted socket
// reports (MPTCP_INFO), and each side's closed event must name its token.
// Needs root (unshare, the event group); skipped, with the reason, where
// the kernel has no MPTCP.
#include "mptcp/event_source.hpp"
#include "mptcp_netns.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <linux/mptcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>

namespace iplb::mptcp {
namespace {

// Events until `done` says so, or 3 s.
template <typename Done>
void collect(EventSource &source, std::vector<Event> &events, Done done)
{
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
	while (!done() && std::chrono::steady_clock::now() < deadline) {
		pollfd waiting{source.fd(), POLLIN, 0};
		::poll(&waiting, 1, 100);
		auto batch = source.receive();
		ASSERT_TRUE(batch) << batch.error().message;
		EXPECT_EQ(batch->malformed, 0u) << batch->first_error;
		EXPECT_FALSE(batch->lost);
		events.insert(events.end(), batch->events.begin(), batch->events.end());
	}
}

const Event *find(const std::vector<Event> &events, EventKind kind, bool server_side)
{
	for (const auto &event : events)
		if (event.kind == kind && event.server_side == server_side)
			return &event;
	return nullptr;
}

const Event *find_token(const std::vector<Event> &events, EventKind kind, uint32_t token)
{
	for (const auto &event : events)
		if (event.kind == kind && event.token == token)
			return &event;
	return nullptr;
}

TEST(MptcpEvents, ALoopbackConnectionReportsItsTokens)
{
	const std::string skip = testing::in_mptcp_netns([&] {
		auto source = EventSource::open();
		ASSERT_TRUE(source) << source.error().message;

		UniqueFd listener(::socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP));
		sockaddr_in address{};
		address.sin_family = AF_INET;
		address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		address.sin_port = htons(8080);
		ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr *>(&address),
				 sizeof(address)),
			  0)
			<< std::strerror(errno);
		ASSERT_EQ(::listen(listener.get(), 4), 0);
		UniqueFd client(::socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP));
		ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr *>(&address),
				    sizeof(address)),
			  0)
			<< std::strerror(errno);
		std::optional<UniqueFd> accepted;
		accepted.emplace(::accept(listener.get(), nullptr, nullptr));
		ASSERT_GE(accepted->get(), 0);
		// Data both ways: the connection is MPTCP end to end (no fallback).
		ASSERT_EQ(::send(client.get(), "x", 1, 0), 1);
		char byte = 0;
		ASSERT_EQ(::recv(accepted->get(), &byte, 1, 0), 1);
		mptcp_info info{};
		socklen_t length = sizeof(info);
		ASSERT_EQ(::getsockopt(accepted->get(), SOL_MPTCP, MPTCP_INFO, &info, &length), 0)
			<< "no MPTCP_INFO: the connection fell back to TCP? "
			<< std::strerror(errno);
		const uint32_t server_token = info.mptcpi_token;

		std::vector<Event> events;
		collect(*source, events, [&] {
			return find(events, EventKind::created, true) &&
			       find(events, EventKind::established, false);
		});
		const auto *created = find(events, EventKind::created, true);
		ASSERT_NE(created, nullptr)
			<< events.size() << " events, none created on the server";
		EXPECT_EQ(created->token, server_token);
		EXPECT_EQ(created->local, IpAddress{Ipv4{0x7f000001}});
		EXPECT_EQ(created->local_port, 8080);
		const auto *client_side = find(events, EventKind::established, false);
		ASSERT_NE(client_side, nullptr);
		EXPECT_NE(client_side->token, server_token) << "each side has its own token";
		EXPECT_EQ(client_side->remote_port, 8080);
		const uint32_t client_token = client_side->token;

		accepted.reset();
		client.reset();
		collect(*source, events, [&] {
			return find_token(events, EventKind::closed, server_token) &&
			       find_token(events, EventKind::closed, client_token);
		});
		EXPECT_NE(find_token(events, EventKind::closed, server_token), nullptr);
		EXPECT_NE(find_token(events, EventKind::closed, client_token), nullptr);
		std::printf("[mptcp] %zu events over one loopback connection; server token "
			    "%08x (its MPTCP_INFO too), client token %08x, both closed\n",
			    events.size(), server_token, client_token);
	});
	if (!skip.empty())
		GTEST_SKIP() << skip;
}

} // namespace
} // namespace iplb::mptcp
