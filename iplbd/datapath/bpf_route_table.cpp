// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/bpf_route_table.hpp"
#include "datapath/route_record.hpp"

#include <string>

namespace iplb {

namespace {

std::vector<std::pair<IpPrefix, uint32_t>>
slots_of(const std::vector<std::pair<IpPrefix, iplb_route>> &records)
{
	std::vector<std::pair<IpPrefix, uint32_t>> out;
	out.reserve(records.size());
	for (const auto &[prefix, record] : records)
		out.emplace_back(prefix, record.id);
	return out;
}

} // namespace

Result<std::vector<RouteSpec>, Error> BpfRouteTable::routes() const
{
	auto records = maps_.routes();
	if (!records)
		return unexpected(records.error());
	// A sync starts here: the slots in use come with the records, and a
	// writer that kept this object sees what others wrote since.
	slots_.emplace(IPLB_MAX_ROUTES);
	if (auto s = slots_->reset(slots_of(*records)); !s) {
		slots_.reset();
		return unexpected(s.error());
	}
	std::vector<RouteSpec> out;
	for (const auto &[prefix, record] : *records) {
		auto spec = decode_route(prefix, record);
		if (!spec)
			return unexpected(spec.error());
		out.push_back(std::move(*spec));
	}
	return out;
}

Result<RouteSlots *, Error> BpfRouteTable::slots() const
{
	if (!slots_) {
		// Read once per table object: a sync's puts then cost a lookup
		// each, not a walk of the whole table.
		auto records = maps_.routes();
		if (!records)
			return unexpected(records.error());
		RouteSlots slots(IPLB_MAX_ROUTES);
		if (auto s = slots.reset(slots_of(*records)); !s)
			return unexpected(s.error());
		slots_.emplace(std::move(slots));
	}
	return &*slots_;
}

Result<std::pair<uint32_t, bool>, Error> BpfRouteTable::slot_for(const IpPrefix &prefix) const
{
	auto slots = this->slots();
	if (!slots)
		return unexpected(slots.error());
	return (*slots)->slot_for(prefix);
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
	slots_->assign(route.prefix, id);
	return ok();
}

Status BpfRouteTable::remove(const IpPrefix &prefix)
{
	// A trie's delete is exact (its lookup is not).
	if (auto s = maps_.delete_route(prefix); !s)
		return s;
	if (slots_)
		slots_->release(prefix);
	return ok();
}

} // namespace iplb
