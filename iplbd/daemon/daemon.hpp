// SPDX-License-Identifier: GPL-2.0-or-later
// Everything one iplbd instance holds, independent of FRR: its status, its
// LSDB feed, and the topology it builds from the feed, debounced like OSPF
// throttles SPF. The C interface (capi/) exposes it to the FRR glue.
#pragma once

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

private:
	void rebuild();
	void log(LogLevel level, const std::string &message) const
	{
		if (log_)
			log_(level, message);
	}

	LogSink log_;
	DaemonStatus status_;
	TimerMux timers_;
	TimerMux::Client &session_io_;
	TimerMux::Client &debounce_io_;
	ApiSession lsdb_;
	Debouncer debounce_;
	RelayPolicy relays_;
	TopologySnapshot topology_;
	std::optional<uint64_t> built_from_; // the LSDB content hash of topology_
	LsdbTopologyStats stats_;
	RebuildCounters rebuilds_;
	TopologyListener listener_;
};

} // namespace iplb
