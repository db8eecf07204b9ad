// SPDX-License-Identifier: GPL-2.0-or-later
#include "roles/host_plane.hpp"

namespace iplb {

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

HostPlane::HostPlane(IoDriver &watch_timer, TopologySnapshot topology,
		     std::function<std::optional<Ipv4>()> source, LogSink log, LogSink paths_log,
		     LogSink datapath_log)
    : timer_(watch_timer), log_(std::move(log)),
      pipeline_(std::move(paths_log), std::move(datapath_log)), topology_(std::move(topology)),
      source_(std::move(source))
{
}

Status HostPlane::configure(const HostPlaneConfig &config)
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
			if (!result && log_)
				log_(LogLevel::error, "datapath: " + result.error().message);
		} else {
			datapath_.release(); // detached; its table stays pinned
		}
	}
	pipeline_.set_table(datapath_.table());
	run();
	check_health();
	if (config.datapath)
		timer_.arm_timer(std::chrono::seconds{1});
	else
		timer_.cancel_timer();
	return result;
}

void HostPlane::update(const TopologySnapshot &topology)
{
	topology_ = topology;
	run();
	check_health();
}

void HostPlane::run()
{
	pipeline_.set_source(source_ ? source_() : std::nullopt);
	Raised raised(privileges_);
	pipeline_.run(topology_);
}

void HostPlane::watch_datapath()
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
		run();
	}
	check_health();
	timer_.arm_timer(std::chrono::seconds{1});
}

bool HostPlane::healthy() const
{
	return !config_.datapath || datapath_.healthy();
}

void HostPlane::check_health()
{
	const bool now = healthy();
	if (healthy_ == now)
		return;
	healthy_ = now;
	if (log_)
		log_(now ? LogLevel::info : LogLevel::warning,
		     now ? "datapath healthy" : "datapath not healthy");
	if (health_listener_)
		health_listener_(now);
}

} // namespace iplb
