// SPDX-License-Identifier: GPL-2.0-or-later
// The token store's spellings (iplbd/mptcp/token_messages.hpp) on arbitrary
// bytes: the messages anyone who can publish on the channels may send, and
// the key names a SCAN returns. Nothing may crash, and whatever a parser
// accepts must be written back to the very same bytes (one spelling: two
// muxes never read one message two ways).
#include "mptcp/token_messages.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check(bool same)
{
	if (!same)
		std::abort();
}

std::string update_text(bool added, std::string_view what, const std::string &dip)
{
	return std::string(added ? "+" : "-") + std::string(what) + " " + dip;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	using namespace iplb::mptcp;
	const std::string_view text(reinterpret_cast<const char *>(data), size);
	if (const auto token = parse_token_hex(text))
		check(token_hex(*token) == text);
	if (const auto subflow = parse_subflow_text(text))
		check(subflow_text(*subflow) == text);
	if (const auto update = parse_update(text))
		check(update_text(update->added, token_hex(update->token), update->dip) == text);
	if (const auto update = parse_subflow_update(text))
		check(update_text(update->added, subflow_text(update->subflow), update->dip) ==
		      text);
	return 0;
}
