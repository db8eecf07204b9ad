// SPDX-License-Identifier: GPL-2.0-or-later
// What one destination prefix maps to in the kernel's iplb table, as a value
// type, and its translation to the record the eBPF programs read
// (kernel/iplb_datapath.h). Everything that makes an entry wrong is refused
// here, with a message, before anything reaches the kernel.
#pragma once

#include "topology/prefix.hpp"
#include "util/ipv4.hpp"
#include "util/ipv6.hpp"
#include "util/result.hpp"

#include "iplb_datapath.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iplb {

enum class Encap : uint8_t { ipip = IPLB_ENCAP_IPIP, gre = IPLB_ENCAP_GRE, gue = IPLB_ENCAP_GUE };
enum class Selection : uint8_t {
	hash = IPLB_SELECT_HASH,	 // consistent, weights ignored
	weighted = IPLB_SELECT_WEIGHTED, // consistent, by weight
	flow = IPLB_SELECT_FLOW,	 // sticky per flow until idle, new flows by weight
};

std::string_view to_string(Encap encap);
Result<Encap, Error> parse_encap(std::string_view text);
std::string_view to_string(Selection selection);
Result<Selection, Error> parse_selection(std::string_view text);

// The relays of one list, all of one family (the tunnel's), which need not
// be the destination's. No relay: the direct list, whose flows take the
// normal route unencapsulated (a path that needs no relay).
struct RelayList {
	std::vector<IpAddress> relays; // outermost (first hop) first
	uint16_t weight = 1;

	friend bool operator==(const RelayList &, const RelayList &) = default;
};

struct RouteSpec {
	IpPrefix prefix;
	std::vector<RelayList> lists;
	Encap encap = Encap::ipip;
	Selection selection = Selection::hash;
	uint16_t mtu = 0; // of the path; 0: unknown

	friend bool operator==(const RouteSpec &, const RouteSpec &) = default;
};

// "A.B.C.D[,A.B.C.D...]" or "X:X::X[,...]": relays outermost first, as
// operators write them; "direct" for the direct list.
Result<RelayList, Error> parse_relay_list(std::string_view text);
std::string to_string(const RelayList &list);

// The identity consistent hashing gives a list: a function of its relays
// only, so that a list keeps its flows whatever happens to the others.
uint32_t relay_list_key(const RelayList &list);

// The record for route counters slot `id` (< IPLB_MAX_ROUTES). Every relay
// of a route is of one family, IPv4 or IPv6.
Result<iplb_route, Error> encode_route(const RouteSpec &spec, uint32_t id);
// And back, for `show`: what the kernel holds.
Result<RouteSpec, Error> decode_route(const IpPrefix &prefix, const iplb_route &record);

} // namespace iplb
