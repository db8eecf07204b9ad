// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/ipv6.hpp"

#include <arpa/inet.h>

namespace iplb {

std::string to_string(const Ipv6 &address)
{
	char text[INET6_ADDRSTRLEN] = {};
	::inet_ntop(AF_INET6, address.bytes.data(), text, sizeof text);
	return text;
}

Result<Ipv6, Error> parse_ipv6(std::string_view text)
{
	Ipv6 address;
	// inet_pton wants a C string; longer than any address is not one.
	if (text.size() >= INET6_ADDRSTRLEN ||
	    ::inet_pton(AF_INET6, std::string(text).c_str(), address.bytes.data()) != 1)
		return unexpected(Error{"'" + std::string(text) + "' is not an IPv6 address"});
	return address;
}

} // namespace iplb
