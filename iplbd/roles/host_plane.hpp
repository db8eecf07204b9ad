// SPDX-License-Identifier: GPL-2.0-or-later
// The host plane: each new topology through the pipeline (paths, relay
// lists, the table a host should hold) into the host datapath, which it
// opens, attaches where configured and watches every second (an interface
// that comes back is attached again).
#pragma once

#include "datapath/host_datapath.hpp"
#include "pipeline/host_pipeline.hpp"
#include "roles/host_config.hpp"
#include "topology/topology.hpp"
#include "util/io_driver.hpp"
#include "util/ipv4.hpp"
#include "util/log.hpp"
#include "util/status.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace iplb {

// The datapath's work needs privileges the daemon otherwise drops.
struct Privileges {
	std::function<void()> raise, lower;
};

// Holds the daemon's privileges raised for one scope.
class RaisedPrivileges {
public:
	explicit RaisedPrivileges(const Privileges &p) : p_(p)
	{
		if (p_.raise)
			p_.raise();
	}
	~RaisedPrivileges()
	{
		if (p_.lower)
			p_.lower();
	}
	RaisedPrivileges(const RaisedPrivileges &) = delete;
	RaisedPrivileges &operator=(const RaisedPrivileges &) = delete;

private:
	const Privileges &p_;
};

class HostPlane {
public:
	// `watch_timer`: this plane's own timer. `log`: its info, warnings and
	// errors; `paths_log` and `datapath_log` carry the pipeline's debug
	// messages of each kind. `topology`: what the table starts from (the
	// empty topology before the LSDB: static routes need none). `source`:
	// this host's router, when known (the LSDB feed says).
	HostPlane(IoDriver &watch_timer, TopologySnapshot topology,
		  std::function<std::optional<Ipv4>()> source, LogSink log, LogSink paths_log,
		  LogSink datapath_log);
	HostPlane(const HostPlane &) = delete;
	HostPlane &operator=(const HostPlane &) = delete;

	// Validated, then applied (the datapath opened or re-adopted, attached,
	// the table recomputed and synced). A datapath that cannot be brought
	// up is an error, but the configuration stays: it is retried every
	// second.
	Status configure(const HostPlaneConfig &config);
	const HostPlaneConfig &config() const { return config_; }

	// A new topology: the table follows. The last one is kept for a
	// datapath that opens later.
	void update(const TopologySnapshot &topology);
	// The same topology again (a prefix-list changed).
	void update() { run(); }

	// The datapath is configured and attached everywhere it should be, or
	// none is configured.
	bool healthy() const;
	// Called when healthy() changes.
	void set_health_listener(std::function<void(bool)> listener)
	{
		health_listener_ = std::move(listener);
	}
	void set_privileges(Privileges privileges) { privileges_ = std::move(privileges); }

	// The watch timer fired.
	void on_timer() { watch_datapath(); }

	// Where the datapath instances this daemon opens are recorded (its
	// state directory): before the first configure().
	void set_record(OwnedInstances record) { datapath_.set_record(std::move(record)); }
	// The startup configuration is loaded: instances a previous iplbd
	// opened and this configuration does not name are released now (the
	// orphan rule, docs/IPLBD.md). Until then they are left as they are:
	// the configuration may still name them (a restart keeps forwarding).
	void configuration_loaded();
	bool configuration_is_loaded() const { return loaded_; }
	// What is wrong with the datapath, one line each (empty: nothing): the
	// datapath's own problems, and a table too small for its destinations.
	std::vector<std::string> problems() const;
	// The last repair the watch made, and when (steady clock).
	const std::string &last_repair() const { return last_repair_; }
	std::chrono::steady_clock::time_point last_repair_at() const { return last_repair_at_; }

	HostPipeline &pipeline() { return pipeline_; }
	const HostPipeline &pipeline() const { return pipeline_; }
	const HostDatapath &datapath() const { return datapath_; }
	void clear_counters() { pipeline_.clear_counters(); }
	void set_debug(bool paths, bool datapath) { pipeline_.set_debug(paths, datapath); }

private:
	// Runs the pipeline on the current inputs, with privileges.
	void run();
	void check_health();
	// Every second while a datapath is configured: the kernel's state
	// against the configuration (HostDatapath::reconcile), the table
	// against the computed one; repairs logged, problems reported.
	void watch_datapath();
	// Applies the configured datapath; a table opened for it is filled
	// before it is attached. Whether the pipeline already ran.
	bool apply_datapath(Status &result);
	// Brings the namespace's congestion control to the configuration's
	// (with privileges); a failure is a problem, tried again by the watch
	// unless the kernel cannot have it.
	void apply_congestion();
	bool congestion_retry() const
	{
		return congestion_error_ && congestion_error_->kind != CcError::Kind::unsupported;
	}
	void log_problems();

	IoDriver &timer_;
	LogSink log_;
	HostPlaneConfig config_;
	HostPipeline pipeline_;
	HostDatapath datapath_;
	NamespaceCongestion congestion_{std::string(default_pin_root)};
	std::optional<CcError> congestion_error_;
	Privileges privileges_;
	std::function<void(bool)> health_listener_;
	std::optional<bool> healthy_; // as last reported
	std::vector<std::string> logged_problems_;
	bool loaded_ = false;
	std::string last_repair_;
	std::chrono::steady_clock::time_point last_repair_at_{};
	TopologySnapshot topology_;
	std::function<std::optional<Ipv4>()> source_;
};

} // namespace iplb
