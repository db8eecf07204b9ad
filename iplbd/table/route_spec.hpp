// SPDX-License-Identifier: GPL-2.0-or-later
// What one destination prefix maps to in a host's iplb table, as a value
// type: its relay lists, their encapsulation and how flows choose among
// them. Both datapaths take it (the eBPF table encodes it into its record,
// the SRv6 backend into seg6 routes), and everything that makes an entry
// impossible is refused here, with a message, before it reaches either.
#pragma once

#include "util/ipv4.hpp"
#include "util/ipv6.hpp"
#include "util/prefix.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iplb {

// What a table entry can hold: the kernel datapath's capacity
// (datapath/route_record.cpp checks that its layout agrees).
inline constexpr size_t max_lists_per_route = 16;
inline constexpr size_t max_relays_per_list = 8;

enum class Encap : uint8_t { ipip = 1, gre = 2, gue = 3 };
enum class Selection : uint8_t {
	hash = 0,	 // consistent, weights ignored
	weighted = 1,	 // consistent, by weight
	flow = 2,	 // sticky per flow until idle, new flows by weight
	round_robin = 3, // sticky per flow until idle, new flows take the lists in turn
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

// 1 to max_lists_per_route lists of at most max_relays_per_list relays each, weights of
// at least 1, relays that can be one and all of one family, no list twice.
Status validate(const RouteSpec &spec);

} // namespace iplb
