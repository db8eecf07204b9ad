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

Status BackendMapsDataplane::set_mptcp(const lbcontrol::MptcpAnnouncements &wanted)
{
	RaisedPrivileges raised(privileges_);
	if (wanted.direct && !announced_)
		return unexpected(Error{"no address on the lb interfaces to announce"});
	// The C flag first and undone last: clients never join the VIP's
	// address itself while something else is announced.
	if (wanted.c_flag()) {
		if (!joins_allowed_before_) {
			auto before = mptcp::joins_to_initial_address_allowed();
			if (!before)
				return unexpected(before.error());
			joins_allowed_before_ = *before;
		}
		if (auto set = mptcp::allow_joins_to_initial_address(false); !set)
			return set;
	}
	for (auto it = port_ids_.begin(); it != port_ids_.end();) {
		if (wanted.ports.contains(it->first)) {
			++it;
			continue;
		}
		if (auto removed = mptcp::remove_endpoint(it->second); !removed)
			return removed;
		it = port_ids_.erase(it);
	}
	for (const AnnouncedPort &port : wanted.ports) {
		if (port_ids_.contains(port))
			continue;
		uint8_t id = mptcp::first_port_endpoint_id;
		while (id <= mptcp::last_port_endpoint_id &&
		       std::any_of(port_ids_.begin(), port_ids_.end(),
				   [&](const auto &entry) { return entry.second == id; }))
			id++;
		if (id > mptcp::last_port_endpoint_id)
			return unexpected(Error{"no endpoint id left for " + to_string(port.first) +
						" port " + std::to_string(port.second)});
		if (auto added = mptcp::add_signal_endpoint(port.first, id, port.second); !added)
			return added;
		port_ids_[port] = id;
	}
	if (wanted.direct != direct_) {
		if (auto set = wanted.direct ? mptcp::add_signal_endpoint(*announced_)
					     : mptcp::remove_endpoint();
		    !set)
			return set;
		direct_ = wanted.direct;
	}
	if (!wanted.c_flag() && joins_allowed_before_) {
		if (auto set = mptcp::allow_joins_to_initial_address(*joins_allowed_before_); !set)
			return set;
		joins_allowed_before_.reset();
	}
	return ok();
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
