// SPDX-License-Identifier: GPL-2.0-or-later
// Everything one iplbd instance holds, independent of FRR: its status, its
// LSDB feed, and the topology it builds from the feed, debounced like OSPF
// throttles SPF. The C interface (capi/) exposes it to the FRR glue.
#pragma once

#include "daemon/daemon_config.hpp"
#include "daemon/debouncer.hpp"
#include "lsdb/api_session.hpp"
#include "lsdb/topology_builder.hpp"
#include "status/daemon_status.hpp"
#include "topology/relay_policy.hpp"
#include "topology/topology_delta.hpp"
#include "util/io_driver.hpp"
#include "util/log.hpp"
#include "util/timer_mux.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace iplb {

struct RebuildCounters {
	uint64_t rebuilds = 0;
	uint64_t unchanged = 0; // debounced changes that left the content as it was
	uint64_t errors = 0;
	std::chrono::microseconds last{0};
	std::chrono::microseconds max{0};
	std::chrono::steady_clock::time_point at{}; // of the last rebuild
	std::string last_error;
	uint64_t snapshots = 0;	    // rebuilds that changed the topology, emitted
	uint64_t same_topology = 0; // rebuilds of a new LSDB content, same topology
	DeltaSummary last_delta;    // of the last snapshot emitted
	std::chrono::steady_clock::time_point last_change_at{};
};

// From the first LSDB change of a burst to the table written (or computed,
// without a datapath): what an operator waits for after a failure.
struct UpdateTiming {
	uint64_t updates = 0;
	std::chrono::milliseconds last{0}, max{0};
	std::chrono::steady_clock::time_point at{};
};

// `debug iplb lsdb|paths|dataplane`: which debug messages are logged (the
// others' info, warnings and errors always are).
struct DebugFlags {
	bool lsdb = false;	// the API session, topology rebuilds and changes
	bool paths = false;	// recomputes: what was computed, per destination
	bool dataplane = false; // every record written or removed

	friend bool operator==(const DebugFlags &, const DebugFlags &) = default;
};

// The datapath's work needs privileges the daemon otherwise drops.
struct Privileges {
	std::function<void()> raise, lower;
};

// Who consumes the topology (the path engine): called once per new
// snapshot, with the one it replaces and what differs between them.
using TopologyListener = std::function<void(
	const TopologySnapshot &before, const TopologySnapshot &after, const TopologyDelta &delta)>;

class Daemon {
public:
	explicit Daemon(IoDriver &io, LogSink log = {});
	Daemon(const Daemon &) = delete;
	Daemon &operator=(const Daemon &) = delete;

	void on_io(int fd, bool readable, bool writable) { lsdb_.on_io(fd, readable, writable); }
	void on_timer() { timers_.on_timer(); }

	DaemonStatus &status() { return status_; }
	const DaemonStatus &status() const { return status_; }
	ApiSession &lsdb() { return lsdb_; }
	const ApiSession &lsdb() const { return lsdb_; }

	// The topology of the last rebuild; an empty one before the first.
	const TopologySnapshot &topology() const { return topology_; }
	const LsdbTopologyStats &topology_stats() const { return stats_; }
	const RebuildCounters &rebuilds() const { return rebuilds_; }
	bool rebuild_pending() const { return debounce_.pending(); }

	void set_debounce(Debouncer::Timing timing) { debounce_.set_timing(timing); }
	const Debouncer::Timing &debounce() const { return debounce_.timing(); }
	void set_relay_policy(const RelayPolicy &policy);
	void set_topology_listener(TopologyListener listener) { listener_ = std::move(listener); }

	// Paths, destinations and datapath: validated, then applied (the
	// datapath opened or re-adopted, attached, the table recomputed and
	// synced). A datapath that cannot be brought up is an error, but the
	// configuration stays: it is retried with the next change.
	Status configure(const DaemonConfig &config);
	const DaemonConfig &config() const { return config_; }
	void set_privileges(Privileges privileges) { privileges_ = std::move(privileges); }
	// Called when healthy() changes.
	void set_health_listener(std::function<void(bool)> listener)
	{
		health_listener_ = std::move(listener);
	}
	// The datapath is configured and attached everywhere it should be, or
	// none is configured.
	bool healthy() const;

	// A prefix-list changed: the destinations may have.
	void prefix_lists_changed() { update_table(); }

	HostPipeline &pipeline() { return pipeline_; }
	const HostPipeline &pipeline() const { return pipeline_; }
	const HostDatapath &datapath() const { return datapath_; }
	const UpdateTiming &update_timing() const { return timing_; }
	void clear_counters();
	void set_debug(const DebugFlags &flags)
	{
		debug_ = flags;
		pipeline_.set_debug(flags.paths, flags.dataplane);
	}
	const DebugFlags &debug() const { return debug_; }

private:
	void rebuild();
	// Runs the pipeline on the current topology, with privileges.
	void update_table();
	void check_health();
	// Every second while a datapath is configured: is it still attached
	// everywhere; if not, attach again (an interface that came back).
	void watch_datapath();
	// Debug messages of the daemon itself are the LSDB's.
	void log(LogLevel level, const std::string &message) const
	{
		if (log_ && (level != LogLevel::debug || debug_.lsdb))
			log_(level, message);
	}
	// The sink, with debug messages only while `flag` is set.
	LogSink filtered(const bool DebugFlags::*flag) const;

	DebugFlags debug_;
	LogSink log_;
	DaemonStatus status_;
	TimerMux timers_;
	TimerMux::Client &session_io_;
	TimerMux::Client &debounce_io_;
	TimerMux::Client &datapath_io_;
	ApiSession lsdb_;
	Debouncer debounce_;
	RelayPolicy relays_;
	TopologySnapshot topology_;
	std::optional<uint64_t> built_from_; // the LSDB content hash of topology_
	LsdbTopologyStats stats_;
	RebuildCounters rebuilds_;
	TopologyListener listener_;

	DaemonConfig config_;
	HostPipeline pipeline_;
	HostDatapath datapath_;
	Privileges privileges_;
	std::function<void(bool)> health_listener_;
	std::optional<bool> healthy_; // as last reported
	std::optional<std::chrono::steady_clock::time_point> first_change_;
	UpdateTiming timing_;
};

} // namespace iplb
