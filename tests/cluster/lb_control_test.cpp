// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's controller and mux agents against a real 3-member
// etcd cluster: two controllers (one leads), two muxes whose datapaths are
// recorders with MuxMaps' rules (stage into the other slot, flip only a
// staged generation, generations only grow). Each test prints what it saw
// ("[lb] ...").
//
// What is proven: the two phases (every mux staged v+1 before any flipped
// to it), health and drain, a mux that cannot load withdraws while the
// others go on, the leader's crash (a standby takes over from the stored
// map: no new version), and a mux that loses etcd keeps forwarding and
// catches up when etcd returns.
#include "lb_test_support.hpp"
#include "lbcontrol/controller.hpp"
#include "lbcontrol/mux_agent.hpp"

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

// A mux datapath with MuxMaps' rules, recording every operation in one
// journal shared by the muxes of a test (so the order across muxes shows).
struct Journal {
	std::mutex mutex;
	std::vector<std::string> entries;

	void add(const std::string &entry)
	{
		std::lock_guard lock(mutex);
		entries.push_back(entry);
	}
	std::vector<std::string> snapshot()
	{
		std::lock_guard lock(mutex);
		return entries;
	}
};

class RecordingDataplane : public MuxDataplane {
public:
	RecordingDataplane(std::string name, Journal &journal)
	    : name_(std::move(name)), journal_(journal)
	{
	}

	Status stage(const VipId &vip, const MapVersion &version) override
	{
		std::lock_guard lock(mutex_);
		if (fail_stage_)
			return unexpected(Error{"no room left in the bucket table (test)"});
		auto &slots = vips_[vip];
		if (slots.active && version.generation() <= slots.active->generation())
			return unexpected(Error{"generation not newer"});
		slots.staged = version;
		journal_.add(name_ + " stage " + std::to_string(version.generation()));
		return ok();
	}
	Status activate(const VipId &vip, uint32_t generation) override
	{
		std::lock_guard lock(mutex_);
		auto &slots = vips_[vip];
		if (slots.active && slots.active->generation() == generation)
			return ok();
		if (!slots.staged || slots.staged->generation() != generation)
			return unexpected(Error{"generation " + std::to_string(generation) +
						" is not staged"});
		slots.active = std::move(slots.staged);
		slots.staged.reset();
		journal_.add(name_ + " activate " + std::to_string(generation));
		return ok();
	}
	Status remove(const VipId &vip) override
	{
		std::lock_guard lock(mutex_);
		vips_.erase(vip);
		journal_.add(name_ + " remove");
		return ok();
	}
	Result<std::map<VipId, InstalledGenerations>, Error> installed() const override
	{
		std::lock_guard lock(mutex_);
		std::map<VipId, InstalledGenerations> out;
		for (const auto &[vip, slots] : vips_) {
			InstalledGenerations generations;
			generations.active = slots.active ? slots.active->generation() : 0;
			if (slots.staged)
				generations.staged = slots.staged->generation();
			out[vip] = generations;
		}
		return out;
	}

	std::optional<MapVersion> active(const VipId &vip) const
	{
		std::lock_guard lock(mutex_);
		const auto it = vips_.find(vip);
		return it == vips_.end() ? std::nullopt : it->second.active;
	}
	uint32_t active_generation(const VipId &vip) const
	{
		const auto version = active(vip);
		return version ? version->generation() : 0;
	}
	void fail_stage(bool fail)
	{
		std::lock_guard lock(mutex_);
		fail_stage_ = fail;
	}

private:
	struct Slots {
		std::optional<MapVersion> active, staged;
	};
	std::string name_;
	Journal &journal_;
	mutable std::mutex mutex_;
	std::map<VipId, Slots> vips_;
	bool fail_stage_ = false;
};

// Health as the test says it is; records whether checks are asked for.
class ScriptedHealth : public HealthMonitor {
public:
	struct Shared {
		std::mutex mutex;
		std::map<lb::Dip, Health> health;
	};
	explicit ScriptedHealth(Shared &shared) : shared_(shared) {}

	void set_checks(const std::map<VipId, VipConfig> &vips) override
	{
		std::lock_guard lock(mutex_);
		checking_ = 0;
		for (const auto &[vip, config] : vips)
			if (config.health_check.kind != HealthCheckConfig::Kind::none)
				checking_ += config.backends.size();
	}
	std::map<lb::Dip, Health> observed(const VipId &) const override
	{
		std::lock_guard lock(shared_.mutex);
		return shared_.health;
	}
	void set_on_change(std::function<void()> on_change) override
	{
		std::lock_guard lock(mutex_);
		on_change_ = std::move(on_change);
	}
	void changed()
	{
		std::function<void()> call;
		{
			std::lock_guard lock(mutex_);
			call = on_change_;
		}
		if (call)
			call();
	}
	size_t checking() const
	{
		std::lock_guard lock(mutex_);
		return checking_;
	}

private:
	Shared &shared_;
	mutable std::mutex mutex_;
	std::function<void()> on_change_;
	size_t checking_ = 0;
};

class LbControl : public testing::EtcdSuite<LbControl> {
public:
	static constexpr testing::Say say{"lb"};

protected:
	void TearDown() override
	{
		// Agents and controllers first (their threads use the cluster).
		muxes_.clear();
		controllers_.clear();
		dataplanes_.clear();
	}

	void start_controller(const std::string &name, bool revoke_on_stop = true)
	{
		ControllerOptions options;
		options.name = name;
		options.prefix = prefix_;
		options.lease_ttl = 2;
		options.ack_timeout = 3s;
		options.retry_delay = 200ms;
		options.revoke_on_stop = revoke_on_stop;
		auto health = std::make_unique<ScriptedHealth>(health_);
		healths_[name] = health.get();
		controllers_[name] = std::make_unique<Controller>(cluster_->endpoints(), options,
								  std::move(health));
	}

	void start_mux(const std::string &name, bool revoke_on_stop = true)
	{
		dataplanes_[name] = std::make_unique<RecordingDataplane>(name, journal_);
		MuxAgentOptions options;
		options.name = name;
		options.prefix = prefix_;
		options.lease_ttl = 2;
		options.retry_delay = 200ms;
		options.load_retry = 500ms;
		options.revoke_on_stop = revoke_on_stop;
		muxes_[name] = std::make_unique<MuxAgent>(cluster_->endpoints(), options,
							  *dataplanes_[name]);
	}

	using EtcdSuite::config;
	// The test's VIP's configuration.
	VipConfig config(std::initializer_list<std::string> dips) { return config(vip_, dips); }

	std::optional<MapVersion> committed()
	{
		auto kv = client_->get(Keys{prefix_}.map(vip_));
		if (!kv || !*kv)
			return std::nullopt;
		auto version = decode_map_version((*kv)->value);
		return version ? std::optional<MapVersion>(*version) : std::nullopt;
	}

	// Every mux serves the VIP with `generation` (and it is committed).
	bool all_serve(uint32_t generation, std::chrono::milliseconds timeout = 10s)
	{
		return eventually(timeout, [&] {
			for (const auto &[name, mux] : muxes_) {
				if (dataplanes_[name]->active_generation(vip_) != generation ||
				    !mux->servable().contains(vip_))
					return false;
			}
			const auto version = committed();
			return version && version->generation() == generation;
		});
	}

	std::string leader()
	{
		for (const auto &[name, controller] : controllers_)
			if (controller->view().leader)
				return name;
		return "";
	}

	std::string describe_muxes()
	{
		std::string out;
		for (const auto &[name, mux] : muxes_) {
			const auto view = mux->view();
			out += name + ": etcd " +
			       (view.etcd_connected ? "up" : "down (" + view.etcd_error + ")");
			for (const auto &vip : view.vips)
				out += ", " + to_string(vip.vip) + " active " +
				       std::to_string(vip.active) + " committed " +
				       std::to_string(vip.committed) + " prepared " +
				       std::to_string(vip.prepared) +
				       (vip.servable ? " servable" : " withdrawn: " + vip.reason);
			out += "\n";
		}
		return out;
	}

	VipId vip_{parse_ip_address("192.0.2.10").value(), 6, 80};
	Journal journal_;
	ScriptedHealth::Shared health_;
	std::map<std::string, ScriptedHealth *> healths_;
	std::map<std::string, std::unique_ptr<RecordingDataplane>> dataplanes_;
	std::map<std::string, std::unique_ptr<Controller>> controllers_;
	std::map<std::string, std::unique_ptr<MuxAgent>> muxes_;
};

// Where each mux's "stage G" and "activate G" sit in the journal.
void expect_two_phases(const std::vector<std::string> &journal, uint32_t generation, size_t muxes)
{
	size_t last_stage = 0, first_activate = journal.size(), stages = 0, activates = 0;
	for (size_t i = 0; i < journal.size(); ++i) {
		if (journal[i].ends_with(" stage " + std::to_string(generation))) {
			last_stage = i;
			stages++;
		}
		if (journal[i].ends_with(" activate " + std::to_string(generation))) {
			first_activate = std::min(first_activate, i);
			activates++;
		}
	}
	EXPECT_EQ(stages, muxes) << "generation " << generation;
	EXPECT_EQ(activates, muxes) << "generation " << generation;
	EXPECT_LT(last_stage, first_activate)
		<< "a mux flipped to generation " << generation << " before every mux had it";
}

TEST_F(LbControl, TwoPhaseCommitAcrossMuxes)
{
	start_controller("c1");
	start_controller("c2");
	start_mux("m1");
	start_mux("m2");
	ASSERT_TRUE(eventually(10s, [&] { return !leader().empty(); })) << "no leader elected";
	ASSERT_TRUE(eventually(5s, [&] {
		return controllers_["c1"]->view().muxes.size() == 2 &&
		       controllers_["c2"]->view().muxes.size() == 2;
	})) << "the controllers do not see both muxes";
	const auto start = Clock::now();
	put_config(config({"10.0.1.1", "10.0.1.2"}));
	ASSERT_TRUE(all_serve(1)) << describe_muxes();
	const double first = seconds_since(start);
	const auto stored = committed();
	for (const auto &[name, dataplane] : dataplanes_)
		EXPECT_EQ(dataplane->active(vip_), stored) << name << " serves another map";

	const auto added = Clock::now();
	put_config(config({"10.0.1.1", "10.0.1.2", "10.0.1.3"}));
	ASSERT_TRUE(all_serve(2)) << describe_muxes();
	const double second = seconds_since(added);
	const auto journal = journal_.snapshot();
	expect_two_phases(journal, 1, 2);
	expect_two_phases(journal, 2, 2);
	const auto version = committed();
	ASSERT_TRUE(version);
	EXPECT_EQ(version->pool.size(), 3u);
	for (const auto &[name, dataplane] : dataplanes_)
		EXPECT_EQ(dataplane->active(vip_), version) << name;
	const auto leading = leader();
	const auto view = controllers_[leading]->view();
	EXPECT_EQ(view.commits, 2u);
	EXPECT_EQ(view.commits_incomplete, 0u);
	EXPECT_EQ(controllers_[leading == "c1" ? "c2" : "c1"]->view().prepares, 0u)
		<< "the standby wrote";
	std::string order;
	for (const auto &entry : journal)
		order += " | " + entry;
	say("leader %s; new VIP served by both muxes in %.2f s, a backend added in %.2f s; "
	    "journal%s",
	    leading.c_str(), first, second, order.c_str());
}

TEST_F(LbControl, MuxThatCannotLoadWithdrawsTheOthersGoOn)
{
	start_controller("c1");
	start_mux("m1");
	start_mux("m2");
	put_config(config({"10.0.1.1", "10.0.1.2"}));
	ASSERT_TRUE(all_serve(1)) << describe_muxes();
	dataplanes_["m2"]->fail_stage(true);
	const auto start = Clock::now();
	put_config(config({"10.0.1.1", "10.0.1.2", "10.0.1.3"}));
	ASSERT_TRUE(eventually(10s, [&] {
		return dataplanes_["m1"]->active_generation(vip_) == 2 &&
		       !muxes_["m2"]->servable().contains(vip_);
	})) << describe_muxes();
	const double took = seconds_since(start);
	EXPECT_TRUE(muxes_["m1"]->servable().contains(vip_));
	EXPECT_EQ(dataplanes_["m2"]->active_generation(vip_), 1u) << "m2 holds its old map";
	const auto m2 = muxes_["m2"]->view();
	ASSERT_EQ(m2.vips.size(), 1u);
	EXPECT_NE(m2.vips[0].reason.find("no room left"), std::string::npos) << m2.vips[0].reason;
	EXPECT_GE(m2.load_failures, 1u);
	const auto view = controllers_["c1"]->view();
	EXPECT_EQ(view.commits, 2u);
	EXPECT_EQ(view.commits_incomplete, 0u) << "m2 answered (that it failed)";
	say("m2 could not stage generation 2: it withdrew the VIP ('%s'); m1 serves "
	    "generation 2, committed %.2f s after the change",
	    m2.vips[0].reason.c_str(), took);
	// Once it can, it catches up and serves again.
	dataplanes_["m2"]->fail_stage(false);
	ASSERT_TRUE(all_serve(2)) << describe_muxes();
	say("m2 loaded generation 2 on its retry and serves again");
}

TEST_F(LbControl, HealthAndDrainMoveBuckets)
{
	start_controller("c1");
	start_mux("m1");
	auto cfg = config({"10.0.1.1", "10.0.1.2", "10.0.1.3"});
	cfg.health_check.kind = HealthCheckConfig::Kind::tcp;
	cfg.drain_timeout = 2;
	{
		std::lock_guard lock(health_.mutex);
		for (const auto &backend : cfg.backends)
			health_.health[backend.dip] = Health::up;
	}
	put_config(cfg);
	ASSERT_TRUE(all_serve(1)) << describe_muxes();
	EXPECT_EQ(healths_["c1"]->checking(), 3u) << "the leader checks every backend";
	const auto owners = [&](const lb::Dip &d) {
		const auto version = committed();
		return version ? std::count_if(version->map.buckets.begin(),
					       version->map.buckets.end(),
					       [&](const auto &b) { return b.owner == d; })
			       : -1;
	};
	EXPECT_GT(owners(dip("10.0.1.3")), 300);

	{
		std::lock_guard lock(health_.mutex);
		health_.health[dip("10.0.1.3")] = Health::down;
	}
	healths_["c1"]->changed();
	ASSERT_TRUE(all_serve(2)) << describe_muxes();
	EXPECT_EQ(owners(dip("10.0.1.3")), 0) << "a backend that went down keeps buckets";
	{
		std::lock_guard lock(health_.mutex);
		health_.health[dip("10.0.1.3")] = Health::up;
	}
	healths_["c1"]->changed();
	ASSERT_TRUE(all_serve(3)) << describe_muxes();
	EXPECT_GT(owners(dip("10.0.1.3")), 300) << "a recovered backend gets its share back";

	// The drain may be held up to its 2 s window (buckets moved back at
	// "up" would move a second time), then counts 2 s from its commit;
	// times are whole seconds, so up to about 6 s in all.
	const auto drained_at = Clock::now();
	cfg.backends[0].drain = true;
	put_config(cfg);
	ASSERT_TRUE(all_serve(4)) << describe_muxes();
	auto version = committed();
	ASSERT_TRUE(version);
	EXPECT_EQ(version->pool[0].state, lb::BackendState::draining);
	EXPECT_EQ(owners(dip("10.0.1.1")), 0);
	ASSERT_TRUE(all_serve(5, 12s)) << "the drain did not time out: " << describe_muxes();
	const double drain = seconds_since(drained_at);
	version = committed();
	EXPECT_EQ(version->pool[0].state, lb::BackendState::down);
	say("health down -> generation 2 (its buckets moved), up -> 3; drained -> 4 "
	    "(draining), down once its 2 s drain timeout ran out (drain times are whole seconds): "
	    "generation 5 at %.2f s",
	    drain);
}

TEST_F(LbControl, StandbyTakesOverFromTheStoredMap)
{
	start_controller("c1", false);
	start_controller("c2", false);
	start_mux("m1");
	start_mux("m2");
	put_config(config({"10.0.1.1", "10.0.1.2"}));
	ASSERT_TRUE(all_serve(1)) << describe_muxes();
	const auto first = leader();
	ASSERT_FALSE(first.empty());
	const auto standby = first == "c1" ? "c2" : "c1";
	const auto before = committed();

	// A crash: the lease is left to expire (2 s).
	const auto crashed = Clock::now();
	controllers_.erase(first);
	ASSERT_TRUE(eventually(10s, [&] { return controllers_[standby]->view().leader; }))
		<< standby << " never took over";
	const double takeover = seconds_since(crashed);
	std::this_thread::sleep_for(500ms);
	EXPECT_EQ(committed(), before) << "the new leader changed the map by itself";
	EXPECT_EQ(controllers_[standby]->view().prepares, 0u);

	put_config(config({"10.0.1.1", "10.0.1.2", "10.0.1.3"}));
	ASSERT_TRUE(all_serve(2)) << describe_muxes();
	EXPECT_EQ(controllers_[standby]->view().commits, 1u);
	say("leader %s crashed (lease left to expire, TTL 2 s); %s led %.2f s later, kept "
	    "generation 1 as stored, and committed the next change",
	    first.c_str(), standby, takeover);
}

TEST_F(LbControl, CrashedMuxIsNotWaitedForBeyondItsLease)
{
	start_controller("c1");
	start_mux("m1");
	start_mux("m2", false);
	put_config(config({"10.0.1.1", "10.0.1.2"}));
	ASSERT_TRUE(all_serve(1)) << describe_muxes();
	muxes_.erase("m2"); // a crash: its key stays until its lease expires
	const auto start = Clock::now();
	put_config(config({"10.0.1.1", "10.0.1.2", "10.0.1.3"}));
	ASSERT_TRUE(eventually(10s, [&] {
		return dataplanes_["m1"]->active_generation(vip_) == 2;
	})) << describe_muxes();
	const double took = seconds_since(start);
	const auto view = controllers_["c1"]->view();
	EXPECT_EQ(view.muxes, std::vector<std::string>{"m1"});
	say("m2 crashed: generation 2 committed %.2f s after the change (%llu commit(s) "
	    "without every answer)",
	    took, static_cast<unsigned long long>(view.commits_incomplete));
}

// Last: it stops etcd's quorum.
TEST_F(LbControl, MuxKeepsForwardingWithoutEtcdAndCatchesUp)
{
	start_controller("c1");
	start_mux("m1");
	start_mux("m2");
	put_config(config({"10.0.1.1", "10.0.1.2"}));
	ASSERT_TRUE(all_serve(1)) << describe_muxes();
	cluster_->kill(0);
	cluster_->kill(1);
	cluster_->kill(2);
	const auto lost = Clock::now();
	ASSERT_TRUE(eventually(10s, [&] {
		return !muxes_["m1"]->view().etcd_connected && !muxes_["m2"]->view().etcd_connected;
	})) << describe_muxes();
	const double noticed = seconds_since(lost);
	for (const auto &[name, mux] : muxes_) {
		EXPECT_TRUE(mux->servable().contains(vip_)) << name << " withdrew without etcd";
		const auto view = mux->view();
		ASSERT_EQ(view.vips.size(), 1u);
		EXPECT_NE(view.vips[0].reason.find("etcd unreachable"), std::string::npos)
			<< view.vips[0].reason;
		EXPECT_NE(view.etcd_lost_since, 0u);
	}
	const auto reason = muxes_["m1"]->view().vips[0].reason;
	std::this_thread::sleep_for(3s); // longer than the leases
	for (const auto &[name, mux] : muxes_)
		EXPECT_TRUE(mux->servable().contains(vip_)) << name;

	for (size_t i = 0; i < 3; ++i)
		ASSERT_TRUE(cluster_->restart(i));
	const auto back = Clock::now();
	ASSERT_TRUE(eventually(30s, [&] {
		return muxes_["m1"]->view().etcd_connected && muxes_["m2"]->view().etcd_connected &&
		       controllers_["c1"]->view().leader &&
		       controllers_["c1"]->view().muxes.size() == 2;
	})) << describe_muxes();
	const double reconnected = seconds_since(back);
	put_config(config({"10.0.1.1", "10.0.1.2", "10.0.1.3"}));
	ASSERT_TRUE(all_serve(2, 15s)) << describe_muxes();
	say("etcd stopped: the muxes noticed in %.2f s and kept serving generation 1 "
	    "('%s'); etcd back: reconnected, re-registered and led again in %.2f s, then "
	    "generation 2 reached both",
	    noticed, reason.c_str(), reconnected);
}

} // namespace
} // namespace iplb::lbcontrol
