// SPDX-License-Identifier: GPL-2.0-or-later
// A host's table holds a bounded number of destinations (the eBPF
// datapath: IPLB_MAX_ROUTES). When more are wanted, which ones get in is a
// function of the wanted set alone: the same at every recompute, after a
// restart, and on every host with the same inputs, so the installed set does
// not churn while the destinations stay the same.
//
//   1. Static routes: the operator's stated intent. The configuration check
//      refuses more of them than the table holds, so they always fit.
//   2. Computed routes, the most specific first, then by address. When a
//      prefix is in, every longer one is too: a covering route never
//      captures the traffic of a more specific destination that was left
//      out (that traffic takes its normal route, unencapsulated, as for
//      any destination outside the table).
//
// Not an incumbent-first rule: that would avoid the one eviction a new,
// better-ranked destination causes, but what a host holds would then depend
// on its history (restarts, the order changes came in), not on its inputs.
#pragma once

#include "table/route_spec.hpp"
#include "util/ipv6.hpp"

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace iplb {

struct Admission {
	std::vector<RouteSpec> admitted; // in prefix order
	std::vector<RouteSpec> left_out; // no room; in prefix order
};
// `routes`: the wanted table, one route per prefix; `statics`: the prefixes
// that are static routes; `capacity`: none, no bound.
Admission admit(std::vector<RouteSpec> routes, const std::set<IpPrefix> &statics,
		std::optional<size_t> capacity);

// Computed first: 10.0.0.7/32 before 10.0.0.9/32 before 10.0.0.0/24.
bool ranks_before(const IpPrefix &a, const IpPrefix &b);

// Why a destination of the computed table is not in the datapath's.
enum class NotInstalledReason {
	table_full,   // no room: capacity reached by those that rank before it
	write_failed, // the last sync could not write its record
};

struct NotInstalled {
	IpPrefix prefix;
	NotInstalledReason reason = NotInstalledReason::table_full;
	std::string detail; // write_failed: the error

	friend bool operator==(const NotInstalled &, const NotInstalled &) = default;
};
// "table full", "write failed: <detail>"
std::string to_string(const NotInstalled &entry);

// How full the datapath's table is, for `show iplb status|table|counters`
// and health: with no bound (no datapath), nothing is ever "table full".
struct TableFill {
	std::optional<size_t> capacity; // destinations it holds; none: no bound
	size_t destinations = 0;	// computed, static routes included
	size_t installed = 0;		// in the table as computed (last sync)
	size_t table_full = 0;		// left out for want of room
	size_t write_failed = 0;	// the last sync could not write them

	size_t not_installed() const { return table_full + write_failed; }
	// Destinations were left out: health is not ok.
	bool full() const { return table_full > 0; }

	friend bool operator==(const TableFill &, const TableFill &) = default;
};

} // namespace iplb
