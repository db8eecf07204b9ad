// SPDX-License-Identifier: GPL-2.0-or-later
// The etcd client against a real 3-member etcd cluster (tests/cluster/
// etcd_cluster.hpp): keys and prefixes, compare-and-swap, leases revoked
// and expired, a watch that sees puts and deletes in order, and a member
// killed while the client and a watch use it. Skips when etcd is missing.
// Each test prints what it did ("[etcd] ...").
#include "cluster/etcd_client.hpp"
#include "etcd_cluster.hpp"
#include "eventually.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

namespace iplb::cluster {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::EtcdCluster;

double seconds_since(Clock::time_point start)
{
	return std::chrono::duration<double>(Clock::now() - start).count();
}

template <typename... Args>
void say(const char *format, Args... args)
{
	std::printf("[etcd] ");
	std::printf(format, args...);
	std::printf("\n");
	std::fflush(stdout);
}

// Polled every 50 ms.
template <typename F>
bool eventually(std::chrono::milliseconds timeout, F condition)
{
	return test_support::eventually(timeout, condition, 50ms);
}

// What a watch delivered, read from the test's thread.
struct Recorder {
	std::mutex mutex;
	std::vector<WatchEvent> events;
	std::vector<std::string> errors;

	EtcdClient::WatchCallback on_event()
	{
		return [this](const WatchEvent &event) {
			std::lock_guard lock(mutex);
			events.push_back(event);
		};
	}
	EtcdClient::WatchErrorCallback on_error()
	{
		return [this](const Error &error) {
			std::lock_guard lock(mutex);
			errors.push_back(error.message);
		};
	}
	size_t count()
	{
		std::lock_guard lock(mutex);
		return events.size();
	}
	std::vector<WatchEvent> snapshot()
	{
		std::lock_guard lock(mutex);
		return events;
	}
};

// "put a=1 @12", the key without the test's prefix.
std::string describe(const WatchEvent &event, const std::string &prefix)
{
	const std::string key = event.kv.key.starts_with(prefix)
					? event.kv.key.substr(prefix.size())
					: event.kv.key;
	return std::string(event.type == WatchEvent::Type::put ? "put " : "delete ") + key +
	       (event.type == WatchEvent::Type::put ? "=" + event.kv.value : "") + " @" +
	       std::to_string(event.kv.mod_revision);
}

class EtcdCluster3 : public ::testing::Test {
protected:
	static void SetUpTestSuite()
	{
		auto started = testing::start_suite_cluster(3);
		skip_reason_ = started.skip_reason;
		start_error_ = started.start_error;
		cluster_ = std::move(started.cluster);
		if (!skip_reason_.empty()) {
			say("SKIP: %s", skip_reason_.c_str());
			return;
		}
		if (!cluster_)
			return;
		std::string endpoints;
		for (const auto &endpoint : cluster_->endpoints())
			endpoints += " " + endpoint;
		say("started 3 members of etcd in %.2f s:%s (data and logs in %s)",
		    started.start_seconds, endpoints.c_str(), cluster_->directory().c_str());
	}

	static void TearDownTestSuite()
	{
		if (!cluster_)
			return;
		const auto start = Clock::now();
		cluster_.reset();
		say("stopped the cluster and removed its directory in %.2f s",
		    seconds_since(start));
	}

	void SetUp() override
	{
		if (!skip_reason_.empty())
			GTEST_SKIP() << skip_reason_;
		ASSERT_TRUE(cluster_) << "the etcd cluster did not start: " << start_error_;
		client_ = std::make_unique<EtcdClient>(cluster_->endpoints());
		prefix_ = std::string("/iplb-test/") +
			  ::testing::UnitTest::GetInstance()->current_test_info()->name() + "/";
	}

	static inline std::unique_ptr<EtcdCluster> cluster_;
	static inline std::string skip_reason_;
	static inline std::string start_error_;
	std::unique_ptr<EtcdClient> client_;
	std::string prefix_;
};

TEST_F(EtcdCluster3, PutGetPrefixErase)
{
	const std::string a = prefix_ + "a";
	auto first = client_->put(a, "1");
	ASSERT_TRUE(first) << first.error().message;
	auto got = client_->get(a);
	ASSERT_TRUE(got) << got.error().message;
	ASSERT_TRUE(got->has_value());
	EXPECT_EQ((*got)->value, "1");
	EXPECT_EQ((*got)->version, 1);
	EXPECT_EQ((*got)->create_revision, *first);
	EXPECT_EQ((*got)->mod_revision, *first);

	auto second = client_->put(a, "2");
	ASSERT_TRUE(second);
	EXPECT_GT(*second, *first);
	got = client_->get(a);
	ASSERT_TRUE(got && got->has_value());
	EXPECT_EQ((*got)->value, "2");
	EXPECT_EQ((*got)->version, 2);
	EXPECT_EQ((*got)->create_revision, *first);
	EXPECT_EQ((*got)->mod_revision, *second);

	auto missing = client_->get(prefix_ + "missing");
	ASSERT_TRUE(missing);
	EXPECT_FALSE(missing->has_value());

	// Any bytes: NUL and 0xff in keys and values.
	const std::string binary_key = prefix_ + std::string("b\0\xff", 3);
	const std::string binary_value("\0\x01\xfe\xff", 4);
	ASSERT_TRUE(client_->put(binary_key, binary_value));
	ASSERT_TRUE(client_->put(prefix_ + "c", ""));
	// Just past the prefix ('/' + 1 = '0'): not part of it.
	ASSERT_TRUE(client_->put(prefix_.substr(0, prefix_.size() - 1) + "0", "outside"));

	auto range = client_->get_prefix(prefix_);
	ASSERT_TRUE(range) << range.error().message;
	ASSERT_EQ(range->kvs.size(), 3u);
	EXPECT_EQ(range->kvs[0].key, a);
	EXPECT_EQ(range->kvs[1].key, binary_key);
	EXPECT_EQ(range->kvs[1].value, binary_value);
	EXPECT_EQ(range->kvs[2].key, prefix_ + "c");
	EXPECT_EQ(range->kvs[2].value, "");
	EXPECT_GE(range->revision, range->kvs[2].mod_revision);

	auto erased = client_->erase(binary_key);
	ASSERT_TRUE(erased);
	EXPECT_EQ(*erased, 1);
	erased = client_->erase(binary_key);
	ASSERT_TRUE(erased);
	EXPECT_EQ(*erased, 0);
	range = client_->get_prefix(prefix_);
	ASSERT_TRUE(range);
	EXPECT_EQ(range->kvs.size(), 2u);
	auto all = client_->erase_prefix(prefix_);
	ASSERT_TRUE(all);
	EXPECT_EQ(*all, 2);
	say("put/get/prefix/erase: revisions %lld..%lld, 3 keys in the prefix (binary ones too), "
	    "a neighbour outside it untouched",
	    static_cast<long long>(*first), static_cast<long long>(range->revision));
}

TEST_F(EtcdCluster3, CompareAndSwap)
{
	const std::string key = prefix_ + "map";
	auto created = client_->put_if_absent(key, "v1");
	ASSERT_TRUE(created) << created.error().message;
	EXPECT_TRUE(created->succeeded);
	auto again = client_->put_if_absent(key, "other");
	ASSERT_TRUE(again);
	EXPECT_FALSE(again->succeeded);

	auto current = client_->get(key);
	ASSERT_TRUE(current && current->has_value());
	EXPECT_EQ((*current)->value, "v1");
	const Revision seen = (*current)->mod_revision;
	EXPECT_EQ(seen, created->revision);

	auto swapped = client_->put_if_mod_revision(key, "v2", seen);
	ASSERT_TRUE(swapped);
	EXPECT_TRUE(swapped->succeeded);
	// A second writer that read the same revision loses.
	auto stale = client_->put_if_mod_revision(key, "v2-stale", seen);
	ASSERT_TRUE(stale);
	EXPECT_FALSE(stale->succeeded);
	current = client_->get(key);
	ASSERT_TRUE(current && current->has_value());
	EXPECT_EQ((*current)->value, "v2");

	// A general transaction: both branches are carried out.
	const Txn txn{{Compare::value_is(key, "v2")},
		      {TxnOp::put(prefix_ + "committed", "yes"), TxnOp::erase(key)},
		      {TxnOp::put(prefix_ + "committed", "no")}};
	auto result = client_->txn(txn);
	ASSERT_TRUE(result) << result.error().message;
	EXPECT_TRUE(result->succeeded);
	auto committed = client_->get(prefix_ + "committed");
	ASSERT_TRUE(committed && committed->has_value());
	EXPECT_EQ((*committed)->value, "yes");
	auto gone = client_->get(key);
	ASSERT_TRUE(gone);
	EXPECT_FALSE(gone->has_value());
	result = client_->txn(txn);
	ASSERT_TRUE(result);
	EXPECT_FALSE(result->succeeded);
	committed = client_->get(prefix_ + "committed");
	ASSERT_TRUE(committed && committed->has_value());
	EXPECT_EQ((*committed)->value, "no");
	say("compare-and-swap: created if absent, swapped at mod_revision %lld, a stale swap "
	    "refused; a transaction's success and failure branches both applied",
	    static_cast<long long>(seen));
}

TEST_F(EtcdCluster3, RevokedLeaseRemovesItsKeys)
{
	auto lease = client_->grant_lease(30);
	ASSERT_TRUE(lease) << lease.error().message;
	const std::string key = prefix_ + "mux1";
	ASSERT_TRUE(client_->put(key, "alive", *lease));
	auto got = client_->get(key);
	ASSERT_TRUE(got && got->has_value());
	EXPECT_EQ((*got)->lease, *lease);
	auto ttl = client_->keep_alive(*lease);
	ASSERT_TRUE(ttl) << ttl.error().message;
	EXPECT_GT(*ttl, 0);
	EXPECT_LE(*ttl, 30);

	auto revoked = client_->revoke(*lease);
	ASSERT_TRUE(revoked) << revoked.error().message;
	got = client_->get(key);
	ASSERT_TRUE(got);
	EXPECT_FALSE(got->has_value()) << "the key outlived its revoked lease";

	auto dead = client_->keep_alive(*lease);
	ASSERT_FALSE(dead);
	EXPECT_NE(dead.error().message.find("lease not found"), std::string::npos)
		<< dead.error().message;
	auto twice = client_->revoke(*lease);
	ASSERT_FALSE(twice);
	EXPECT_NE(twice.error().message.find("requested lease not found"), std::string::npos)
		<< twice.error().message;
	auto bad_put = client_->put(key, "x", *lease);
	ASSERT_FALSE(bad_put);
	say("lease %llx: its key gone at revoke; then keepalive says '%s', revoke '%s'",
	    static_cast<unsigned long long>(*lease), dead.error().message.c_str(),
	    twice.error().message.c_str());
}

TEST_F(EtcdCluster3, LeaseExpiresWithoutKeepAlive)
{
	// 2 s is etcd's smallest TTL with the default timing (1.5 election
	// timeouts, rounded up).
	auto lease = client_->grant_lease(2);
	ASSERT_TRUE(lease) << lease.error().message;
	const std::string key = prefix_ + "backend1";
	ASSERT_TRUE(client_->put(key, "up", *lease));
	// Kept alive past its TTL, it stays.
	const auto kept = Clock::now();
	while (seconds_since(kept) < 3.0) {
		auto ttl = client_->keep_alive(*lease);
		ASSERT_TRUE(ttl) << ttl.error().message;
		std::this_thread::sleep_for(500ms);
	}
	auto got = client_->get(key);
	ASSERT_TRUE(got);
	ASSERT_TRUE(got->has_value()) << "the key went while its lease was kept alive";
	// Left alone, it goes within its TTL and the leader's next check.
	const auto left = Clock::now();
	const bool expired = eventually(10s, [&] {
		auto now = client_->get(key);
		return now && !now->has_value();
	});
	ASSERT_TRUE(expired) << "the key still exists 10 s after its last keepalive";
	say("lease with TTL 2 s: kept alive for 3 s (key stayed), then the key went %.2f s "
	    "after the last keepalive",
	    seconds_since(left));
}

TEST_F(EtcdCluster3, WatchSeesPutsAndDeletesInOrder)
{
	auto before = client_->get_prefix(prefix_);
	ASSERT_TRUE(before) << before.error().message;
	Recorder recorder;
	auto watch = client_->watch_prefix(prefix_, before->revision + 1, recorder.on_event(),
					   recorder.on_error());
	ASSERT_TRUE(eventually(5s, [&] { return watch->created(); }));

	ASSERT_TRUE(client_->put(prefix_ + "a", "1"));
	ASSERT_TRUE(client_->put(prefix_ + "b", "2"));
	ASSERT_TRUE(client_->put(prefix_.substr(0, prefix_.size() - 1) + "0", "not watched"));
	ASSERT_TRUE(client_->erase(prefix_ + "a"));
	ASSERT_TRUE(client_->put(prefix_ + "a", "3"));
	// Two events of one transaction share a revision.
	ASSERT_TRUE(client_->txn(
		Txn{{}, {TxnOp::put(prefix_ + "c", "4"), TxnOp::erase(prefix_ + "b")}, {}}));
	ASSERT_TRUE(eventually(5s, [&] { return recorder.count() >= 6; }))
		<< "only " << recorder.count() << " events in 5 s";
	std::this_thread::sleep_for(200ms); // nothing more may come
	const auto events = recorder.snapshot();
	ASSERT_EQ(events.size(), 6u);
	const std::vector<std::pair<WatchEvent::Type, std::string>> expected = {
		{WatchEvent::Type::put, "a"},	{WatchEvent::Type::put, "b"},
		{WatchEvent::Type::erase, "a"}, {WatchEvent::Type::put, "a"},
		{WatchEvent::Type::put, "c"},	{WatchEvent::Type::erase, "b"},
	};
	std::string seen;
	for (size_t i = 0; i < events.size(); ++i) {
		EXPECT_EQ(events[i].type, expected[i].first) << i;
		EXPECT_EQ(events[i].kv.key, prefix_ + expected[i].second) << i;
		if (i > 0 && i != 5) {
			EXPECT_GT(events[i].kv.mod_revision, events[i - 1].kv.mod_revision) << i;
		}
		seen += " " + describe(events[i], prefix_);
	}
	EXPECT_EQ(events[5].kv.mod_revision, events[4].kv.mod_revision);
	EXPECT_EQ(events[3].kv.value, "3");
	EXPECT_EQ(watch->next_revision(), events[5].kv.mod_revision + 1);

	const auto stopping = Clock::now();
	watch->stop();
	const double stop_seconds = seconds_since(stopping);
	EXPECT_LT(stop_seconds, 1.0);
	EXPECT_FALSE(watch->running());

	// History: a new watch from the same revision replays the same events.
	Recorder replay;
	auto again = client_->watch_prefix(prefix_, before->revision + 1, replay.on_event());
	ASSERT_TRUE(eventually(5s, [&] { return replay.count() >= 6; }));
	again->stop();
	const auto replayed = replay.snapshot();
	ASSERT_EQ(replayed.size(), 6u);
	for (size_t i = 0; i < replayed.size(); ++i)
		EXPECT_EQ(replayed[i].kv, events[i].kv) << i;
	EXPECT_TRUE(recorder.errors.empty());
	say("watch of %s from revision %lld:%s; stop() took %.3f s; a second watch from the "
	    "same revision replayed the same 6 events",
	    prefix_.c_str(), static_cast<long long>(before->revision + 1), seen.c_str(),
	    stop_seconds);
}

TEST_F(EtcdCluster3, IdleWatchStopsWithinASecond)
{
	Recorder recorder;
	auto watch = client_->watch_prefix(prefix_, 0, recorder.on_event(), recorder.on_error());
	ASSERT_TRUE(eventually(5s, [&] { return watch->created(); }));
	ASSERT_TRUE(client_->put(prefix_ + "x", "1"));
	ASSERT_TRUE(eventually(5s, [&] { return recorder.count() == 1; }));
	std::this_thread::sleep_for(300ms); // blocked in its poll
	const auto stopping = Clock::now();
	watch.reset(); // the destructor stops it
	const double seconds = seconds_since(stopping);
	EXPECT_LT(seconds, 1.0);
	say("a watch from now saw 1 put; destroyed while idle, it stopped in %.3f s", seconds);
}

// Last: it kills members, which the other tests would notice. The worst
// case on purpose: the leader, which is also the client's and the watch's
// endpoint; then a second member, so that quorum is lost.
TEST_F(EtcdCluster3, SurvivesTheLeaderKilledAndSaysWhenQuorumIsLost)
{
	const auto endpoints = cluster_->endpoints();
	std::optional<size_t> leader;
	for (size_t i = 0; i < endpoints.size(); ++i) {
		auto status = client_->member_status(endpoints[i]);
		ASSERT_TRUE(status) << status.error().message;
		EXPECT_NE(status->leader, 0u) << endpoints[i] << " knows no leader";
		EXPECT_FALSE(status->version.empty());
		if (status->is_leader())
			leader = i;
	}
	ASSERT_TRUE(leader) << "no member says it is the leader";
	// The leader first in the client's list: its first choice, and the
	// watch's.
	std::vector<std::string> order;
	for (size_t i = 0; i < endpoints.size(); ++i)
		order.push_back(endpoints[(*leader + i) % endpoints.size()]);
	EtcdClient client(order);
	ASSERT_TRUE(client.put(prefix_ + "before", "1"));
	ASSERT_EQ(client.current_endpoint(), endpoints[*leader]);
	Recorder recorder;
	auto watch = client.watch_prefix(prefix_, 0, recorder.on_event(), recorder.on_error());
	ASSERT_TRUE(eventually(5s, [&] { return watch->created(); }));

	cluster_->kill(*leader);
	const auto killed = Clock::now();
	// Until the two others elect a leader, the request waits on a follower
	// that still believes in the dead one, up to the client's 5 s timeout;
	// the next member has a leader by then.
	int attempts = 0;
	Result<Revision, Error> put = unexpected(Error{"not tried"});
	std::string first_error;
	while (seconds_since(killed) < 15.0) {
		++attempts;
		put = client.put(prefix_ + "after", "2");
		if (put)
			break;
		if (first_error.empty())
			first_error = put.error().message;
		std::this_thread::sleep_for(200ms);
	}
	ASSERT_TRUE(put) << "no put within 15 s of the kill: " << put.error().message;
	const double put_seconds = seconds_since(killed);
	const std::string survivor = client.current_endpoint();
	EXPECT_NE(survivor, endpoints[*leader]);
	auto got = client.get(prefix_ + "after");
	ASSERT_TRUE(got && got->has_value());
	auto range = client.get_prefix(prefix_);
	ASSERT_TRUE(range);
	EXPECT_EQ(range->kvs.size(), 2u);

	// The watch moved to another member and delivered the put made after.
	ASSERT_TRUE(eventually(10s, [&] { return recorder.count() >= 1; }))
		<< "the watch saw nothing after its member was killed";
	auto events = recorder.snapshot();
	ASSERT_EQ(events.size(), 1u);
	EXPECT_EQ(events[0].kv.key, prefix_ + "after");
	std::string watch_error;
	{
		std::lock_guard lock(recorder.mutex);
		EXPECT_FALSE(recorder.errors.empty());
		if (!recorder.errors.empty())
			watch_error = recorder.errors.front();
	}
	say("killed the leader %s (SIGKILL), the client's and the watch's endpoint: the next "
	    "put succeeded through %s after %d attempt(s) in %.2f s%s%s; the watch reported "
	    "'%s' and delivered the put from another member",
	    endpoints[*leader].c_str(), survivor.c_str(), attempts, put_seconds,
	    first_error.empty() ? "" : "; first error: ", first_error.c_str(), watch_error.c_str());

	// A second member gone: no quorum. The last one must say "no leader"
	// at once (the hasleader metadata) rather than hang, and so must the
	// watch on it.
	size_t second = 0;
	while (second == *leader || endpoints[second] == survivor)
		++second;
	const size_t last = 3 - *leader - second;
	cluster_->kill(second);
	const auto lost = Clock::now();
	std::string no_leader;
	double fast_seconds = 0;
	const bool said = eventually(15s, [&] {
		const auto asked = Clock::now();
		auto refused = client.put(prefix_ + "lost", "3");
		fast_seconds = seconds_since(asked);
		if (refused || refused.error().message.find("no leader") == std::string::npos)
			return false;
		no_leader = refused.error().message;
		return true;
	});
	ASSERT_TRUE(said) << "no 'no leader' within 15 s of losing quorum";
	EXPECT_LT(fast_seconds, 1.0);
	EXPECT_NE(no_leader.find(endpoints[last]), std::string::npos) << no_leader;
	const bool watch_told = eventually(10s, [&] {
		std::lock_guard lock(recorder.mutex);
		return std::any_of(recorder.errors.begin(), recorder.errors.end(),
				   [](const std::string &e) {
					   return e.find("no leader") != std::string::npos;
				   });
	});
	EXPECT_TRUE(watch_told) << "the watch did not hear of the lost quorum";
	const auto stopping = Clock::now();
	watch->stop();
	EXPECT_LT(seconds_since(stopping), 1.0);
	say("killed a second member %s: %.2f s later a put failed in %.3f s with '%s'; the "
	    "watch heard 'no leader' too and stopped in %.3f s",
	    endpoints[second].c_str(), seconds_since(lost) - fast_seconds, fast_seconds,
	    no_leader.c_str(), seconds_since(stopping));
}

} // namespace
} // namespace iplb::cluster
