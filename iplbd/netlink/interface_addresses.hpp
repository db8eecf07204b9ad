// SPDX-License-Identifier: GPL-2.0-or-later
// The addresses configured on an interface, read over rtnetlink (libnl-3):
// what a relay decapsulates for is usually every address of its loopback.
#pragma once

#include "util/ipv6.hpp"
#include "util/result.hpp"

#include <string>
#include <vector>

namespace iplb {

// The global-scope IPv4 and IPv6 addresses of `ifname` in the caller's
// network namespace (not 127/8, ::1 or link-local ones), IPv4 first.
Result<std::vector<IpAddress>, Error> interface_addresses(const std::string &ifname);

} // namespace iplb
