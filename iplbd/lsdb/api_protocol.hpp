// SPDX-License-Identifier: GPL-2.0-or-later
// The wire format of ospfd's API server (FRR ospfd/ospf_api.h): an 8-byte
// big-endian header {version, type, body length, sequence} and bodies per
// message type. Pure functions over bytes; the session (api_session.hpp)
// does the I/O.
#pragma once

#include "util/ipv4.hpp"
#include "util/result.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace iplb::ospfapi {

inline constexpr uint8_t protocol_version = 1;
inline constexpr uint16_t default_port = 2607;
inline constexpr size_t header_size = 8;
inline constexpr size_t lsa_header_size = 20;

enum class MsgType : uint8_t {
	register_opaque_type = 1,
	unregister_opaque_type = 2,
	register_event = 3,
	sync_lsdb = 4,
	originate_request = 5,
	delete_request = 6,
	sync_reachable = 7,
	sync_ism = 8,
	sync_nsm = 9,
	reply = 10,
	ready_notify = 11,
	lsa_update_notify = 12,
	lsa_delete_notify = 13,
	new_if = 14,
	del_if = 15,
	ism_change = 16,
	nsm_change = 17,
	reachable_change = 18,
	sync_router_id = 19,
	router_id_change = 20,
};

// Which LSAs a registration or a sync covers.
struct LsaFilter {
	enum class Origin : uint8_t { non_self = 0, self = 1, any = 2 };

	uint16_t type_mask = 0xffff; // LSA type t is bit t-1
	Origin origin = Origin::any;
	std::vector<Ipv4> areas; // empty: every area
};

struct Message {
	uint8_t type = 0;
	uint32_t seq = 0; // the request's for replies and dumps, 0 for events
	std::vector<uint8_t> body;
};

// Requests, framed and ready to write.
std::vector<uint8_t> encode_register_event(uint32_t seq, const LsaFilter &filter);
std::vector<uint8_t> encode_sync_lsdb(uint32_t seq, const LsaFilter &filter);
// SYNC_ROUTER_ID, SYNC_ISM, SYNC_NSM, SYNC_REACHABLE have no body; they are
// padded with four zero bytes, as FRR's ospfclient.py does, because an
// unpatched 8.4 ospfd aborts on an empty body.
std::vector<uint8_t> encode_bodyless_request(MsgType type, uint32_t seq);

// Splits a byte stream into messages. Bad framing (wrong version) is an
// error after which the stream cannot be trusted.
class FrameReader {
public:
	void append(std::span<const uint8_t> bytes);
	Result<std::optional<Message>, Error> next();
	size_t buffered() const { return buffer_.size() - consumed_; }

private:
	std::vector<uint8_t> buffer_;
	size_t consumed_ = 0;
};

// REPLY: the signed OSPF_API_* error code (0 = OK).
Result<int8_t, Error> decode_reply(std::span<const uint8_t> body);
// ROUTER_ID_CHANGE
Result<Ipv4, Error> decode_router_id(std::span<const uint8_t> body);

struct LsaHeader {
	uint16_t age = 0;
	uint8_t options = 0;
	uint8_t type = 0;
	Ipv4 id;
	Ipv4 adv_router;
	uint32_t seq = 0;
	uint16_t checksum = 0;
	uint16_t length = 0; // of the whole LSA, header included
};

// LSA_UPDATE_NOTIFY / LSA_DELETE_NOTIFY
struct LsaNotification {
	Ipv4 ifaddr;
	Ipv4 area;
	bool self_originated = false;
	LsaHeader header;
	std::span<const uint8_t> lsa; // header and body, as far as received
	bool truncated = false;	      // ospfd cuts long LSAs to its buffer
};

Result<LsaNotification, Error> decode_lsa_notification(std::span<const uint8_t> body);

// REACHABLE_CHANGE: routers ospfd's SPF now reaches, and no longer reaches.
struct ReachableChange {
	std::vector<Ipv4> added;
	std::vector<Ipv4> removed;
};
Result<ReachableChange, Error> decode_reachable_change(std::span<const uint8_t> body);

// ISM_CHANGE: an OSPF interface's state (1 Down ... 7 DR, RFC 2328 9.1).
struct InterfaceState {
	Ipv4 address;
	Ipv4 area;
	uint8_t state = 0;
};
Result<InterfaceState, Error> decode_ism_change(std::span<const uint8_t> body);

// NSM_CHANGE: a neighbour's state (9 is Full, RFC 2328 10.1).
struct NeighbourState {
	Ipv4 interface;
	Ipv4 address;
	Ipv4 router_id;
	uint8_t state = 0;
};
inline constexpr uint8_t nsm_full = 9;
inline constexpr uint8_t ism_down = 1;
Result<NeighbourState, Error> decode_nsm_change(std::span<const uint8_t> body);

// Text of an OSPF_API_* error code, e.g. "no such area".
const char *reply_error_name(int8_t code);

} // namespace iplb::ospfapi
