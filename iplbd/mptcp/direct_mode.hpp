// SPDX-License-Identifier: GPL-2.0-or-later
// MPTCP direct and port modes on a backend (docs/MPTCP.md; direct mode is
// Duchene's draft, mptcp.dev's advice for servers behind a load balancer;
// port mode Beamer's). Direct mode: the
// backend's connections tell clients not to join the address they
// connected to (RFC 8684's C flag: net.mptcp.allow_join_initial_addr_port
// = 0, per network namespace) and announce the backend's own address
// (ADD_ADDR, from a `signal` endpoint of the kernel's path manager), so a
// client's next subflows go straight to the backend, past the load
// balancer. Port mode: the same C flag, and the VIP's address announced with
// a port of the backend's own, which the muxes map to it. Done through the path manager's generic
// netlink family
// ("mptcp_pm": MPTCP_PM_CMD_ADD_ADDR / DEL_ADDR, CAP_NET_ADMIN) and the
// sysctl's file (root's: CAP_DAC_OVERRIDE); the caller raises privileges.
#pragma once

#include "util/ipv6.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <cstdint>
#include <string>

namespace iplb::mptcp {

// The endpoint ids iplbd uses (the kernel's are 1-255; `ip mptcp endpoint
// show` lists them): direct mode's address, and port mode's VIP ports.
inline constexpr uint8_t direct_endpoint_id = 200;
inline constexpr uint8_t first_port_endpoint_id = 201;
inline constexpr uint8_t last_port_endpoint_id = 254;

// Adds `address` (with `port`, 0: none) as a signal endpoint with `id`
// (replacing one of that id iplbd added before). EEXIST for the same
// address under another id is the operator's endpoint: kept, not an error.
// With a port the kernel listens on address:port for the joins to it (the
// address must be local).
Status add_signal_endpoint(const IpAddress &address, uint8_t id = direct_endpoint_id,
			   uint16_t port = 0);
// Removes endpoint `id`; none there is fine.
Status remove_endpoint(uint8_t id = direct_endpoint_id);

// net.mptcp.allow_join_initial_addr_port of the caller's network
// namespace (/proc/sys/net/mptcp/...): true = joins to the initial
// address allowed (the kernel's default), false = the C flag.
Result<bool, Error> joins_to_initial_address_allowed();
Status allow_joins_to_initial_address(bool allowed);

} // namespace iplb::mptcp
