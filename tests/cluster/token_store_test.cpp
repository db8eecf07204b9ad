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
		store_.emplace(*client_);
	}

	static std::unique_ptr<RedisServer> server_;
	std::optional<redis::Client> client_;
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
	auto fresh = redis::Client::connect(server_->endpoint(), 1000ms);
	ASSERT_TRUE(fresh);
	TokenStore again(*fresh);
	EXPECT_EQ(again.lookup(7).value(), std::nullopt);
}

} // namespace
} // namespace iplb::mptcp
