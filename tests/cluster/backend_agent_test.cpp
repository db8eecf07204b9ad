// SPDX-License-Identifier: GPL-2.0-or-later
// A backend's agent (iplbd/lbcontrol/backend_agent.hpp) against a real
// 3-member etcd cluster, with a recording datapath. The test writes the
// VIPs' configurations and committed maps itself (maps built with
// next_version, as the leader would): no controller runs, so that each
// state of etcd is exactly the one asserted on. Each test prints what it
// saw ("[lb backend] ...").
//
// What is proven: the backend holds exactly the VIPs whose configuration
// lists it (drained included) or whose committed map still names it (in
// the pool, or as a bucket's previous owner), its registration says
// whether it is healthy and which VIPs it has, a failed add makes it
// unhealthy with the reason, stopping revokes its key, and a backend that
// loses etcd keeps every VIP and catches up when etcd returns.
#include "lb_test_support.hpp"
#include "lbcontrol/backend_agent.hpp"
#include "lbcontrol/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <chrono>
#include <mutex>

namespace iplb::lbcontrol {
namespace {

using namespace std::chrono_literals;
using testing::Clock;
using testing::dip;
using testing::eventually;
using testing::seconds_since;

VipId vip(const std::string &address, uint16_t port = 80)
{
	return VipId{parse_ip_address(address).value(), 6, port};
}

// A backend datapath: a set of VIPs, every add and remove journaled; adds
// of the VIPs in `failing` are refused (a full table).
class RecordingBackend : public BackendDataplane {
public:
	Status add_vip(const VipId &id) override
	{
		std::lock_guard lock(mutex_);
		if (failing_.contains(id))
			return unexpected(Error{"no room left in the VIP table (test)"});
		vips_.insert(id);
		journal_.push_back("add " + vip_name(id));
		return ok();
	}
	Status remove_vip(const VipId &id) override
	{
		std::lock_guard lock(mutex_);
		vips_.erase(id);
		journal_.push_back("remove " + vip_name(id));
		return ok();
	}
	Result<std::set<VipId>, Error> vips() const override
	{
		std::lock_guard lock(mutex_);
		return vips_;
	}
	// Journals what changes: "direct on|off", "port <address>:<port> on|off".
	Status set_mptcp(const MptcpAnnouncements &wanted) override
	{
		std::lock_guard lock(mutex_);
		if (wanted.direct != announced_.direct)
			journal_.push_back(wanted.direct ? "direct on" : "direct off");
		const auto name = [](const auto &port) {
			return "port " + to_string(port.first) + ":" + std::to_string(port.second);
		};
		for (const auto &port : announced_.ports)
			if (!wanted.ports.contains(port))
				journal_.push_back(name(port) + " off");
		for (const auto &port : wanted.ports)
			if (!announced_.ports.contains(port))
				journal_.push_back(name(port) + " on");
		announced_ = wanted;
		return ok();
	}

	bool has(const VipId &id) const
	{
		std::lock_guard lock(mutex_);
		return vips_.contains(id);
	}
	void fail_add(const VipId &id, bool fail)
	{
		std::lock_guard lock(mutex_);
		if (fail)
			failing_.insert(id);
		else
			failing_.erase(id);
	}
	std::vector<std::string> journal() const
	{
		std::lock_guard lock(mutex_);
		return journal_;
	}

private:
	mutable std::mutex mutex_;
	std::set<VipId> vips_;
	std::set<VipId> failing_;
	std::vector<std::string> journal_;
	MptcpAnnouncements announced_;
};

class BackendAgentTest : public testing::EtcdSuite<BackendAgentTest> {
public:
	static constexpr testing::Say say{"lb backend"};

protected:
	void TearDown() override { agent_.reset(); }

	void start_agent(bool revoke_on_stop = true)
	{
		BackendAgentOptions options;
		options.name = "b1";
		options.prefix = prefix_;
		options.addresses = {parse_ip_address("10.0.1.1").value()};
		options.lease_ttl = 2;
		options.retry_delay = 200ms;
		options.add_retry = 500ms;
		options.revoke_on_stop = revoke_on_stop;
		agent_ = std::make_unique<BackendAgent>(cluster_->endpoints(), options, dataplane_,
							[this] {
								std::lock_guard lock(mutex_);
								changes_++;
							});
	}

	void put_map(const VipId &id, const MapVersion &version)
	{
		ASSERT_TRUE(client_->put(keys_.map(id), encode(version)));
	}

	std::optional<MemberRecord> registration()
	{
		auto kv = client_->get(keys_.backend("b1"));
		if (!kv || !*kv)
			return std::nullopt;
		auto record = decode_member((*kv)->value);
		return record ? std::optional<MemberRecord>(*record) : std::nullopt;
	}

	// The agent's view says `id` is wanted for a reason containing `text`.
	bool reason_says(const VipId &id, const std::string &text)
	{
		for (const auto &entry : agent_->view().vips)
			if (entry.vip == id && entry.reason.find(text) != std::string::npos)
				return true;
		return false;
	}

	std::string describe()
	{
		const auto view = agent_->view();
		std::string out = view.name + ": etcd " +
				  (view.etcd_connected ? "up" : "down (" + view.etcd_error + ")") +
				  (view.registered ? ", registered" : ", not registered") +
				  (view.healthy ? ", healthy" : ", unhealthy: " + view.error);
		for (const auto &entry : view.vips)
			out += "\n  " + to_string(entry.vip) +
			       (entry.in_datapath ? " in the datapath: " : " missing: ") +
			       entry.reason;
		out += "\n  journal:";
		for (const auto &line : dataplane_.journal())
			out += " [" + line + "]";
		return out;
	}

	RecordingBackend dataplane_;
	std::mutex mutex_;
	int changes_ = 0;
	std::unique_ptr<BackendAgent> agent_;
};

TEST_F(BackendAgentTest, HoldsTheVipsThatListItOrStillChainToIt)
{
	const auto a = vip("192.0.2.10"), other = vip("192.0.2.11"), c = vip("192.0.2.12");
	start_agent();
	// Another VIP first: once `a` (written after it) is in, the agent has
	// seen `other` and left it out.
	put_config(config(other, {"10.0.1.2", "10.0.1.3"}));
	auto listed = config(a, {"10.0.1.1", "10.0.1.2"});
	put_config(listed);
	const auto start = Clock::now();
	ASSERT_TRUE(eventually(5s, [&] { return dataplane_.has(a); })) << describe();
	const double added = seconds_since(start);
	EXPECT_FALSE(dataplane_.has(other)) << describe();
	ASSERT_TRUE(eventually(5s, [&] {
		const auto record = registration();
		return record && record->healthy == true && record->vips == std::vector<VipId>{a};
	})) << describe();
	const auto record = registration().value();
	EXPECT_EQ(record.address, parse_ip_address("10.0.1.1").value());
	EXPECT_EQ(record.addresses.size(), 1u);
	EXPECT_TRUE(record.error.empty()) << record.error;
	EXPECT_TRUE(agent_->view().registered);
	EXPECT_TRUE(agent_->view().healthy);
	{
		std::lock_guard lock(mutex_);
		EXPECT_GE(changes_, 1) << "on_change was not called";
	}

	// Drained: still listed, its connections still come.
	listed.backends[0].drain = true;
	put_config(listed);
	ASSERT_TRUE(eventually(5s, [&] { return reason_says(a, "(drained)"); })) << describe();
	EXPECT_TRUE(dataplane_.has(a)) << describe();

	// Removed from the configuration, but the committed map chains its
	// old buckets back to it: kept.
	const auto first = next_version(listed, {{dip("10.0.1.1"), 1}, {dip("10.0.1.2"), 1}},
					std::nullopt, 100);
	ASSERT_TRUE(first && *first);
	auto without = config(a, {"10.0.1.2"});
	const auto second = next_version(without, {{dip("10.0.1.2"), 1}}, **first, 200);
	ASSERT_TRUE(second && *second);
	ASSERT_EQ((*second)->pool.size(), 1u) << "10.0.1.1 is out of the pool";
	size_t chained = 0;
	for (const auto &bucket : (*second)->map.buckets)
		chained += bucket.previous == dip("10.0.1.1") ? 1 : 0;
	ASSERT_GT(chained, 0u);
	put_map(a, **second);
	put_config(without);
	ASSERT_TRUE(eventually(5s, [&] {
		return reason_says(a,
				   "previous owner of " + std::to_string(chained) + " buckets") &&
		       !reason_says(a, "in the configuration");
	})) << describe();
	EXPECT_TRUE(dataplane_.has(a)) << describe();

	// The next version no longer chains to it: gone from both, removed.
	auto third = **second;
	third.map.generation++;
	for (auto &bucket : third.map.buckets)
		bucket.previous.reset();
	put_map(a, third);
	ASSERT_TRUE(eventually(5s, [&] { return !dataplane_.has(a); })) << describe();
	ASSERT_TRUE(eventually(5s, [&] {
		const auto now = registration();
		return now && now->healthy == true && now->vips.empty();
	})) << describe();

	// A VIP whose configuration is deleted goes.
	put_config(config(c, {"10.0.1.1"}));
	ASSERT_TRUE(eventually(5s, [&] { return dataplane_.has(c); })) << describe();
	ASSERT_TRUE(client_->erase(keys_.config(c)));
	ASSERT_TRUE(eventually(5s, [&] { return !dataplane_.has(c); })) << describe();
	EXPECT_FALSE(dataplane_.has(other));
	// The view is published after the datapath changed: wait for it.
	ASSERT_TRUE(eventually(5s, [&] { return agent_->view().removes == 2u; })) << describe();
	const auto view = agent_->view();
	EXPECT_EQ(view.adds, 2u);
	EXPECT_EQ(view.removes, 2u);
	EXPECT_EQ(view.failures, 0u);
	say("added in %.3f s; kept while drained and while a previous owner of %zu buckets; "
	    "removed when neither; %s",
	    added, chained, describe().substr(describe().find("journal:")).c_str());
}

TEST_F(BackendAgentTest, TurnsMptcpDirectModeOnWhileAVipItServesIsInIt)
{
	const auto a = vip("192.0.2.10"), other = vip("192.0.2.11");
	const auto journal_has = [&](const std::string &line) {
		const auto j = dataplane_.journal();
		return std::count(j.begin(), j.end(), line);
	};
	start_agent();
	auto listed = config(a, {"10.0.1.1"});
	put_config(listed);
	ASSERT_TRUE(eventually(5s, [&] { return dataplane_.has(a); })) << describe();
	EXPECT_EQ(journal_has("direct on") + journal_has("direct off"), 0)
		<< "left alone while no VIP it serves wants it: " << describe();
	// Another backend's VIP in direct mode: not ours.
	auto others = config(other, {"10.0.1.2"});
	others.mptcp = MptcpMode::direct;
	put_config(others);
	listed.mptcp = MptcpMode::direct;
	put_config(listed);
	ASSERT_TRUE(eventually(5s, [&] { return agent_->view().mptcp_direct; })) << describe();
	EXPECT_EQ(journal_has("direct on"), 1) << describe();
	listed.mptcp = MptcpMode::token;
	put_config(listed);
	ASSERT_TRUE(eventually(5s, [&] { return !agent_->view().mptcp_direct; })) << describe();
	EXPECT_EQ(journal_has("direct off"), 1) << describe();
}

TEST_F(BackendAgentTest, ServesAndAnnouncesItsMptcpPortWhileTheCommittedMapGivesItOne)
{
	const auto a = vip("192.0.2.12");
	const auto journal_has = [&](const std::string &line) {
		const auto j = dataplane_.journal();
		return std::count(j.begin(), j.end(), line);
	};
	start_agent();
	auto listed = config(a, {"10.0.1.1", "10.0.1.2"});
	listed.mptcp = MptcpMode::port;
	listed.mptcp_first_port = 40000;
	put_config(listed);
	ASSERT_TRUE(eventually(5s, [&] { return dataplane_.has(a); })) << describe();
	EXPECT_EQ(dataplane_.journal().size(), 1u)
		<< "nothing announced before a committed map gives it a port: " << describe();
	// The controller's ports: the lowest first, in DIP order.
	const auto first = next_version(listed, {{dip("10.0.1.1"), 1}, {dip("10.0.1.2"), 1}},
					std::nullopt, 100);
	ASSERT_TRUE(first && *first);
	ASSERT_EQ((*first)->mptcp_ports.at(dip("10.0.1.1")), 40000);
	ASSERT_EQ((*first)->mptcp_ports.at(dip("10.0.1.2")), 40001);
	put_map(a, **first);
	const auto own_port = vip("192.0.2.12", 40000);
	ASSERT_TRUE(eventually(5s, [&] { return dataplane_.has(own_port); })) << describe();
	EXPECT_FALSE(dataplane_.has(vip("192.0.2.12", 40001))) << "another backend's port";
	ASSERT_TRUE(eventually(5s, [&] { return journal_has("port 192.0.2.12:40000 on") == 1; }))
		<< describe();
	ASSERT_TRUE(eventually(5s, [&] {
		return agent_->view().mptcp_ports ==
		       std::vector<std::string>{"192.0.2.12 port 40000"};
	})) << describe();
	EXPECT_TRUE(reason_says(own_port, "MPTCP port of 10.0.1.1")) << describe();

	// Back to token mode: the port is neither served nor announced.
	listed.mptcp = MptcpMode::token;
	const auto second = next_version(listed, (*first)->pool, **first, 200);
	ASSERT_TRUE(second && *second);
	EXPECT_TRUE((*second)->mptcp_ports.empty());
	put_map(a, **second);
	put_config(listed);
	ASSERT_TRUE(eventually(5s, [&] { return !dataplane_.has(own_port); })) << describe();
	ASSERT_TRUE(eventually(5s, [&] { return journal_has("port 192.0.2.12:40000 off") == 1; }))
		<< describe();
	EXPECT_TRUE(dataplane_.has(a));
}

TEST_F(BackendAgentTest, FailedAddIsUnhealthyAndStopRevokes)
{
	const auto a = vip("192.0.2.20");
	dataplane_.fail_add(a, true);
	start_agent();
	put_config(config(a, {"10.0.1.1"}));
	ASSERT_TRUE(eventually(5s, [&] {
		const auto record = registration();
		return record && record->healthy == false &&
		       record->error.find("no room left") != std::string::npos;
	})) << describe();
	const auto record = registration().value();
	EXPECT_TRUE(record.vips.empty());
	EXPECT_NE(record.error.find(to_string(a)), std::string::npos) << record.error;
	EXPECT_FALSE(agent_->view().healthy);
	EXPECT_GE(agent_->view().failures, 1u);
	say("a failed add registered as: healthy false, error '%s'", record.error.c_str());

	// Room again: tried again (add_retry), healthy again.
	dataplane_.fail_add(a, false);
	ASSERT_TRUE(eventually(5s, [&] {
		const auto now = registration();
		return now && now->healthy == true && now->error.empty() &&
		       now->vips == std::vector<VipId>{a};
	})) << describe();

	// Stopping revokes the lease: the key goes at once, the datapath stays.
	agent_->stop();
	ASSERT_TRUE(eventually(2s, [&] {
		auto kv = client_->get(keys_.backend("b1"));
		return kv && !*kv;
	}));
	EXPECT_TRUE(dataplane_.has(a));
}

// Last: it stops etcd's quorum.
TEST_F(BackendAgentTest, KeepsItsVipsWithoutEtcdAndCatchesUp)
{
	const auto a = vip("192.0.2.30"), b = vip("192.0.2.31");
	start_agent();
	put_config(config(a, {"10.0.1.1"}));
	put_config(config(b, {"10.0.1.1", "10.0.1.2"}));
	ASSERT_TRUE(eventually(5s, [&] {
		const auto record = registration();
		return record && record->vips.size() == 2;
	})) << describe();
	for (size_t i = 0; i < 3; ++i)
		cluster_->kill(i);
	const auto lost = Clock::now();
	ASSERT_TRUE(eventually(10s, [&] { return !agent_->view().etcd_connected; })) << describe();
	const double noticed = seconds_since(lost);
	std::this_thread::sleep_for(3s); // longer than the lease
	EXPECT_TRUE(dataplane_.has(a) && dataplane_.has(b)) << describe();
	const auto view = agent_->view();
	EXPECT_NE(view.etcd_lost_since, 0u);
	EXPECT_FALSE(view.registered);
	ASSERT_EQ(view.vips.size(), 2u) << describe();
	EXPECT_NE(view.vips[0].reason.find("etcd unreachable"), std::string::npos)
		<< view.vips[0].reason;
	EXPECT_EQ(view.removes, 0u);

	for (size_t i = 0; i < 3; ++i)
		ASSERT_TRUE(cluster_->restart(i));
	const auto back = Clock::now();
	ASSERT_TRUE(eventually(30s, [&] {
		const auto record = registration();
		return agent_->view().etcd_connected && record && record->vips.size() == 2;
	})) << describe();
	const double reconnected = seconds_since(back);
	ASSERT_TRUE(client_->erase(keys_.config(b)));
	ASSERT_TRUE(eventually(10s, [&] { return !dataplane_.has(b); })) << describe();
	EXPECT_TRUE(dataplane_.has(a));
	say("etcd stopped: noticed in %.2f s, kept both VIPs; etcd back: registered again in "
	    "%.2f s, then a deleted VIP went",
	    noticed, reconnected);
}

} // namespace
} // namespace iplb::lbcontrol
