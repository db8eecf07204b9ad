// SPDX-License-Identifier: GPL-2.0-or-later
// IPv4 prefixes as OSPFv2 carries them.
#pragma once

#include "util/ipv4.hpp"
#include "util/result.hpp"

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace iplb {

struct Ipv4Prefix {
	Ipv4 address; // host bits are zero
	uint8_t length = 0;

	friend auto operator<=>(const Ipv4Prefix &, const Ipv4Prefix &) = default;

	static uint32_t mask_of(uint8_t length)
	{
		return length == 0 ? 0 : ~uint32_t{0} << (32 - length);
	}
	bool contains(Ipv4 a) const { return (a.value & mask_of(length)) == address.value; }
};

std::string to_string(const Ipv4Prefix &prefix);
// "A.B.C.D/L"; host bits must be zero (a typo is more likely than intent).
Result<Ipv4Prefix, Error> parse_prefix(std::string_view text);

// "ADDRESS/LENGTH" of either family, split: the address text and a length
// checked against max_length. `form` names the syntax in the error
// ("A.B.C.D/L").
struct PrefixText {
	std::string_view address;
	uint8_t length = 0;
};
Result<PrefixText, Error> split_prefix(std::string_view text, unsigned max_length,
				       std::string_view form);

} // namespace iplb
