// SPDX-License-Identifier: GPL-2.0-or-later
// Everything one iplbd instance holds, independent of FRR: its role, the
// LSDB feed and the topology it builds from it (debounced like OSPF
// throttles SPF), and the planes its role runs (roles/role.hpp), which that
// topology drives. The C interface (capi/) exposes it to the FRR glue.
#pragma once

#include "daemon/debouncer.hpp"
#include "lsdb/api_session.hpp"
#include "lsdb/topology_builder.hpp"
#include "roles/host_plane.hpp"
#include "roles/lb_plane.hpp"
#include "roles/mux_plane.hpp"
#include "roles/role.hpp"
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

// `debug iplb lsdb|paths|datapath`: which debug messages are logged (the
// others' info, warnings and errors always are).
struct DebugFlags {
	bool lsdb = false;     // the API session, topology rebuilds and changes
	bool paths = false;    // recomputes: what was computed, per destination
	bool datapath = false; // every record written or removed

	friend bool operator==(const DebugFlags &, const DebugFlags &) = default;
};

// Who consumes the topology (the path engine): called once per new
// snapshot, with the one it replaces and what differs between them.
using TopologyListener = std::function<void(
	const TopologySnapshot &before, const TopologySnapshot &after, const TopologyDelta &delta)>;

class Daemon {
public:
	using Clock = std::chrono::steady_clock;

	explicit Daemon(IoDriver &io, LogSink log = {}, Clock::time_point started = Clock::now());
	Daemon(const Daemon &) = delete;
	Daemon &operator=(const Daemon &) = delete;

	void on_io(int fd, bool readable, bool writable)
	{
		if (fd == lb_.inbox_fd())
			lb_.on_inbox();
		else
			lsdb_.on_io(fd, readable, writable);
	}
	void on_timer() { timers_.on_timer(); }

	Role role() const { return role_; }
	// The planes follow at once (a mux's VIPs are announced or withdrawn).
	void set_role(Role role);
	Planes planes() const { return planes_of(role_); }
	// Monotonic: a wall-clock step (NTP, operator) does not change it.
	std::chrono::seconds uptime(Clock::time_point now = Clock::now()) const
	{
		return std::chrono::duration_cast<std::chrono::seconds>(now - started_);
	}

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

	// The host plane's paths, destinations and datapath (see HostPlane).
	Status configure(const HostPlaneConfig &config);
	// The load balancer's etcd and controller (see LbPlane).
	Status configure_lb(const LbPlaneConfig &config) { return lb_.configure(config); }
	LbPlane &lb() { return lb_; }
	const LbPlane &lb() const { return lb_; }
	// The datapath is configured and attached everywhere it should be, or
	// none is configured.
	bool healthy() const { return host_.healthy(); }
	// Called when healthy() changes.
	void set_health_listener(std::function<void(bool)> listener)
	{
		health_listener_ = std::move(listener);
	}
	void set_privileges(Privileges privileges)
	{
		lb_.set_privileges(privileges);
		host_.set_privileges(std::move(privileges));
	}
	// A prefix-list changed: the destinations may have.
	void prefix_lists_changed();

	HostPlane &host() { return host_; }
	const HostPlane &host() const { return host_; }
	MuxPlane &mux() { return mux_; }
	const MuxPlane &mux() const { return mux_; }

	const UpdateTiming &update_timing() const { return timing_; }
	void clear_counters();
	void set_debug(const DebugFlags &flags)
	{
		debug_ = flags;
		host_.set_debug(flags.paths, flags.datapath);
	}
	const DebugFlags &debug() const { return debug_; }

private:
	void rebuild();
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
	Clock::time_point started_;
	Role role_ = Role::host;
	TimerMux timers_;
	TimerMux::Client &session_io_;
	TimerMux::Client &debounce_io_;
	TimerMux::Client &datapath_io_;
	TimerMux::Client &lb_io_;
	ApiSession lsdb_;
	Debouncer debounce_;
	RelayPolicy relays_;
	TopologySnapshot topology_;
	std::optional<uint64_t> built_from_; // the LSDB content hash of topology_
	LsdbTopologyStats stats_;
	RebuildCounters rebuilds_;
	TopologyListener listener_;

	HostPlane host_;
	MuxPlane mux_;
	LbPlane lb_;
	std::function<void(bool)> health_listener_;
	std::optional<std::chrono::steady_clock::time_point> first_change_;
	UpdateTiming timing_;
};

} // namespace iplb
