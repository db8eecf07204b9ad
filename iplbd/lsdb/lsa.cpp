// SPDX-License-Identifier: GPL-2.0-or-later
#include "lsdb/lsa.hpp"

#include "util/bytes.hpp"

#include <cstdio>

namespace iplb::lsa {

namespace {

constexpr size_t header_size = ospfapi::lsa_header_size;

Error bad(const ospfapi::LsaHeader &h, const std::string &what)
{
	return Error{describe(h) + ": " + what};
}

Result<uint8_t, Error> length_of(const ospfapi::LsaHeader &h, Ipv4 mask)
{
	auto length = mask_length(mask);
	if (!length)
		return unexpected(bad(h, "non-contiguous mask " + to_string(mask)));
	return *length;
}

uint32_t u24(ByteReader &r)
{
	const uint32_t high = r.u8();
	return high << 16 | r.u16();
}

Result<RouterLsa, Error> router_lsa(const ospfapi::LsaHeader &h, ByteReader r)
{
	if (r.remaining() < 4)
		return unexpected(bad(h, "router LSA shorter than its fixed part"));
	RouterLsa out;
	const uint8_t flags = r.u8();
	out.abr = flags & 0x01;
	out.asbr = flags & 0x02;
	r.skip(1);
	const uint16_t count = r.u16();
	out.links.reserve(count);
	for (uint16_t i = 0; i < count; i++) {
		if (r.remaining() < 12)
			return unexpected(bad(h, "link " + std::to_string(i) + " of " +
							 std::to_string(count) +
							 " runs past the LSA"));
		RouterLink link;
		link.id = Ipv4{r.u32()};
		link.data = Ipv4{r.u32()};
		const uint8_t kind = r.u8();
		const uint8_t tos_count = r.u8();
		link.metric = r.u16();
		if (kind < RouterLink::point_to_point || kind > RouterLink::virtual_link)
			return unexpected(bad(h, "link " + std::to_string(i) +
							 " has unknown type " +
							 std::to_string(kind)));
		link.kind = static_cast<RouterLink::Kind>(kind);
		if (r.remaining() < 4u * tos_count)
			return unexpected(bad(h, "link " + std::to_string(i) +
							 ": TOS metrics run past the LSA"));
		r.skip(4u * tos_count); // TOS routing is obsolete (RFC 2328 12.4.1)
		out.links.push_back(link);
	}
	if (r.remaining() != 0)
		return unexpected(
			bad(h, std::to_string(r.remaining()) + " bytes after the last link"));
	return out;
}

Result<NetworkLsa, Error> network_lsa(const ospfapi::LsaHeader &h, ByteReader r)
{
	if (r.remaining() < 8 || (r.remaining() - 4) % 4 != 0)
		return unexpected(bad(h, "network LSA body of " + std::to_string(r.remaining()) +
						 " bytes is not a mask and attached routers"));
	NetworkLsa out;
	auto length = length_of(h, Ipv4{r.u32()});
	if (!length)
		return unexpected(length.error());
	out.length = *length;
	while (r.remaining() > 0)
		out.routers.push_back(Ipv4{r.u32()});
	return out;
}

Result<SummaryLsa, Error> summary_lsa(const ospfapi::LsaHeader &h, ByteReader r)
{
	if (r.remaining() < 8 || (r.remaining() - 8) % 4 != 0)
		return unexpected(
			bad(h, "summary LSA body of " + std::to_string(r.remaining()) + " bytes"));
	SummaryLsa out;
	auto length = length_of(h, Ipv4{r.u32()});
	if (!length)
		return unexpected(length.error());
	out.length = *length;
	r.skip(1);
	out.metric = u24(r);
	return out;
}

Result<ExternalLsa, Error> external_lsa(const ospfapi::LsaHeader &h, ByteReader r)
{
	if (r.remaining() < 16 || (r.remaining() - 16) % 12 != 0)
		return unexpected(
			bad(h, "external LSA body of " + std::to_string(r.remaining()) + " bytes"));
	ExternalLsa out;
	auto length = length_of(h, Ipv4{r.u32()});
	if (!length)
		return unexpected(length.error());
	out.length = *length;
	out.type2 = r.u8() & 0x80;
	out.metric = u24(r);
	out.forwarding = Ipv4{r.u32()};
	out.tag = r.u32();
	return out;
}

} // namespace

std::optional<uint8_t> mask_length(Ipv4 mask)
{
	const uint32_t m = mask.value;
	const uint32_t inverted = ~m;
	if ((inverted & (inverted + 1)) != 0) // ones then zeros only
		return std::nullopt;
	uint8_t length = 0;
	for (uint32_t bit = 0x80000000u; bit != 0 && (m & bit); bit >>= 1)
		length++;
	return length;
}

std::string describe(const ospfapi::LsaHeader &h)
{
	char seq[16];
	std::snprintf(seq, sizeof(seq), "0x%08x", h.seq);
	return "type " + std::to_string(h.type) + " id " + to_string(h.id) + " adv " +
	       to_string(h.adv_router) + " seq " + seq;
}

Result<Lsa, Error> parse(std::span<const uint8_t> bytes)
{
	if (bytes.size() < header_size)
		return unexpected(Error{"LSA of " + std::to_string(bytes.size()) +
					" bytes is shorter than its header"});
	ByteReader r(bytes);
	Lsa out;
	auto &h = out.header;
	h.age = r.u16();
	h.options = r.u8();
	h.type = r.u8();
	h.id = Ipv4{r.u32()};
	h.adv_router = Ipv4{r.u32()};
	h.seq = r.u32();
	h.checksum = r.u16();
	h.length = r.u16();
	if (h.length != bytes.size())
		return unexpected(bad(h, "length field " + std::to_string(h.length) + " but " +
						 std::to_string(bytes.size()) + " bytes"));
	const ByteReader body(r.rest());

	switch (h.type) {
	case router: {
		auto b = router_lsa(h, body);
		if (!b)
			return unexpected(b.error());
		out.body = std::move(*b);
		break;
	}
	case network: {
		auto b = network_lsa(h, body);
		if (!b)
			return unexpected(b.error());
		out.body = std::move(*b);
		break;
	}
	case summary:
	case asbr_summary: {
		auto b = summary_lsa(h, body);
		if (!b)
			return unexpected(b.error());
		out.body = *b;
		break;
	}
	case as_external:
	case nssa: {
		auto b = external_lsa(h, body);
		if (!b)
			return unexpected(b.error());
		out.body = *b;
		break;
	}
	default:
		out.body = OtherLsa{};
		break;
	}
	return out;
}

} // namespace iplb::lsa
