// SPDX-License-Identifier: GPL-2.0-or-later
// How the token store (mptcp/token_store.hpp) spells tokens, subflows and
// the changes it announces on its channels. Whoever can publish on a
// channel can send any bytes: each parser accepts exactly one spelling and
// refuses everything else (tests/fuzz/mptcp_update_fuzz.cpp).
#pragma once

#include "util/subflow_key.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iplb::mptcp {

inline constexpr std::string_view default_token_prefix = "iplb:mptcp:";

std::string token_hex(uint32_t token);
std::optional<uint32_t> parse_token_hex(std::string_view text);

// The channel a store of `prefix` announces its changes on.
inline std::string token_channel(std::string_view prefix)
{
	return std::string(prefix) + "tokens";
}

// The channel a store of `prefix` announces subflows on.
inline std::string subflow_channel(std::string_view prefix)
{
	return std::string(prefix) + "subflows";
}

// A subflow in the store's keys and messages: "10.0.0.7,40000,192.0.2.80,80"
// (IPv6 addresses as inet_ntop writes them: no comma in either).
std::string subflow_text(const SubflowKey &subflow);
// nullopt unless exactly that spelling, two addresses of one family and
// ports of 1-65535.
std::optional<SubflowKey> parse_subflow_text(std::string_view text);

// A change on the token channel.
struct TokenUpdate {
	bool added = false;
	uint32_t token = 0;
	std::string dip;
	friend bool operator==(const TokenUpdate &, const TokenUpdate &) = default;
};
// "+1a2b3c4d 10.0.0.1" or "-..."; nullopt when malformed (counted by the
// reader: anyone who can publish on the channel can send bytes).
std::optional<TokenUpdate> parse_update(std::string_view payload);

// A change on the subflow channel.
struct SubflowUpdate {
	bool added = false;
	SubflowKey subflow;
	std::string dip;
	friend bool operator==(const SubflowUpdate &, const SubflowUpdate &) = default;
};
std::optional<SubflowUpdate> parse_subflow_update(std::string_view payload);

} // namespace iplb::mptcp
