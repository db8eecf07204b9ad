// SPDX-License-Identifier: GPL-2.0-or-later
// MPTCP direct mode on a backend (docs/MPTCP.md, "direct mode"; Duchene's
// draft, mptcp.dev's advice for servers behind a load balancer): the
// backend's connections tell clients not to join the address they
// connected to (RFC 8684's C flag: net.mptcp.allow_join_initial_addr_port
// = 0, per network namespace) and announce the backend's own address
// (ADD_ADDR, from a `signal` endpoint of the kernel's path manager), so a
// client's next subflows go straight to the backend, past the load
// balancer. Done through the path manager's generic netlink family
// ("mptcp_pm": MPTCP_PM_CMD_ADD_ADDR / DEL_ADDR, CAP_NET_ADMIN) and the
// sysctl's file (root's: CAP_DAC_OVERRIDE); the caller raises privileges.
#pragma once

#include "util/ipv6.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <cstdint>
#include <string>

namespace iplb::mptcp {

// The endpoint id iplbd uses for the address it announces (the kernel's
// ids are 1-255; `ip mptcp endpoint show` lists it).
inline constexpr uint8_t direct_endpoint_id = 200;

// Adds `address` as a signal endpoint with `id` (replacing one of that id
// iplbd added before). EEXIST for the same address under another id is
// the operator's endpoint: kept, not an error.
Status add_signal_endpoint(const IpAddress &address, uint8_t id = direct_endpoint_id);
// Removes endpoint `id`; none there is fine.
Status remove_endpoint(uint8_t id = direct_endpoint_id);

// net.mptcp.allow_join_initial_addr_port of the caller's network
// namespace (/proc/sys/net/mptcp/...): true = joins to the initial
// address allowed (the kernel's default), false = the C flag.
Result<bool, Error> joins_to_initial_address_allowed();
Status allow_joins_to_initial_address(bool allowed);

} // namespace iplb::mptcp
