// SPDX-License-Identifier: GPL-2.0-or-later
// The counter slots (route ids) of a table's prefixes, kept per exact
// prefix: each prefix in the table has a slot of its own, which it keeps
// while it stays (its counts go on); a new prefix takes the lowest free
// slot; a removed prefix's slot is free again at once.
//
// Why per exact prefix: a lookup in an LPM trie (the eBPF table, even from
// user space) finds the longest prefix that covers the key, so "is this
// prefix in the table" asked of the trie answers yes for 10.4.1.7/32 when
// only 10.4.1.0/24 is there, and the /32 would take the /24's slot (their
// counters shared, and the slot freed while still in use when one goes).
#pragma once

#include "util/ipv6.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <utility>

namespace iplb {

class RouteSlots {
public:
	// Slots 0 to capacity - 1.
	explicit RouteSlots(size_t capacity);

	// Forgets everything and takes what the table holds: each record's
	// prefix and slot. A slot beyond the capacity is an error. A slot that
	// two records share (a table written by an older version) stays taken
	// until the last of them is released.
	Status reset(std::span<const std::pair<IpPrefix, uint32_t>> records);

	// The slot of `prefix` and true when it is in the table; else the
	// slot it would take (the lowest free one) and false. Error: no slot
	// is free (the table is full).
	Result<std::pair<uint32_t, bool>, Error> slot_for(const IpPrefix &prefix) const;
	std::optional<uint32_t> slot(const IpPrefix &prefix) const;

	// `prefix` now holds `slot` (its record was written with it).
	void assign(const IpPrefix &prefix, uint32_t slot);
	// `prefix` left the table (its record was removed).
	void release(const IpPrefix &prefix);

	size_t size() const { return slots_.size(); }
	size_t capacity() const { return capacity_; }

private:
	void take(uint32_t slot);
	void give_back(uint32_t slot);

	size_t capacity_;
	std::map<IpPrefix, uint32_t> slots_;
	std::map<uint32_t, unsigned> users_; // slot -> prefixes holding it
	std::set<uint32_t> free_;
};

} // namespace iplb
