// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel's MPTCP path-manager events (generic netlink family "mptcp_pm",
// multicast group "mptcp_pm_events"; include/uapi/linux/mptcp.h), decoded
// from the bytes of a netlink datagram. A backend learns from them the
// token of every MPTCP connection it holds: the 32-bit value a client puts
// in its MP_JOIN SYN to name the connection its new subflow belongs to
// (MPTCP_ATTR_TOKEN is the connection's local token, docs/LB.md).
//
// The bytes come from the kernel, but the decoder trusts none of them:
// every length is checked, and a message it cannot read is refused with
// the reason (tests/fuzz/mptcp_event_fuzz.cpp).
#pragma once

#include "util/ipv6.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace iplb::mptcp {

// The event types this decoder names (mptcp_event_type); others are kept
// as `other` with their number.
enum class EventKind : uint8_t {
	created,	 // a connection was created (server side: at the SYN-ACK)
	established,	 // fully established: subflows may join
	closed,		 // the connection is gone
	announced,	 // the peer announced an address
	removed,	 // the peer removed one
	sub_established, // a subflow joined
	sub_closed,	 // a subflow went
	sub_priority,	 // a subflow's backup flag changed
	other,
};
std::string_view to_string(EventKind kind);

struct Event {
	EventKind kind = EventKind::other;
	uint8_t type = 0;   // the generic netlink command (mptcp_event_type)
	uint32_t token = 0; // the connection's local token
	// Of the connection (created, established) or the subflow (sub_*):
	// local and remote address and port, as the kernel reports them.
	std::optional<IpAddress> local;
	std::optional<IpAddress> remote;
	uint16_t local_port = 0;
	uint16_t remote_port = 0;
	bool server_side = false; // the connection was accepted, not opened
	std::optional<uint8_t> local_id;
	std::optional<uint8_t> remote_id;
	uint16_t flags = 0; // MPTCP_PM_EV_FLAG_*

	friend bool operator==(const Event &, const Event &) = default;
};

// The generic netlink header (struct genlmsghdr) and netlink's (struct
// nlmsghdr): sizes as on the wire.
inline constexpr size_t netlink_header_size = 16;
inline constexpr size_t genl_header_size = 4;

// One netlink message (nlmsghdr, genlmsghdr, attributes) of the family
// whose id is `family_id`: the event, or why it cannot be read (a
// truncated header or attribute, an attribute of the wrong size, no token,
// a message of another family or a netlink error).
Result<Event, Error> decode_event(std::span<const uint8_t> message, uint16_t family_id);

// Every message of one datagram (netlink may put several in one), each
// decoded or refused on its own. A datagram whose message lengths do not
// add up ends with one refusal for the rest of it.
std::vector<Result<Event, Error>> decode_datagram(std::span<const uint8_t> datagram,
						  uint16_t family_id);

// An event as the kernel would send it (for tests, fixtures and the fuzz
// corpus): the inverse of decode_event for what it names.
std::vector<uint8_t> encode_event(const Event &event, uint16_t family_id);

} // namespace iplb::mptcp
