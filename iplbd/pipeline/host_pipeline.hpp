// SPDX-License-Identifier: GPL-2.0-or-later
// A host's pipeline, from topology snapshots to its datapath table: the k
// paths to every router by the path engine (recomputed incrementally after a
// change), the destinations the operator selected, their relay plans and
// lists, and a make-before-break sync of the table that writes differences
// only. It keeps what it computed for `show iplb table|paths` and counts its
// work for `show iplb counters`. A table of bounded capacity gets the
// destinations that rank first (pipeline/table_limit.hpp); the others are
// kept as not installed, with the reason.
#pragma once

#include "paths/engine.hpp"
#include "pipeline/desired_table.hpp"
#include "pipeline/table_limit.hpp"
#include "table/table_sync.hpp"
#include "util/log.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace iplb {

// What differs for one destination prefix from the pipeline's defaults.
struct PrefixPolicy {
	Ipv4Prefix prefix; // exact match
	std::optional<unsigned> k;
	std::optional<Planner> planner;
	std::optional<Encap> encap;
	std::optional<Selection> selection;
	// Weights of the prefix's lists, best path's list first; lists beyond
	// them keep weight 1.
	std::vector<uint16_t> weights;

	friend bool operator==(const PrefixPolicy &, const PrefixPolicy &) = default;
};

struct PipelineConfig {
	TableOptions defaults;
	// Lists with more relays than this are left out (the kernel's limit is
	// max_relays_per_list).
	unsigned max_relays = max_relays_per_list;
	// The path MTU given to computed routes (the datapath clamps TCP's MSS
	// to fit the tunnel headers); 0: unknown.
	uint16_t mtu = 0;
	// Destinations: the prefixes inside one of `include` (all when empty)
	// and inside none of `exclude`.
	std::vector<Ipv4Prefix> include;
	std::vector<Ipv4Prefix> exclude;
	// And only those a prefix-list (FRR's `ip prefix-list`) permits; empty:
	// none. The list itself is the daemon's (set_prefix_list_check()).
	std::string prefix_list;
	std::vector<PrefixPolicy> policies;
	// Destinations outside OSPF, with their lists as configured; a static
	// route wins over a computed one of the same prefix.
	std::vector<RouteSpec> static_routes;
	// How many destinations the datapath's table holds (none: no bound, no
	// datapath). More static routes are refused; more destinations in all
	// are ranked (pipeline/table_limit.hpp) and the rest left out.
	std::optional<size_t> capacity;

	friend bool operator==(const PipelineConfig &, const PipelineConfig &) = default;
};

// Refuses what cannot be computed or installed, with a message naming it.
Status validate(const PipelineConfig &config);

struct Duration {
	std::chrono::microseconds last{0}, max{0}, total{0};
	uint64_t count = 0;

	void add(std::chrono::microseconds took);
	std::chrono::microseconds average() const;
};

struct PipelineCounters {
	uint64_t recomputes = 0;	// tables computed
	uint64_t incremental = 0;	// of which by the incremental engine
	uint64_t without_changes = 0;	// computed tables equal to the installed one
	uint64_t compute_errors = 0;	// the previous table was kept
	uint64_t skipped_no_source = 0; // our router is not in the topology, or has no link
	uint64_t syncs = 0;
	uint64_t sync_errors = 0; // table unreadable, or prefixes not written
	uint64_t routes_written = 0;
	uint64_t routes_removed = 0;
	uint64_t lists_too_long = 0;   // left out: more relays than max_relays
	uint64_t records_repaired = 0; // by resync(): the datapath differed
	EngineCounters engine;	       // destinations searched/derived/reused, summed
	Duration compute, sync;
	std::string last_error;
};

// What one destination prefix got, for `show iplb paths`.
struct PrefixView {
	Ipv4Prefix prefix;
	PrefixPaths paths;
	RouteSpec route;	   // as computed (before the datapath)
	size_t lists_too_long = 0; // planned, left out of route (max relays)
	bool is_static = false;
	// Why the last run did not install it (none: installed, or no datapath).
	std::optional<NotInstalled> not_installed;
};

class HostPipeline {
public:
	// log: the pipeline's messages; datapath_log: a debug line per record
	// written or removed.
	explicit HostPipeline(LogSink log = {}, LogSink datapath_log = {})
	    : log_(std::move(log)), datapath_log_(std::move(datapath_log))
	{
	}

	// Takes effect at the next run(); validated.
	Status set_config(const PipelineConfig &config);
	const PipelineConfig &config() const { return config_; }
	// The router whose table this is (the LSDB feed's router id).
	void set_source(std::optional<Ipv4> router_id);
	std::optional<Ipv4> source() const { return source_; }
	// Debug lines: each destination's route when computed, each record
	// written to or removed from the datapath.
	void set_debug(bool paths, bool datapath)
	{
		debug_paths_ = paths;
		debug_datapath_ = datapath;
	}
	// Whether prefix-list `name` permits a prefix (a list that does not
	// exist filters nothing, as in FRR's distribute-lists).
	using PrefixListCheck = std::function<bool(const std::string &name, const Ipv4Prefix &)>;
	void set_prefix_list_check(PrefixListCheck check) { prefix_list_check_ = std::move(check); }
	// Where the table goes; none: computed and shown only.
	void set_table(RouteTable *table) { table_ = table; }

	// Computes the table for `topology` (incrementally when only the
	// topology changed since the last run) and syncs it into the table.
	// The topology must stay alive until the next run.
	void run(const TopologySnapshot &topology);
	// Again, with the topology of the last run: after a configuration change
	// or when the datapath came back.
	void rerun();
	// The last computed table written again where the datapath's differs
	// (a record changed or removed behind our back): how many records it
	// wrote or removed. Nothing is recomputed.
	// Counted apart (records_repaired), not as a sync: it runs every
	// second, and the sync counters tell about recomputes. Updates
	// not_installed() and fill().
	size_t resync();

	// What the table should hold: every destination that fits in it
	// (all of them without a bound), in prefix order.
	const std::vector<RouteSpec> &desired() const { return desired_; }
	// The destinations of the last run that are not in the table as
	// computed: left out for want of room, or their write failed. In prefix
	// order.
	const std::vector<NotInstalled> &not_installed() const { return not_installed_; }
	// Capacity, destinations, installed, not installed and why.
	const TableFill &fill() const { return fill_; }
	const PipelineCounters &counters() const { return counters_; }
	void clear_counters() { counters_ = {}; }
	// The paths, plans and route of one destination, recomputed now with the
	// last run's topology. Error if it is not a destination.
	Result<PrefixView, Error> explain(const Ipv4Prefix &prefix) const;
	const TopologySnapshot &topology() const { return topology_; }

private:
	Result<std::vector<RouteSpec>, Error> compute(const TopologySnapshot &topology);
	Result<PrefixView, Error> destination(const Topology &topology, Topology::Vertex source,
					      const Ipv4Prefix &prefix, CostTreeCache &trees) const;
	bool selected(const Ipv4Prefix &prefix) const;
	// Ranks the computed table into desired_ and what has no room.
	void fit_capacity(std::vector<RouteSpec> table);
	void sync();
	// After a sync into the table (or none): which destinations are not
	// installed and why, the fill, a line in the log when that changes.
	void note_sync(const Result<SyncResult, Error> *result);
	void log(LogLevel level, const std::string &message) const
	{
		if (log_)
			log_(level, message);
	}

	LogSink log_;
	LogSink datapath_log_;
	bool debug_paths_ = false, debug_datapath_ = false;
	PrefixListCheck prefix_list_check_;
	PipelineConfig config_;
	std::optional<Ipv4> source_;
	RouteTable *table_ = nullptr;
	TopologySnapshot topology_;
	// The engine's last result and what it was computed for.
	std::optional<AllPaths> all_;
	TopologySnapshot all_topology_;
	std::vector<RouteSpec> desired_;
	std::vector<RouteSpec> left_out_; // no room in the table
	std::vector<NotInstalled> not_installed_;
	TableFill fill_;
	bool computed_ = false;
	PipelineCounters counters_;
};

} // namespace iplb
