// SPDX-License-Identifier: GPL-2.0-or-later
#include "status/role.hpp"

#include <string>

namespace iplb {

std::string_view to_string(Role role)
{
	switch (role) {
	case Role::host:
		return "host";
	case Role::mux:
		return "mux";
	case Role::backend:
		return "backend";
	}
	return "unknown";
}

Result<Role, Error> parse_role(std::string_view name)
{
	for (Role role : all_roles)
		if (to_string(role) == name)
			return role;
	return unexpected(
		Error{"unknown role '" + std::string(name) + "': expected host, mux or backend"});
}

} // namespace iplb
