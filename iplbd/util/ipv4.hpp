// SPDX-License-Identifier: GPL-2.0-or-later
// IPv4 addresses as host-order integers, printed and parsed as dotted quads.
#pragma once

#include "util/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace iplb {

struct Ipv4 {
	uint32_t value = 0; // host byte order

	friend bool operator==(Ipv4, Ipv4) = default;
	friend auto operator<=>(Ipv4, Ipv4) = default;
};

std::string to_string(Ipv4 address);
Result<Ipv4, Error> parse_ipv4(std::string_view text);

} // namespace iplb
