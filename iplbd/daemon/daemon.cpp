// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/daemon.hpp"

#include <algorithm>

namespace iplb {

Daemon::Daemon(IoDriver &io, LogSink log, Clock::time_point started)
    : log_(std::move(log)), started_(started), timers_(io),
      session_io_(timers_.client([this] { lsdb_.on_timer(); })),
      debounce_io_(timers_.client([this] { debounce_.on_timer(); })),
      datapath_io_(timers_.client([this] { host_.on_timer(); })), lb_io_(timers_.client([] {})),
      lsdb_(session_io_, ApiSessionConfig{}), debounce_(debounce_io_, [this] { rebuild(); }),
      topology_(*TopologyBuilder().build()),
      host_(
	      datapath_io_, topology_, [this] { return lsdb_.status().router_id; },
	      [this](LogLevel level, const std::string &message) { this->log(level, message); },
	      filtered(&DebugFlags::paths), filtered(&DebugFlags::datapath)),
      mux_([this](LogLevel level, const std::string &message) { this->log(level, message); }),
      lb_(lb_io_, [this](LogLevel level, const std::string &message) { this->log(level, message); })
{
	lsdb_.set_log(filtered(&DebugFlags::lsdb));
	lsdb_.set_on_change([this] {
		if (!debounce_.pending() && !first_change_)
			first_change_ = std::chrono::steady_clock::now();
		debounce_.poke();
	});
	host_.set_health_listener([this](bool healthy) {
		mux_.set_datapath_healthy(healthy && lb_.healthy());
		if (health_listener_)
			health_listener_(healthy);
	});
	// A mux's VIPs need its LB program attached too (role mux with `lb
	// interface`), and etcd's VIPs come from its agent.
	lb_.set_health_listener(
		[this] { mux_.set_datapath_healthy(host_.healthy() && lb_.healthy()); });
	lb_.set_vips_listener([this](const std::set<IpPrefix> &vips) { mux_.set_etcd_vips(vips); });
}

LogSink Daemon::filtered(const bool DebugFlags::*flag) const
{
	if (!log_)
		return {};
	return [this, flag](LogLevel level, const std::string &message) {
		if (level != LogLevel::debug || debug_.*flag)
			log_(level, message);
	};
}

void Daemon::set_role(Role role)
{
	role_ = role;
	mux_.set_role(role);
	lb_.set_role(role);
}

Status Daemon::configure(const HostPlaneConfig &config)
{
	return host_.configure(config);
}

void Daemon::prefix_lists_changed()
{
	host_.update();
}

void Daemon::clear_counters()
{
	host_.clear_counters();
	timing_ = {};
	rebuilds_ = {};
}

void Daemon::set_relay_policy(const RelayPolicy &policy)
{
	relays_ = policy;
	built_from_.reset(); // the LSDB may be the same, the relays are not
	debounce_.poke();
}

void Daemon::rebuild()
{
	// Refreshes, and withdrawals followed by the same LSA again (how ospfd
	// reports refreshes), leave the content as it was: nothing to do.
	const uint64_t content = lsdb_.database().content_hash();
	if (built_from_ == content) {
		rebuilds_.unchanged++;
		first_change_.reset();
		return;
	}
	const auto start = std::chrono::steady_clock::now();
	auto built = build_topology(lsdb_.database(), relays_);
	const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
		std::chrono::steady_clock::now() - start);
	rebuilds_.at = std::chrono::steady_clock::now();
	if (!built) {
		// Keep the previous topology: a bad LSDB must not empty the table.
		rebuilds_.errors++;
		rebuilds_.last_error = built.error().message;
		log(LogLevel::error,
		    "topology rebuild failed, keeping the previous one: " + built.error().message);
		return;
	}
	built_from_ = content;
	stats_ = built->stats;
	rebuilds_.rebuilds++;
	rebuilds_.last = took;
	rebuilds_.max = std::max(rebuilds_.max, took);
	log(LogLevel::debug, "topology rebuilt: " + std::to_string(stats_.routers) + " routers, " +
				     std::to_string(stats_.links) + " links, " +
				     std::to_string(stats_.prefixes) + " prefixes in " +
				     std::to_string(took.count()) + " us");

	// An LSDB change need not change the graph (an LSA's options, a
	// one-way link that stays one-way): the consumers only hear of real
	// changes.
	const TopologyDelta delta = diff(*topology_, *built->topology);
	if (delta.empty()) {
		rebuilds_.same_topology++;
		first_change_.reset();
		return;
	}
	const TopologySnapshot before = std::move(topology_);
	topology_ = built->topology;
	rebuilds_.snapshots++;
	rebuilds_.last_delta = summarize(delta);
	rebuilds_.last_change_at = rebuilds_.at;
	log(LogLevel::info, "topology changed: " + to_string(rebuilds_.last_delta));
	for (const auto &line : describe(delta, 20))
		log(LogLevel::debug, "  " + line);
	if (listener_)
		listener_(before, topology_, delta);

	if (planes().host)
		host_.update(topology_);
	if (first_change_) {
		const auto now = std::chrono::steady_clock::now();
		const auto waited =
			std::chrono::duration_cast<std::chrono::milliseconds>(now - *first_change_);
		timing_.updates++;
		timing_.last = waited;
		timing_.max = std::max(timing_.max, waited);
		timing_.at = now;
		first_change_.reset();
		log(LogLevel::info, "table updated " + std::to_string(waited.count()) +
					    " ms after the LSDB changed");
	}
}

} // namespace iplb
