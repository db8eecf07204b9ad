// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's values in etcd (iplbd/lbcontrol/schema.hpp): anyone
// with write access to etcd can put bytes there. The first byte picks the
// decoder, the rest is the value. Whatever a decoder accepts must encode
// and decode back to itself (so a reader never acts on a value that means
// two things).
#include "lbcontrol/schema.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

template <typename T, typename Decode>
void round_trip(std::string_view value, Decode decode)
{
	const auto decoded = decode(value);
	if (!decoded)
		return;
	const auto again = decode(iplb::lbcontrol::encode(*decoded));
	if (!again || !(*again == *decoded))
		std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	using namespace iplb::lbcontrol;
	const std::string_view value(reinterpret_cast<const char *>(data + 1), size - 1);
	switch (data[0] % 5) {
	case 0:
		round_trip<VipConfig>(value, decode_vip_config);
		break;
	case 1:
		round_trip<VipStatus>(value, decode_vip_status);
		break;
	case 2:
		round_trip<MapVersion>(value, decode_map_version);
		break;
	case 3:
		round_trip<Ack>(value, decode_ack);
		break;
	default:
		round_trip<MemberRecord>(value, decode_member);
		break;
	}
	return 0;
}
