// SPDX-License-Identifier: GPL-2.0-or-later
// A small packet builder for the datapath fixtures: Ethernet, IPv4 (with
// options and fragments), UDP, TCP and ICMP, with lengths and the IPv4
// header checksum computed here, independently of the programs under test.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace iplb::test {

using Bytes = std::vector<uint8_t>;

inline constexpr uint8_t proto_icmp = 1;
inline constexpr uint8_t proto_ipip = 4;
inline constexpr uint8_t proto_tcp = 6;
inline constexpr uint8_t proto_udp = 17;
inline constexpr uint8_t proto_ipv6 = 41;
inline constexpr uint8_t proto_gre = 47;
inline constexpr uint16_t ethertype_ipv6 = 0x86dd;

// "a.b.c.d" as a host-order integer.
uint32_t addr(const char *dotted);

struct Ipv4Spec {
	uint32_t src = 0, dst = 0;
	uint8_t protocol = proto_udp;
	uint8_t tos = 0;
	uint16_t id = 0x1234;
	bool df = true;
	bool mf = false;
	uint16_t fragment_offset = 0; // in 8-byte units
	uint8_t ttl = 64;
	Bytes options; // a multiple of 4 bytes
};

using Addr6 = std::array<uint8_t, 16>;
// "x:x::x" as bytes.
Addr6 addr6(const char *text);

struct Ipv6Spec {
	Addr6 src{}, dst{};
	uint8_t next_header = proto_udp;
	uint8_t traffic_class = 0;
	uint32_t flow_label = 0; // 20 bits
	uint8_t hop_limit = 64;
};

uint16_t ipv4_checksum(std::span<const uint8_t> header);
Bytes ipv6(const Ipv6Spec &spec, std::span<const uint8_t> payload);
// A SYN as tcp_syn, with the checksum over IPv6's pseudo-header.
Bytes tcp_syn6(uint16_t src_port, uint16_t dst_port, uint16_t mss, const Addr6 &src,
	       const Addr6 &dst, bool ack = false);
Bytes ipv4(const Ipv4Spec &spec, std::span<const uint8_t> payload);
Bytes udp(uint16_t src_port, uint16_t dst_port, std::span<const uint8_t> payload);
// A SYN with one option, MSS; with src and dst, a correct TCP checksum.
Bytes tcp_syn(uint16_t src_port, uint16_t dst_port, uint16_t mss = 1460, uint32_t src = 0,
	      uint32_t dst = 0, bool ack = false);
Bytes icmp_echo(uint16_t id, uint16_t seq);
Bytes ethernet(std::span<const uint8_t> payload, uint16_t ethertype = 0x0800);

// What an IP-in-IP relay hop adds in front of `inner` (an IPv4 packet): the
// header a host writes, copying TOS, id and DF from the original packet.
Bytes ipip(uint32_t src, uint32_t relay, std::span<const uint8_t> inner, const Ipv4Spec &original);

// The same with GRE (RFC 2784, 4 bytes, IPv4 inside) after the header.
Bytes gre(uint32_t src, uint32_t relay, std::span<const uint8_t> inner, const Ipv4Spec &original);

// The same with GUE variant 1: a UDP header (no checksum) to port 6080 from
// source_port, then the IPv4 packet itself.
Bytes gue(uint32_t src, uint32_t relay, uint16_t source_port, std::span<const uint8_t> inner,
	  const Ipv4Spec &original);

// The tunnels over IPv6 a host writes: one IPv6 header per relay (traffic
// class from the packet, flow label from the flow: pass what the program
// wrote), then GRE's or UDP's header as over IPv4. `inner_v6`: what follows.
Bytes ip6_tunnel(const Addr6 &src, const Addr6 &relay, uint8_t encap, bool inner_v6,
		 std::span<const uint8_t> inner, uint8_t traffic_class, uint32_t flow_label,
		 uint16_t gue_source_port = 0);
// The same over IPv4 for any inner family: IPv4 header (protocol 4 or 41,
// 47, 17), DF and TOS/id as given.
Bytes ip4_tunnel(uint32_t src, uint32_t relay, uint8_t encap, bool inner_v6,
		 std::span<const uint8_t> inner, uint8_t tos, uint16_t id, bool df,
		 uint16_t gue_source_port = 0);

// Readable differences for assertion messages.
std::string hex(std::span<const uint8_t> bytes);

} // namespace iplb::test
