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

#include <map>
#include <optional>
#include <utility>

namespace iplb {

class BackendMapsDataplane final : public lbcontrol::BackendDataplane {
public:
	// `announced`: the address MPTCP direct mode announces to clients (the
	// backend's first IPv4 DIP, else its first); none: direct mode cannot be
	// turned on.
	BackendMapsDataplane(BackendMaps &maps, Privileges privileges,
			     std::optional<IpAddress> announced = std::nullopt)
	    : maps_(maps), privileges_(std::move(privileges)), announced_(std::move(announced))
	{
	}

	Status add_vip(const lbcontrol::VipId &vip) override;
	// The address stays bound while another VIP of the same address is here.
	Status remove_vip(const lbcontrol::VipId &vip) override;
	Result<std::set<lbcontrol::VipId>, Error> vips() const override;
	// The C flag while anything is announced (the sysctl's value before is
	// kept, and restored after), a signal endpoint for the announced
	// address in direct mode, and one per VIP port in port mode (ids
	// mptcp::first_port_endpoint_id on).
	Status set_mptcp(const lbcontrol::MptcpAnnouncements &wanted) override;

private:
	using AnnouncedPort = std::pair<IpAddress, uint16_t>;

	BackendMaps &maps_;
	Privileges privileges_;
	std::optional<IpAddress> announced_;
	std::optional<bool> joins_allowed_before_; // while the C flag is ours
	bool direct_ = false;
	std::map<AnnouncedPort, uint8_t> port_ids_; // the endpoints it added
};

} // namespace iplb
