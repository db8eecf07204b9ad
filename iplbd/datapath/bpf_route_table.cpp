// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/bpf_route_table.hpp"
#include "datapath/route_record.hpp"

#include <set>
#include <string>

namespace iplb {

Result<std::vector<RouteSpec>, Error> BpfRouteTable::routes() const
{
	auto records = maps_.routes();
	if (!records)
		return unexpected(records.error());
	// A sync starts here: the slots in use come with the records, and a
	// writer that kept this object sees what others wrote since.
	used_.emplace();
	for (const auto &[prefix, record] : *records)
		used_->insert(record.id);
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
	auto record = maps_.route(prefix);
	if (!record)
		return unexpected(record.error());
	if (*record)
		return std::pair((*record)->id, true);
	if (!used_) {
		// Read once per table object: a sync's puts then cost a lookup
		// each, not a walk of the whole table.
		auto records = maps_.routes();
		if (!records)
			return unexpected(records.error());
		used_.emplace();
		for (const auto &[p, r] : *records)
			used_->insert(r.id);
	}
	for (uint32_t id = 0; id < IPLB_MAX_ROUTES; id++)
		if (!used_->count(id))
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
	if (auto s = maps_.put_route(route.prefix, *record); !s)
		return s;
	if (used_)
		used_->insert(id);
	return ok();
}

Status BpfRouteTable::remove(const IpPrefix &prefix)
{
	auto record = maps_.route(prefix);
	if (!record)
		return unexpected(record.error());
	if (auto s = maps_.delete_route(prefix); !s)
		return s;
	if (used_ && *record)
		used_->erase((*record)->id);
	return ok();
}

} // namespace iplb
