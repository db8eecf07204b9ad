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
	return ethernet_between(frame_dst, frame_src, payload, ethertype);
}

Bytes ethernet_between(const Mac &dst, const Mac &src, std::span<const uint8_t> payload,
		       uint16_t ethertype)
{
	Bytes out(dst.begin(), dst.end());
	out.insert(out.end(), src.begin(), src.end());
	put16(out, ethertype);
	out.insert(out.end(), payload.begin(), payload.end());
	return out;
}

namespace {

// The one's complement checksum of a message over IPv6's pseudo-header.
uint16_t checksum6(std::span<const uint8_t> message, uint8_t next_header, const Addr6 &src,
		   const Addr6 &dst)
{
	Bytes pseudo(src.begin(), src.end());
	pseudo.insert(pseudo.end(), dst.begin(), dst.end());
	put32(pseudo, static_cast<uint32_t>(message.size()));
	put32(pseudo, next_header);
	pseudo.insert(pseudo.end(), message.begin(), message.end());
	if (pseudo.size() % 2)
		pseudo.push_back(0);
	return ipv4_checksum(pseudo); // the same one's complement sum
}

void store16(Bytes &out, size_t at, uint16_t v)
{
	out[at] = static_cast<uint8_t>(v >> 8);
	out[at + 1] = static_cast<uint8_t>(v);
}

Bytes tcp_header(const TcpSpec &spec, std::span<const uint8_t> options)
{
	Bytes out;
	put16(out, spec.src_port);
	put16(out, spec.dst_port);
	put32(out, spec.seq);
	put32(out, spec.ack);
	out.push_back(static_cast<uint8_t>((20 + options.size()) / 4 << 4)); // data offset
	out.push_back(spec.flags);
	put16(out, spec.window);
	put16(out, 0); // checksum, by the caller
	put16(out, 0); // urgent
	out.insert(out.end(), options.begin(), options.end());
	return out;
}

} // namespace

Bytes linux_syn_options(uint16_t mss)
{
	Bytes out{2, 4};
	put16(out, mss);
	out.insert(out.end(), {4, 2});	     // SACK permitted
	out.insert(out.end(), {8, 10});	     // timestamps
	put32(out, 0x11223344);		     // value
	put32(out, 0);			     // echo reply
	out.insert(out.end(), {1, 3, 3, 7}); // NOP, window scale 7
	return out;
}

Bytes mptcp_join_syn(uint32_t token, uint8_t address_id, uint32_t nonce)
{
	Bytes out{30, 12, 0x10, address_id}; // subtype 1 (MP_JOIN), flags 0
	put32(out, token);
	put32(out, nonce);
	return out;
}

Bytes mptcp_capable_syn()
{
	return {30, 4, 0x01, 0x01}; // subtype 0, version 1; flags: H (HMAC-SHA256)
}

Bytes tcp_segment(const TcpSpec &spec, std::span<const uint8_t> options, uint32_t src, uint32_t dst)
{
	Bytes out = tcp_header(spec, options);
	Bytes pseudo;
	put32(pseudo, src);
	put32(pseudo, dst);
	put16(pseudo, proto_tcp);
	put16(pseudo, static_cast<uint16_t>(out.size()));
	pseudo.insert(pseudo.end(), out.begin(), out.end());
	store16(out, 16, ipv4_checksum(pseudo));
	return out;
}

Bytes tcp_segment6(const TcpSpec &spec, std::span<const uint8_t> options, const Addr6 &src,
		   const Addr6 &dst)
{
	Bytes out = tcp_header(spec, options);
	store16(out, 16, checksum6(out, proto_tcp, src, dst));
	return out;
}

Bytes tcp_segment(const TcpSpec &spec, uint32_t src, uint32_t dst)
{
	return tcp_segment(spec, {}, src, dst);
}

Bytes tcp_segment6(const TcpSpec &spec, const Addr6 &src, const Addr6 &dst)
{
	return tcp_segment6(spec, {}, src, dst);
}

Bytes icmp_frag_needed(uint16_t mtu, std::span<const uint8_t> quoted)
{
	Bytes out{3, 4, 0, 0, 0, 0}; // type, code, checksum, unused
	put16(out, mtu);
	out.insert(out.end(), quoted.begin(), quoted.end());
	Bytes even = out;
	if (even.size() % 2)
		even.push_back(0);
	store16(out, 2, ipv4_checksum(even));
	return out;
}

Bytes icmp6_packet_too_big(uint32_t mtu, std::span<const uint8_t> quoted, const Addr6 &src,
			   const Addr6 &dst)
{
	Bytes out{2, 0, 0, 0};
	put32(out, mtu);
	out.insert(out.end(), quoted.begin(), quoted.end());
	store16(out, 2, checksum6(out, proto_icmpv6, src, dst));
	return out;
}

Bytes icmp6_echo(uint16_t id, uint16_t seq, const Addr6 &src, const Addr6 &dst)
{
	Bytes out{128, 0, 0, 0};
	put16(out, id);
	put16(out, seq);
	store16(out, 2, checksum6(out, proto_icmpv6, src, dst));
	return out;
}

Bytes ipv6_fragment(uint8_t next_header, uint16_t offset, bool more, uint32_t id,
		    std::span<const uint8_t> payload)
{
	Bytes out{next_header, 0};
	put16(out, static_cast<uint16_t>(offset << 3 | (more ? 1 : 0)));
	put32(out, id);
	out.insert(out.end(), payload.begin(), payload.end());
	return out;
}

Bytes address_bytes(uint32_t v4)
{
	Bytes out;
	put32(out, v4);
	return out;
}

Bytes address_bytes(const Addr6 &v6)
{
	return Bytes(v6.begin(), v6.end());
}

Bytes lb_gue(const LbGueSpec &spec, std::span<const uint8_t> inner)
{
	Bytes out;
	// Version 0 and C 0 are the top three bits: hlen alone is the byte.
	out.push_back(
		spec.first_byte.value_or(static_cast<uint8_t>((12 + spec.previous.size()) / 4)));
	out.push_back(spec.proto.value_or(spec.inner_v6 ? proto_ipv6 : proto_ipip));
	put16(out, 0); // GUE flags
	out.push_back(spec.kind);
	out.push_back(spec.flags);
	put16(out, 0); // reserved
	put32(out, spec.generation);
	put32(out, spec.changed_at);
	out.insert(out.end(), spec.previous.begin(), spec.previous.end());
	out.insert(out.end(), inner.begin(), inner.end());
	return out;
}

Bytes lb_tunnel4(uint32_t src, uint32_t dst, uint16_t source_port, const LbGueSpec &spec,
		 std::span<const uint8_t> inner, uint8_t tos, uint16_t id, bool df, uint8_t ttl)
{
	Ipv4Spec outer;
	outer.src = src;
	outer.dst = dst;
	outer.protocol = proto_udp;
	outer.tos = tos;
	outer.id = id;
	outer.df = df;
	outer.ttl = ttl;
	return ipv4(outer, udp(source_port, gue_port, lb_gue(spec, inner)));
}

Bytes lb_tunnel6(const Addr6 &src, const Addr6 &dst, uint16_t source_port, uint32_t flow_label,
		 uint8_t traffic_class, const LbGueSpec &spec, std::span<const uint8_t> inner,
		 uint8_t hop_limit)
{
	Ipv6Spec outer;
	outer.src = src;
	outer.dst = dst;
	outer.next_header = proto_udp;
	outer.traffic_class = traffic_class;
	outer.flow_label = flow_label;
	outer.hop_limit = hop_limit;
	return ipv6(outer, udp(source_port, gue_port, lb_gue(spec, inner)));
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
