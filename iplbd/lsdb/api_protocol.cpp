// SPDX-License-Identifier: GPL-2.0-or-later
#include "lsdb/api_protocol.hpp"

#include "util/bytes.hpp"

#include <string>

namespace iplb::ospfapi {

namespace {

// Header with a placeholder length, patched by finish().
ByteWriter start(MsgType type, uint32_t seq)
{
	ByteWriter w;
	w.u8(protocol_version);
	w.u8(static_cast<uint8_t>(type));
	w.u16(0);
	w.u32(seq);
	return w;
}

std::vector<uint8_t> finish(ByteWriter w)
{
	w.patch_u16(2, static_cast<uint16_t>(w.size() - header_size));
	return w.take();
}

void put_filter(ByteWriter &w, const LsaFilter &filter)
{
	w.u16(filter.type_mask);
	w.u8(static_cast<uint8_t>(filter.origin));
	w.u8(static_cast<uint8_t>(filter.areas.size()));
	for (Ipv4 area : filter.areas)
		w.u32(area.value);
}

Error too_short(const char *what, size_t need, size_t got)
{
	return Error{std::string(what) + ": " + std::to_string(got) + " bytes, need " +
		     std::to_string(need)};
}

} // namespace

std::vector<uint8_t> encode_register_event(uint32_t seq, const LsaFilter &filter)
{
	auto w = start(MsgType::register_event, seq);
	put_filter(w, filter);
	return finish(std::move(w));
}

std::vector<uint8_t> encode_sync_lsdb(uint32_t seq, const LsaFilter &filter)
{
	auto w = start(MsgType::sync_lsdb, seq);
	put_filter(w, filter);
	return finish(std::move(w));
}

std::vector<uint8_t> encode_bodyless_request(MsgType type, uint32_t seq)
{
	auto w = start(type, seq);
	w.zeros(4);
	return finish(std::move(w));
}

void FrameReader::append(std::span<const uint8_t> bytes)
{
	// Drop what was consumed before growing, so the buffer stays small.
	if (consumed_ > 0 && consumed_ == buffer_.size()) {
		buffer_.clear();
		consumed_ = 0;
	} else if (consumed_ > 65536) {
		buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(consumed_));
		consumed_ = 0;
	}
	buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Message>, Error> FrameReader::next()
{
	const std::span<const uint8_t> pending(buffer_.data() + consumed_, buffered());
	if (pending.size() < header_size)
		return std::optional<Message>{};
	ByteReader r(pending);
	const uint8_t version = r.u8();
	const uint8_t type = r.u8();
	const uint16_t length = r.u16();
	const uint32_t seq = r.u32();
	if (version != protocol_version)
		return unexpected(Error{"API protocol version " + std::to_string(version) +
					", expected " + std::to_string(protocol_version)});
	if (r.remaining() < length)
		return std::optional<Message>{};
	auto body = r.take(length);
	consumed_ += header_size + length;
	return std::optional<Message>{Message{type, seq, {body.begin(), body.end()}}};
}

Result<int8_t, Error> decode_reply(std::span<const uint8_t> body)
{
	if (body.size() < 4)
		return unexpected(too_short("REPLY", 4, body.size()));
	return static_cast<int8_t>(body[0]);
}

Result<Ipv4, Error> decode_router_id(std::span<const uint8_t> body)
{
	if (body.size() < 4)
		return unexpected(too_short("ROUTER_ID_CHANGE", 4, body.size()));
	ByteReader r(body);
	return Ipv4{r.u32()};
}

Result<LsaNotification, Error> decode_lsa_notification(std::span<const uint8_t> body)
{
	constexpr size_t prefix = 12;
	if (body.size() < prefix + lsa_header_size)
		return unexpected(
			too_short("LSA notification", prefix + lsa_header_size, body.size()));
	ByteReader r(body);
	LsaNotification n;
	n.ifaddr = Ipv4{r.u32()};
	n.area = Ipv4{r.u32()};
	n.self_originated = r.u8() != 0;
	r.skip(3);
	n.lsa = r.rest();
	n.header.age = r.u16();
	n.header.options = r.u8();
	n.header.type = r.u8();
	n.header.id = Ipv4{r.u32()};
	n.header.adv_router = Ipv4{r.u32()};
	n.header.seq = r.u32();
	n.header.checksum = r.u16();
	n.header.length = r.u16();
	if (n.header.length < lsa_header_size)
		return unexpected(Error{"LSA length " + std::to_string(n.header.length) +
					" is shorter than its header"});
	if (n.lsa.size() >= n.header.length)
		n.lsa = n.lsa.first(n.header.length);
	else
		n.truncated = true;
	return n;
}

Result<ReachableChange, Error> decode_reachable_change(std::span<const uint8_t> body)
{
	if (body.size() < 4)
		return unexpected(too_short("REACHABLE_CHANGE", 4, body.size()));
	ByteReader r(body);
	const size_t added = r.u16(), removed = r.u16();
	if (r.remaining() < 4 * (added + removed))
		return unexpected(
			too_short("REACHABLE_CHANGE", 4 + 4 * (added + removed), body.size()));
	ReachableChange out;
	for (size_t i = 0; i < added; i++)
		out.added.push_back(Ipv4{r.u32()});
	for (size_t i = 0; i < removed; i++)
		out.removed.push_back(Ipv4{r.u32()});
	return out;
}

Result<InterfaceState, Error> decode_ism_change(std::span<const uint8_t> body)
{
	if (body.size() < 12)
		return unexpected(too_short("ISM_CHANGE", 12, body.size()));
	ByteReader r(body);
	InterfaceState out;
	out.address = Ipv4{r.u32()};
	out.area = Ipv4{r.u32()};
	out.state = r.u8();
	return out;
}

Result<NeighbourState, Error> decode_nsm_change(std::span<const uint8_t> body)
{
	if (body.size() < 16)
		return unexpected(too_short("NSM_CHANGE", 16, body.size()));
	ByteReader r(body);
	NeighbourState out;
	out.interface = Ipv4{r.u32()};
	out.address = Ipv4{r.u32()};
	out.router_id = Ipv4{r.u32()};
	out.state = r.u8();
	return out;
}

const char *reply_error_name(int8_t code)
{
	switch (code) {
	case 0:
		return "ok";
	case -1:
		return "no such interface";
	case -2:
		return "no such area";
	case -3:
		return "no such LSA";
	case -4:
		return "illegal LSA type";
	case -5:
		return "opaque type in use";
	case -6:
		return "opaque type not registered";
	case -7:
		return "not ready";
	case -8:
		return "no memory";
	case -9:
		return "error";
	case -10:
		return "undefined";
	}
	return "unknown error";
}

} // namespace iplb::ospfapi
