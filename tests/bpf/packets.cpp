// SPDX-License-Identifier: GPL-2.0-or-later
#include "packets.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <stdexcept>

namespace iplb::test {
namespace {

void put16(Bytes &out, uint16_t v)
{
	out.push_back(static_cast<uint8_t>(v >> 8));
	out.push_back(static_cast<uint8_t>(v));
}

void put32(Bytes &out, uint32_t v)
{
	put16(out, static_cast<uint16_t>(v >> 16));
	put16(out, static_cast<uint16_t>(v));
}

} // namespace

uint32_t addr(const char *dotted)
{
	in_addr a{};
	if (inet_pton(AF_INET, dotted, &a) != 1)
		throw std::invalid_argument(dotted);
	return ntohl(a.s_addr);
}

Addr6 addr6(const char *text)
{
	Addr6 a{};
	if (inet_pton(AF_INET6, text, a.data()) != 1)
		throw std::invalid_argument(text);
	return a;
}

Bytes ipv6(const Ipv6Spec &spec, std::span<const uint8_t> payload)
{
	Bytes out;
	put32(out, 6u << 28 | uint32_t{spec.traffic_class} << 20 | (spec.flow_label & 0xfffff));
	put16(out, static_cast<uint16_t>(payload.size()));
	out.push_back(spec.next_header);
	out.push_back(spec.hop_limit);
	out.insert(out.end(), spec.src.begin(), spec.src.end());
	out.insert(out.end(), spec.dst.begin(), spec.dst.end());
	out.insert(out.end(), payload.begin(), payload.end());
	return out;
}

Bytes tcp_syn6(uint16_t src_port, uint16_t dst_port, uint16_t mss, const Addr6 &src,
	       const Addr6 &dst, bool ack)
{
	Bytes out = tcp_syn(src_port, dst_port, mss, 0, 0, ack);
	Bytes pseudo(src.begin(), src.end());
	pseudo.insert(pseudo.end(), dst.begin(), dst.end());
	put32(pseudo, static_cast<uint32_t>(out.size()));
	put32(pseudo, proto_tcp);
	pseudo.insert(pseudo.end(), out.begin(), out.end());
	const uint16_t check = ipv4_checksum(pseudo); // the same one's complement sum
	out[16] = static_cast<uint8_t>(check >> 8);
	out[17] = static_cast<uint8_t>(check);
	return out;
}

namespace {

// What follows a tunnel's IP header: GRE's or UDP's header and the inner packet.
Bytes tunnel_payload(uint8_t encap, bool inner_v6, std::span<const uint8_t> inner,
		     uint16_t gue_source_port, uint8_t &protocol)
{
	Bytes out;
	if (encap == 2) { // GRE
		protocol = proto_gre;
		out = {0, 0};
		put16(out, inner_v6 ? ethertype_ipv6 : 0x0800);
		out.insert(out.end(), inner.begin(), inner.end());
	} else if (encap == 3) { // GUE
		protocol = proto_udp;
		out = udp(gue_source_port, 6080, inner);
	} else {
		protocol = inner_v6 ? proto_ipv6 : proto_ipip;
		out.assign(inner.begin(), inner.end());
	}
	return out;
}

} // namespace

Bytes ip6_tunnel(const Addr6 &src, const Addr6 &relay, uint8_t encap, bool inner_v6,
		 std::span<const uint8_t> inner, uint8_t traffic_class, uint32_t flow_label,
		 uint16_t gue_source_port)
{
	Ipv6Spec outer;
	outer.src = src;
	outer.dst = relay;
	outer.traffic_class = traffic_class;
	outer.flow_label = flow_label;
	const Bytes payload =
		tunnel_payload(encap, inner_v6, inner, gue_source_port, outer.next_header);
	return ipv6(outer, payload);
}

Bytes ip4_tunnel(uint32_t src, uint32_t relay, uint8_t encap, bool inner_v6,
		 std::span<const uint8_t> inner, uint8_t tos, uint16_t id, bool df,
		 uint16_t gue_source_port)
{
	Ipv4Spec outer;
	outer.src = src;
	outer.dst = relay;
	outer.tos = tos;
	outer.id = id;
	outer.df = df;
	outer.ttl = 64;
	const Bytes payload =
		tunnel_payload(encap, inner_v6, inner, gue_source_port, outer.protocol);
	return ipv4(outer, payload);
}

uint16_t ipv4_checksum(std::span<const uint8_t> header)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < header.size(); i += 2)
		sum += static_cast<uint32_t>(header[i] << 8 | header[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<uint16_t>(~sum);
}

Bytes ipv4(const Ipv4Spec &spec, std::span<const uint8_t> payload)
{
	const size_t header_len = 20 + spec.options.size();
	Bytes out;
	out.push_back(static_cast<uint8_t>(0x40 | header_len / 4));
	out.push_back(spec.tos);
	put16(out, static_cast<uint16_t>(header_len + payload.size()));
	put16(out, spec.id);
	put16(out, static_cast<uint16_t>((spec.df ? 0x4000 : 0) | (spec.mf ? 0x2000 : 0) |
					 spec.fragment_offset));
	out.push_back(spec.ttl);
	out.push_back(spec.protocol);
	put16(out, 0);
	put32(out, spec.src);
	put32(out, spec.dst);
	out.insert(out.end(), spec.options.begin(), spec.options.end());
	const uint16_t check = ipv4_checksum(out);
	out[10] = static_cast<uint8_t>(check >> 8);
	out[11] = static_cast<uint8_t>(check);
	out.insert(out.end(), payload.begin(), payload.end());
	return out;
}

Bytes udp(uint16_t src_port, uint16_t dst_port, std::span<const uint8_t> payload)
{
	Bytes out;
	put16(out, src_port);
	put16(out, dst_port);
	put16(out, static_cast<uint16_t>(8 + payload.size()));
	put16(out, 0); // no checksum: allowed for UDP over IPv4
	out.insert(out.end(), payload.begin(), payload.end());
	return out;
}

Bytes tcp_syn(uint16_t src_port, uint16_t dst_port, uint16_t mss, uint32_t src, uint32_t dst,
	      bool ack)
{
	Bytes out;
	put16(out, src_port);
	put16(out, dst_port);
	put32(out, 0x01020304);		  // sequence
	put32(out, ack ? 0x0a0b0c0d : 0); // ack
	out.push_back(0x60);		  // data offset 6 words: one option
	out.push_back(ack ? 0x12 : 0x02); // SYN (+ACK)
	put16(out, 64240);		  // window
	put16(out, 0);			  // checksum, below
	put16(out, 0);			  // urgent
	out.push_back(2);		  // MSS
	out.push_back(4);
	put16(out, mss);
	if (src || dst) {
		Bytes pseudo;
		put32(pseudo, src);
		put32(pseudo, dst);
		put16(pseudo, proto_tcp);
		put16(pseudo, static_cast<uint16_t>(out.size()));
		pseudo.insert(pseudo.end(), out.begin(), out.end());
		const uint16_t check = ipv4_checksum(pseudo);
		out[16] = static_cast<uint8_t>(check >> 8);
		out[17] = static_cast<uint8_t>(check);
	}
	return out;
}

Bytes icmp_echo(uint16_t id, uint16_t seq)
{
	Bytes out{8, 0};
	put16(out, 0);
	put16(out, id);
	put16(out, seq);
	const uint16_t check = ipv4_checksum(out);
	out[2] = static_cast<uint8_t>(check >> 8);
	out[3] = static_cast<uint8_t>(check);
	return out;
}

Bytes ethernet(std::span<const uint8_t> payload, uint16_t ethertype)
{
	Bytes out{0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01}; // dst, src
	put16(out, ethertype);
	out.insert(out.end(), payload.begin(), payload.end());
	return out;
}

Bytes ipip(uint32_t src, uint32_t relay, std::span<const uint8_t> inner, const Ipv4Spec &original)
{
	Ipv4Spec outer;
	outer.src = src;
	outer.dst = relay;
	outer.protocol = proto_ipip;
	outer.tos = original.tos;
	outer.id = original.id;
	outer.df = original.df;
	outer.ttl = 64;
	return ipv4(outer, inner);
}

Bytes gre(uint32_t src, uint32_t relay, std::span<const uint8_t> inner, const Ipv4Spec &original)
{
	Ipv4Spec outer;
	outer.src = src;
	outer.dst = relay;
	outer.protocol = 47;
	outer.tos = original.tos;
	outer.id = original.id;
	outer.df = original.df;
	outer.ttl = 64;
	Bytes payload{0, 0, 0x08, 0x00};
	payload.insert(payload.end(), inner.begin(), inner.end());
	return ipv4(outer, payload);
}

Bytes gue(uint32_t src, uint32_t relay, uint16_t source_port, std::span<const uint8_t> inner,
	  const Ipv4Spec &original)
{
	Ipv4Spec outer;
	outer.src = src;
	outer.dst = relay;
	outer.protocol = proto_udp;
	outer.tos = original.tos;
	outer.id = original.id;
	outer.df = original.df;
	outer.ttl = 64;
	return ipv4(outer, udp(source_port, 6080, inner));
}

std::string hex(std::span<const uint8_t> bytes)
{
	std::string out;
	char buf[4];
	for (size_t i = 0; i < bytes.size(); i++) {
		std::snprintf(buf, sizeof(buf), "%02x", bytes[i]);
		out += buf;
		out += (i % 16 == 15) ? "\n" : " ";
	}
	return out;
}

} // namespace iplb::test
