// SPDX-License-Identifier: GPL-2.0-or-later
// What an iplbd instance does on its node, and what runs for it: every
// decision that depends on the role is made from planes_of(), here.
#pragma once

#include "util/result.hpp"

#include <array>
#include <string_view>

namespace iplb {

enum class Role {
	host,	 // multipath source routing: encapsulates toward relays
	mux,	 // load-balancer node: advertises VIPs, steers to backends
	backend, // load-balanced server: decapsulates, daisy-chains
};

inline constexpr std::array all_roles{Role::host, Role::mux, Role::backend};

std::string_view to_string(Role role);

// Accepts exactly the names to_string() produces.
Result<Role, Error> parse_role(std::string_view name);

// The planes a role runs. The host plane is the LSDB -> paths -> table
// pipeline and the host datapath (its eBPF program attached to the
// configured interfaces); the mux plane announces the VIPs through zebra.
struct Planes {
	bool host = false;
	bool mux = false;

	friend bool operator==(const Planes &, const Planes &) = default;
};

// Every role runs the host plane today: the mux and backend programs come
// with the load balancer's data plane, and until then the datapath a mux
// is configured with, whose health gates its VIPs, is the host's.
constexpr Planes planes_of(Role role)
{
	switch (role) {
	case Role::host:
		return {.host = true, .mux = false};
	case Role::mux:
		return {.host = true, .mux = true};
	case Role::backend:
		return {.host = true, .mux = false};
	}
	return {};
}

} // namespace iplb
