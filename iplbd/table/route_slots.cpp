// SPDX-License-Identifier: GPL-2.0-or-later
#include "table/route_slots.hpp"

#include <string>

namespace iplb {

RouteSlots::RouteSlots(size_t capacity) : capacity_(capacity)
{
	for (size_t slot = 0; slot < capacity_; slot++)
		free_.insert(free_.end(), static_cast<uint32_t>(slot));
}

void RouteSlots::take(uint32_t slot)
{
	if (users_[slot]++ == 0)
		free_.erase(slot);
}

void RouteSlots::give_back(uint32_t slot)
{
	const auto it = users_.find(slot);
	if (it == users_.end())
		return;
	if (--it->second == 0) {
		users_.erase(it);
		free_.insert(slot);
	}
}

Status RouteSlots::reset(std::span<const std::pair<IpPrefix, uint32_t>> records)
{
	*this = RouteSlots(capacity_);
	for (const auto &[prefix, slot] : records) {
		if (slot >= capacity_)
			return unexpected(Error{to_string(prefix) + ": route slot " +
						std::to_string(slot) + " is beyond the table's " +
						std::to_string(capacity_)});
		assign(prefix, slot);
	}
	return ok();
}

Result<std::pair<uint32_t, bool>, Error> RouteSlots::slot_for(const IpPrefix &prefix) const
{
	if (const auto it = slots_.find(prefix); it != slots_.end())
		return std::pair(it->second, true);
	if (free_.empty())
		return unexpected(
			Error{"the table is full (" + std::to_string(capacity_) + " prefixes)"});
	return std::pair(*free_.begin(), false);
}

std::optional<uint32_t> RouteSlots::slot(const IpPrefix &prefix) const
{
	const auto it = slots_.find(prefix);
	return it == slots_.end() ? std::nullopt : std::optional(it->second);
}

void RouteSlots::assign(const IpPrefix &prefix, uint32_t slot)
{
	const auto [it, added] = slots_.try_emplace(prefix, slot);
	if (!added) {
		if (it->second == slot)
			return;
		give_back(it->second);
		it->second = slot;
	}
	take(slot);
}

void RouteSlots::release(const IpPrefix &prefix)
{
	const auto it = slots_.find(prefix);
	if (it == slots_.end())
		return;
	give_back(it->second);
	slots_.erase(it);
}

} // namespace iplb
