// SPDX-License-Identifier: GPL-2.0-or-later
#include "mptcp/mptcp_event.hpp"

#include <cstring>
#include <string>

namespace iplb::mptcp {
namespace {

// include/uapi/linux/mptcp.h (mptcp_event_attr) and netlink.h: the values
// on the wire, which do not change.
enum Attr : uint16_t {
	attr_token = 1,	       // u32
	attr_family = 2,       // u16
	attr_loc_id = 3,       // u8
	attr_rem_id = 4,       // u8
	attr_saddr4 = 5,       // be32
	attr_saddr6 = 6,       // in6_addr
	attr_daddr4 = 7,       // be32
	attr_daddr6 = 8,       // in6_addr
	attr_sport = 9,	       // be16
	attr_dport = 10,       // be16
	attr_flags = 13,       // u16
	attr_server_side = 18, // u8
};
constexpr uint16_t nla_type_mask = 0x3fff; // without NLA_F_NESTED, _NET_BYTEORDER
constexpr uint16_t nlmsg_error = 2;
constexpr uint16_t nlmsg_done = 3;
constexpr uint16_t nlmsg_overrun = 4;
constexpr uint16_t family_inet = 2;
constexpr uint16_t family_inet6 = 10;

constexpr size_t align4(size_t n)
{
	return (n + 3) & ~size_t{3};
}

template <typename T>
T host_value(std::span<const uint8_t> bytes)
{
	T value{};
	std::memcpy(&value, bytes.data(), sizeof(T));
	return value;
}

uint16_t be16(std::span<const uint8_t> bytes)
{
	return static_cast<uint16_t>(bytes[0] << 8 | bytes[1]);
}

uint32_t be32(std::span<const uint8_t> bytes)
{
	return uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 |
	       bytes[3];
}

EventKind kind_of(uint8_t type)
{
	switch (type) {
	case 1:
		return EventKind::created;
	case 2:
		return EventKind::established;
	case 3:
		return EventKind::closed;
	case 6:
		return EventKind::announced;
	case 7:
		return EventKind::removed;
	case 10:
		return EventKind::sub_established;
	case 11:
		return EventKind::sub_closed;
	case 13:
		return EventKind::sub_priority;
	default:
		return EventKind::other;
	}
}

// The size an attribute's payload must have; 0: any (not one we read).
size_t payload_size(uint16_t type)
{
	switch (type) {
	case attr_token:
		return 4;
	case attr_family:
	case attr_sport:
	case attr_dport:
	case attr_flags:
		return 2;
	case attr_loc_id:
	case attr_rem_id:
	case attr_server_side:
		return 1;
	case attr_saddr4:
	case attr_daddr4:
		return 4;
	case attr_saddr6:
	case attr_daddr6:
		return 16;
	default:
		return 0;
	}
}

uint16_t family_of(const IpAddress &address)
{
	return std::holds_alternative<Ipv4>(address) ? family_inet : family_inet6;
}

Error refused(std::string why)
{
	return Error{"MPTCP event: " + std::move(why)};
}

} // namespace

std::string_view to_string(EventKind kind)
{
	switch (kind) {
	case EventKind::created:
		return "created";
	case EventKind::established:
		return "established";
	case EventKind::closed:
		return "closed";
	case EventKind::announced:
		return "announced";
	case EventKind::removed:
		return "removed";
	case EventKind::sub_established:
		return "sub-established";
	case EventKind::sub_closed:
		return "sub-closed";
	case EventKind::sub_priority:
		return "sub-priority";
	case EventKind::other:
		break;
	}
	return "other";
}

Result<Event, Error> decode_event(std::span<const uint8_t> message, uint16_t family_id)
{
	if (message.size() < netlink_header_size)
		return unexpected(refused("shorter than a netlink header (" +
					  std::to_string(message.size()) + " bytes)"));
	const auto length = host_value<uint32_t>(message.subspan(0, 4));
	const auto type = host_value<uint16_t>(message.subspan(4, 2));
	if (length < netlink_header_size || length > message.size())
		return unexpected(refused("netlink length " + std::to_string(length) + " in " +
					  std::to_string(message.size()) + " bytes"));
	if (type == nlmsg_error || type == nlmsg_done || type == nlmsg_overrun)
		return unexpected(refused("netlink message type " + std::to_string(type) +
					  " (error, done or overrun), not an event"));
	if (type != family_id)
		return unexpected(refused("family " + std::to_string(type) + ", not mptcp_pm's " +
					  std::to_string(family_id)));
	if (length < netlink_header_size + genl_header_size)
		return unexpected(refused("no generic netlink header"));
	Event event;
	event.type = message[netlink_header_size];
	event.kind = kind_of(event.type);

	std::optional<uint16_t> family;
	bool has_token = false;
	auto rest = message.subspan(netlink_header_size + genl_header_size,
				    length - netlink_header_size - genl_header_size);
	while (!rest.empty()) {
		if (rest.size() < 4)
			return unexpected(refused("a truncated attribute header (" +
						  std::to_string(rest.size()) + " bytes left)"));
		const auto attr_length = host_value<uint16_t>(rest.subspan(0, 2));
		const auto attr_type = static_cast<uint16_t>(
			host_value<uint16_t>(rest.subspan(2, 2)) & nla_type_mask);
		if (attr_length < 4 || attr_length > rest.size())
			return unexpected(refused("attribute " + std::to_string(attr_type) +
						  " of length " + std::to_string(attr_length) +
						  " in " + std::to_string(rest.size()) + " bytes"));
		const auto payload = rest.subspan(4, attr_length - 4);
		const size_t expected = payload_size(attr_type);
		if (expected != 0 && payload.size() != expected)
			return unexpected(refused("attribute " + std::to_string(attr_type) +
						  " has " + std::to_string(payload.size()) +
						  " bytes, not " + std::to_string(expected)));
		switch (attr_type) {
		case attr_token:
			event.token = host_value<uint32_t>(payload);
			has_token = true;
			break;
		case attr_family:
			family = host_value<uint16_t>(payload);
			break;
		case attr_loc_id:
			event.local_id = payload[0];
			break;
		case attr_rem_id:
			event.remote_id = payload[0];
			break;
		case attr_saddr4:
			event.local = Ipv4{be32(payload)};
			break;
		case attr_daddr4:
			event.remote = Ipv4{be32(payload)};
			break;
		case attr_saddr6:
		case attr_daddr6: {
			Ipv6 address;
			std::memcpy(address.bytes.data(), payload.data(), 16);
			(attr_type == attr_saddr6 ? event.local : event.remote) = address;
			break;
		}
		case attr_sport:
			event.local_port = be16(payload);
			break;
		case attr_dport:
			event.remote_port = be16(payload);
			break;
		case attr_flags:
			event.flags = host_value<uint16_t>(payload);
			break;
		case attr_server_side:
			event.server_side = payload[0] != 0;
			break;
		default:
			break; // newer kernels add attributes: not ours to read
		}
		rest = rest.subspan(std::min(rest.size(), align4(attr_length)));
	}
	if (!has_token && event.kind != EventKind::other)
		return unexpected(refused(std::string(to_string(event.kind)) + " without a token"));
	if (family && *family != family_inet && *family != family_inet6)
		return unexpected(refused("address family " + std::to_string(*family)));
	for (const auto *address : {&event.local, &event.remote})
		if (*address && family && family_of(**address) != *family)
			return unexpected(refused("an address of another family than the event's"));
	if (event.local && event.remote && family_of(*event.local) != family_of(*event.remote))
		return unexpected(refused("local and remote addresses of different families"));
	return event;
}

std::vector<Result<Event, Error>> decode_datagram(std::span<const uint8_t> datagram,
						  uint16_t family_id)
{
	std::vector<Result<Event, Error>> out;
	while (!datagram.empty()) {
		if (datagram.size() < netlink_header_size) {
			out.push_back(
				unexpected(refused("a truncated netlink message at the end")));
			break;
		}
		const auto length = host_value<uint32_t>(datagram.subspan(0, 4));
		if (length < netlink_header_size || length > datagram.size()) {
			out.push_back(unexpected(
				refused("netlink length " + std::to_string(length) + " in " +
					std::to_string(datagram.size()) + " bytes")));
			break;
		}
		out.push_back(decode_event(datagram.subspan(0, length), family_id));
		datagram = datagram.subspan(std::min<size_t>(datagram.size(), align4(length)));
	}
	return out;
}

namespace {

void put_attr(std::vector<uint8_t> &out, uint16_t type, std::span<const uint8_t> payload)
{
	const auto length = static_cast<uint16_t>(4 + payload.size());
	const uint8_t header[4] = {static_cast<uint8_t>(length), static_cast<uint8_t>(length >> 8),
				   static_cast<uint8_t>(type), static_cast<uint8_t>(type >> 8)};
	out.insert(out.end(), header, header + 4);
	out.insert(out.end(), payload.begin(), payload.end());
	out.resize(align4(out.size()), 0);
}

template <typename T>
void put_host(std::vector<uint8_t> &out, uint16_t type, T value)
{
	uint8_t bytes[sizeof(T)];
	std::memcpy(bytes, &value, sizeof(T));
	put_attr(out, type, bytes);
}

void put_address(std::vector<uint8_t> &out, bool local, const IpAddress &address)
{
	if (const auto *v4 = std::get_if<Ipv4>(&address)) {
		const uint8_t bytes[4] = {static_cast<uint8_t>(v4->value >> 24),
					  static_cast<uint8_t>(v4->value >> 16),
					  static_cast<uint8_t>(v4->value >> 8),
					  static_cast<uint8_t>(v4->value)};
		put_attr(out, local ? attr_saddr4 : attr_daddr4, bytes);
	} else {
		put_attr(out, local ? attr_saddr6 : attr_daddr6, std::get<Ipv6>(address).bytes);
	}
}

} // namespace

std::vector<uint8_t> encode_event(const Event &event, uint16_t family_id)
{
	std::vector<uint8_t> out(netlink_header_size + genl_header_size, 0);
	out[netlink_header_size] = event.type;
	out[netlink_header_size + 1] = 1; // the family's version
	if (event.token != 0 || event.kind != EventKind::other)
		put_host<uint32_t>(out, attr_token, event.token);
	if (const auto &address = event.local ? event.local : event.remote)
		put_host<uint16_t>(out, attr_family, family_of(*address));
	if (event.local)
		put_address(out, true, *event.local);
	if (event.remote)
		put_address(out, false, *event.remote);
	if (event.local_port != 0) {
		const uint8_t port[2] = {static_cast<uint8_t>(event.local_port >> 8),
					 static_cast<uint8_t>(event.local_port)};
		put_attr(out, attr_sport, port);
	}
	if (event.remote_port != 0) {
		const uint8_t port[2] = {static_cast<uint8_t>(event.remote_port >> 8),
					 static_cast<uint8_t>(event.remote_port)};
		put_attr(out, attr_dport, port);
	}
	if (event.local_id)
		put_host<uint8_t>(out, attr_loc_id, *event.local_id);
	if (event.remote_id)
		put_host<uint8_t>(out, attr_rem_id, *event.remote_id);
	if (event.flags != 0)
		put_host<uint16_t>(out, attr_flags, event.flags);
	if (event.server_side)
		put_host<uint8_t>(out, attr_server_side, 1);
	const auto length = static_cast<uint32_t>(out.size());
	std::memcpy(out.data(), &length, 4);
	std::memcpy(out.data() + 4, &family_id, 2);
	return out;
}

} // namespace iplb::mptcp
