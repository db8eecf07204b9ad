// SPDX-License-Identifier: GPL-2.0-or-later
// The addresses configured on an interface, read over rtnetlink (libnl-3):
// what a relay decapsulates for is usually every address of its loopback.
#pragma once

#include "util/ipv6.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <string>
#include <vector>

namespace iplb {

// The global-scope IPv4 and IPv6 addresses of `ifname` in the caller's
// network namespace (not 127/8, ::1 or link-local ones), IPv4 first.
Result<std::vector<IpAddress>, Error> interface_addresses(const std::string &ifname);

// Binds `address` as a host address (/32 or /128) on `ifname`, or unbinds
// it: how a load balancer's backend takes a VIP's packets for itself (on
// lo: no neighbour asks for it). Binding an address that is there already,
// and unbinding one that is not, succeed.
Status bind_host_address(const std::string &ifname, const IpAddress &address);
Status unbind_host_address(const std::string &ifname, const IpAddress &address);

} // namespace iplb
