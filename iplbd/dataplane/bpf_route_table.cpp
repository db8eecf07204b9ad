// SPDX-License-Identifier: GPL-2.0-or-later
#include "dataplane/bpf_route_table.hpp"

#include <set>
#include <string>

namespace iplb {

Result<std::vector<RouteSpec>, Error> BpfRouteTable::routes() const
{
	auto records = maps_.routes();
	if (!records)
		return unexpected(records.error());
	std::vector<RouteSpec> out;
	for (const auto &[prefix, record] : *records) {
		auto spec = decode_route(prefix, record);
		if (!spec)
			return unexpected(spec.error());
		out.push_back(std::move(*spec));
	}
	return out;
}

Result<std::pair<uint32_t, bool>, Error> BpfRouteTable::slot_for(const IpPrefix &prefix) const
{
	auto records = maps_.routes();
	if (!records)
		return unexpected(records.error());
	std::set<uint32_t> used;
	for (const auto &[p, record] : *records) {
		if (p == prefix)
			return std::pair(record.id, true);
		used.insert(record.id);
	}
	for (uint32_t id = 0; id < IPLB_MAX_ROUTES; id++)
		if (!used.count(id))
			return std::pair(id, false);
	return unexpected(
		Error{"the table is full (" + std::to_string(IPLB_MAX_ROUTES) + " prefixes)"});
}

Status BpfRouteTable::put(const RouteSpec &route)
{
	auto slot = slot_for(route.prefix);
	if (!slot)
		return unexpected(slot.error());
	const auto [id, existing] = *slot;
	auto record = encode_route(route, id);
	if (!record)
		return unexpected(record.error());
	if (!existing)
		if (auto s = maps_.clear_counters(id); !s) // what a removed prefix left there
			return s;
	return maps_.put_route(route.prefix, *record);
}

Status BpfRouteTable::remove(const IpPrefix &prefix)
{
	return maps_.delete_route(prefix);
}

} // namespace iplb
