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

Status set_default_mux_source(MuxMaps &maps, const std::string &ifname)
{
	auto config = maps.config();
	if (!config)
		return unexpected(config.error());
	if (config->source || config->source6)
		return ok();
	auto addresses = interface_addresses(ifname);
	if (!addresses)
		return unexpected(addresses.error());
	for (const auto &address : *addresses) {
		if (const auto *v4 = std::get_if<Ipv4>(&address); v4 && !config->source)
			config->source = *v4;
		else if (const auto *v6 = std::get_if<Ipv6>(&address); v6 && !config->source6)
			config->source6 = *v6;
	}
	return maps.set_config(*config);
}

Status set_mux_fib_lookup(MuxMaps &maps, bool fib_lookup)
{
	auto config = maps.config();
	if (!config)
		return unexpected(config.error());
	if (config->fib == fib_lookup)
		return ok();
	config->fib = fib_lookup;
	return maps.set_config(*config);
}

} // namespace iplb
