// SPDX-License-Identifier: GPL-2.0-or-later
#include "mptcp/token_messages.hpp"

#include <charconv>
#include <cstdio>

namespace iplb::mptcp {
namespace {

std::optional<uint16_t> parse_port(std::string_view text)
{
	unsigned value = 0;
	const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
	if (error != std::errc{} || end != text.data() + text.size() || text.empty() ||
	    text[0] == '0' || value == 0 || value > 65535)
		return std::nullopt;
	return static_cast<uint16_t>(value);
}

} // namespace

std::string token_hex(uint32_t token)
{
	char text[9];
	std::snprintf(text, sizeof(text), "%08x", token);
	return text;
}

std::optional<uint32_t> parse_token_hex(std::string_view text)
{
	if (text.size() != 8)
		return std::nullopt;
	uint32_t value = 0;
	const auto [end, error] =
		std::from_chars(text.data(), text.data() + text.size(), value, 16);
	if (error != std::errc{} || end != text.data() + text.size())
		return std::nullopt;
	for (const char c : text)
		if (!(('0' <= c && c <= '9') || ('a' <= c && c <= 'f')))
			return std::nullopt; // one spelling only
	return value;
}

std::optional<TokenUpdate> parse_update(std::string_view payload)
{
	if (payload.size() < 11 || (payload[0] != '+' && payload[0] != '-') || payload[9] != ' ')
		return std::nullopt;
	const auto token = parse_token_hex(payload.substr(1, 8));
	const auto dip = payload.substr(10);
	if (!token || dip.empty() || dip.size() > 64 || dip.find(' ') != std::string_view::npos)
		return std::nullopt;
	return TokenUpdate{payload[0] == '+', *token, std::string(dip)};
}

std::string subflow_text(const SubflowKey &subflow)
{
	return to_string(subflow.client) + "," + std::to_string(subflow.client_port) + "," +
	       to_string(subflow.vip) + "," + std::to_string(subflow.vip_port);
}

std::optional<SubflowKey> parse_subflow_text(std::string_view text)
{
	std::string_view parts[4];
	for (size_t i = 0; i < 4; i++) {
		const auto comma = text.find(',');
		if ((comma == std::string_view::npos) != (i == 3))
			return std::nullopt;
		parts[i] = text.substr(0, comma);
		text = comma == std::string_view::npos ? std::string_view{}
						       : text.substr(comma + 1);
	}
	auto client = parse_ip_address(parts[0]);
	auto vip = parse_ip_address(parts[2]);
	const auto client_port = parse_port(parts[1]);
	const auto vip_port = parse_port(parts[3]);
	if (!client || !vip || !client_port || !vip_port || is_v6(*client) != is_v6(*vip))
		return std::nullopt;
	SubflowKey subflow{*client, *client_port, *vip, *vip_port};
	if (subflow_text(subflow) !=
	    std::string_view(parts[0].data(), parts[3].data() + parts[3].size() - parts[0].data()))
		return std::nullopt; // one spelling only
	return subflow;
}

std::optional<SubflowUpdate> parse_subflow_update(std::string_view payload)
{
	if (payload.empty() || (payload[0] != '+' && payload[0] != '-'))
		return std::nullopt;
	const auto space = payload.find(' ');
	if (space == std::string_view::npos)
		return std::nullopt;
	const auto subflow = parse_subflow_text(payload.substr(1, space - 1));
	const auto dip = payload.substr(space + 1);
	if (!subflow || dip.empty() || dip.size() > 64 || dip.find(' ') != std::string_view::npos)
		return std::nullopt;
	return SubflowUpdate{payload[0] == '+', *subflow, std::string(dip)};
}

} // namespace iplb::mptcp
