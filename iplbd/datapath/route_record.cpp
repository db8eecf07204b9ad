// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/route_record.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace iplb {

// The table's values are the kernel's, so that a record is a copy.
static_assert(max_lists_per_route == IPLB_MAX_LISTS && max_relays_per_list == IPLB_MAX_RELAYS);
static_assert(static_cast<uint8_t>(Encap::ipip) == IPLB_ENCAP_IPIP &&
	      static_cast<uint8_t>(Encap::gre) == IPLB_ENCAP_GRE &&
	      static_cast<uint8_t>(Encap::gue) == IPLB_ENCAP_GUE);
static_assert(static_cast<uint8_t>(Selection::hash) == IPLB_SELECT_HASH &&
	      static_cast<uint8_t>(Selection::weighted) == IPLB_SELECT_WEIGHTED &&
	      static_cast<uint8_t>(Selection::flow) == IPLB_SELECT_FLOW &&
	      static_cast<uint8_t>(Selection::round_robin) == IPLB_SELECT_ROUND_ROBIN);

Result<iplb_route, Error> encode_route(const RouteSpec &spec, uint32_t id)
{
	if (id >= IPLB_MAX_ROUTES)
		return unexpected(Error{to_string(spec.prefix) + ": route slot " +
					std::to_string(id) + " is beyond the table's " +
					std::to_string(IPLB_MAX_ROUTES)});
	if (auto valid = validate(spec); !valid)
		return unexpected(valid.error());

	iplb_route record;
	std::memset(&record, 0, sizeof(record));
	record.id = id;
	record.n_lists = static_cast<uint8_t>(spec.lists.size());
	record.encap = static_cast<uint8_t>(spec.encap);
	record.select = static_cast<uint8_t>(spec.selection);
	record.mtu = spec.mtu;
	for (const RelayList &list : spec.lists)
		if (!list.relays.empty()) {
			if (is_v6(list.relays.front()))
				record.flags |= IPLB_ROUTE_RELAYS_V6;
			break;
		}
	for (size_t i = 0; i < spec.lists.size(); i++) {
		const RelayList &list = spec.lists[i];
		auto &out = record.lists[i];
		out.key = relay_list_key(list);
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
	    record.select > IPLB_SELECT_ROUND_ROBIN)
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
