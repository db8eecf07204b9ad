// SPDX-License-Identifier: GPL-2.0-or-later
// IPv6 addresses and prefixes (the datapath's; OSPFv2 itself is IPv4 only),
// and either family, for what can be both: a relay, a destination prefix.
#pragma once

#include "util/ipv4.hpp"
#include "util/prefix.hpp"
#include "util/result.hpp"

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace iplb {

struct Ipv6 {
	std::array<uint8_t, 16> bytes{}; // network byte order

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

std::string to_string(const Ipv6 &address); // RFC 5952 form
// Any form inet_pton(AF_INET6) takes (an embedded IPv4 tail included), no
// scope id, no prefix length.
Result<Ipv6, Error> parse_ipv6(std::string_view text);

struct Ipv6Prefix {
	Ipv6 address; // host bits are zero
	uint8_t length = 0;

	friend auto operator<=>(const Ipv6Prefix &, const Ipv6Prefix &) = default;
};

std::string to_string(const Ipv6Prefix &prefix);
Result<Ipv6Prefix, Error> parse_ipv6_prefix(std::string_view text);

using IpAddress = std::variant<Ipv4, Ipv6>;
using IpPrefix = std::variant<Ipv4Prefix, Ipv6Prefix>;

std::string to_string(const IpAddress &address);
std::string to_string(const IpPrefix &prefix);
// Either family, told by the text (a ':' is IPv6).
Result<IpAddress, Error> parse_ip_address(std::string_view text);
Result<IpPrefix, Error> parse_ip_prefix(std::string_view text);

// Why `address` cannot stand for a node that others reach through the
// network (a relay, a VIP): "the unspecified address", "a loopback address",
// "a multicast address", ... (IPv4: 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16,
// 224.0.0.0/4, 240.0.0.0/4 with 255.255.255.255; IPv6: ::, ::1,
// ::ffff:0:0/96, fe80::/10, ff00::/8). Empty if it can.
std::string_view unusable_node_address(const IpAddress &address);

inline bool is_v6(const IpAddress &address)
{
	return std::holds_alternative<Ipv6>(address);
}
inline bool is_v6(const IpPrefix &prefix)
{
	return std::holds_alternative<Ipv6Prefix>(prefix);
}

} // namespace iplb
