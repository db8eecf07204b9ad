// SPDX-License-Identifier: GPL-2.0-or-later
#include "roles/host_plane.hpp"

namespace iplb {

using Raised = RaisedPrivileges;

HostPlane::HostPlane(IoDriver &watch_timer, TopologySnapshot topology,
		     std::function<std::optional<Ipv4>()> source, LogSink log, LogSink paths_log,
		     LogSink datapath_log)
    : timer_(watch_timer), log_(std::move(log)),
      pipeline_(std::move(paths_log), std::move(datapath_log)), topology_(std::move(topology)),
      source_(std::move(source))
{
}

bool HostPlane::apply_datapath(Status &result)
{
	bool filled = false;
	result = datapath_.apply(*config_.datapath, [&](RouteTable &table) {
		pipeline_.set_table(&table);
		pipeline_.set_source(source_ ? source_() : std::nullopt);
		pipeline_.run(topology_);
		filled = true;
	});
	return filled;
}

void HostPlane::apply_congestion()
{
	// A failure is logged as a problem (log_problems), once.
	auto applied = congestion_.apply(config_.congestion);
	if (applied)
		congestion_error_.reset();
	else
		congestion_error_ = applied.error();
}

Status HostPlane::configure(const HostPlaneConfig &config)
{
	if (auto s = validate(config); !s)
		return s;
	if (auto s = pipeline_.set_config(config.pipeline); !s)
		return s;
	config_ = config;
	Status result = ok();
	bool filled = false;
	{
		Raised raised(privileges_);
		apply_congestion();
		if (config.datapath) {
			filled = apply_datapath(result);
			if (!result && log_)
				log_(LogLevel::error, "datapath: " + result.error().message);
		} else {
			datapath_.release(); // detached; its table stays pinned
		}
	}
	pipeline_.set_table(datapath_.table());
	if (!filled)
		run();
	log_problems();
	check_health();
	if (config.datapath || congestion_retry())
		timer_.arm_timer(std::chrono::seconds{1});
	else
		timer_.cancel_timer();
	return result;
}

void HostPlane::configuration_loaded()
{
	if (loaded_)
		return;
	loaded_ = true;
	std::vector<std::string> released;
	{
		Raised raised(privileges_);
		released = datapath_.release_orphans();
	}
	for (const std::string &line : released)
		if (log_)
			log_(LogLevel::warning,
			     "datapath " + line + ": released, the configuration does not name it");
}

void HostPlane::update(const TopologySnapshot &topology)
{
	topology_ = topology;
	run();
	log_problems();
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
	if (congestion_retry()) {
		Raised raised(privileges_);
		apply_congestion();
	}
	if (!config_.datapath) {
		log_problems();
		if (congestion_retry())
			timer_.arm_timer(std::chrono::seconds{1});
		return;
	}
	const bool was_open = datapath_.open();
	bool filled = false;
	std::vector<std::string> repaired;
	{
		Raised raised(privileges_);
		if (!was_open) {
			Status result = ok();
			filled = apply_datapath(result); // counted, reported as a problem
		} else {
			repaired = datapath_.reconcile();
			if (const size_t records = pipeline_.resync(); records > 0)
				repaired.push_back("table: " + std::to_string(records) +
						   " records written again or removed (they "
						   "differed from the computed table)");
		}
	}
	if (!was_open && datapath_.open()) {
		pipeline_.set_table(datapath_.table());
		if (!filled)
			run();
	}
	for (const std::string &line : repaired) {
		if (log_)
			log_(LogLevel::warning, "datapath repaired: " + line);
		last_repair_ = line;
		last_repair_at_ = std::chrono::steady_clock::now();
	}
	log_problems();
	check_health();
	timer_.arm_timer(std::chrono::seconds{1});
}

std::vector<std::string> HostPlane::problems() const
{
	std::vector<std::string> out = datapath_.problems();
	if (congestion_error_)
		out.push_back("congestion control " + std::string(to_string(config_.congestion)) +
			      ": " + congestion_error_->message);
	if (const TableFill &fill = pipeline_.fill(); fill.full())
		out.push_back("table full: " + std::to_string(fill.table_full) +
			      " destinations not installed (capacity " +
			      std::to_string(fill.capacity.value_or(0)) + ")");
	return out;
}

void HostPlane::log_problems()
{
	auto now = problems();
	if (now == logged_problems_)
		return;
	logged_problems_ = std::move(now);
	for (const std::string &problem : logged_problems_)
		if (log_)
			log_(LogLevel::warning, "datapath: " + problem);
}

bool HostPlane::healthy() const
{
	// A full table is reported as a problem: destinations the operator
	// expects multipath for take their normal route instead.
	return (!config_.datapath || datapath_.healthy()) && !pipeline_.fill().full();
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
