// SPDX-License-Identifier: GPL-2.0-or-later
// The SRv6 backend without a kernel: what is refused before netlink, the SRH
// bytes, and the rtnetlink messages built and read back.
#include "netlink/seg6_routes.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <linux/lwtunnel.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/seg6_iptunnel.h>
#include <linux/seg6_local.h>

#include <cstring>

namespace iplb {
namespace {

using seg6_netlink::header;

// A route message as the kernel sends iplb's routes back: main table,
// protocol 200, unicast, the destination of `family` and `dst_len`.
seg6_netlink::Message kernel_route(uint8_t family, uint8_t dst_len, int flags)
{
	rtmsg rtm{};
	rtm.rtm_family = family;
	rtm.rtm_dst_len = dst_len;
	rtm.rtm_table = RT_TABLE_MAIN;
	rtm.rtm_protocol = 200;
	rtm.rtm_type = RTN_UNICAST;
	seg6_netlink::Message msg(nlmsg_alloc_simple(RTM_NEWROUTE, flags));
	if (!msg || nlmsg_append(msg.get(), &rtm, sizeof rtm, NLMSG_ALIGNTO) != 0)
		throw std::runtime_error("cannot build a route message");
	return msg;
}

Ipv6 sid(const char *text)
{
	auto parsed = parse_ipv6(text);
	EXPECT_TRUE(parsed) << text;
	return parsed ? *parsed : Ipv6{};
}

Seg6Path path_of(std::initializer_list<const char *> segments, uint8_t weight = 1)
{
	Seg6Path path;
	for (const char *s : segments)
		path.segments.push_back(sid(s));
	path.weight = weight;
	return path;
}

Seg6Route route_of(std::vector<Seg6Path> paths)
{
	Seg6Route route;
	route.prefix = *parse_prefix("10.4.1.0/24");
	route.paths = std::move(paths);
	route.dev = "up1";
	return route;
}

std::string error_of(const Status &status)
{
	return status ? "(accepted)" : status.error().message;
}

std::string ifname(int ifindex)
{
	return ifindex == 7 ? "up1" : "if" + std::to_string(ifindex);
}

// The bytes of a message from its header on.
std::vector<uint8_t> bytes_of(const nlmsghdr *nlh)
{
	const auto *p = reinterpret_cast<const uint8_t *>(nlh);
	return {p, p + nlh->nlmsg_len};
}

TEST(Ipv6, FormatsAndParsesAsInetPtonDoes)
{
	const Ipv6 a = sid("fc00:0:1::d4");
	EXPECT_EQ(a.bytes[0], 0xfc);
	EXPECT_EQ(a.bytes[5], 0x01);
	EXPECT_EQ(a.bytes[15], 0xd4);
	EXPECT_EQ(to_string(a), "fc00:0:1::d4");
	EXPECT_EQ(to_string(sid("FC00:0000:0001:0000:0000:0000:0000:00D4")), "fc00:0:1::d4");
	EXPECT_EQ(to_string(Ipv6{}), "::");
	EXPECT_TRUE(sid("::").is_unspecified());
	EXPECT_TRUE(sid("::1").is_loopback());
	EXPECT_TRUE(sid("ff02::1").is_multicast());
	EXPECT_LT(sid("fc00::1"), sid("fc00::2"));
	for (const char *bad : {"", "fc00::1::2", "10.0.0.1", "fc00::g", "fc00::1/128", " fc00::1",
				"fe80::1%eth0", "1:2:3:4:5:6:7:8:9"}) {
		auto parsed = parse_ipv6(bad);
		ASSERT_FALSE(parsed) << bad;
		EXPECT_EQ(parsed.error().message,
			  "'" + std::string(bad) + "' is not an IPv6 address");
	}
}

TEST(Seg6Validation, RefusesWhatCannotBeARouteWithAReason)
{
	EXPECT_EQ(error_of(validate(route_of({path_of({"fc00::1"})}))), "(accepted)");
	EXPECT_EQ(error_of(validate(route_of({}))), "a prefix needs 1 to 16 segment lists, not 0");
	std::vector<Seg6Path> many;
	for (int i = 0; i < 17; i++)
		many.push_back(path_of({("fc00::" + std::to_string(i + 1)).c_str()}));
	EXPECT_EQ(error_of(validate(route_of(many))),
		  "a prefix needs 1 to 16 segment lists, not 17");
	many.pop_back();
	EXPECT_EQ(error_of(validate(route_of(many))), "(accepted)") << "16 is the most";

	EXPECT_EQ(error_of(validate(route_of({path_of({"fc00::1"}), Seg6Path{}}))),
		  "segment list 2 has 0 segments: 1 to 8 are possible");
	EXPECT_EQ(error_of(validate(
			  route_of({path_of({"fc00::1", "fc00::2", "fc00::3", "fc00::4", "fc00::5",
					     "fc00::6", "fc00::7", "fc00::8", "fc00::9"})}))),
		  "segment list 1 has 9 segments: 1 to 8 are possible");
	EXPECT_EQ(error_of(validate(route_of({path_of({"fc00::1", "fc00::2"}), path_of({"fc00::3"}),
					      path_of({"fc00::1", "fc00::2"}, 5)}))),
		  "segment list fc00::1,fc00::2 is given twice");
	EXPECT_EQ(error_of(validate(route_of(
			  {path_of({"fc00::1", "fc00::2"}), path_of({"fc00::2", "fc00::1"})}))),
		  "(accepted)")
		<< "another order is another path";
	EXPECT_EQ(error_of(validate(route_of({path_of({"fc00::1"}, 0)}))),
		  "segment list 1: weight must be 1-255, not 0");
	EXPECT_EQ(
		error_of(validate(route_of({path_of({"fc00::1", "::"})}))),
		"segment list 1: segment :: cannot be a SID (unspecified, loopback or multicast)");
	EXPECT_EQ(error_of(validate(route_of({path_of({"ff02::2"})}))),
		  "segment list 1: segment ff02::2 cannot be a SID (unspecified, loopback or "
		  "multicast)");

	auto no_dev = route_of({path_of({"fc00::1"})});
	no_dev.dev.clear();
	EXPECT_EQ(error_of(validate(no_dev)), "a device is needed (dev DEV)");
	no_dev.dev = "a/b";
	EXPECT_EQ(error_of(validate(no_dev)), "'a/b' is not an interface name");
	no_dev.dev = "sixteen-chars-xx";
	EXPECT_EQ(error_of(validate(no_dev)), "'sixteen-chars-xx' is not an interface name");
}

TEST(Seg6Validation, RefusesWhatCannotBeASid)
{
	Seg6Sid s;
	s.sid = sid("fc00:0:1::e");
	s.dev = "lan";
	EXPECT_EQ(error_of(validate(s)), "(accepted)");
	s.nh4 = *parse_ipv4("10.4.1.2");
	EXPECT_EQ(error_of(validate(s)), "nh4 is for action end.dx4 only");
	s.action = Seg6Action::end_dx4;
	EXPECT_EQ(error_of(validate(s)), "(accepted)");
	s.nh6 = sid("fd00::2");
	EXPECT_EQ(error_of(validate(s)), "nh6 is for action end.dx6 only");
	s = Seg6Sid{};
	s.dev = "lan";
	EXPECT_EQ(error_of(validate(s)),
		  "address :: cannot be a SID (unspecified, loopback or multicast)");

	EXPECT_EQ(*parse_seg6_action("End.DX4"), Seg6Action::end_dx4);
	EXPECT_EQ(*parse_seg6_action("end"), Seg6Action::end);
	EXPECT_EQ(parse_seg6_action("end.dt4").error().message,
		  "unknown SRv6 action 'end.dt4': expected end, end.dx4 or end.dx6");
}

TEST(Seg6Srh, TwoSegmentsAreStoredLastFirst)
{
	const std::vector<Ipv6> segments{sid("fc00:0:1::e"), sid("fc00:0:2::d4")};
	const std::vector<uint8_t> expected{
		0x00,	    // nexthdr: the kernel fills it
		0x04,	    // hdrlen: 2 segments * 16 bytes / 8
		0x04,	    // routing type 4, segment routing
		0x01,	    // segments left: one more after the first
		0x01,	    // first segment (last entry): index of the first hop
		0x00,	    // flags
		0x00, 0x00, // tag
		// segments[0]: the LAST segment
		0xfc, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0xd4,
		// segments[1]: the first hop
		0xfc, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x0e};
	EXPECT_EQ(encode_srh(segments), expected);
	auto back = decode_srh(expected);
	ASSERT_TRUE(back) << back.error().message;
	EXPECT_EQ(*back, segments);

	const auto one = encode_srh(std::vector<Ipv6>{sid("fc00::1")});
	EXPECT_EQ(one.size(), 24u);
	EXPECT_EQ(one[1], 2);
	EXPECT_EQ(one[3], 0);
	EXPECT_EQ(one[4], 0);
}

TEST(Seg6Srh, RefusesWhatIsNotAnSrh)
{
	std::vector<uint8_t> srh = encode_srh(std::vector<Ipv6>{sid("fc00::1"), sid("fc00::2")});
	EXPECT_FALSE(decode_srh(std::span(srh).first(20))) << "shorter than hdrlen says";
	auto wrong_type = srh;
	wrong_type[2] = 0;
	EXPECT_FALSE(decode_srh(wrong_type));
	auto too_many = srh;
	too_many[4] = 2; // three segments claimed, two present
	EXPECT_FALSE(decode_srh(too_many));
	EXPECT_FALSE(decode_srh({}));
}

TEST(Seg6Netlink, RouteRequestIsOneMultipathNewrouteAndReadsBack)
{
	const auto route =
		route_of({path_of({"fc00:0:1::d4"}), path_of({"fc00:0:1::e", "fc00:0:2::d4"}, 3),
			  path_of({"fc00:0:2::e", "fc00:0:1::d4"})});
	auto msg =
		seg6_netlink::route_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, route, 7);
	ASSERT_TRUE(msg) << msg.error().message;
	const nlmsghdr *nlh = header(*msg);
	EXPECT_EQ(nlh->nlmsg_type, RTM_NEWROUTE);
	EXPECT_EQ(nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_REPLACE | NLM_F_EXCL),
		  NLM_F_CREATE | NLM_F_REPLACE);
	const auto *rtm = static_cast<const rtmsg *>(NLMSG_DATA(nlh));
	EXPECT_EQ(rtm->rtm_family, AF_INET);
	EXPECT_EQ(rtm->rtm_dst_len, 24);
	EXPECT_EQ(rtm->rtm_table, RT_TABLE_MAIN);
	EXPECT_EQ(rtm->rtm_protocol, 200);
	EXPECT_EQ(rtm->rtm_type, RTN_UNICAST);

	// Top level: RTA_DST and RTA_MULTIPATH, nothing else.
	nlattr *tb[RTA_MAX + 1] = {};
	ASSERT_EQ(nlmsg_parse(const_cast<nlmsghdr *>(nlh), sizeof(rtmsg), tb, RTA_MAX, nullptr), 0);
	ASSERT_TRUE(tb[RTA_DST] && tb[RTA_MULTIPATH]);
	EXPECT_FALSE(tb[RTA_OIF] || tb[RTA_ENCAP] || tb[RTA_GATEWAY]);
	EXPECT_EQ(tb[RTA_MULTIPATH]->nla_type, RTA_MULTIPATH) << "an array, not NLA_F_NESTED";
	const auto *dst = static_cast<const uint8_t *>(nla_data(tb[RTA_DST]));
	EXPECT_EQ(std::vector<uint8_t>(dst, dst + 4), (std::vector<uint8_t>{10, 4, 1, 0}));

	auto back = seg6_netlink::parse_route(nlh, ifname);
	ASSERT_TRUE(back) << back.error().message;
	ASSERT_TRUE(*back);
	EXPECT_EQ(**back, route);
}

TEST(Seg6Netlink, TheLargestRouteFitsOneMessage)
{
	std::vector<Seg6Path> paths;
	for (int i = 0; i < 16; i++) {
		Seg6Path path;
		for (int j = 0; j < 8; j++)
			path.segments.push_back(sid(
				("fc00:0:" + std::to_string(i + 1) + "::" + std::to_string(j + 1))
					.c_str()));
		path.weight = static_cast<uint8_t>(255 - i);
		paths.push_back(path);
	}
	const auto route = route_of(paths);
	ASSERT_TRUE(validate(route));
	auto msg = seg6_netlink::route_request(RTM_NEWROUTE, NLM_F_CREATE, route, 7);
	ASSERT_TRUE(msg) << msg.error().message;
	auto back = seg6_netlink::parse_route(header(*msg), ifname);
	ASSERT_TRUE(back && *back);
	EXPECT_EQ(**back, route);
}

TEST(Seg6Netlink, OneNexthopsBytes)
{
	const auto route = route_of({path_of({"fc00:0:1::e", "fc00:0:2::d4"}, 2)});
	auto msg = seg6_netlink::route_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, route, 7);
	ASSERT_TRUE(msg) << msg.error().message;
	const nlmsghdr *nlh = header(*msg);
	nlattr *tb[RTA_MAX + 1] = {};
	ASSERT_EQ(nlmsg_parse(const_cast<nlmsghdr *>(nlh), sizeof(rtmsg), tb, RTA_MAX, nullptr), 0);
	const auto *mp = static_cast<const uint8_t *>(nla_data(tb[RTA_MULTIPATH]));
	const std::vector<uint8_t> got(mp, mp + nla_len(tb[RTA_MULTIPATH]));

	const auto srh = encode_srh(route.paths[0].segments); // checked above
	std::vector<uint8_t> expected;
	const auto u16 = [&](uint16_t v) { // host order, as netlink is
		expected.push_back(static_cast<uint8_t>(v & 0xff));
		expected.push_back(static_cast<uint8_t>(v >> 8));
	};
	const uint16_t srh_attr = static_cast<uint16_t>(4 + 4 + srh.size()); // hdr, mode, SRH
	const uint16_t encap_attr = static_cast<uint16_t>(4 + srh_attr);
	const uint16_t nexthop = static_cast<uint16_t>(8 + 8 + encap_attr);
	u16(nexthop);				       // struct rtnexthop: rtnh_len
	expected.push_back(0);			       // rtnh_flags
	expected.push_back(1);			       // rtnh_hops: weight - 1
	expected.insert(expected.end(), {7, 0, 0, 0}); // rtnh_ifindex
	u16(6);					       // RTA_ENCAP_TYPE, u16 + 2 bytes of padding
	u16(RTA_ENCAP_TYPE);
	u16(LWTUNNEL_ENCAP_SEG6);
	u16(0);
	u16(encap_attr); // RTA_ENCAP, nested
	u16(RTA_ENCAP | NLA_F_NESTED);
	u16(srh_attr); // SEG6_IPTUNNEL_SRH: struct seg6_iptunnel_encap
	u16(SEG6_IPTUNNEL_SRH);
	expected.insert(expected.end(), {SEG6_IPTUN_MODE_ENCAP, 0, 0, 0}); // int mode
	expected.insert(expected.end(), srh.begin(), srh.end());
	EXPECT_EQ(got, expected);
}

TEST(Seg6Netlink, ReadsTheKernelsSingleNexthopForm)
{
	// One nexthop comes back from a dump without RTA_MULTIPATH: RTA_OIF
	// and the encapsulation at the top level, and no weight.
	seg6_netlink::Message msg = kernel_route(AF_INET, 24, NLM_F_MULTI);
	const uint8_t dst[4] = {10, 4, 1, 0};
	ASSERT_EQ(nla_put(msg.get(), RTA_DST, 4, dst), 0);
	ASSERT_EQ(nla_put_u32(msg.get(), RTA_TABLE, RT_TABLE_MAIN), 0);
	ASSERT_EQ(nla_put_u32(msg.get(), RTA_OIF, 7), 0);
	ASSERT_EQ(nla_put_u16(msg.get(), RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_SEG6), 0);
	nlattr *encap = nla_nest_start(msg.get(), RTA_ENCAP);
	const auto srh = encode_srh(std::vector<Ipv6>{sid("fc00:0:1::d4")});
	std::vector<uint8_t> tunnel(4 + srh.size());
	const int mode = SEG6_IPTUN_MODE_ENCAP;
	std::memcpy(tunnel.data(), &mode, 4);
	std::memcpy(tunnel.data() + 4, srh.data(), srh.size());
	ASSERT_EQ(nla_put(msg.get(), SEG6_IPTUNNEL_SRH, static_cast<int>(tunnel.size()),
			  tunnel.data()),
		  0);
	nla_nest_end(msg.get(), encap);

	auto back = seg6_netlink::parse_route(header(msg), ifname);
	ASSERT_TRUE(back) << back.error().message;
	ASSERT_TRUE(*back);
	EXPECT_EQ(**back, route_of({path_of({"fc00:0:1::d4"})}));

	// Another protocol's route, or another table's, is not iplb's.
	static_cast<rtmsg *>(NLMSG_DATA(header(msg)))->rtm_protocol = RTPROT_STATIC;
	auto other = seg6_netlink::parse_route(header(msg), ifname);
	ASSERT_TRUE(other);
	EXPECT_FALSE(*other);
}

TEST(Seg6Netlink, RefusesAnIplbRouteItCannotRead)
{
	// A route of protocol 200 whose nexthop has another encapsulation
	// (someone else's): an error, not a silent misreading.
	seg6_netlink::Message msg = kernel_route(AF_INET, 24, 0);
	const uint8_t dst[4] = {10, 4, 1, 0};
	ASSERT_EQ(nla_put(msg.get(), RTA_DST, 4, dst), 0);
	ASSERT_EQ(nla_put_u32(msg.get(), RTA_OIF, 7), 0);
	auto back = seg6_netlink::parse_route(header(msg), ifname);
	ASSERT_FALSE(back);
	EXPECT_EQ(back.error().message,
		  "iplb's route 10.4.1.0/24 has a nexthop without seg6 encapsulation");
}

TEST(Seg6Netlink, DeletionNamesThePrefixAndProtocolOnly)
{
	Seg6Route route;
	route.prefix = *parse_prefix("10.4.0.0/16");
	auto msg = seg6_netlink::route_request(RTM_DELROUTE, 0, route, 0);
	ASSERT_TRUE(msg);
	const nlmsghdr *nlh = header(*msg);
	EXPECT_EQ(nlh->nlmsg_type, RTM_DELROUTE);
	const auto *rtm = static_cast<const rtmsg *>(NLMSG_DATA(nlh));
	EXPECT_EQ(rtm->rtm_protocol, 200) << "the kernel then deletes only iplb's";
	EXPECT_EQ(rtm->rtm_dst_len, 16);
	EXPECT_EQ(nlh->nlmsg_len, NLMSG_LENGTH(sizeof(rtmsg)) + 8) << "RTA_DST alone";
}

TEST(Seg6Netlink, SidRequestReadsBackAndAsksForCounters)
{
	Seg6Sid s;
	s.sid = sid("fc00:0:1::d4");
	s.action = Seg6Action::end_dx4;
	s.nh4 = *parse_ipv4("10.4.1.2");
	s.dev = "up1";
	auto msg = seg6_netlink::sid_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, s, 7);
	ASSERT_TRUE(msg) << msg.error().message;
	const nlmsghdr *nlh = header(*msg);
	const auto *rtm = static_cast<const rtmsg *>(NLMSG_DATA(nlh));
	EXPECT_EQ(rtm->rtm_family, AF_INET6);
	EXPECT_EQ(rtm->rtm_dst_len, 128);
	EXPECT_EQ(rtm->rtm_protocol, 200);

	nlattr *tb[RTA_MAX + 1] = {};
	ASSERT_EQ(nlmsg_parse(const_cast<nlmsghdr *>(nlh), sizeof(rtmsg), tb, RTA_MAX, nullptr), 0);
	ASSERT_TRUE(tb[RTA_OIF] && tb[RTA_ENCAP_TYPE] && tb[RTA_ENCAP]);
	EXPECT_EQ(nla_get_u32(tb[RTA_OIF]), 7u);
	EXPECT_EQ(nla_get_u16(tb[RTA_ENCAP_TYPE]), LWTUNNEL_ENCAP_SEG6_LOCAL);
	nlattr *lb[SEG6_LOCAL_MAX + 1] = {};
	ASSERT_EQ(nla_parse_nested(lb, SEG6_LOCAL_MAX, tb[RTA_ENCAP], nullptr), 0);
	EXPECT_EQ(nla_get_u32(lb[SEG6_LOCAL_ACTION]), uint32_t{SEG6_LOCAL_ACTION_END_DX4});
	ASSERT_TRUE(lb[SEG6_LOCAL_NH4]);
	const auto *nh4 = static_cast<const uint8_t *>(nla_data(lb[SEG6_LOCAL_NH4]));
	EXPECT_EQ(std::vector<uint8_t>(nh4, nh4 + 4), (std::vector<uint8_t>{10, 4, 1, 2}));
	EXPECT_FALSE(lb[SEG6_LOCAL_NH6]);
	// The kernel refuses the counters nest (EINVAL, no message) unless it
	// holds packets, bytes and errors.
	ASSERT_TRUE(lb[SEG6_LOCAL_COUNTERS]);
	EXPECT_TRUE(lb[SEG6_LOCAL_COUNTERS]->nla_type & NLA_F_NESTED);
	nlattr *cb[SEG6_LOCAL_CNT_MAX + 1] = {};
	ASSERT_EQ(nla_parse_nested(cb, SEG6_LOCAL_CNT_MAX, lb[SEG6_LOCAL_COUNTERS], nullptr), 0);
	for (int counter : {SEG6_LOCAL_CNT_PACKETS, SEG6_LOCAL_CNT_BYTES, SEG6_LOCAL_CNT_ERRORS}) {
		ASSERT_TRUE(cb[counter]) << counter;
		EXPECT_EQ(nla_get_u64(cb[counter]), 0u);
	}

	auto back = seg6_netlink::parse_sid(nlh, ifname);
	ASSERT_TRUE(back) << back.error().message;
	ASSERT_TRUE(*back);
	Seg6Sid expected = s;
	expected.counters = Seg6Counters{}; // the request's zeros
	EXPECT_EQ(**back, expected);

	// End without counters, DX6 with its next hop: no other attributes.
	Seg6Sid end;
	end.sid = sid("fc00:0:1::e");
	end.dev = "up1";
	end.count = false;
	auto plain = seg6_netlink::sid_request(RTM_NEWROUTE, NLM_F_CREATE, end, 7);
	ASSERT_TRUE(plain);
	auto plain_back = seg6_netlink::parse_sid(header(*plain), ifname);
	ASSERT_TRUE(plain_back && *plain_back);
	EXPECT_EQ(**plain_back, end);
	Seg6Sid dx6 = end;
	dx6.action = Seg6Action::end_dx6;
	dx6.nh6 = sid("fd00:4::2");
	auto six = seg6_netlink::sid_request(RTM_NEWROUTE, NLM_F_CREATE, dx6, 7);
	ASSERT_TRUE(six);
	auto six_back = seg6_netlink::parse_sid(header(*six), ifname);
	ASSERT_TRUE(six_back && *six_back);
	EXPECT_EQ(**six_back, dx6);
}

TEST(Seg6Netlink, ASidInATableBeyond255IsNamedByRtaTable)
{
	Seg6Sid s;
	s.sid = sid("fc00:69:706c:62::1");
	s.dev = "lo";
	s.count = false;
	auto msg = seg6_netlink::sid_request(RTM_NEWROUTE, NLM_F_CREATE, s, 1, seg6_probe_table);
	ASSERT_TRUE(msg) << msg.error().message;
	const nlmsghdr *nlh = header(*msg);
	EXPECT_EQ(static_cast<const rtmsg *>(NLMSG_DATA(nlh))->rtm_table, RT_TABLE_UNSPEC);
	nlattr *tb[RTA_MAX + 1] = {};
	ASSERT_EQ(nlmsg_parse(const_cast<nlmsghdr *>(nlh), sizeof(rtmsg), tb, RTA_MAX, nullptr), 0);
	ASSERT_TRUE(tb[RTA_TABLE]);
	EXPECT_EQ(nla_get_u32(tb[RTA_TABLE]), seg6_probe_table);
	auto parsed = seg6_netlink::parse_sid(nlh, ifname);
	ASSERT_TRUE(parsed) << parsed.error().message;
	EXPECT_FALSE(*parsed) << "not the main table: not one of iplb's SIDs";

	auto main_table = seg6_netlink::sid_request(RTM_NEWROUTE, NLM_F_CREATE, s, 1);
	ASSERT_TRUE(main_table);
	nlattr *mb[RTA_MAX + 1] = {};
	ASSERT_EQ(nlmsg_parse(header(*main_table), sizeof(rtmsg), mb, RTA_MAX, nullptr), 0);
	EXPECT_FALSE(mb[RTA_TABLE]);
	EXPECT_EQ(static_cast<const rtmsg *>(NLMSG_DATA(header(*main_table)))->rtm_table,
		  RT_TABLE_MAIN);
}

TEST(Seg6Netlink, ReadsTheKernelsCounters)
{
	seg6_netlink::Message msg = kernel_route(AF_INET6, 128, NLM_F_MULTI);
	const Ipv6 address = sid("fc00:0:2::e");
	ASSERT_EQ(nla_put(msg.get(), RTA_DST, 16, address.bytes.data()), 0);
	ASSERT_EQ(nla_put_u32(msg.get(), RTA_OIF, 7), 0);
	ASSERT_EQ(nla_put_u16(msg.get(), RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_SEG6_LOCAL), 0);
	nlattr *encap = nla_nest_start(msg.get(), RTA_ENCAP);
	ASSERT_EQ(nla_put_u32(msg.get(), SEG6_LOCAL_ACTION, SEG6_LOCAL_ACTION_END), 0);
	nlattr *counters = nla_nest_start(msg.get(), SEG6_LOCAL_COUNTERS);
	// As the kernel writes them: 64-bit values after a pad attribute.
	ASSERT_EQ(nla_put(msg.get(), SEG6_LOCAL_CNT_PAD, 0, nullptr), 0);
	ASSERT_EQ(nla_put_u64(msg.get(), SEG6_LOCAL_CNT_PACKETS, 12345678901ull), 0);
	ASSERT_EQ(nla_put_u64(msg.get(), SEG6_LOCAL_CNT_BYTES, 98765432109ull), 0);
	ASSERT_EQ(nla_put_u64(msg.get(), SEG6_LOCAL_CNT_ERRORS, 3), 0);
	nla_nest_end(msg.get(), counters);
	nla_nest_end(msg.get(), encap);

	auto back = seg6_netlink::parse_sid(header(msg), ifname);
	ASSERT_TRUE(back) << back.error().message;
	ASSERT_TRUE(*back);
	EXPECT_EQ((*back)->sid, address);
	EXPECT_EQ((*back)->action, Seg6Action::end);
	EXPECT_EQ((*back)->dev, "up1");
	ASSERT_TRUE((*back)->counters);
	EXPECT_EQ(*(*back)->counters, (Seg6Counters{12345678901ull, 98765432109ull, 3}));

	// A SID of an action iplb does not use: refused by name.
	auto *lb_action = static_cast<uint8_t *>(nla_data(encap)) + 4;
	const uint32_t dt6 = SEG6_LOCAL_ACTION_END_DT6;
	std::memcpy(lb_action, &dt6, 4);
	auto other = seg6_netlink::parse_sid(header(msg), ifname);
	ASSERT_FALSE(other);
	EXPECT_EQ(other.error().message,
		  "iplb's SID fc00:0:2::e has action 7, which iplb does not use");
}

// An NLMSG_ERROR as the kernel sends it to a socket with NETLINK_EXT_ACK.
std::vector<uint8_t> error_message(int error, const char *extack, bool capped)
{
	seg6_netlink::Message request(nlmsg_alloc_simple(RTM_NEWROUTE, NLM_F_REQUEST));
	rtmsg rtm{};
	nlmsg_append(request.get(), &rtm, sizeof rtm, NLMSG_ALIGNTO);
	const nlmsghdr *original = header(request);

	seg6_netlink::Message msg(nlmsg_alloc_simple(NLMSG_ERROR, extack ? NLM_F_ACK_TLVS : 0));
	nlmsgerr err{};
	err.error = error;
	err.msg = *original;
	nlmsg_append(msg.get(), &err, sizeof err, NLMSG_ALIGNTO);
	if (capped)
		header(msg)->nlmsg_flags |= NLM_F_CAPPED;
	else
		nlmsg_append(msg.get(), NLMSG_DATA(original), original->nlmsg_len - NLMSG_HDRLEN,
			     NLMSG_ALIGNTO);
	if (extack)
		nla_put_string(msg.get(), NLMSGERR_ATTR_MSG, extack);
	return bytes_of(header(msg));
}

TEST(Seg6Netlink, ErrorsCarryTheKernelsWords)
{
	for (bool capped : {true, false}) {
		auto bytes = error_message(-ENETDOWN, "Device for nexthop is not up", capped);
		auto refusal =
			seg6_netlink::parse_error(reinterpret_cast<const nlmsghdr *>(bytes.data()));
		ASSERT_TRUE(refusal);
		EXPECT_EQ(refusal->code, ENETDOWN);
		EXPECT_EQ(refusal->text, "Network is down (Device for nexthop is not up)")
			<< "capped " << capped;
	}
	auto bare = error_message(-EINVAL, nullptr, true);
	auto refusal = seg6_netlink::parse_error(reinterpret_cast<const nlmsghdr *>(bare.data()));
	ASSERT_TRUE(refusal);
	EXPECT_EQ(refusal->text, "Invalid argument");
	auto ack = error_message(0, nullptr, true);
	EXPECT_FALSE(seg6_netlink::parse_error(reinterpret_cast<const nlmsghdr *>(ack.data())));
}

} // namespace
} // namespace iplb
