// SPDX-License-Identifier: GPL-2.0-or-later
// Route records for the kernel table: what is refused before it reaches the
// kernel, and the translation both ways.
#include "datapath/route_record.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>

namespace iplb {
namespace {

RelayList list_of(std::initializer_list<const char *> relays)
{
	RelayList list;
	for (const char *r : relays)
		list.relays.push_back(*parse_ipv4(r));
	return list;
}

RouteSpec spec_of(std::vector<RelayList> lists)
{
	return {.prefix = *parse_prefix("10.4.1.0/24"), .lists = std::move(lists)};
}

std::string error_of(const RouteSpec &spec)
{
	auto r = encode_route(spec, 0);
	return r ? "(accepted)" : r.error().message;
}

TEST(RouteRecord, EncodesRelaysInNetworkOrderOutermostFirst)
{
	const auto spec = spec_of({list_of({"10.255.0.1", "10.255.0.2"}), list_of({"10.255.0.3"})});
	auto record = encode_route(spec, 42);
	ASSERT_TRUE(record) << record.error().message;
	EXPECT_EQ(record->id, 42u);
	EXPECT_EQ(record->n_lists, 2);
	EXPECT_EQ(record->encap, IPLB_ENCAP_IPIP);
	EXPECT_EQ(record->lists[0].n_relays, 2);
	EXPECT_EQ(record->lists[0].relays[0].v4, htonl(0x0aff0001));
	EXPECT_EQ(record->lists[0].relays[1].v4, htonl(0x0aff0002));
	EXPECT_EQ(record->lists[1].relays[0].v4, htonl(0x0aff0003));
	EXPECT_EQ(record->lists[1].relays[1].v4, 0u) << "unused slots are zero";
	EXPECT_NE(record->lists[0].key, record->lists[1].key);

	auto back = decode_route(spec.prefix, *record);
	ASSERT_TRUE(back) << back.error().message;
	EXPECT_EQ(*back, spec);
}

TEST(RouteRecord, AListsKeyDependsOnItsRelaysAlone)
{
	const auto a = list_of({"10.255.0.1", "10.255.0.2"});
	auto moved = spec_of({list_of({"10.255.0.9"}), a});
	auto record = *encode_route(moved, 0);
	EXPECT_EQ(record.lists[1].key, relay_list_key(a)) << "its position does not matter";
	EXPECT_NE(relay_list_key(a), relay_list_key(list_of({"10.255.0.2", "10.255.0.1"})))
		<< "the order of relays is a different path";
}

TEST(RouteRecord, RefusesWhatTheKernelTableCannotHold)
{
	EXPECT_EQ(error_of(spec_of({})), "10.4.1.0/24: no relay list");
	std::vector<RelayList> seventeen;
	for (int i = 1; i <= 17; i++)
		seventeen.push_back(list_of({("10.255.0." + std::to_string(i)).c_str()}));
	EXPECT_EQ(error_of(spec_of(seventeen)), "10.4.1.0/24: 17 relay lists, at most 16");
	EXPECT_EQ(error_of(spec_of({RelayList{}, list_of({"10.255.0.1"}), RelayList{}})),
		  "10.4.1.0/24: relay list 3: the same relays as another list")
		<< "one direct list at most";
	RelayList nine;
	for (int i = 1; i <= 9; i++)
		nine.relays.push_back(Ipv4{0x0aff0000u + static_cast<uint32_t>(i)});
	EXPECT_EQ(error_of(spec_of({nine})), "10.4.1.0/24: relay list 1: 9 relays, at most 8");
	EXPECT_EQ(error_of(spec_of({list_of({"224.0.0.5"})})),
		  "10.4.1.0/24: relay list 1: 224.0.0.5 cannot be a relay address (a multicast "
		  "address)");
	EXPECT_EQ(error_of(spec_of({list_of({"0.0.0.0"})})),
		  "10.4.1.0/24: relay list 1: 0.0.0.0 cannot be a relay address (the unspecified "
		  "address)");
	for (const char *bad : {"127.0.0.1", "255.255.255.255", "240.1.1.1", "169.254.0.1"})
		EXPECT_NE(error_of(spec_of({list_of({bad})})).find("cannot be a relay address"),
			  std::string::npos)
			<< bad;
	EXPECT_EQ(error_of(spec_of({list_of({"10.255.0.1"}), list_of({"10.255.0.1"})})),
		  "10.4.1.0/24: relay list 2: the same relays as another list");
	auto weightless = spec_of({list_of({"10.255.0.1"})});
	weightless.lists[0].weight = 0;
	EXPECT_EQ(error_of(weightless), "10.4.1.0/24: relay list 1: weight 0");
	EXPECT_FALSE(encode_route(spec_of({list_of({"10.255.0.1"})}), IPLB_MAX_ROUTES));
}

TEST(RouteRecord, ARecordTheKernelShouldNotHoldIsReportedNotTrusted)
{
	auto record = *encode_route(spec_of({list_of({"10.255.0.1"})}), 0);
	record.n_lists = 17;
	EXPECT_FALSE(decode_route(*parse_prefix("10.4.1.0/24"), record));
	record.n_lists = 1;
	record.lists[0].n_relays = IPLB_MAX_RELAYS + 1;
	EXPECT_FALSE(decode_route(*parse_prefix("10.4.1.0/24"), record));
}

TEST(RouteRecord, RelayListsAsOperatorsWriteThem)
{
	auto list = parse_relay_list("10.255.0.1,10.255.0.2");
	ASSERT_TRUE(list) << list.error().message;
	EXPECT_EQ(list->relays.size(), 2u);
	EXPECT_EQ(to_string(*list), "10.255.0.1,10.255.0.2");
	EXPECT_FALSE(parse_relay_list(""));
	EXPECT_FALSE(parse_relay_list("10.255.0.1,"));
	auto bad = parse_relay_list("10.255.0.1,10.255.0");
	ASSERT_FALSE(bad);
	EXPECT_NE(bad.error().message.find("bad relay list '10.255.0.1,10.255.0'"),
		  std::string::npos)
		<< bad.error().message;
}

TEST(RouteRecord, EncapAndSelectionNames)
{
	EXPECT_EQ(to_string(*parse_encap("ipip")), "ipip");
	EXPECT_EQ(parse_encap("mpls").error().message,
		  "unknown encapsulation 'mpls': expected ipip, gre or gue");
	EXPECT_EQ(to_string(*parse_encap("gre")), "gre");
	EXPECT_EQ(to_string(*parse_selection("hash")), "hash");
}

TEST(RouteRecord, Ipv6RelaysAndDestinations)
{
	RouteSpec spec;
	spec.prefix = *parse_ip_prefix("fc00:4:1::/64");
	spec.lists.push_back(*parse_relay_list("fc00:0:1::1,fc00:0:3::1"));
	spec.lists.push_back(*parse_relay_list("fc00:0:2::1"));
	auto record = encode_route(spec, 3);
	ASSERT_TRUE(record) << record.error().message;
	EXPECT_EQ(record->flags & IPLB_ROUTE_RELAYS_V6, IPLB_ROUTE_RELAYS_V6);
	const uint8_t first[16] = {0xfc, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	EXPECT_EQ(std::memcmp(record->lists[0].relays[0].v6, first, 16), 0);
	auto back = decode_route(spec.prefix, *record);
	ASSERT_TRUE(back) << back.error().message;
	EXPECT_EQ(*back, spec);
	EXPECT_EQ(to_string(back->lists[0]), "fc00:0:1::1,fc00:0:3::1");

	// IPv4 destinations over IPv6 relays, and the other way round, too.
	spec.prefix = *parse_ip_prefix("10.4.1.0/24");
	EXPECT_TRUE(encode_route(spec, 3));
	RouteSpec six_in_four = spec_of({list_of({"10.255.0.1"})});
	six_in_four.prefix = *parse_ip_prefix("fc00:4:1::/64");
	auto v4_relays = encode_route(six_in_four, 3);
	ASSERT_TRUE(v4_relays);
	EXPECT_EQ(v4_relays->flags & IPLB_ROUTE_RELAYS_V6, 0);

	// One family per prefix's relays; not multicast, loopback or unspecified.
	spec.lists.push_back(list_of({"10.255.0.9"}));
	EXPECT_EQ(error_of(spec),
		  "10.4.1.0/24: relay list 3: 10.255.0.9: the relays of a prefix are "
		  "all IPv4 or all IPv6");
	for (const char *bad : {"ff02::1", "::1", "::", "fe80::1"}) {
		RouteSpec one;
		one.prefix = spec.prefix;
		one.lists.push_back(*parse_relay_list(bad));
		EXPECT_NE(error_of(one).find("cannot be a relay address"), std::string::npos)
			<< bad;
	}
}

TEST(RouteRecord, TheDirectListHasNoRelay)
{
	RouteSpec spec = spec_of({*parse_relay_list("direct"), *parse_relay_list("fc00::1")});
	auto record = encode_route(spec, 1);
	ASSERT_TRUE(record) << record.error().message;
	EXPECT_EQ(record->lists[0].n_relays, 0);
	EXPECT_EQ(record->flags & IPLB_ROUTE_RELAYS_V6, IPLB_ROUTE_RELAYS_V6)
		<< "the tunnels' family is the first relay's";
	auto back = decode_route(spec.prefix, *record);
	ASSERT_TRUE(back) << back.error().message;
	EXPECT_EQ(*back, spec);
	EXPECT_EQ(to_string(back->lists[0]), "direct");
	EXPECT_TRUE(encode_route(spec_of({RelayList{}}), 1)) << "all flows direct: allowed";
}

TEST(Ipv6, ParsedAndPrintedAsOperatorsWriteThem)
{
	EXPECT_EQ(to_string(*parse_ipv6("FC00:0:0:0:0:0:0:1")), "fc00::1");
	EXPECT_FALSE(parse_ipv6("fc00::1::2"));
	EXPECT_FALSE(parse_ipv6("10.0.0.1"));
	EXPECT_EQ(to_string(*parse_ip_prefix("fc00:4:1::/48")), "fc00:4:1::/48");
	EXPECT_EQ(parse_ip_prefix("fc00:4:1::1/64").error().message,
		  "'fc00:4:1::1/64': host bits are set (did you mean fc00:4:1::/64?)");
	EXPECT_EQ(parse_ip_prefix("fc00::/129").error().message,
		  "'fc00::/129': prefix length must be 0-128");
	EXPECT_TRUE(is_v6(*parse_ip_address("::ffff:10.0.0.1")));
	EXPECT_FALSE(is_v6(*parse_ip_address("10.0.0.1")));
	EXPECT_LT(IpPrefix{*parse_prefix("255.0.0.0/8")}, IpPrefix{*parse_ipv6_prefix("::/0")})
		<< "IPv4 first";
}

} // namespace
} // namespace iplb
