// SPDX-License-Identifier: GPL-2.0-or-later
// Where a router's relay address comes from: the address hosts tunnel to
// when that router relays. OSPF gives router ids and stub prefixes; which of
// them is an address the router decapsulates on is the operator's choice.
#pragma once

#include "topology/topology.hpp"
#include "util/result.hpp"

#include <optional>
#include <string_view>

namespace iplb {

struct RelayPolicy {
	enum class Source {
		router_id, // the router id is a reachable address (common in DCs)
		loopback,  // the router's lowest /32 stub prefix
		prefix,	   // the router's /32 stub prefix inside `within`
	};
	Source source = Source::router_id;
	Ipv4Prefix within; // for Source::prefix
};

// "router-id", "loopback" or "prefix:A.B.C.D/L"
Result<RelayPolicy, Error> parse_relay_policy(std::string_view text);

struct RelayAssignment {
	TopologySnapshot topology;
	size_t fallbacks = 0; // routers without a matching prefix: router id used
};

// The same topology with every router's relay set by the policy.
Result<RelayAssignment, Error> assign_relays(const Topology &topology, const RelayPolicy &policy);

} // namespace iplb
