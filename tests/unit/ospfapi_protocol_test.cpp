// SPDX-License-Identifier: GPL-2.0-or-later
#include "lsdb/api_protocol.hpp"
#include "ospfapi_fixtures.hpp"

#include <gtest/gtest.h>

namespace iplb::ospfapi {
namespace {

using test::frame;
using test::lsa_bytes;
using test::LsaSpec;
using test::notification_body;

TEST(OspfApiProtocol, RegisterEventCoversEveryLsaOfEveryArea)
{
	const auto bytes = encode_register_event(7, LsaFilter{});
	// version 1, type 3, length 4, seq 7 | typemask ffff, origin any(2), 0 areas
	EXPECT_EQ(bytes, (std::vector<uint8_t>{1, 3, 0, 4, 0, 0, 0, 7, 0xff, 0xff, 2, 0}));
}

TEST(OspfApiProtocol, SyncLsdbListsTheFilterAreas)
{
	LsaFilter filter;
	filter.type_mask = 0x0003; // router and network LSAs
	filter.origin = LsaFilter::Origin::non_self;
	filter.areas = {Ipv4{0}, Ipv4{0x00000001}};
	const auto bytes = encode_sync_lsdb(9, filter);
	EXPECT_EQ(bytes, (std::vector<uint8_t>{1, 4, 0, 12, 0, 0, 0, 9, 0, 3,
					       0, 2, 0, 0,  0, 0, 0, 0, 0, 1}));
}

TEST(OspfApiProtocol, BodylessRequestsArePaddedForUnpatchedOspfd)
{
	const auto bytes = encode_bodyless_request(MsgType::sync_router_id, 2);
	EXPECT_EQ(bytes, (std::vector<uint8_t>{1, 19, 0, 4, 0, 0, 0, 2, 0, 0, 0, 0}));
}

TEST(OspfApiProtocol, FrameReaderReassemblesSplitMessages)
{
	auto stream = frame(MsgType::reply, 5, {0, 0, 0, 0});
	const auto second = frame(MsgType::router_id_change, 6, {10, 0, 0, 1});
	stream.insert(stream.end(), second.begin(), second.end());

	FrameReader reader;
	for (size_t i = 0; i < stream.size(); i++) {
		reader.append({&stream[i], 1});
		if (i < 11) {
			auto none = reader.next();
			ASSERT_TRUE(none);
			EXPECT_FALSE(*none) << "complete after " << i + 1 << " bytes";
		}
	}
	auto first = reader.next();
	ASSERT_TRUE(first && *first);
	EXPECT_EQ((*first)->type, static_cast<uint8_t>(MsgType::reply));
	EXPECT_EQ((*first)->seq, 5u);
	auto next = reader.next();
	ASSERT_TRUE(next && *next);
	EXPECT_EQ((*next)->seq, 6u);
	EXPECT_EQ(decode_router_id((*next)->body)->value, 0x0a000001u);
	EXPECT_EQ(reader.buffered(), 0u);
}

TEST(OspfApiProtocol, FrameReaderRefusesAnotherProtocolVersion)
{
	FrameReader reader;
	const std::vector<uint8_t> bytes{2, 10, 0, 0, 0, 0, 0, 1};
	reader.append(bytes);
	auto message = reader.next();
	ASSERT_FALSE(message);
	EXPECT_NE(message.error().message.find("version 2"), std::string::npos);
}

TEST(OspfApiProtocol, ReplyCarriesASignedCode)
{
	EXPECT_EQ(*decode_reply(std::vector<uint8_t>{0xf9, 0, 0, 0}), -7);
	EXPECT_STREQ(reply_error_name(-7), "not ready");
	EXPECT_FALSE(decode_reply(std::vector<uint8_t>{0}));
}

TEST(OspfApiProtocol, LsaNotificationDecodesHeaderAndScope)
{
	const auto lsa = lsa_bytes({.type = 1,
				    .id = 0x0aff0001,
				    .adv_router = 0x0aff0001,
				    .seq = 0x80000005,
				    .age = 12,
				    .body = {0, 0, 0, 1, 9, 9, 9, 9}});
	const auto n = decode_lsa_notification(notification_body(lsa, 0x00000002, true));
	ASSERT_TRUE(n);
	EXPECT_EQ(n->area.value, 2u);
	EXPECT_TRUE(n->self_originated);
	EXPECT_EQ(n->header.type, 1);
	EXPECT_EQ(n->header.age, 12);
	EXPECT_EQ(n->header.adv_router.value, 0x0aff0001u);
	EXPECT_EQ(n->header.seq, 0x80000005u);
	EXPECT_EQ(n->header.length, 28);
	EXPECT_EQ(n->lsa.size(), 28u);
	EXPECT_FALSE(n->truncated);
}

TEST(OspfApiProtocol, LsaNotificationNotesTruncation)
{
	auto lsa = lsa_bytes({.body = std::vector<uint8_t>(100, 0)});
	lsa.resize(60); // ospfd cut it
	const auto n = decode_lsa_notification(notification_body(lsa));
	ASSERT_TRUE(n);
	EXPECT_TRUE(n->truncated);
	EXPECT_EQ(n->lsa.size(), 60u);
}

TEST(OspfApiProtocol, MalformedLsaNotificationsAreErrors)
{
	EXPECT_FALSE(decode_lsa_notification(std::vector<uint8_t>(31, 0)));
	auto lsa = lsa_bytes({});
	lsa[18] = 0; // length 19: shorter than the header itself
	lsa[19] = 19;
	const auto n = decode_lsa_notification(notification_body(lsa));
	ASSERT_FALSE(n);
	EXPECT_NE(n.error().message.find("shorter than its header"), std::string::npos);
}

TEST(OspfApiProtocol, ReachableChangeListsAddsThenRemoves)
{
	// 2 added (10.0.0.1, 10.0.0.2), 1 removed (10.0.0.9), as ospfd lays it out
	const std::vector<uint8_t> body{0, 2, 0, 1, 10, 0, 0, 1, 10, 0, 0, 2, 10, 0, 0, 9};
	const auto change = decode_reachable_change(body);
	ASSERT_TRUE(change);
	ASSERT_EQ(change->added.size(), 2u);
	EXPECT_EQ(to_string(change->added[1]), "10.0.0.2");
	ASSERT_EQ(change->removed.size(), 1u);
	EXPECT_EQ(to_string(change->removed[0]), "10.0.0.9");

	// Counts that promise more addresses than the body holds.
	const std::vector<uint8_t> short_body{0, 2, 0, 1, 10, 0, 0, 1, 10, 0, 0, 2};
	EXPECT_FALSE(decode_reachable_change(short_body));
	EXPECT_FALSE(decode_reachable_change(std::vector<uint8_t>{0, 0}));
}

TEST(OspfApiProtocol, IsmAndNsmChangesDecode)
{
	const std::vector<uint8_t> ism{10, 1, 0, 1, 0, 0, 0, 0, 7, 0, 0, 0};
	const auto i = decode_ism_change(ism);
	ASSERT_TRUE(i);
	EXPECT_EQ(to_string(i->address), "10.1.0.1");
	EXPECT_EQ(i->area.value, 0u);
	EXPECT_EQ(i->state, 7); // DR

	const std::vector<uint8_t> nsm{10, 1, 0, 1, 10, 1, 0, 2, 10, 255, 0, 2, nsm_full, 0, 0, 0};
	const auto n = decode_nsm_change(nsm);
	ASSERT_TRUE(n);
	EXPECT_EQ(to_string(n->interface), "10.1.0.1");
	EXPECT_EQ(to_string(n->address), "10.1.0.2");
	EXPECT_EQ(to_string(n->router_id), "10.255.0.2");
	EXPECT_EQ(n->state, nsm_full);

	EXPECT_FALSE(decode_ism_change(std::span(ism).first(11)));
	EXPECT_FALSE(decode_nsm_change(std::span(nsm).first(15)));
}

} // namespace
} // namespace iplb::ospfapi
