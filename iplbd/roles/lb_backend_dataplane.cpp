// SPDX-License-Identifier: GPL-2.0-or-later
#include "roles/lb_backend_dataplane.hpp"

#include "netlink/interface_addresses.hpp"
#include "roles/lb_mux_dataplane.hpp"

#include <algorithm>

namespace iplb {

Status BackendMapsDataplane::add_vip(const lbcontrol::VipId &vip)
{
	if (auto added = maps_.add_vip(to_vip_key(vip)); !added)
		return added;
	RaisedPrivileges raised(privileges_);
	if (auto bound = bind_host_address("lo", vip.address); !bound)
		return unexpected(Error{"cannot bind " + to_string(vip.address) +
					" on lo: " + bound.error().message});
	return ok();
}

Status BackendMapsDataplane::remove_vip(const lbcontrol::VipId &vip)
{
	if (auto removed = maps_.remove_vip(to_vip_key(vip)); !removed)
		return removed;
	auto left = maps_.vips();
	if (!left)
		return unexpected(left.error());
	if (std::any_of(left->begin(), left->end(),
			[&](const auto &entry) { return entry.first.address == vip.address; }))
		return ok();
	RaisedPrivileges raised(privileges_);
	return unbind_host_address("lo", vip.address);
}

Result<std::set<lbcontrol::VipId>, Error> BackendMapsDataplane::vips() const
{
	auto installed = maps_.vips();
	if (!installed)
		return unexpected(installed.error());
	std::set<lbcontrol::VipId> out;
	for (const auto &[key, generation] : *installed)
		out.insert(to_vip_id(key));
	return out;
}

} // namespace iplb
