// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/ipv6.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace iplb {

std::string to_string(const Ipv6 &address)
{
	char text[INET6_ADDRSTRLEN];
	::inet_ntop(AF_INET6, address.bytes.data(), text, sizeof(text));
	return text;
}

Result<Ipv6, Error> parse_ipv6(std::string_view text)
{
	Ipv6 address;
	const std::string copy(text);
	if (::inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1)
		return unexpected(Error{"'" + copy + "' is not an IPv6 address"});
	return address;
}

std::string to_string(const Ipv6Prefix &prefix)
{
	return to_string(prefix.address) + "/" + std::to_string(prefix.length);
}

Result<Ipv6Prefix, Error> parse_ipv6_prefix(std::string_view text)
{
	auto parts = split_prefix(text, 128, "X:X::X/L");
	if (!parts)
		return unexpected(parts.error());
	auto address = parse_ipv6(parts->address);
	if (!address)
		return unexpected(address.error());
	const uint8_t length = parts->length;
	Ipv6 masked = *address;
	for (unsigned bit = length; bit < 128; bit++)
		masked.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
	if (masked != *address)
		return unexpected(Error{"'" + std::string(text) +
					"': host bits are set (did you mean " + to_string(masked) +
					"/" + std::to_string(length) + "?)"});
	return Ipv6Prefix{*address, length};
}

std::string to_string(const IpAddress &address)
{
	return std::visit([](const auto &a) { return to_string(a); }, address);
}

std::string to_string(const IpPrefix &prefix)
{
	return std::visit([](const auto &p) { return to_string(p); }, prefix);
}

Result<IpAddress, Error> parse_ip_address(std::string_view text)
{
	if (text.find(':') != std::string_view::npos) {
		auto v6 = parse_ipv6(text);
		if (!v6)
			return unexpected(v6.error());
		return IpAddress{*v6};
	}
	auto v4 = parse_ipv4(text);
	if (!v4)
		return unexpected(v4.error());
	return IpAddress{*v4};
}

Result<IpPrefix, Error> parse_ip_prefix(std::string_view text)
{
	if (text.find(':') != std::string_view::npos) {
		auto v6 = parse_ipv6_prefix(text);
		if (!v6)
			return unexpected(v6.error());
		return IpPrefix{*v6};
	}
	auto v4 = parse_prefix(text);
	if (!v4)
		return unexpected(v4.error());
	return IpPrefix{*v4};
}

std::string_view unusable_node_address(const IpAddress &address)
{
	if (const Ipv4 *v4 = std::get_if<Ipv4>(&address)) {
		const uint32_t a = v4->value;
		if (a == 0)
			return "the unspecified address";
		if (a == ~uint32_t{0})
			return "the broadcast address";
		switch (a >> 24) {
		case 0:
			return "a 'this network' address (0.0.0.0/8)";
		case 127:
			return "a loopback address";
		default:
			break;
		}
		if ((a >> 16) == 0xa9fe)
			return "a link-local address";
		if ((a >> 28) == 0xe)
			return "a multicast address";
		if ((a >> 28) == 0xf)
			return "a reserved address (240.0.0.0/4)";
		return "";
	}
	const Ipv6 &v6 = std::get<Ipv6>(address);
	if (v6.is_unspecified())
		return "the unspecified address";
	if (v6.is_loopback())
		return "a loopback address";
	if (v6.is_multicast())
		return "a multicast address";
	if (v6.bytes[0] == 0xfe && (v6.bytes[1] & 0xc0) == 0x80)
		return "a link-local address";
	const std::array<uint8_t, 12> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (std::equal(mapped.begin(), mapped.end(), v6.bytes.begin()))
		return "an IPv4-mapped address";
	return "";
}

} // namespace iplb
