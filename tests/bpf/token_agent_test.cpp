// SPDX-License-Identifier: GPL-2.0-or-later
// A backend's MPTCP token agent (iplbd/mptcp/token_agent.hpp) for real, in
// a network namespace of the test's own (a thread that unshares it): a
// redis-server started in it, MPTCP connections over its loopback. Every
// accepted connection's token appears in Redis with the backend's DIP and
// goes when the connection closes; a restarted Redis gets them back; a
// token Redis names this DIP for that the backend does not hold goes at
// the next reconcile. Needs root; skipped, with the reason, without MPTCP
// or redis-server.
#include "../cluster/eventually.hpp"
#include "../cluster/redis_server.hpp"
#include "mptcp/token_agent.hpp"
#include "mptcp_netns.hpp"
#include "redis/redis_client.hpp"
#include "util/unique_fd.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <linux/mptcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <set>
#include <vector>

namespace iplb::mptcp {
namespace {

using namespace std::chrono_literals;

using test_support::eventually;

// One accepted MPTCP connection, its server-side token and the client's
// port of its join subflow (0 until the path manager added it).
struct Connection {
	UniqueFd client;
	UniqueFd accepted;
	uint32_t token = 0;
	uint16_t join_port = 0;
};

// The port of the client's second subflow (MPTCP_SUBFLOW_ADDRS), or 0.
uint16_t join_port(const Connection &c)
{
	struct {
		mptcp_subflow_data data;
		mptcp_subflow_addrs addrs[4];
	} request{};
	request.data.size_subflow_data = sizeof(request.data);
	request.data.size_user = sizeof(mptcp_subflow_addrs);
	socklen_t length = sizeof(request);
	if (::getsockopt(c.client.get(), SOL_MPTCP, MPTCP_SUBFLOW_ADDRS, &request, &length) != 0)
		return 0;
	for (uint32_t i = 0; i < std::min<uint32_t>(request.data.num_subflows, 4); i++)
		if (request.addrs[i].sin_local.sin_addr.s_addr == htonl(0x7f000002))
			return ntohs(request.addrs[i].sin_local.sin_port);
	return 0;
}

Connection connect_one(int listener, const sockaddr_in &address)
{
	Connection c{UniqueFd(::socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP)), UniqueFd()};
	EXPECT_EQ(::connect(c.client.get(), reinterpret_cast<const sockaddr *>(&address),
			    sizeof(address)),
		  0);
	c.accepted = UniqueFd(::accept(listener, nullptr, nullptr));
	EXPECT_EQ(::send(c.client.get(), "x", 1, 0), 1);
	char byte = 0;
	EXPECT_EQ(::recv(c.accepted.get(), &byte, 1, 0), 1);
	mptcp_info info{};
	socklen_t length = sizeof(info);
	EXPECT_EQ(::getsockopt(c.accepted.get(), SOL_MPTCP, MPTCP_INFO, &info, &length), 0);
	c.token = info.mptcpi_token;
	return c;
}

TEST(MptcpTokenAgent, RedisHoldsExactlyTheTokensTheBackendAccepted)
{
	const auto binary = cluster::testing::RedisServer::find_redis();
	if (!binary)
		GTEST_SKIP() << "no redis-server (apt-get install redis-server)";
	const std::string skip = testing::in_mptcp_netns([&] {
		// Forked from this thread, `ip` runs in its namespace.
		ASSERT_EQ(std::system("ip mptcp limits set subflow 2 add_addr_accepted 0 && "
				      "ip mptcp endpoint add 127.0.0.2 dev lo subflow"),
			  0);
		// Forked from this thread: the server lives in the namespace.
		auto server = cluster::testing::RedisServer::start(*binary);
		ASSERT_TRUE(server) << server.error().message;
		auto events = EventSource::open();
		ASSERT_TRUE(events) << events.error().message;
		std::optional<redis::Client> reader;
		if (auto connected = redis::Client::connect((*server)->endpoint(), 1000ms))
			reader.emplace(std::move(*connected));
		ASSERT_TRUE(reader);
		// A stale entry of this DIP (a crashed agent's): the reconcile
		// removes it.
		ASSERT_TRUE(reader->command({"SET", "iplb:mptcp:token:0badf00d", "10.1.1.2"}));
		ASSERT_TRUE(reader->command(
			{"SET", "iplb:mptcp:subflow:127.0.0.9,9,127.0.0.1,8080", "10.1.1.2"}));

		TokenAgentOptions options;
		options.dip = "10.1.1.2";
		options.redis = {(*server)->endpoint()};
		options.retry = 200ms;
		options.reconcile = 500ms;
		TokenAgent agent(std::move(*events), options, {});

		const auto holder = [&](uint32_t token) -> std::string {
			if (reader->failed()) {
				auto again = redis::Client::connect((*server)->endpoint(), 1000ms);
				if (!again)
					return "?";
				reader.emplace(std::move(*again));
			}
			auto reply =
				reader->command({"GET", "iplb:mptcp:token:" + token_hex(token)});
			return reply && reply->string() ? *reply->string() : "";
		};
		// The subflows Redis names 10.1.1.2 for (SCAN: whatever their
		// ports).
		const auto subflows = [&] {
			const std::string endpoints[] = {(*server)->endpoint()};
			auto keyspace = redis::Keyspace::connect(endpoints, 1000ms);
			if (!keyspace)
				return std::set<SubflowKey>{};
			TokenStore store(*keyspace);
			auto owned = store.subflows_owned_by("10.1.1.2");
			return owned ? *owned : std::set<SubflowKey>{};
		};
		const auto joins_of = [](const std::vector<Connection> &held) {
			std::set<uint16_t> ports;
			for (const auto &c : held)
				ports.insert(c.join_port);
			return ports;
		};
		const auto published_joins = [&] {
			std::set<uint16_t> ports;
			for (const auto &subflow : subflows())
				if (subflow.client == IpAddress{Ipv4{0x7f000002}} &&
				    subflow.vip == IpAddress{Ipv4{0x7f000001}} &&
				    subflow.vip_port == 8080)
					ports.insert(subflow.client_port);
			return ports;
		};

		UniqueFd listener(::socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP));
		sockaddr_in address{};
		address.sin_family = AF_INET;
		address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		address.sin_port = htons(8080);
		ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr *>(&address),
				 sizeof(address)),
			  0);
		ASSERT_EQ(::listen(listener.get(), 16), 0);
		std::vector<Connection> connections;
		for (int i = 0; i < 5; i++)
			connections.push_back(connect_one(listener.get(), address));
		const auto started = std::chrono::steady_clock::now();
		for (const auto &c : connections)
			ASSERT_TRUE(
				eventually(3000ms, [&] { return holder(c.token) == "10.1.1.2"; }))
				<< token_hex(c.token) << ": " << holder(c.token);
		const double published_ms = std::chrono::duration<double, std::milli>(
						    std::chrono::steady_clock::now() - started)
						    .count();
		ASSERT_TRUE(eventually(3000ms, [&] { return holder(0x0badf00d).empty(); }))
			<< "the stale token stayed";
		for (auto &c : connections)
			ASSERT_TRUE(eventually(3000ms, [&] {
				return (c.join_port = join_port(c));
			})) << "the client's path manager added no subflow";
		ASSERT_TRUE(eventually(3000ms,
				       [&] { return published_joins() == joins_of(connections); }))
			<< published_joins().size() << " join subflows in Redis";
		ASSERT_TRUE(eventually(3000ms, [&] { return subflows().size() == 5; }))
			<< "the stale subflow stayed";

		// Two close: their tokens go; the others stay.
		const uint32_t closed = connections[0].token;
		connections.erase(connections.begin());
		ASSERT_TRUE(eventually(3000ms, [&] { return holder(closed).empty(); }));
		EXPECT_EQ(holder(connections[0].token), "10.1.1.2");
		ASSERT_TRUE(eventually(3000ms, [&] {
			return published_joins() == joins_of(connections);
		})) << "the closed connection's join subflow stayed";

		// Redis restarted, empty: the agent publishes everything again.
		ASSERT_TRUE((*server)->restart());
		for (const auto &c : connections)
			ASSERT_TRUE(
				eventually(5000ms, [&] { return holder(c.token) == "10.1.1.2"; }))
				<< token_hex(c.token) << " not published again";
		ASSERT_TRUE(eventually(5000ms, [&] {
			return published_joins() == joins_of(connections);
		})) << "the join subflows not published again";
		const auto view = agent.view();
		EXPECT_TRUE(view.redis_connected) << view.redis_error;
		EXPECT_EQ(view.tokens, connections.size());
		EXPECT_EQ(view.collisions.size(), 0u);
		EXPECT_GE(view.stale_withdrawn, 1u);
		EXPECT_EQ(view.subflows, connections.size());
		EXPECT_GE(view.stale_subflows_withdrawn, 1u);
		EXPECT_EQ(view.malformed_events, 0u);
		std::printf(
			"[mptcp] 5 tokens in Redis within %.1f ms of their connections (polled "
			"every "
			"20 ms); a stale one "
			"withdrawn by the reconcile, a closed one withdrawn, all published again "
			"after Redis restarted (published %llu, withdrawn %llu, reconciles %llu)\n",
			published_ms, static_cast<unsigned long long>(view.published),
			static_cast<unsigned long long>(view.withdrawn),
			static_cast<unsigned long long>(view.reconciles));
	});
	if (!skip.empty())
		GTEST_SKIP() << skip;
}

} // namespace
} // namespace iplb::mptcp
