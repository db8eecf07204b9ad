// SPDX-License-Identifier: GPL-2.0-or-later
// The network every datapath fixture shares: a host, its loopback (the outer
// source), a destination prefix of each family, three relays of each family;
// the UDP packets most cases send, routes over relay lists, and readers of
// what a program chose (first relay, flow label) for the statistical tests.
#pragma once

#include "table/route_spec.hpp"
#include "util/ipv4.hpp"
#include "util/ipv6.hpp"
#include "util/prefix.hpp"

#include "packets.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace iplb::test {

inline const Ipv4Prefix destination = *parse_prefix("10.4.1.0/24");
inline const uint32_t host = addr("10.1.1.1");
inline const uint32_t source = addr("10.255.1.1"); // the host's loopback
inline const uint32_t r1 = addr("10.255.0.1"), r2 = addr("10.255.0.2"), r3 = addr("10.255.0.3");
inline const uint32_t r4 = addr("10.255.0.4");

inline const Ipv6Prefix destination6 = *parse_ipv6_prefix("fc00:4:1::/64");
inline const Addr6 host6 = addr6("fc00:1::1");
inline const Addr6 dest6 = addr6("fc00:4:1::7");
inline const Addr6 source6 = addr6("fc00:ff::1"); // the host's loopback
inline const Addr6 r1_6 = addr6("fc00:0:1::1"), r2_6 = addr6("fc00:0:2::1"),
		   r3_6 = addr6("fc00:0:3::1");

// host -> dst (default: in destination), TOS 0x28, id 0x4242, DF.
Ipv4Spec udp_spec(uint32_t dst = addr("10.4.1.7"));
Bytes udp_packet(const Ipv4Spec &spec, uint16_t sport = 40000, uint16_t dport = 53);

// host6 -> dest6, traffic class 0x28, flow label 0x12345.
Ipv6Spec udp6_spec();
Bytes udp6_packet(uint16_t sport = 40000);

// destination over these relay lists (IPv4 relays, outermost first).
RouteSpec route_of(std::vector<std::vector<uint32_t>> lists, uint16_t mtu = 0);

// The outer destination of an IPIP frame (its first relay); 0 if the frame
// is not IP-in-IP.
uint32_t ipip_destination(const Bytes &frame);

// The flow label of the IPv6 header at `at`.
uint32_t flow_label_at(const Bytes &frame, size_t at);

} // namespace iplb::test
