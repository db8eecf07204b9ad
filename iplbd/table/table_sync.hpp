// SPDX-License-Identifier: GPL-2.0-or-later
// Bringing a datapath's table to what the daemon wants, by differences and
// make-before-break: new and changed prefixes are written first (each write
// replaces one prefix's record whole), prefixes no longer wanted are removed
// last, and a prefix whose record is unchanged is not touched. A failed write
// leaves that prefix's old record in place: a fault costs freshness, never
// forwarding.
#pragma once

#include "table/route_spec.hpp"
#include "util/ipv6.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace iplb {

// What the table must change: desired against installed.
struct TableDiff {
	std::vector<RouteSpec> put;   // new or different, in prefix order
	std::vector<IpPrefix> remove; // installed, no longer wanted
	size_t unchanged = 0;
};
// Both sides keyed by prefix; a prefix given twice in `desired` is an error.
Result<TableDiff, Error> diff_tables(std::span<const RouteSpec> installed,
				     std::span<const RouteSpec> desired);

// A datapath table of either backend, as the synchroniser sees it.
class RouteTable {
public:
	virtual ~RouteTable() = default;
	virtual Result<std::vector<RouteSpec>, Error> routes() const = 0;
	// Adds or replaces the prefix's record, whole.
	virtual Status put(const RouteSpec &route) = 0;
	virtual Status remove(const IpPrefix &prefix) = 0;
};

struct SyncResult {
	size_t put = 0, removed = 0, unchanged = 0;
	std::vector<std::string> errors; // one per prefix that could not be written
};
// Error only when the installed table cannot be read (nothing is written
// then); a prefix that fails is reported in `errors` and the rest goes on.
Result<SyncResult, Error> sync_table(RouteTable &table, std::span<const RouteSpec> desired);

} // namespace iplb
