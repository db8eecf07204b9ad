// SPDX-License-Identifier: GPL-2.0-or-later
#include "table/table_sync.hpp"

#include <algorithm>
#include <map>

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

Result<SyncResult, Error> sync_table(RouteTable &table, std::span<const RouteSpec> desired)
{
	auto installed = table.routes();
	if (!installed)
		return unexpected(installed.error());
	auto diff = diff_tables(*installed, desired);
	if (!diff)
		return unexpected(diff.error());
	SyncResult result;
	result.unchanged = diff->unchanged;
	// Make before break: every new record is in place before anything
	// goes, so a destination moving to a shorter or longer prefix is never
	// without one.
	for (const RouteSpec &route : diff->put) {
		if (auto s = table.put(route); !s)
			result.errors.push_back(to_string(route.prefix) + ": " + s.error().message);
		else
			result.put++;
	}
	for (const IpPrefix &prefix : diff->remove) {
		if (auto s = table.remove(prefix); !s)
			result.errors.push_back(to_string(prefix) + ": " + s.error().message);
		else
			result.removed++;
	}
	return result;
}

} // namespace iplb
