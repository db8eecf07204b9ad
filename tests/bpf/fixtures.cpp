// SPDX-License-Identifier: GPL-2.0-or-later
// The fixtures' shared network and packets (fixtures.hpp says what they are).
#include "fixtures.hpp"

#include <utility>

namespace iplb::test {

Ipv4Spec udp_spec(uint32_t dst)
{
	Ipv4Spec spec;
	spec.src = host;
	spec.dst = dst;
	spec.tos = 0x28;
	spec.id = 0x4242;
	return spec;
}

Bytes udp_packet(const Ipv4Spec &spec, uint16_t sport, uint16_t dport)
{
	const uint8_t payload[] = {'i', 'p', 'l', 'b'};
	return ipv4(spec, udp(sport, dport, payload));
}

Ipv6Spec udp6_spec()
{
	Ipv6Spec spec;
	spec.src = host6;
	spec.dst = dest6;
	spec.traffic_class = 0x28;
	spec.flow_label = 0x12345;
	return spec;
}

Bytes udp6_packet(uint16_t sport)
{
	const uint8_t payload[] = {'i', 'p', 'l', 'b'};
	return ipv6(udp6_spec(), udp(sport, 53, payload));
}

RouteSpec route_of(std::vector<std::vector<uint32_t>> lists, uint16_t mtu)
{
	RouteSpec spec;
	spec.prefix = destination;
	spec.mtu = mtu;
	for (const auto &relays : lists) {
		RelayList list;
		for (uint32_t r : relays)
			list.relays.push_back(Ipv4{r});
		spec.lists.push_back(std::move(list));
	}
	return spec;
}

uint32_t ipip_destination(const Bytes &frame)
{
	if (frame.size() < 34 || frame[23] != proto_ipip)
		return 0;
	return uint32_t{frame[30]} << 24 | uint32_t{frame[31]} << 16 | uint32_t{frame[32]} << 8 |
	       frame[33];
}

uint32_t flow_label_at(const Bytes &frame, size_t at)
{
	return (frame[at + 1] & 0xfu) << 16 | uint32_t{frame[at + 2]} << 8 | frame[at + 3];
}

} // namespace iplb::test
