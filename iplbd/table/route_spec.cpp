// SPDX-License-Identifier: GPL-2.0-or-later
#include "table/route_spec.hpp"

#include "util/enum_names.hpp"

#include <set>

namespace iplb {
namespace {

constexpr EnumNames<Encap, 3> encap_names{
	"encapsulation", {{{Encap::ipip, "ipip"}, {Encap::gre, "gre"}, {Encap::gue, "gue"}}}};
constexpr EnumNames<Selection, 4> selection_names{"selection mode",
						  {{{Selection::hash, "hash"},
						    {Selection::weighted, "weighted"},
						    {Selection::flow, "flow"},
						    {Selection::round_robin, "round-robin"}}}};

uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

// Why a relay address cannot be one; empty if it can.
std::string unusable(const IpAddress &relay)
{
	const std::string_view why = unusable_node_address(relay);
	return why.empty() ? "" : "cannot be a relay address (" + std::string(why) + ")";
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

Status validate(const RouteSpec &spec)
{
	const std::string where = to_string(spec.prefix) + ": ";
	if (spec.lists.empty())
		return unexpected(Error{where + "no relay list"});
	if (spec.lists.size() > max_lists_per_route)
		return unexpected(Error{where + std::to_string(spec.lists.size()) +
					" relay lists, at most " +
					std::to_string(max_lists_per_route)});
	// The tunnels' family: the first relay's (none: direct lists only).
	const IpAddress *first_relay = nullptr;
	for (const RelayList &list : spec.lists)
		if (!list.relays.empty() && !first_relay)
			first_relay = &list.relays.front();
	std::set<uint32_t> keys;
	for (size_t i = 0; i < spec.lists.size(); i++) {
		const RelayList &list = spec.lists[i];
		const std::string which = where + "relay list " + std::to_string(i + 1) + ": ";
		if (list.relays.size() > max_relays_per_list)
			return unexpected(Error{which + std::to_string(list.relays.size()) +
						" relays, at most " +
						std::to_string(max_relays_per_list)});
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
		// Two equal lists would split one list's flows for nothing.
		if (!keys.insert(relay_list_key(list)).second)
			return unexpected(Error{which + "the same relays as another list"});
	}
	return ok();
}

} // namespace iplb
