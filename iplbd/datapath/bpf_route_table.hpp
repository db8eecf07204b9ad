// SPDX-License-Identifier: GPL-2.0-or-later
// The eBPF host program's table (HostMaps) as a RouteTable for sync_table()
// and for iplbctl: route specs in, records with counter slots out.
#pragma once

#include "datapath/bpf_programs.hpp"
#include "table/route_slots.hpp"
#include "table/table_sync.hpp"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace iplb {

// The eBPF host program's table: each prefix keeps its counter slot while it
// is in the table; a new prefix takes the lowest free slot, zeroed. Slots are
// kept per exact prefix (table/route_slots.hpp: the trie's own lookup is a
// longest-prefix match), read from the maps once, then followed, and read
// again by routes():
// an object serves one writer's run of changes (a command), or every sync of
// a writer that keeps it (each sync starts with routes()).
class BpfRouteTable : public RouteTable {
public:
	explicit BpfRouteTable(HostMaps &maps) : maps_(maps) {}

	Result<std::vector<RouteSpec>, Error> routes() const override;
	Status put(const RouteSpec &route) override;
	Status remove(const IpPrefix &prefix) override;
	// The counter slot of `prefix`, and whether the prefix is in the table
	// (else: the slot it would take).
	Result<std::pair<uint32_t, bool>, Error> slot_for(const IpPrefix &prefix) const;

private:
	Result<RouteSlots *, Error> slots() const;

	HostMaps &maps_;
	mutable std::optional<RouteSlots> slots_;
};

} // namespace iplb
