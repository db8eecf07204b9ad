// SPDX-License-Identifier: GPL-2.0-or-later
// IPv6 addresses as 16 bytes in network order, printed and parsed as
// inet_ntop/inet_pton do (RFC 5952 text, "::" compression).
#pragma once

#include "util/result.hpp"

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace iplb {

struct Ipv6 {
	std::array<uint8_t, 16> bytes{}; // network order

	friend bool operator==(const Ipv6 &, const Ipv6 &) = default;
	friend auto operator<=>(const Ipv6 &, const Ipv6 &) = default;

	bool is_unspecified() const { return *this == Ipv6{}; }
	bool is_multicast() const { return bytes[0] == 0xff; }
	bool is_loopback() const
	{
		Ipv6 loopback;
		loopback.bytes[15] = 1;
		return *this == loopback;
	}
};

std::string to_string(const Ipv6 &address);
// Any form inet_pton(AF_INET6) takes (an embedded IPv4 tail included), no
// scope id, no prefix length.
Result<Ipv6, Error> parse_ipv6(std::string_view text);

} // namespace iplb
