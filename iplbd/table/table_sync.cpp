// SPDX-License-Identifier: GPL-2.0-or-later
#include "table/table_sync.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

namespace iplb {

Result<TableDiff, Error> diff_tables(std::span<const RouteSpec> installed,
				     std::span<const RouteSpec> desired)
{
	std::map<IpPrefix, const RouteSpec *> have;
	for (const RouteSpec &route : installed)
		have.emplace(route.prefix, &route);
	std::map<IpPrefix, const RouteSpec *> want;
	for (const RouteSpec &route : desired)
		if (!want.emplace(route.prefix, &route).second)
			return unexpected(Error{to_string(route.prefix) + " is wanted twice"});

	TableDiff diff;
	for (const auto &[prefix, route] : want) {
		const auto it = have.find(prefix);
		if (it != have.end() && *it->second == *route)
			diff.unchanged++;
		else
			diff.put.push_back(*route);
	}
	for (const auto &[prefix, route] : have)
		if (!want.count(prefix))
			diff.remove.push_back(prefix);
	return diff;
}

Result<SyncResult, Error> sync_table(RouteTable &table, std::span<const RouteSpec> desired,
				     std::optional<size_t> capacity)
{
	auto installed = table.routes();
	if (!installed)
		return unexpected(installed.error());
	auto diff = diff_tables(*installed, desired);
	if (!diff)
		return unexpected(diff.error());
	SyncResult result;
	result.unchanged = diff->unchanged;
	const auto put = [&](const RouteSpec &route) {
		if (auto s = table.put(route); !s) {
			result.errors.push_back(to_string(route.prefix) + ": " + s.error().message);
			result.not_written.push_back({route.prefix, s.error().message});
		} else {
			result.put++;
		}
	};
	// Make before break: every new record is in place before anything
	// goes, so a destination moving to a shorter or longer prefix is never
	// without one. A changed record replaces its prefix's, in place; a new
	// one needs room, and when the table is full only the removals make
	// it: those records wait for them.
	std::set<IpPrefix> present;
	for (const RouteSpec &route : *installed)
		present.insert(route.prefix);
	size_t room = !capacity			      ? SIZE_MAX
		      : *capacity > installed->size() ? *capacity - installed->size()
						      : 0;
	std::vector<const RouteSpec *> after_removals;
	for (const RouteSpec &route : diff->put) {
		if (present.count(route.prefix)) {
			put(route);
		} else if (room > 0) {
			room--;
			put(route);
		} else {
			after_removals.push_back(&route);
		}
	}
	for (const IpPrefix &prefix : diff->remove) {
		if (auto s = table.remove(prefix); !s)
			result.errors.push_back(to_string(prefix) + ": " + s.error().message);
		else
			result.removed++;
	}
	for (const RouteSpec *route : after_removals)
		put(*route);
	return result;
}

} // namespace iplb
