// SPDX-License-Identifier: GPL-2.0-or-later
#include "topology/prefix.hpp"

#include <charconv>

namespace iplb {

std::string to_string(const Ipv4Prefix &prefix)
{
	return to_string(prefix.address) + "/" + std::to_string(prefix.length);
}

Result<Ipv4Prefix, Error> parse_prefix(std::string_view text)
{
	const auto slash = text.find('/');
	if (slash == std::string_view::npos)
		return unexpected(Error{"'" + std::string(text) + "' is not a prefix (A.B.C.D/L)"});
	auto address = parse_ipv4(text.substr(0, slash));
	if (!address)
		return unexpected(address.error());
	const auto len_text = text.substr(slash + 1);
	unsigned length = 0;
	auto [end, ec] =
		std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
	if (ec != std::errc{} || end != len_text.data() + len_text.size() || len_text.empty() ||
	    length > 32)
		return unexpected(Error{"'" + std::string(text) + "': prefix length must be 0-32"});
	const auto len8 = static_cast<uint8_t>(length);
	if ((address->value & ~Ipv4Prefix::mask_of(len8)) != 0)
		return unexpected(
			Error{"'" + std::string(text) + "': host bits are set (did you mean " +
			      to_string(Ipv4{address->value & Ipv4Prefix::mask_of(len8)}) + "/" +
			      std::to_string(length) + "?)"});
	return Ipv4Prefix{*address, len8};
}

} // namespace iplb
