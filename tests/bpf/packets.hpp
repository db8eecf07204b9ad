// SPDX-License-Identifier: GPL-2.0-or-later
// A small packet builder for the datapath fixtures: Ethernet, IPv4 (with
// options and fragments), UDP, TCP and ICMP, with lengths and the IPv4
// header checksum computed here, independently of the programs under test.
// Also the load balancer's GUE variant 0 with its private data, written from
// the format's description (kernel/iplb_lb_layout.h), not from the programs.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
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
inline constexpr uint8_t proto_ipv6_fragment = 44;
inline constexpr uint8_t proto_icmpv6 = 58;
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

// Any TCP segment without options or payload, its checksum over the
// pseudo-header of src and dst (IPv4 or IPv6).
inline constexpr uint8_t tcp_fin = 0x01, tcp_syn_flag = 0x02, tcp_rst = 0x04, tcp_ack = 0x10;
struct TcpSpec {
	uint16_t src_port = 0, dst_port = 0;
	uint32_t seq = 0x01020304, ack = 0;
	uint8_t flags = tcp_ack;
	uint16_t window = 64240;
};

// TCP options. What a Linux client's SYN carries before an MPTCP option: MSS,
// SACK permitted, timestamps, NOP, window scale 7 (20 bytes).
Bytes linux_syn_options(uint16_t mss = 1460);
// MPTCP's (RFC 8684, kind 30): MP_JOIN of a SYN (12 bytes: flags, address
// id, the receiver's token, the sender's random number; big endian) and
// MP_CAPABLE of a version 1 SYN (4 bytes).
Bytes mptcp_join_syn(uint32_t token, uint8_t address_id = 1, uint32_t nonce = 0x5eed5eed);
Bytes mptcp_capable_syn();
Bytes tcp_segment(const TcpSpec &spec, uint32_t src, uint32_t dst);
Bytes tcp_segment6(const TcpSpec &spec, const Addr6 &src, const Addr6 &dst);
// The same with options (a multiple of 4 bytes, at most 40).
Bytes tcp_segment(const TcpSpec &spec, std::span<const uint8_t> options, uint32_t src,
		  uint32_t dst);
Bytes tcp_segment6(const TcpSpec &spec, std::span<const uint8_t> options, const Addr6 &src,
		   const Addr6 &dst);

// ICMP "destination unreachable, fragmentation needed" (type 3, code 4) with
// the next hop's MTU, quoting `quoted` (an IPv4 header and at least 8 bytes).
Bytes icmp_frag_needed(uint16_t mtu, std::span<const uint8_t> quoted);
// ICMPv6 "packet too big" (type 2) with the MTU, quoting `quoted`; the
// checksum over IPv6's pseudo-header of src and dst.
Bytes icmp6_packet_too_big(uint32_t mtu, std::span<const uint8_t> quoted, const Addr6 &src,
			   const Addr6 &dst);
// ICMPv6 echo request (type 128).
Bytes icmp6_echo(uint16_t id, uint16_t seq, const Addr6 &src, const Addr6 &dst);
// IPv6's fragment header (8 bytes; offset in 8-byte units), then payload.
Bytes ipv6_fragment(uint8_t next_header, uint16_t offset, bool more, uint32_t id,
		    std::span<const uint8_t> payload);

using Mac = std::array<uint8_t, 6>;
// The MAC addresses of ethernet()'s frames.
inline constexpr Mac frame_dst{0x02, 0, 0, 0, 0, 0x02}, frame_src{0x02, 0, 0, 0, 0, 0x01};
Bytes ethernet(std::span<const uint8_t> payload, uint16_t ethertype = 0x0800);
Bytes ethernet_between(const Mac &dst, const Mac &src, std::span<const uint8_t> payload,
		       uint16_t ethertype = 0x0800);

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

// The load balancer's tunnel (kernel/iplb_lb_layout.h): outer IP, UDP to
// 6080 (checksum 0), GUE variant 0 (version 0, C 0, hlen = 32-bit words after
// the 4-byte GUE header, proto 4 or 41, flags 0), 12 bytes of private data
// (kind 0x4c, flags, 2 reserved, generation, changed_at; big endian), the
// previous DIP (4 or 16 bytes, zero: none), the client's packet.
inline constexpr uint16_t gue_port = 6080;
inline constexpr uint8_t lb_kind = 0x4c;
inline constexpr uint8_t lb_chained = 0x01;
struct LbGueSpec {
	bool inner_v6 = false;
	uint8_t kind = lb_kind;
	uint8_t flags = 0;
	uint32_t generation = 0;
	uint32_t changed_at = 0; // unix seconds
	Bytes previous;		 // 4 or 16 bytes: the outer family's
	// What a malformed tunnel has instead of the right values.
	std::optional<uint8_t> first_byte; // else hlen = (12 + previous) / 4
	std::optional<uint8_t> proto;	   // else 4 or 41
};
// 4 bytes of an IPv4 address, 16 of an IPv6 one, in network order.
Bytes address_bytes(uint32_t v4);
Bytes address_bytes(const Addr6 &v6);
// GUE header, private data, previous DIP, inner.
Bytes lb_gue(const LbGueSpec &spec, std::span<const uint8_t> inner);
// In UDP from source_port to 6080, in IPv4 (TOS, id, DF, TTL as given).
Bytes lb_tunnel4(uint32_t src, uint32_t dst, uint16_t source_port, const LbGueSpec &spec,
		 std::span<const uint8_t> inner, uint8_t tos = 0, uint16_t id = 0, bool df = true,
		 uint8_t ttl = 64);
// The same in IPv6.
Bytes lb_tunnel6(const Addr6 &src, const Addr6 &dst, uint16_t source_port, uint32_t flow_label,
		 uint8_t traffic_class, const LbGueSpec &spec, std::span<const uint8_t> inner,
		 uint8_t hop_limit = 64);

// Readable differences for assertion messages.
std::string hex(std::span<const uint8_t> bytes);

} // namespace iplb::test
