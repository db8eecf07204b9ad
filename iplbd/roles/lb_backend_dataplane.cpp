// SPDX-License-Identifier: GPL-2.0-or-later
#include "roles/lb_backend_dataplane.hpp"

#include "mptcp/direct_mode.hpp"
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

Status BackendMapsDataplane::set_mptcp_direct(bool on)
{
	RaisedPrivileges raised(privileges_);
	if (!on) {
		if (auto removed = mptcp::remove_endpoint(); !removed)
			return removed;
		if (joins_allowed_before_) {
			if (auto set =
				    mptcp::allow_joins_to_initial_address(*joins_allowed_before_);
			    !set)
				return set;
			joins_allowed_before_.reset();
		}
		return ok();
	}
	if (!announced_)
		return unexpected(Error{"no address on the lb interfaces to announce"});
	if (!joins_allowed_before_) {
		auto before = mptcp::joins_to_initial_address_allowed();
		if (!before)
			return unexpected(before.error());
		joins_allowed_before_ = *before;
	}
	if (auto set = mptcp::allow_joins_to_initial_address(false); !set)
		return set;
	return mptcp::add_signal_endpoint(*announced_);
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
