// SPDX-License-Identifier: GPL-2.0-or-later
// The MPTCP token store (iplbd/mptcp/token_store.hpp) against a real
// redis-server: publish, look up, withdraw, collisions, what subscribers
// see, the backend's reconcile list, and a restarted server.
#include "mptcp/token_store.hpp"
#include "redis_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

namespace iplb::mptcp {
namespace {

using namespace std::chrono_literals;
using cluster::testing::RedisServer;

class TokenStoreTest : public ::testing::Test {
protected:
	static void SetUpTestSuite()
	{
		const auto binary = RedisServer::find_redis();
		if (!binary)
			return; // each test skips with the reason
		auto started = RedisServer::start(*binary);
		ASSERT_TRUE(started) << started.error().message;
		server_ = std::move(*started);
	}
	static void TearDownTestSuite() { server_.reset(); }

	void SetUp() override
	{
		if (!server_)
			GTEST_SKIP() << "no redis-server (apt-get install redis-server; "
					"./quickstart.sh installs it)";
		auto client = redis::Client::connect(server_->endpoint(), 1000ms);
		ASSERT_TRUE(client) << client.error().message;
		client_.emplace(std::move(*client));
		ASSERT_TRUE(client_->command({"FLUSHALL"}));
		const std::string endpoints[] = {server_->endpoint()};
		auto keyspace = redis::Keyspace::connect(endpoints, 1000ms);
		ASSERT_TRUE(keyspace) << keyspace.error().message;
		ASSERT_FALSE(keyspace->cluster());
		keyspace_.emplace(std::move(*keyspace));
		store_.emplace(*keyspace_);
	}

	static std::unique_ptr<RedisServer> server_;
	std::optional<redis::Client> client_;
	std::optional<redis::Keyspace> keyspace_;
	std::optional<TokenStore> store_;
};
std::unique_ptr<RedisServer> TokenStoreTest::server_;

TEST_F(TokenStoreTest, PublishLookUpWithdraw)
{
	auto published = store_->publish(0x4a0e41dd, "10.1.1.2");
	ASSERT_TRUE(published) << published.error().message;
	EXPECT_TRUE(std::holds_alternative<Published>(*published));
	EXPECT_EQ(store_->lookup(0x4a0e41dd).value(), "10.1.1.2");
	EXPECT_TRUE(
		std::holds_alternative<Published>(store_->publish(0x4a0e41dd, "10.1.1.2").value()))
		<< "publishing again is idempotent";
	EXPECT_EQ(client_->command({"GET", "iplb:mptcp:token:4a0e41dd"})->string() != nullptr,
		  true);

	// Another backend with the same token: the first keeps it.
	const auto collision = store_->publish(0x4a0e41dd, "10.1.2.2").value();
	ASSERT_TRUE(std::holds_alternative<Collision>(collision));
	EXPECT_EQ(std::get<Collision>(collision).owner, "10.1.1.2");
	EXPECT_FALSE(store_->withdraw(0x4a0e41dd, "10.1.2.2").value()) << "not its token";
	EXPECT_EQ(store_->lookup(0x4a0e41dd).value(), "10.1.1.2");

	EXPECT_TRUE(store_->withdraw(0x4a0e41dd, "10.1.1.2").value());
	EXPECT_EQ(store_->lookup(0x4a0e41dd).value(), std::nullopt);
	EXPECT_FALSE(store_->withdraw(0x4a0e41dd, "10.1.1.2").value()) << "gone already";
}

TEST_F(TokenStoreTest, SubscribersSeeEveryChangeInOrder)
{
	auto subscriber = redis::Client::connect(server_->endpoint(), 1000ms);
	ASSERT_TRUE(subscriber);
	ASSERT_TRUE(subscriber->subscribe(store_->channel()));
	const auto started = std::chrono::steady_clock::now();
	ASSERT_TRUE(store_->publish(1, "10.1.1.2"));
	ASSERT_TRUE(store_->publish(1, "10.1.2.2")); // a collision: nothing published
	ASSERT_TRUE(store_->publish(0xffffffff, "10.1.2.2"));
	ASSERT_TRUE(store_->withdraw(1, "10.1.1.2"));
	std::vector<TokenUpdate> seen;
	while (seen.size() < 3) {
		auto message = subscriber->next_message(2000ms);
		ASSERT_TRUE(message) << message.error().message;
		ASSERT_TRUE(message->has_value()) << "only " << seen.size() << " updates";
		EXPECT_EQ((*message)->channel, "iplb:mptcp:tokens");
		const auto update = parse_update((*message)->payload);
		ASSERT_TRUE(update) << (*message)->payload;
		seen.push_back(*update);
	}
	const auto took = std::chrono::duration<double, std::milli>(
				  std::chrono::steady_clock::now() - started)
				  .count();
	EXPECT_EQ(seen, (std::vector<TokenUpdate>{{true, 1, "10.1.1.2"},
						  {true, 0xffffffff, "10.1.2.2"},
						  {false, 1, "10.1.1.2"}}));
	EXPECT_EQ(subscriber->next_message(200ms).value(), std::nullopt) << "nothing more";
	std::printf("[tokens] 3 updates (a collision published none) reached a subscriber in "
		    "%.1f ms\n",
		    took);
}

TEST_F(TokenStoreTest, SubflowsArePublishedOverwrittenAndWithdrawnByTheirHolder)
{
	auto subscriber = redis::Client::connect(server_->endpoint(), 1000ms);
	ASSERT_TRUE(subscriber);
	const std::string channels[] = {store_->channel(), store_->subflows_channel()};
	ASSERT_TRUE(subscriber->subscribe(channels));
	const SubflowKey v4{Ipv4{0x0a0b0002}, 41000, Ipv4{0xc0000250}, 8080};
	const SubflowKey v6 = parse_subflow_text("2001:db8::7,443,2001:db8::80,80").value();
	ASSERT_TRUE(store_->publish_subflow(v4, "10.1.1.2"));
	ASSERT_TRUE(store_->publish_subflow(v6, "2001:db8::2"));
	ASSERT_TRUE(store_->publish(5, "10.1.1.2"));
	EXPECT_EQ(store_->key(v4), "iplb:mptcp:subflow:10.11.0.2,41000,192.0.2.80,8080");
	EXPECT_EQ(store_->subflows().value(),
		  (std::map<SubflowKey, std::string>{{v4, "10.1.1.2"}, {v6, "2001:db8::2"}}));
	EXPECT_EQ(store_->all().value().size(), 1u) << "tokens and subflows apart";
	// A later connection on the same 4-tuple, on another backend.
	ASSERT_TRUE(store_->publish_subflow(v4, "10.1.2.2"));
	EXPECT_FALSE(store_->withdraw_subflow(v4, "10.1.1.2").value()) << "not its subflow";
	EXPECT_EQ(store_->subflows_owned_by("10.1.2.2").value(), std::set<SubflowKey>{v4});
	EXPECT_TRUE(store_->subflows_owned_by("10.1.1.2").value().empty());
	EXPECT_TRUE(store_->withdraw_subflow(v4, "10.1.2.2").value());
	EXPECT_EQ(store_->subflows().value().size(), 1u);

	// The subscriber of both channels saw each change on its channel, in
	// order; both subscriptions confirmed in one command.
	std::vector<std::pair<std::string, std::string>> seen;
	while (seen.size() < 5) {
		auto message = subscriber->next_message(2000ms);
		ASSERT_TRUE(message) << message.error().message;
		ASSERT_TRUE(message->has_value()) << "only " << seen.size() << " messages";
		seen.emplace_back((*message)->channel, (*message)->payload);
	}
	const std::string subflows = "iplb:mptcp:subflows";
	EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{
				{subflows, "+10.11.0.2,41000,192.0.2.80,8080 10.1.1.2"},
				{subflows, "+2001:db8::7,443,2001:db8::80,80 2001:db8::2"},
				{"iplb:mptcp:tokens", "+00000005 10.1.1.2"},
				{subflows, "+10.11.0.2,41000,192.0.2.80,8080 10.1.2.2"},
				{subflows, "-10.11.0.2,41000,192.0.2.80,8080 10.1.2.2"}}));
}

TEST_F(TokenStoreTest, ABackendFindsWhatItHoldsForItsReconcile)
{
	for (uint32_t t = 0; t < 50; t++)
		ASSERT_TRUE(store_->publish(0x10000 + t, "10.1.1.2"));
	for (uint32_t t = 0; t < 20; t++)
		ASSERT_TRUE(store_->publish(0x20000 + t, "10.1.2.2"));
	ASSERT_TRUE(client_->command({"SET", "iplb:mptcp:token:nothex!", "10.1.1.2"}));
	const auto owned = store_->owned_by("10.1.1.2");
	ASSERT_TRUE(owned) << owned.error().message;
	EXPECT_EQ(owned->size(), 50u);
	EXPECT_TRUE(owned->contains(0x10000) && owned->contains(0x10000 + 49));
	EXPECT_FALSE(owned->contains(0x20000));
}

TEST_F(TokenStoreTest, ARestartedServerHasForgottenEverything)
{
	ASSERT_TRUE(store_->publish(7, "10.1.1.2"));
	ASSERT_TRUE(server_->restart());
	// The old connection failed; a new one sees an empty store (no
	// persistence): the backends' agents publish again on reconnecting.
	EXPECT_FALSE(client_->command({"PING"}));
	EXPECT_TRUE(client_->failed());
	const std::string endpoints[] = {server_->endpoint()};
	auto fresh = redis::Keyspace::connect(endpoints, 1000ms);
	ASSERT_TRUE(fresh);
	TokenStore again(*fresh);
	EXPECT_EQ(again.lookup(7).value(), std::nullopt);
}

} // namespace
} // namespace iplb::mptcp
