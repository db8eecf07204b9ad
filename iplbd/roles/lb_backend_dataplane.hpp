// SPDX-License-Identifier: GPL-2.0-or-later
// The backend agent's datapath (lbcontrol::BackendDataplane) over the
// backend program's maps: a VIP it serves is taken from the muxes' tunnels
// (BackendMaps) and bound on lo as a host address, so that the stack
// delivers its packets here (the same two steps as `iplbctl lb vip add` on
// a backend). Called on the agent's thread; binding needs the daemon's
// privileges, raised around each call.
#pragma once

#include "datapath/lb_programs.hpp"
#include "lbcontrol/backend_agent.hpp"
#include "roles/host_plane.hpp"

namespace iplb {

class BackendMapsDataplane final : public lbcontrol::BackendDataplane {
public:
	BackendMapsDataplane(BackendMaps &maps, Privileges privileges)
	    : maps_(maps), privileges_(std::move(privileges))
	{
	}

	Status add_vip(const lbcontrol::VipId &vip) override;
	// The address stays bound while another VIP of the same address is here.
	Status remove_vip(const lbcontrol::VipId &vip) override;
	Result<std::set<lbcontrol::VipId>, Error> vips() const override;

private:
	BackendMaps &maps_;
	Privileges privileges_;
};

} // namespace iplb
