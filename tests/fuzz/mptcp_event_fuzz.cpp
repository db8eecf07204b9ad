// SPDX-License-Identifier: GPL-2.0-or-later
// The MPTCP event decoder (iplbd/mptcp/mptcp_event.hpp) on arbitrary bytes:
// it must not crash, and whatever it accepts must encode and decode back
// to itself (a reader never acts on bytes that mean two things).
#include "mptcp/mptcp_event.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	constexpr uint16_t family = 0x1c;
	for (const auto &decoded :
	     iplb::mptcp::decode_datagram(std::span<const uint8_t>(data, size), family)) {
		if (!decoded)
			continue;
		const auto again = iplb::mptcp::decode_event(
			iplb::mptcp::encode_event(*decoded, family), family);
		if (!again || !(*again == *decoded))
			std::abort();
	}
	return 0;
}
