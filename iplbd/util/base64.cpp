// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/base64.hpp"

#include <array>
#include <cstdint>

namespace iplb {
namespace {

constexpr std::string_view alphabet =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0-63 for the alphabet, -1 for anything else.
constexpr std::array<int8_t, 256> decode_table = [] {
	std::array<int8_t, 256> table{};
	table.fill(-1);
	for (size_t i = 0; i < alphabet.size(); ++i)
		table[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
	return table;
}();

std::string shown(std::string_view text)
{
	constexpr size_t limit = 40;
	return text.size() <= limit ? std::string(text)
				    : std::string(text.substr(0, limit)) + "...";
}

} // namespace

std::string base64_encode(std::string_view bytes)
{
	std::string out;
	out.reserve((bytes.size() + 2) / 3 * 4);
	size_t i = 0;
	for (; i + 3 <= bytes.size(); i += 3) {
		const uint32_t group =
			static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
			static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
			static_cast<unsigned char>(bytes[i + 2]);
		out += alphabet[group >> 18 & 63];
		out += alphabet[group >> 12 & 63];
		out += alphabet[group >> 6 & 63];
		out += alphabet[group & 63];
	}
	const size_t rest = bytes.size() - i;
	if (rest > 0) {
		uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
		if (rest == 2)
			group |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1]))
				 << 8;
		out += alphabet[group >> 18 & 63];
		out += alphabet[group >> 12 & 63];
		out += rest == 2 ? alphabet[group >> 6 & 63] : '=';
		out += '=';
	}
	return out;
}

Result<std::string, Error> base64_decode(std::string_view text)
{
	if (text.size() % 4 != 0)
		return unexpected(Error{"'" + shown(text) + "' is not base64: its length " +
					std::to_string(text.size()) + " is not a multiple of 4"});
	std::string out;
	out.reserve(text.size() / 4 * 3);
	for (size_t i = 0; i < text.size(); i += 4) {
		const bool last = i + 4 == text.size();
		int sextets[4];
		size_t padding = 0;
		for (size_t j = 0; j < 4; ++j) {
			const char c = text[i + j];
			// Padding only at the end of the last group: "ab=c" is refused.
			if (c == '=' && last && j >= 2 && (j == 3 || text[i + 3] == '=')) {
				sextets[j] = 0;
				++padding;
				continue;
			}
			sextets[j] = decode_table[static_cast<unsigned char>(c)];
			if (sextets[j] < 0)
				return unexpected(
					Error{"'" + shown(text) +
					      "' is not base64: unexpected character at " +
					      std::to_string(i + j)});
		}
		const uint32_t group = static_cast<uint32_t>(sextets[0]) << 18 |
				       static_cast<uint32_t>(sextets[1]) << 12 |
				       static_cast<uint32_t>(sextets[2]) << 6 |
				       static_cast<uint32_t>(sextets[3]);
		out += static_cast<char>(group >> 16 & 0xff);
		if (padding < 2)
			out += static_cast<char>(group >> 8 & 0xff);
		if (padding < 1)
			out += static_cast<char>(group & 0xff);
	}
	return out;
}

} // namespace iplb
