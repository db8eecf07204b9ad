// SPDX-License-Identifier: GPL-2.0-or-later
// What the load balancer's tests against etcd share (lb_control_test.cpp,
// backend_agent_test.cpp): printing what a test saw, waiting for a
// condition, and a fixture that runs each suite on a 3-member cluster of
// its own and gives each test a prefix of its own.
#pragma once

#include "cluster/etcd_client.hpp"
#include "etcd_cluster.hpp"
#include "eventually.hpp"
#include "lb/bucket_map.hpp"
#include "lbcontrol/schema.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>

namespace iplb::lbcontrol::testing {

using Clock = std::chrono::steady_clock;

// Prints a line "[tag] ..." at once, between gtest's own.
class Say {
public:
	explicit constexpr Say(const char *tag) : tag_(tag) {}

	template <typename... Args>
	void operator()(const char *format, Args... args) const
	{
		std::printf("[%s] ", tag_);
		std::printf(format, args...);
		std::printf("\n");
		std::fflush(stdout);
	}

private:
	const char *tag_;
};

inline double seconds_since(Clock::time_point start)
{
	return std::chrono::duration<double>(Clock::now() - start).count();
}

using test_support::eventually;

inline lb::Dip dip(const std::string &text)
{
	return lb::parse_dip(text).value();
}

// The fixture of a suite (Suite, the test's class, which has a static
// `Say say`): the suite starts a 3-member cluster of its own (skipped
// without etcd); each test gets the prefix /iplb-test/<test>/ and a client.
template <typename Suite>
class EtcdSuite : public ::testing::Test {
protected:
	static void SetUpTestSuite()
	{
		auto started = cluster::testing::start_suite_cluster(3);
		skip_reason_ = started.skip_reason;
		start_error_ = started.start_error;
		cluster_ = std::move(started.cluster);
		if (!skip_reason_.empty())
			Suite::say("SKIP: %s", skip_reason_.c_str());
		else if (cluster_)
			Suite::say("started 3 etcd members in %.2f s", started.start_seconds);
	}
	static void TearDownTestSuite() { cluster_.reset(); }

	void SetUp() override
	{
		if (!skip_reason_.empty())
			GTEST_SKIP() << skip_reason_;
		ASSERT_TRUE(cluster_) << "the etcd cluster did not start: " << start_error_;
		prefix_ = std::string("/iplb-test/") +
			  ::testing::UnitTest::GetInstance()->current_test_info()->name() + "/";
		keys_ = Keys{prefix_};
		client_ = std::make_unique<cluster::EtcdClient>(cluster_->endpoints());
	}

	// A VIP's configuration: `dips` with weight 1, 1000 buckets.
	static VipConfig config(const VipId &id, std::initializer_list<std::string> dips)
	{
		VipConfig out;
		out.vip = id;
		out.bucket_count = 1000;
		for (const auto &d : dips)
			out.backends.push_back({dip(d), 1, false});
		return out;
	}

	void put_config(const VipConfig &value)
	{
		ASSERT_TRUE(check_vip_config(value));
		ASSERT_TRUE(client_->put(keys_.config(value.vip), encode(value)));
	}

	static inline std::unique_ptr<cluster::testing::EtcdCluster> cluster_;
	static inline std::string skip_reason_;
	static inline std::string start_error_;
	std::string prefix_;
	Keys keys_;
	std::unique_ptr<cluster::EtcdClient> client_;
};

} // namespace iplb::lbcontrol::testing
