// SPDX-License-Identifier: GPL-2.0-or-later
// MPTCP path-manager events decoded from netlink bytes (iplbd/mptcp/).
#include "mptcp/mptcp_event.hpp"
#include "mptcp/token_store.hpp"
#include "mptcp/token_table.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace iplb::mptcp {
namespace {

constexpr uint16_t family = 0x1c; // a family id as the kernel assigns them

// MPTCP_EVENT_CREATED on the server side, as the kernel lays it out (x86:
// host-order lengths, types, token and family; addresses and ports in
// network order; every attribute padded to 4 bytes).
// clang-format off
const std::vector<uint8_t> created_server = {
	// nlmsghdr: length 84, type = family, flags 0, seq 0, pid 0
	84, 0, 0, 0, family, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	// genlmsghdr: cmd 1 (created), version 1
	1, 1, 0, 0,
	// token 0x11223344
	8, 0, 1, 0, 0x44, 0x33, 0x22, 0x11,
	// family AF_INET
	6, 0, 2, 0, 2, 0, 0, 0,
	// saddr4 10.0.0.1, daddr4 10.0.0.2
	8, 0, 5, 0, 10, 0, 0, 1,
	8, 0, 7, 0, 10, 0, 0, 2,
	// sport 8080, dport 50000
	6, 0, 9, 0, 0x1f, 0x90, 0, 0,
	6, 0, 10, 0, 0xc3, 0x50, 0, 0,
	// server-side 1
	5, 0, 18, 0, 1, 0, 0, 0,
	// an attribute this decoder does not know (timeout), net-byteorder flag
	8, 0, 14, 0x40, 0, 0, 0, 5,
};
// clang-format on

TEST(MptcpEvent, DecodesWhatTheKernelSends)
{
	const auto event = decode_event(created_server, family);
	ASSERT_TRUE(event) << event.error().message;
	EXPECT_EQ(event->kind, EventKind::created);
	EXPECT_EQ(event->type, 1);
	EXPECT_EQ(event->token, 0x11223344u);
	EXPECT_EQ(event->local, IpAddress{Ipv4{0x0a000001}});
	EXPECT_EQ(event->remote, IpAddress{Ipv4{0x0a000002}});
	EXPECT_EQ(event->local_port, 8080);
	EXPECT_EQ(event->remote_port, 50000);
	EXPECT_TRUE(event->server_side);
	// And the encoder lays it out the same way (the timeout aside).
	auto encoded = encode_event(*event, family);
	EXPECT_EQ(decode_event(encoded, family).value(), *event);
	const std::vector<uint8_t> without_timeout(created_server.begin(),
						   created_server.end() - 8);
	encoded[0] = static_cast<uint8_t>(encoded.size());
	auto expected = without_timeout;
	expected[0] = static_cast<uint8_t>(expected.size());
	EXPECT_EQ(encoded, expected);
}

TEST(MptcpEvent, RoundTripsEveryKindAndIpv6)
{
	Ipv6 local, remote;
	local.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	remote.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	for (const uint8_t type : std::initializer_list<uint8_t>{1, 2, 3, 6, 7, 10, 11, 13, 15}) {
		Event event;
		event.type = type;
		event.kind = type == 15	  ? EventKind::other
			     : type == 1  ? EventKind::created
			     : type == 2  ? EventKind::established
			     : type == 3  ? EventKind::closed
			     : type == 6  ? EventKind::announced
			     : type == 7  ? EventKind::removed
			     : type == 10 ? EventKind::sub_established
			     : type == 11 ? EventKind::sub_closed
					  : EventKind::sub_priority;
		event.token = type == 15 ? 0 : 0xdeadbeef;
		event.local = local;
		event.remote = remote;
		event.local_port = 443;
		event.remote_port = 40000;
		event.local_id = 1;
		event.remote_id = 2;
		event.flags = 1;
		const auto decoded = decode_event(encode_event(event, family), family);
		ASSERT_TRUE(decoded) << int(type) << ": " << decoded.error().message;
		EXPECT_EQ(*decoded, event) << int(type);
	}
}

TEST(MptcpEvent, RefusesWhatItCannotRead)
{
	const auto refusal = [](std::vector<uint8_t> bytes) {
		const auto decoded = decode_event(bytes, family);
		return decoded ? std::string("accepted") : decoded.error().message;
	};
	auto bytes = created_server;
	EXPECT_NE(refusal({1, 2, 3}).find("shorter than a netlink header"), std::string::npos);
	bytes[0] = 200; // longer than the buffer
	EXPECT_NE(refusal(bytes).find("netlink length 200"), std::string::npos);
	bytes = created_server;
	bytes[4] = static_cast<uint8_t>(family + 1);
	EXPECT_NE(refusal(bytes).find("not mptcp_pm's"), std::string::npos);
	bytes[4] = 2; // NLMSG_ERROR
	EXPECT_NE(refusal(bytes).find("not an event"), std::string::npos);
	bytes = created_server;
	bytes[20] = 7; // the token's length: 3 bytes of payload
	EXPECT_NE(refusal(bytes).find("attribute 1 has 3 bytes"), std::string::npos);
	bytes = created_server;
	bytes[20] = 200; // the token's length beyond the message
	EXPECT_NE(refusal(bytes).find("attribute 1 of length 200"), std::string::npos);
	bytes = created_server;
	bytes[22] = 99; // the token renamed to an unknown attribute
	EXPECT_NE(refusal(bytes).find("created without a token"), std::string::npos);
	bytes = created_server;
	bytes[32] = 6; // family says... AF_INET6 (10) below
	bytes[32] = 10;
	EXPECT_NE(refusal(bytes).find("another family"), std::string::npos);
	bytes = created_server;
	bytes.resize(bytes.size() - 2);
	bytes[0] = static_cast<uint8_t>(bytes.size());
	EXPECT_NE(refusal(bytes).find("attribute"), std::string::npos);
}

TEST(MptcpEvent, ADatagramHoldsSeveralMessages)
{
	Event closed;
	closed.type = 3;
	closed.kind = EventKind::closed;
	closed.token = 7;
	auto datagram = created_server;
	const auto second = encode_event(closed, family);
	datagram.insert(datagram.end(), second.begin(), second.end());
	datagram.insert(datagram.end(), {1, 2, 3}); // a truncated tail
	const auto decoded = decode_datagram(datagram, family);
	ASSERT_EQ(decoded.size(), 3u);
	ASSERT_TRUE(decoded[0]);
	EXPECT_EQ(decoded[0]->token, 0x11223344u);
	ASSERT_TRUE(decoded[1]);
	EXPECT_EQ(*decoded[1], closed);
	EXPECT_FALSE(decoded[2]);
}

TEST(MptcpTokenTable, KeepsTheConnectionsTheBackendAccepted)
{
	TokenTable table;
	Event created = decode_event(created_server, family).value();
	EXPECT_EQ(table.apply(created).token, TokenChange::added);
	Event established = created;
	established.kind = EventKind::established;
	EXPECT_EQ(table.apply(established).token, TokenChange::none) << "known already";
	Event outgoing = created;
	outgoing.token = 5;
	outgoing.server_side = false;
	EXPECT_EQ(table.apply(outgoing), TableChange{}) << "its own connection";
	Event subflow = created;
	subflow.kind = EventKind::sub_established;
	subflow.token = 6;
	EXPECT_EQ(table.apply(subflow), TableChange{}) << "not a connection it holds";
	ASSERT_EQ(table.connections().size(), 1u);
	const auto &connection = table.connections().at(0x11223344);
	EXPECT_EQ(connection.local, IpAddress{Ipv4{0x0a000001}});
	EXPECT_EQ(connection.local_port, 8080);

	Event closed;
	closed.kind = EventKind::closed;
	closed.token = 0x11223344;
	EXPECT_EQ(table.apply(closed).token, TokenChange::removed);
	EXPECT_EQ(table.apply(closed), TableChange{});
	EXPECT_TRUE(table.connections().empty());

	// Events lost: the kernel's list replaces the table, and says what
	// that added and removed.
	table.apply(created);
	const auto reconciled = table.replace({{7, Connection{}}, {8, Connection{}}});
	EXPECT_EQ(reconciled.added.size(), 2u);
	ASSERT_EQ(reconciled.removed.size(), 1u);
	EXPECT_TRUE(reconciled.removed.contains(0x11223344));
	EXPECT_TRUE(table.contains(7) && table.contains(8) && !table.contains(0x11223344));
}

TEST(MptcpTokenTable, KeepsEachConnectionsJoinSubflows)
{
	TokenTable table;
	const Event created = decode_event(created_server, family).value();
	ASSERT_EQ(table.apply(created).token, TokenChange::added);
	const auto &connection = table.connections().at(created.token);
	const IpAddress vip = *connection.local;

	// The client's second subflow: the backend's end is the VIP, the
	// client's another address.
	Event joined;
	joined.kind = EventKind::sub_established;
	joined.token = created.token;
	joined.local = vip;
	joined.local_port = connection.local_port;
	joined.remote = IpAddress{Ipv4{0x0a0b0002}};
	joined.remote_port = 41000;
	const SubflowKey subflow{*joined.remote, 41000, vip, connection.local_port};
	EXPECT_EQ(table.apply(joined), (TableChange{TokenChange::none, {subflow}, {}}));
	EXPECT_EQ(table.apply(joined), TableChange{}) << "known already";
	EXPECT_TRUE(table.joins().contains(subflow));
	EXPECT_EQ(table.join_count(), 1u);

	Event initial = joined; // the initial subflow's 4-tuple goes by its bucket
	initial.remote = connection.remote;
	initial.remote_port = connection.remote_port;
	EXPECT_EQ(table.apply(initial), TableChange{});
	Event half = joined; // no addresses: nothing to key it by
	half.remote_port = 41001;
	half.local.reset();
	EXPECT_EQ(table.apply(half), TableChange{});

	Event second = joined;
	second.remote_port = 41002;
	const SubflowKey other{*joined.remote, 41002, vip, connection.local_port};
	EXPECT_EQ(table.apply(second).joined, std::vector<SubflowKey>{other});
	EXPECT_EQ(table.joins(), (std::set<SubflowKey>{subflow, other}));

	Event gone = joined;
	gone.kind = EventKind::sub_closed;
	EXPECT_EQ(table.apply(gone), (TableChange{TokenChange::none, {}, {subflow}}));
	EXPECT_EQ(table.apply(gone), TableChange{});
	EXPECT_FALSE(table.joins().contains(subflow));
	EXPECT_EQ(table.join_count(), 1u);

	// The connection closes: its remaining join goes with it.
	Event closed;
	closed.kind = EventKind::closed;
	closed.token = created.token;
	EXPECT_EQ(table.apply(closed), (TableChange{TokenChange::removed, {}, {other}}));
	EXPECT_TRUE(table.joins().empty());
	EXPECT_EQ(table.join_count(), 0u);
}

TEST(MptcpTokenStore, TokensAndUpdatesHaveOneSpelling)
{
	EXPECT_EQ(token_hex(0x4a0e41dd), "4a0e41dd");
	EXPECT_EQ(token_hex(7), "00000007");
	EXPECT_EQ(parse_token_hex("4a0e41dd"), 0x4a0e41ddu);
	for (const char *bad : {"4A0E41DD", "4a0e41d", "4a0e41ddd", "+4a0e41d", "4a0e41dg", ""})
		EXPECT_EQ(parse_token_hex(bad), std::nullopt) << bad;
	EXPECT_EQ(parse_update("+4a0e41dd 10.1.1.2"), (TokenUpdate{true, 0x4a0e41dd, "10.1.1.2"}));
	EXPECT_EQ(parse_update("-00000007 2001:db8::2"), (TokenUpdate{false, 7, "2001:db8::2"}));
	for (const char *bad :
	     {"4a0e41dd 10.1.1.2", "*4a0e41dd 10.1.1.2", "+4a0e41dd", "+4a0e41dd ",
	      "+4a0e41dd 10.1.1.2 x", "+4a0e41dd10.1.1.2", "+4A0E41DD 10.1.1.2"})
		EXPECT_EQ(parse_update(bad), std::nullopt) << bad;
}

TEST(MptcpTokenStore, SubflowsAndTheirUpdatesHaveOneSpelling)
{
	const SubflowKey v4{Ipv4{0x0a0b0002}, 41000, Ipv4{0xc0000250}, 8080};
	EXPECT_EQ(subflow_text(v4), "10.11.0.2,41000,192.0.2.80,8080");
	EXPECT_EQ(parse_subflow_text("10.11.0.2,41000,192.0.2.80,8080"), v4);
	const auto v6 = parse_subflow_text("2001:db8::7,443,2001:db8::80,80");
	ASSERT_TRUE(v6);
	EXPECT_EQ(subflow_text(*v6), "2001:db8::7,443,2001:db8::80,80");
	EXPECT_EQ(v6->client_port, 443);
	for (const char *bad :
	     {"", "10.11.0.2,41000,192.0.2.80", "10.11.0.2,41000,192.0.2.80,8080,",
	      "10.11.0.2,41000,192.0.2.80,0", "10.11.0.2,65536,192.0.2.80,80",
	      "10.11.0.2,041000,192.0.2.80,80", "10.11.0.2,41000,2001:db8::80,80",
	      "10.11.0.02,41000,192.0.2.80,80", "2001:DB8::7,443,2001:db8::80,80",
	      "10.11.0.2, 41000,192.0.2.80,80", "10.11.0.2,,192.0.2.80,80"})
		EXPECT_EQ(parse_subflow_text(bad), std::nullopt) << bad;
	EXPECT_EQ(parse_subflow_update("+10.11.0.2,41000,192.0.2.80,8080 10.1.1.2"),
		  (SubflowUpdate{true, v4, "10.1.1.2"}));
	EXPECT_EQ(parse_subflow_update("-10.11.0.2,41000,192.0.2.80,8080 10.1.1.2"),
		  (SubflowUpdate{false, v4, "10.1.1.2"}));
	for (const char *bad :
	     {"10.11.0.2,41000,192.0.2.80,8080 10.1.1.2", "+10.11.0.2,41000,192.0.2.80,8080",
	      "+10.11.0.2,41000,192.0.2.80,8080 ", "+10.11.0.2,41000,192.0.2.80,8080 10.1.1.2 x",
	      "+10.11.0.2,41000,192.0.2.80 10.1.1.2"})
		EXPECT_EQ(parse_subflow_update(bad), std::nullopt) << bad;
}

} // namespace
} // namespace iplb::mptcp
