// SPDX-License-Identifier: GPL-2.0-or-later
#include "roles/role.hpp"

#include "util/enum_names.hpp"

namespace iplb {

namespace {

constexpr EnumNames<Role, 3> role_names{
	"role", {{{Role::host, "host"}, {Role::mux, "mux"}, {Role::backend, "backend"}}}};

} // namespace

std::string_view to_string(Role role)
{
	return role_names.name(role);
}

Result<Role, Error> parse_role(std::string_view name)
{
	return role_names.parse(name);
}

} // namespace iplb
