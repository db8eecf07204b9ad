// SPDX-License-Identifier: GPL-2.0-or-later
// The mux's MPTCP token mirror (iplbd/mptcp/token_mirror.hpp) against a real
// redis-server, over an in-memory token map (the BPF map's stand-in: the
// datapath side is tests/bpf's MuxMptcp): the whole store read at start,
// changes pushed by the channel, misses looked up, Redis down and back (the
// map keeps its tokens; stale ones go at the second full read that misses
// them), malformed messages counted. Then the store and the mirror over a
// Redis Cluster of 3 masters (keys on every master, a MOVED followed).
#include "mptcp/token_mirror.hpp"
#include "mptcp/token_store.hpp"
#include "eventually.hpp"
#include "redis_server.hpp"
#include "util/ipv6.hpp"
#include "util/unique_fd.hpp"

#include <gtest/gtest.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

namespace iplb::mptcp {
namespace {

using namespace std::chrono_literals;
using cluster::testing::RedisCluster;
using cluster::testing::RedisServer;
using Clock = std::chrono::steady_clock;

// Polled every 5 ms: the latencies it prints are that fine.
template <typename F>
bool eventually(std::chrono::milliseconds timeout, F condition)
{
	return test_support::eventually(timeout, condition, 5ms);
}

// The map, and misses the test hands over as the datapath would.
class MemoryTokens final : public TokenDataplane {
public:
	MemoryTokens() : misses_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

	Status set_token(uint32_t token, const std::string &dip) override
	{
		if (!parse_ip_address(dip))
			return unexpected(Error{"not an address: " + dip});
		std::lock_guard lock(mutex_);
		tokens_[token] = dip;
		return ok();
	}
	Status remove_token(uint32_t token) override
	{
		std::lock_guard lock(mutex_);
		tokens_.erase(token);
		return ok();
	}
	Result<std::map<uint32_t, std::string>, Error> tokens() const override
	{
		std::lock_guard lock(mutex_);
		return tokens_;
	}
	Status set_subflow(const SubflowKey &subflow, const std::string &dip) override
	{
		if (!parse_ip_address(dip))
			return unexpected(Error{"not an address: " + dip});
		std::lock_guard lock(mutex_);
		subflows_[subflow] = dip;
		return ok();
	}
	Status remove_subflow(const SubflowKey &subflow) override
	{
		std::lock_guard lock(mutex_);
		subflows_.erase(subflow);
		return ok();
	}
	std::map<SubflowKey, std::string> subflows() const
	{
		std::lock_guard lock(mutex_);
		return subflows_;
	}
	int misses_fd() const override { return misses_fd_.get(); }
	Result<std::vector<DroppedJoin>, Error> read_misses() override
	{
		uint64_t count = 0;
		[[maybe_unused]] const auto got = ::read(misses_fd_.get(), &count, sizeof count);
		std::lock_guard lock(mutex_);
		return std::exchange(misses_, {});
	}
	// A replay finds the token in the map, as the datapath would.
	Status replay(const DroppedJoin &join) override
	{
		std::lock_guard lock(mutex_);
		if (!tokens_.contains(join.token))
			return unexpected(Error{"replayed before its token was in the map"});
		replayed_.push_back(join.frame);
		return ok();
	}
	std::vector<std::vector<uint8_t>> replayed() const
	{
		std::lock_guard lock(mutex_);
		return replayed_;
	}

	// A join dropped for want of `token`; its "frame" names it.
	void miss(uint32_t token)
	{
		{
			std::lock_guard lock(mutex_);
			misses_.push_back({token, {uint8_t(token), uint8_t(token >> 8)}, 1, 0});
		}
		const uint64_t one = 1;
		[[maybe_unused]] const auto put = ::write(misses_fd_.get(), &one, sizeof one);
	}
	std::map<uint32_t, std::string> snapshot() const { return tokens().value(); }

private:
	mutable std::mutex mutex_;
	std::map<uint32_t, std::string> tokens_;
	std::map<SubflowKey, std::string> subflows_;
	std::vector<DroppedJoin> misses_;
	std::vector<std::vector<uint8_t>> replayed_;
	UniqueFd misses_fd_;
};

class TokenMirrorTest : public ::testing::Test {
protected:
	static void SetUpTestSuite()
	{
		const auto binary = RedisServer::find_redis();
		if (!binary)
			return;
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
		ASSERT_TRUE(connect_backend());
		ASSERT_TRUE(client_->command({"FLUSHALL"}));
	}

	// A backend's connection, as its token agent has it.
	bool connect_backend()
	{
		store_.reset();
		keyspace_.reset();
		client_.reset();
		auto client = redis::Client::connect(server_->endpoint(), 1000ms);
		const std::string endpoints[] = {server_->endpoint()};
		auto keyspace = redis::Keyspace::connect(endpoints, 1000ms);
		if (!client || !keyspace)
			return false;
		client_.emplace(std::move(*client));
		keyspace_.emplace(std::move(*keyspace));
		store_.emplace(*keyspace_);
		return true;
	}

	void start_mirror(std::chrono::milliseconds resync = 30s)
	{
		TokenMirrorOptions options;
		options.redis = {server_->endpoint()};
		options.retry = 100ms;
		options.resync = resync;
		mirror_.emplace(tokens_, options, nullptr);
	}

	bool holds(uint32_t token, const std::string &dip)
	{
		const auto now = tokens_.snapshot();
		const auto it = now.find(token);
		return it != now.end() && it->second == dip;
	}

	static std::unique_ptr<RedisServer> server_;
	std::optional<redis::Client> client_;
	std::optional<redis::Keyspace> keyspace_;
	std::optional<TokenStore> store_;
	MemoryTokens tokens_;
	std::optional<TokenMirror> mirror_; // last: stopped before what it uses
};
std::unique_ptr<RedisServer> TokenMirrorTest::server_;

TEST_F(TokenMirrorTest, StartsFromTheStoreAndFollowsItsChanges)
{
	ASSERT_TRUE(store_->publish(1, "10.1.1.2"));
	ASSERT_TRUE(store_->publish(2, "10.1.2.2"));
	ASSERT_TRUE(store_->publish(3, "2001:db8::2"));
	start_mirror();
	ASSERT_TRUE(eventually(5s, [&] { return tokens_.snapshot().size() == 3; }));
	EXPECT_TRUE(holds(3, "2001:db8::2"));
	// The counters are published after the map is written.
	ASSERT_TRUE(eventually(5s, [&] { return mirror_->view().full_reads == 1; }));
	EXPECT_TRUE(mirror_->view().redis_connected);

	// Pushed: the map has a new token within a few milliseconds.
	const auto published = Clock::now();
	ASSERT_TRUE(store_->publish(0xa1b2c3d4, "10.1.3.2"));
	ASSERT_TRUE(eventually(5s, [&] { return holds(0xa1b2c3d4, "10.1.3.2"); }));
	std::printf("a published token reached the map in %.2f ms\n",
		    std::chrono::duration<double, std::milli>(Clock::now() - published).count());
	ASSERT_TRUE(store_->withdraw(2, "10.1.2.2").value());
	ASSERT_TRUE(eventually(5s, [&] { return !tokens_.snapshot().contains(2); }));
	EXPECT_EQ(tokens_.snapshot().size(), 3u);
	ASSERT_TRUE(eventually(5s, [&] { return mirror_->view().updates == 2; }));
	EXPECT_EQ(mirror_->view().malformed, 0u);
}

TEST_F(TokenMirrorTest, AMissIsLookedUpSoTheNextSynFindsItsToken)
{
	start_mirror();
	ASSERT_TRUE(eventually(5s, [&] { return mirror_->view().full_reads == 1; }));
	// In the store but never announced (the channel's message lost).
	ASSERT_TRUE(client_->command({"SET", store_->key(0x77), "10.1.1.2"}));
	EXPECT_FALSE(holds(0x77, "10.1.1.2"));
	tokens_.miss(0x77);
	ASSERT_TRUE(eventually(5s, [&] { return holds(0x77, "10.1.1.2"); }));
	ASSERT_TRUE(eventually(5s, [&] { return tokens_.replayed().size() == 1; }))
		<< "the dropped join is sent again once its token is in the map";
	EXPECT_EQ(tokens_.replayed()[0], (std::vector<uint8_t>{0x77, 0}));
	tokens_.miss(0x78); // no backend has it
	ASSERT_TRUE(eventually(5s, [&] { return mirror_->view().misses == 2; }));
	auto view = mirror_->view();
	EXPECT_EQ(view.miss_found, 1u);
	EXPECT_EQ(view.miss_unknown, 1u);
	EXPECT_EQ(view.miss_unanswered, 0u);
	EXPECT_EQ(view.replayed, 1u);
	EXPECT_FALSE(tokens_.snapshot().contains(0x78));
	ASSERT_TRUE(eventually(5s, [&] { return mirror_->view().parked_expired == 1; }))
		<< "no token came for it: given up (the client sends its SYN again)";
	EXPECT_EQ(tokens_.replayed().size(), 1u);
}

TEST_F(TokenMirrorTest, AJoinThatOvertookItsTokenIsSentWhenTheTokenComes)
{
	start_mirror();
	ASSERT_TRUE(eventually(5s, [&] { return mirror_->view().full_reads == 1; }));
	tokens_.miss(0x79); // before the backend published it
	ASSERT_TRUE(eventually(5s, [&] { return mirror_->view().miss_unknown == 1; }));
	EXPECT_TRUE(tokens_.replayed().empty());
	ASSERT_TRUE(store_->publish(0x79, "10.1.2.2"));
	ASSERT_TRUE(eventually(5s, [&] { return tokens_.replayed().size() == 1; }))
		<< "parked until its \"+\" came";
	EXPECT_TRUE(holds(0x79, "10.1.2.2"));
	EXPECT_EQ(mirror_->view().parked_expired, 0u);
}

TEST_F(TokenMirrorTest, WithRedisDownTheMapKeepsItsTokensAndRecovers)
{
	ASSERT_TRUE(store_->publish(1, "10.1.1.2"));
	ASSERT_TRUE(store_->publish(2, "10.1.2.2"));
	start_mirror(300ms);
	ASSERT_TRUE(eventually(5s, [&] { return tokens_.snapshot().size() == 2; }));

	server_->stop();
	ASSERT_TRUE(eventually(5s, [&] { return !mirror_->view().redis_connected; }));
	tokens_.miss(0x99);
	ASSERT_TRUE(eventually(5s, [&] { return mirror_->view().miss_unanswered == 1; }));
	EXPECT_EQ(tokens_.snapshot().size(), 2u) << "cached tokens stay while Redis is down";
	EXPECT_FALSE(mirror_->view().redis_error.empty());

	// Back, empty; the backend of token 1 publishes again (its agent does
	// on reconnect), token 2's connection closed meanwhile.
	ASSERT_TRUE(server_->start_again());
	ASSERT_TRUE(eventually(5s, [&] { return mirror_->view().redis_connected; }));
	EXPECT_TRUE(holds(2, "10.1.2.2")) << "not removed at the first read that misses it";
	ASSERT_TRUE(connect_backend());
	ASSERT_TRUE(store_->publish(1, "10.1.1.2"));
	ASSERT_TRUE(store_->publish(3, "10.1.3.2"));
	ASSERT_TRUE(eventually(5s, [&] { return holds(3, "10.1.3.2"); }));
	ASSERT_TRUE(eventually(5s, [&] { return !tokens_.snapshot().contains(2); }))
		<< "stale: gone at the second read that misses it";
	EXPECT_TRUE(holds(1, "10.1.1.2"));
	EXPECT_TRUE(eventually(5s, [&] { return mirror_->view().stale_removed == 1; }));
	tokens_.miss(0x99);
	ASSERT_TRUE(eventually(5s, [&] { return mirror_->view().miss_unknown == 1; }))
		<< "misses are looked up again";
}

TEST_F(TokenMirrorTest, TheBackendsSubflowsReachTheSubflowMap)
{
	const auto subflow = [](uint16_t port) {
		return SubflowKey{Ipv4{0x0a0b0002}, port, Ipv4{0xc0000250}, 8080};
	};
	const auto holds_subflow = [&](uint16_t port, const std::string &dip) {
		const auto now = tokens_.subflows();
		const auto it = now.find(subflow(port));
		return it != now.end() && it->second == dip;
	};
	ASSERT_TRUE(store_->publish(1, "10.1.1.2"));
	ASSERT_TRUE(store_->publish_subflow(subflow(41000), "10.1.1.2"));
	start_mirror(300ms);
	ASSERT_TRUE(eventually(5s, [&] { return holds_subflow(41000, "10.1.1.2"); }))
		<< "read with the store";
	ASSERT_TRUE(store_->publish_subflow(subflow(41001), "10.1.2.2"));
	ASSERT_TRUE(eventually(5s, [&] { return holds_subflow(41001, "10.1.2.2"); })) << "pushed";
	// A new connection on the 4-tuple, on another backend: it wins.
	ASSERT_TRUE(store_->publish_subflow(subflow(41001), "10.1.3.2"));
	ASSERT_TRUE(eventually(5s, [&] { return holds_subflow(41001, "10.1.3.2"); }));
	EXPECT_FALSE(store_->withdraw_subflow(subflow(41001), "10.1.2.2").value())
		<< "not the old backend's to withdraw any more";
	ASSERT_TRUE(store_->withdraw_subflow(subflow(41000), "10.1.1.2").value());
	ASSERT_TRUE(eventually(5s, [&] { return !tokens_.subflows().contains(subflow(41000)); }));
	ASSERT_TRUE(client_->command(
		{"PUBLISH", store_->subflows_channel(), "+10.11.0.2,0,192.0.2.80,8080 10.1.1.2"}));
	ASSERT_TRUE(client_->command({"PUBLISH", store_->subflows_channel(),
				      "+10.11.0.2,41002,192.0.2.80,8080 nowhere"}));
	ASSERT_TRUE(eventually(5s, [&] { return mirror_->view().malformed == 2; }));
	EXPECT_EQ(tokens_.subflows().size(), 1u);
	const auto view = mirror_->view();
	EXPECT_EQ(view.subflow_updates, 3u);
	EXPECT_GE(view.subflows_read, 1u);
	EXPECT_TRUE(holds(1, "10.1.1.2")) << "the tokens are not disturbed";
	EXPECT_EQ(view.updates, 0u) << "subflow messages are not token updates";
}

TEST_F(TokenMirrorTest, MalformedMessagesAndValuesAreCountedAndSkipped)
{
	start_mirror();
	ASSERT_TRUE(eventually(5s, [&] { return mirror_->view().redis_connected; }));
	const std::string channel = store_->channel();
	ASSERT_TRUE(client_->command({"PUBLISH", channel, "garbage"}));
	ASSERT_TRUE(client_->command({"PUBLISH", channel, "+zzzzzzzz 10.1.1.2"}));
	ASSERT_TRUE(client_->command({"PUBLISH", channel, "+00000005 not-an-address"}));
	ASSERT_TRUE(store_->publish(6, "10.1.1.2"));
	ASSERT_TRUE(eventually(5s, [&] { return holds(6, "10.1.1.2"); }));
	EXPECT_TRUE(eventually(5s, [&] { return mirror_->view().malformed == 3; }));
	EXPECT_EQ(tokens_.snapshot().size(), 1u);
}

// Redis Cluster, "the way out when one Redis server is not enough": the
// store's keys spread over 3 masters, a full read finds them all, every
// node's subscribers get every change, and a slot that moved is followed.
class TokenStoreCluster : public ::testing::Test {
protected:
	static void SetUpTestSuite()
	{
		const auto binary = RedisServer::find_redis();
		if (!binary)
			return;
		auto started = RedisCluster::start(*binary, 3);
		ASSERT_TRUE(started) << started.error().message;
		cluster_ = std::move(*started);
	}
	static void TearDownTestSuite() { cluster_.reset(); }

	void SetUp() override
	{
		if (!cluster_)
			GTEST_SKIP() << "no redis-server (apt-get install redis-server; "
					"./quickstart.sh installs it)";
		for (size_t i = 0; i < cluster_->size(); i++)
			ASSERT_TRUE(node(i).command({"FLUSHALL"}));
		const std::string first[] = {cluster_->endpoints()[0]};
		auto keyspace = redis::Keyspace::connect(first, 1000ms);
		ASSERT_TRUE(keyspace) << keyspace.error().message;
		keyspace_.emplace(std::move(*keyspace));
		store_.emplace(*keyspace_);
	}

	// A plain connection to node i (its own keys only).
	redis::Client node(size_t i)
	{
		return redis::Client::connect(cluster_->node(i).endpoint(), 1000ms).value();
	}
	int64_t keys_on(size_t i) { return *node(i).command({"DBSIZE"})->integer(); }

	static std::unique_ptr<RedisCluster> cluster_;
	std::optional<redis::Keyspace> keyspace_;
	std::optional<TokenStore> store_;
};
std::unique_ptr<RedisCluster> TokenStoreCluster::cluster_;

TEST_F(TokenStoreCluster, KeysOnEveryMasterAreFoundAndEveryNodesSubscribersHearAll)
{
	EXPECT_TRUE(keyspace_->cluster());
	EXPECT_EQ(keyspace_->nodes(), 3u);
	for (const std::string key : {"foo", "foo{}{bar}", "foo{{bar}}zap", "{a}b", "iplb:x"})
		EXPECT_EQ(redis::key_slot(key),
			  *node(0).command({"CLUSTER", "KEYSLOT", key})->integer())
			<< key;
	auto subscriber = node(2);
	const std::string channels[] = {store_->channel(), store_->subflows_channel()};
	ASSERT_TRUE(subscriber.subscribe(channels));
	for (uint32_t t = 1; t <= 300; t++)
		ASSERT_TRUE(store_->publish(t * 0x01000193u, t % 2 ? "10.1.1.2" : "10.1.2.2"));
	const SubflowKey subflow{Ipv4{0x0a0b0002}, 41000, Ipv4{0xc0000250}, 8080};
	ASSERT_TRUE(store_->publish_subflow(subflow, "10.1.1.2"));
	for (size_t i = 0; i < 3; i++)
		EXPECT_GT(keys_on(i), 50) << "node " << i << " holds few of the keys";
	EXPECT_EQ(keys_on(0) + keys_on(1) + keys_on(2), 301);
	EXPECT_EQ(store_->all().value().size(), 300u) << "SCAN on every master";
	EXPECT_EQ(store_->owned_by("10.1.1.2").value().size(), 150u);
	EXPECT_EQ(store_->subflows().value().size(), 1u);
	EXPECT_EQ(store_->lookup(7 * 0x01000193u).value(), "10.1.1.2");
	EXPECT_TRUE(store_->withdraw(7 * 0x01000193u, "10.1.1.2").value());
	// A collision is detected whichever node holds the token.
	const auto collision = store_->publish(8 * 0x01000193u, "10.1.1.2").value();
	ASSERT_TRUE(std::holds_alternative<Collision>(collision));
	EXPECT_EQ(std::get<Collision>(collision).owner, "10.1.2.2");

	// Node 2's subscriber heard every change, made on all three masters.
	size_t heard = 0;
	while (heard < 302) {
		auto message = subscriber.next_message(2000ms);
		ASSERT_TRUE(message) << message.error().message;
		ASSERT_TRUE(message->has_value()) << "only " << heard << " of 302 messages";
		heard++;
	}
	EXPECT_EQ(subscriber.next_message(200ms).value(), std::nullopt);
}

TEST_F(TokenStoreCluster, ASlotThatMovedIsFollowed)
{
	// A slot of node 0 with no key yet is given to node 1 behind the
	// keyspace's back: its slot map is stale, node 0 answers MOVED.
	uint32_t token = 0x5eed0001;
	while (redis::key_slot(store_->key(token)) >= 16384 / 3)
		token++;
	const std::string slot = std::to_string(redis::key_slot(store_->key(token)));
	const auto owner_id = *node(1).command({"CLUSTER", "MYID"})->string();
	for (size_t i = 0; i < 3; i++)
		ASSERT_TRUE(node(i).command({"CLUSTER", "SETSLOT", slot, "NODE", owner_id}));
	ASSERT_TRUE(store_->publish(token, "10.1.3.2"));
	EXPECT_EQ(*node(1).command({"CLUSTER", "COUNTKEYSINSLOT", slot})->integer(), 1);
	EXPECT_EQ(*node(0).command({"CLUSTER", "COUNTKEYSINSLOT", slot})->integer(), 0);
	EXPECT_EQ(store_->lookup(token).value(), "10.1.3.2");
	EXPECT_EQ(store_->all().value().size(), 1u);
}

TEST_F(TokenStoreCluster, AMirrorFollowsTheCluster)
{
	for (uint32_t t = 1; t <= 30; t++)
		ASSERT_TRUE(store_->publish(t * 0x01000193u, "10.1.1.2"));
	MemoryTokens tokens;
	TokenMirrorOptions options;
	options.redis = {cluster_->endpoints()[1]};
	TokenMirror mirror(tokens, options, nullptr);
	ASSERT_TRUE(eventually(5s, [&] { return tokens.snapshot().size() == 30; }))
		<< "the full read found " << tokens.snapshot().size();
	ASSERT_TRUE(store_->publish(0xc0ffee01, "10.1.2.2"));
	ASSERT_TRUE(eventually(5s, [&] { return tokens.snapshot().contains(0xc0ffee01); }))
		<< "pushed from whichever node holds it";
	tokens.miss(0x0badf00d);
	ASSERT_TRUE(eventually(5s, [&] { return mirror.view().miss_unknown == 1; }));
	EXPECT_EQ(mirror.view().dataplane_errors, 0u);
}

} // namespace
} // namespace iplb::mptcp
