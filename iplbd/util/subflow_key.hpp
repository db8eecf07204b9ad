// SPDX-License-Identifier: GPL-2.0-or-later
// One TCP subflow to a VIP, as the load balancer keys it: the client's
// address and port, the VIP's address and port (both of one family). The
// mux's subflow map (datapath/lb_programs.hpp) and the backends'
// announcements in Redis (mptcp/token_store.hpp) speak of it.
#pragma once

#include "util/ipv6.hpp"

#include <compare>
#include <cstdint>
#include <string>

namespace iplb {

struct SubflowKey {
	IpAddress client;
	uint16_t client_port = 0; // host order
	IpAddress vip;
	uint16_t vip_port = 0;

	friend bool operator==(const SubflowKey &, const SubflowKey &) = default;
	friend auto operator<=>(const SubflowKey &, const SubflowKey &) = default;
};
// "198.51.100.7:40000 -> 192.0.2.10:80", "[2001:db8::7]:40000 -> ...".
std::string to_string(const SubflowKey &subflow);

} // namespace iplb
