// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/daemon.hpp"

#include <algorithm>

namespace iplb {

Daemon::Daemon(IoDriver &io, LogSink log)
    : log_(std::move(log)), timers_(io), session_io_(timers_.client([this] { lsdb_.on_timer(); })),
      debounce_io_(timers_.client([this] { debounce_.on_timer(); })),
      datapath_io_(timers_.client([this] { watch_datapath(); })),
      lsdb_(session_io_, ApiSessionConfig{}), debounce_(debounce_io_, [this] { rebuild(); }),
      topology_(*TopologyBuilder().build()),
      pipeline_(filtered(&DebugFlags::paths), filtered(&DebugFlags::dataplane))
{
	lsdb_.set_log(filtered(&DebugFlags::lsdb));
	lsdb_.set_on_change([this] {
		if (!debounce_.pending() && !first_change_)
			first_change_ = std::chrono::steady_clock::now();
		debounce_.poke();
	});
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

namespace {

// Holds the daemon's privileges raised for one scope.
class Raised {
public:
	explicit Raised(const Privileges &p) : p_(p)
	{
		if (p_.raise)
			p_.raise();
	}
	~Raised()
	{
		if (p_.lower)
			p_.lower();
	}
	Raised(const Raised &) = delete;
	Raised &operator=(const Raised &) = delete;

private:
	const Privileges &p_;
};

} // namespace

Status Daemon::configure(const DaemonConfig &config)
{
	if (auto s = validate(config); !s)
		return s;
	if (auto s = pipeline_.set_config(config.pipeline); !s)
		return s;
	config_ = config;
	Status result = ok();
	{
		Raised raised(privileges_);
		if (config.datapath) {
			result = datapath_.apply(*config.datapath);
			if (!result)
				log(LogLevel::error, "datapath: " + result.error().message);
		} else {
			datapath_.release(); // detached; its table stays pinned
		}
	}
	pipeline_.set_table(datapath_.table());
	update_table();
	check_health();
	if (config.datapath)
		datapath_io_.arm_timer(std::chrono::seconds{1});
	else
		datapath_io_.cancel_timer();
	return result;
}

void Daemon::watch_datapath()
{
	if (!config_.datapath)
		return;
	const bool was_open = datapath_.open();
	{
		Raised raised(privileges_);
		datapath_.verify();
		if (!datapath_.healthy())
			(void)datapath_.apply(*config_.datapath); // counted, kept as last error
	}
	if (!was_open && datapath_.open()) {
		pipeline_.set_table(datapath_.table());
		update_table();
	}
	check_health();
	datapath_io_.arm_timer(std::chrono::seconds{1});
}

bool Daemon::healthy() const
{
	return !config_.datapath || datapath_.healthy();
}

void Daemon::check_health()
{
	const bool now = healthy();
	if (healthy_ == now)
		return;
	healthy_ = now;
	log(now ? LogLevel::info : LogLevel::warning,
	    now ? "datapath healthy" : "datapath not healthy");
	if (health_listener_)
		health_listener_(now);
}

void Daemon::update_table()
{
	pipeline_.set_source(lsdb_.status().router_id);
	Raised raised(privileges_);
	pipeline_.run(topology_);
}

void Daemon::clear_counters()
{
	pipeline_.clear_counters();
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

	update_table();
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
	check_health();
}

} // namespace iplb
