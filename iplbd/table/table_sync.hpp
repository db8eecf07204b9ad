// SPDX-License-Identifier: GPL-2.0-or-later
// Bringing a datapath's table to what the daemon wants, by differences and
// make-before-break: new and changed prefixes are written first (each write
// replaces one prefix's record whole), prefixes no longer wanted are removed
// last, and a prefix whose record is unchanged is not touched. A failed write
// leaves that prefix's old record in place: a fault costs freshness, never
// forwarding. In a table of bounded capacity, new prefixes beyond the room
// left are written after the removals (the only order that fits).
#pragma once

#include "table/route_spec.hpp"
#include "util/ipv6.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <cstdint>
#include <optional>
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

// A wanted prefix whose record could not be written (a prefix that had one
// keeps its old one).
struct NotWritten {
	IpPrefix prefix;
	std::string error;
};

struct SyncResult {
	size_t put = 0, removed = 0, unchanged = 0;
	std::vector<std::string> errors;     // one per prefix that could not be written or removed
	std::vector<NotWritten> not_written; // the writes among them
};
// Error only when the installed table cannot be read (nothing is written
// then); a prefix that fails is reported in `errors` and the rest goes on.
// `capacity`: how many prefixes the table holds (none: unbounded). While it
// has room, new records go in before removals; the new records that would
// overflow it wait for the removals. More prefixes wanted than it holds:
// the writes that find no room fail, reported like any other.
Result<SyncResult, Error> sync_table(RouteTable &table, std::span<const RouteSpec> desired,
				     std::optional<size_t> capacity = std::nullopt);

} // namespace iplb
