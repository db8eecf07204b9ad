// SPDX-License-Identifier: GPL-2.0-or-later
// What an iplbd instance does on its node.
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

} // namespace iplb
