// SPDX-License-Identifier: GPL-2.0-or-later
// OSPFv2 LSA bodies (RFC 2328 appendix A.4, RFC 3101 for NSSA), parsed with
// every length checked: bytes from the network are untrusted. A malformed
// LSA is an Error naming what is wrong; nothing is partially parsed.
#pragma once

#include "lsdb/api_protocol.hpp"
#include "util/prefix.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace iplb::lsa {

enum Type : uint8_t {
	router = 1,
	network = 2,
	summary = 3,
	asbr_summary = 4,
	as_external = 5,
	nssa = 7,
};

inline constexpr uint32_t ls_infinity = 0xffffff;

struct RouterLink {
	enum Kind : uint8_t { point_to_point = 1, transit = 2, stub = 3, virtual_link = 4 };
	Kind kind = point_to_point;
	Ipv4 id;   // neighbour router id / DR address / stub network
	Ipv4 data; // interface address or ifindex / stub mask
	uint16_t metric = 0;
};

struct RouterLsa {
	bool abr = false;  // B bit
	bool asbr = false; // E bit
	std::vector<RouterLink> links;
};

struct NetworkLsa {
	uint8_t length = 0; // of the network's mask
	std::vector<Ipv4> routers;
};

struct SummaryLsa { // types 3 and 4
	uint8_t length = 0;
	uint32_t metric = 0;
};

struct ExternalLsa { // types 5 and 7
	uint8_t length = 0;
	bool type2 = false; // E bit
	uint32_t metric = 0;
	Ipv4 forwarding;
	uint32_t tag = 0;
};

struct OtherLsa {}; // opaque and unknown types: kept, not interpreted

struct Lsa {
	ospfapi::LsaHeader header;
	std::variant<RouterLsa, NetworkLsa, SummaryLsa, ExternalLsa, OtherLsa> body;
};

// `bytes` is the whole LSA, header included, exactly header.length long.
Result<Lsa, Error> parse(std::span<const uint8_t> bytes);

// A contiguous netmask as a prefix length; none for 255.0.255.0 and the like.
std::optional<uint8_t> mask_length(Ipv4 mask);

// "type 1 id 10.0.0.1 adv 10.0.0.1 seq 0x80000003": for logs.
std::string describe(const ospfapi::LsaHeader &header);

} // namespace iplb::lsa
