// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/ipv4.hpp"

#include <charconv>

namespace iplb {

std::string to_string(Ipv4 address)
{
	std::string text;
	for (int shift = 24; shift >= 0; shift -= 8) {
		text += std::to_string((address.value >> shift) & 0xff);
		if (shift != 0)
			text += '.';
	}
	return text;
}

Result<Ipv4, Error> parse_ipv4(std::string_view text)
{
	const auto bad = [&] {
		return unexpected(Error{"'" + std::string(text) + "' is not an IPv4 address"});
	};
	uint32_t value = 0;
	const char *p = text.data();
	const char *end = text.data() + text.size();
	for (int octet = 0; octet < 4; octet++) {
		if (octet > 0) {
			if (p == end || *p != '.')
				return bad();
			p++;
		}
		unsigned part = 0;
		auto [next, ec] = std::from_chars(p, end, part);
		if (ec != std::errc{} || next == p || next - p > 3 || part > 255 ||
		    (next - p > 1 && *p == '0'))
			return bad();
		value = value << 8 | part;
		p = next;
	}
	if (p != end)
		return bad();
	return Ipv4{value};
}

} // namespace iplb
