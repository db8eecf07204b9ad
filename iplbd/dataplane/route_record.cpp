// SPDX-License-Identifier: GPL-2.0-or-later
#include "dataplane/route_record.hpp"

#include "util/enum_names.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <set>

namespace iplb {
namespace {

constexpr EnumNames<Encap, 3> encap_names{
	"encapsulation", {{{Encap::ipip, "ipip"}, {Encap::gre, "gre"}, {Encap::gue, "gue"}}}};
constexpr EnumNames<Selection, 3> selection_names{"selection mode",
						  {{{Selection::hash, "hash"},
						    {Selection::weighted, "weighted"},
						    {Selection::flow, "flow"}}}};

uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

} // namespace

std::string_view to_string(Encap encap)
{
	return encap_names.name(encap);
}

Result<Encap, Error> parse_encap(std::string_view text)
{
	return encap_names.parse(text);
}

std::string_view to_string(Selection selection)
{
	return selection_names.name(selection);
}

Result<Selection, Error> parse_selection(std::string_view text)
{
	return selection_names.parse(text);
}

Result<RelayList, Error> parse_relay_list(std::string_view text)
{
	RelayList list;
	if (text == "direct")
		return list;
	size_t start = 0;
	for (;;) {
		const size_t comma = text.find(',', start);
		const std::string_view one = text.substr(start, comma - start);
		auto relay = parse_ip_address(one);
		if (!relay)
			return unexpected(Error{"bad relay list '" + std::string(text) +
						"': " + relay.error().message});
		list.relays.push_back(*relay);
		if (comma == std::string_view::npos)
			break;
		start = comma + 1;
	}
	return list;
}

std::string to_string(const RelayList &list)
{
	if (list.relays.empty())
		return "direct";
	std::string out;
	for (const IpAddress &relay : list.relays)
		out += (out.empty() ? "" : ",") + to_string(relay);
	return out;
}

uint32_t relay_list_key(const RelayList &list)
{
	uint32_t h = 0x1b873593u;
	for (const IpAddress &relay : list.relays) {
		if (const Ipv4 *v4 = std::get_if<Ipv4>(&relay)) {
			h = mix32(h ^ v4->value) + 0x9e3779b9u;
			continue;
		}
		const auto &bytes = std::get<Ipv6>(relay).bytes;
		for (size_t i = 0; i < bytes.size(); i += 4)
			h = mix32(h ^ (uint32_t{bytes[i]} << 24 | uint32_t{bytes[i + 1]} << 16 |
				       uint32_t{bytes[i + 2]} << 8 | bytes[i + 3])) +
			    0x9e3779b9u;
	}
	return h;
}

namespace {

// Why a relay address cannot be one; empty if it can.
std::string unusable(const IpAddress &relay)
{
	if (const Ipv4 *v4 = std::get_if<Ipv4>(&relay))
		return v4->value == 0 || v4->value == ~uint32_t{0} || (v4->value >> 28) >= 0xe
			       ? "cannot be a relay address"
			       : "";
	const auto &b = std::get<Ipv6>(relay).bytes;
	const Ipv6 loopback{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
	if (std::get<Ipv6>(relay) == Ipv6{} || std::get<Ipv6>(relay) == loopback || b[0] == 0xff)
		return "cannot be a relay address";
	return "";
}

} // namespace

Result<iplb_route, Error> encode_route(const RouteSpec &spec, uint32_t id)
{
	const std::string where = to_string(spec.prefix) + ": ";
	if (id >= IPLB_MAX_ROUTES)
		return unexpected(Error{where + "route slot " + std::to_string(id) +
					" is beyond the table's " +
					std::to_string(IPLB_MAX_ROUTES)});
	if (spec.lists.empty())
		return unexpected(Error{where + "no relay list"});
	if (spec.lists.size() > IPLB_MAX_LISTS)
		return unexpected(Error{where + std::to_string(spec.lists.size()) +
					" relay lists, at most " + std::to_string(IPLB_MAX_LISTS)});

	iplb_route record;
	std::memset(&record, 0, sizeof(record));
	record.id = id;
	record.n_lists = static_cast<uint8_t>(spec.lists.size());
	record.encap = static_cast<uint8_t>(spec.encap);
	record.select = static_cast<uint8_t>(spec.selection);
	record.mtu = spec.mtu;
	// The tunnels' family: the first relay's (none: direct lists only).
	const IpAddress *first_relay = nullptr;
	for (const RelayList &list : spec.lists)
		if (!list.relays.empty() && !first_relay)
			first_relay = &list.relays.front();
	if (first_relay && is_v6(*first_relay))
		record.flags |= IPLB_ROUTE_RELAYS_V6;
	std::set<uint32_t> keys;
	for (size_t i = 0; i < spec.lists.size(); i++) {
		const RelayList &list = spec.lists[i];
		const std::string which = where + "relay list " + std::to_string(i + 1) + ": ";
		if (list.relays.size() > IPLB_MAX_RELAYS)
			return unexpected(Error{which + std::to_string(list.relays.size()) +
						" relays, at most " +
						std::to_string(IPLB_MAX_RELAYS)});
		if (list.weight == 0)
			return unexpected(Error{which + "weight 0"});
		for (const IpAddress &relay : list.relays) {
			if (const std::string why = unusable(relay); !why.empty())
				return unexpected(Error{which + to_string(relay) + " " + why});
			if (is_v6(relay) != is_v6(*first_relay))
				return unexpected(
					Error{which + to_string(relay) +
					      ": the relays of a prefix are all IPv4 or all IPv6"});
		}
		auto &out = record.lists[i];
		out.key = relay_list_key(list);
		// Two equal lists would split one list's flows for nothing.
		if (!keys.insert(out.key).second)
			return unexpected(Error{which + "the same relays as another list"});
		out.weight = list.weight;
		out.n_relays = static_cast<uint8_t>(list.relays.size());
		for (size_t r = 0; r < list.relays.size(); r++) {
			if (const Ipv4 *v4 = std::get_if<Ipv4>(&list.relays[r]))
				out.relays[r].v4 = htonl(v4->value);
			else
				std::memcpy(out.relays[r].v6,
					    std::get<Ipv6>(list.relays[r]).bytes.data(), 16);
		}
	}
	return record;
}

Result<RouteSpec, Error> decode_route(const IpPrefix &prefix, const iplb_route &record)
{
	const std::string where = to_string(prefix) + ": ";
	if (record.n_lists == 0 || record.n_lists > IPLB_MAX_LISTS)
		return unexpected(Error{where + "the kernel holds " +
					std::to_string(record.n_lists) + " relay lists"});
	if ((record.encap != IPLB_ENCAP_IPIP && record.encap != IPLB_ENCAP_GRE &&
	     record.encap != IPLB_ENCAP_GUE) ||
	    record.select > IPLB_SELECT_FLOW)
		return unexpected(Error{where + "unknown encapsulation or selection mode"});
	RouteSpec spec;
	spec.prefix = prefix;
	spec.encap = static_cast<Encap>(record.encap);
	spec.selection = static_cast<Selection>(record.select);
	spec.mtu = record.mtu;
	for (size_t i = 0; i < record.n_lists; i++) {
		const auto &in = record.lists[i];
		if (in.n_relays > IPLB_MAX_RELAYS)
			return unexpected(Error{where + "the kernel holds a list of " +
						std::to_string(in.n_relays) + " relays"});
		RelayList list;
		list.weight = in.weight;
		for (size_t r = 0; r < in.n_relays; r++) {
			if (record.flags & IPLB_ROUTE_RELAYS_V6) {
				Ipv6 relay;
				std::memcpy(relay.bytes.data(), in.relays[r].v6, 16);
				list.relays.push_back(relay);
			} else {
				list.relays.push_back(Ipv4{ntohl(in.relays[r].v4)});
			}
		}
		spec.lists.push_back(std::move(list));
	}
	return spec;
}

} // namespace iplb
