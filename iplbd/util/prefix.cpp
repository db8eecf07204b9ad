// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/prefix.hpp"

#include <charconv>

namespace iplb {

std::string to_string(const Ipv4Prefix &prefix)
{
	return to_string(prefix.address) + "/" + std::to_string(prefix.length);
}

Result<PrefixText, Error> split_prefix(std::string_view text, unsigned max_length,
				       std::string_view form)
{
	const auto slash = text.find('/');
	if (slash == std::string_view::npos)
		return unexpected(Error{"'" + std::string(text) + "' is not a prefix (" +
					std::string(form) + ")"});
	const auto len_text = text.substr(slash + 1);
	unsigned length = 0;
	auto [end, ec] =
		std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
	if (ec != std::errc{} || end != len_text.data() + len_text.size() || len_text.empty() ||
	    length > max_length)
		return unexpected(Error{"'" + std::string(text) + "': prefix length must be 0-" +
					std::to_string(max_length)});
	return PrefixText{text.substr(0, slash), static_cast<uint8_t>(length)};
}

Result<Ipv4Prefix, Error> parse_prefix(std::string_view text)
{
	auto parts = split_prefix(text, 32, "A.B.C.D/L");
	if (!parts)
		return unexpected(parts.error());
	auto address = parse_ipv4(parts->address);
	if (!address)
		return unexpected(address.error());
	const uint8_t length = parts->length;
	if ((address->value & ~Ipv4Prefix::mask_of(length)) != 0)
		return unexpected(
			Error{"'" + std::string(text) + "': host bits are set (did you mean " +
			      to_string(Ipv4{address->value & Ipv4Prefix::mask_of(length)}) + "/" +
			      std::to_string(length) + "?)"});
	return Ipv4Prefix{*address, length};
}

} // namespace iplb
