// SPDX-License-Identifier: GPL-2.0-or-later
// The eBPF programs of kernel/ run by the kernel on fixed frames
// (BPF_PROG_TEST_RUN): input bytes -> expected bytes and verdict, the
// expected bytes built independently by packets.hpp. Needs root (CAP_BPF).
#include "datapath/bpf_programs.hpp"
#include "datapath/bpf_route_table.hpp"
#include "datapath/route_record.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "packets.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/mount.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>

namespace iplb {
namespace {

using test::addr;
using test::Bytes;

constexpr int tcx_next = -1;
constexpr int tcx_pass = 0;

const Ipv4Prefix destination = *parse_prefix("10.4.1.0/24");
const uint32_t host = addr("10.1.1.1");
const uint32_t source = addr("10.255.1.1"); // the host's loopback
const uint32_t r1 = addr("10.255.0.1"), r2 = addr("10.255.0.2"), r3 = addr("10.255.0.3");

const Ipv6Prefix destination6 = *parse_ipv6_prefix("fc00:4:1::/64");
const test::Addr6 host6 = test::addr6("fc00:1::1");
const test::Addr6 dest6 = test::addr6("fc00:4:1::7");
const test::Addr6 source6 = test::addr6("fc00:ff::1"); // the host's loopback
const test::Addr6 r1_6 = test::addr6("fc00:0:1::1"), r2_6 = test::addr6("fc00:0:2::1"),
		  r3_6 = test::addr6("fc00:0:3::1");

test::Ipv6Spec udp6_spec()
{
	test::Ipv6Spec spec;
	spec.src = host6;
	spec.dst = dest6;
	spec.traffic_class = 0x28;
	spec.flow_label = 0x12345;
	return spec;
}

Bytes udp6_packet(uint16_t sport = 40000)
{
	const uint8_t payload[] = {'i', 'p', 'l', 'b'};
	return test::ipv6(udp6_spec(), test::udp(sport, 53, payload));
}

// The flow label the program wrote in the IPv6 header at `at`.
uint32_t flow_label_at(const Bytes &frame, size_t at)
{
	return (frame[at + 1] & 0xfu) << 16 | uint32_t{frame[at + 2]} << 8 | frame[at + 3];
}

RouteSpec route_of(std::vector<std::vector<uint32_t>> lists, uint16_t mtu = 0)
{
	RouteSpec spec;
	spec.prefix = destination;
	spec.mtu = mtu;
	for (const auto &relays : lists) {
		RelayList list;
		for (uint32_t r : relays)
			list.relays.push_back(Ipv4{r});
		spec.lists.push_back(list);
	}
	return spec;
}

test::Ipv4Spec udp_spec(uint32_t dst = addr("10.4.1.7"))
{
	test::Ipv4Spec spec;
	spec.src = host;
	spec.dst = dst;
	spec.tos = 0x28;
	spec.id = 0x4242;
	return spec;
}

Bytes udp_packet(const test::Ipv4Spec &spec, uint16_t sport = 40000, uint16_t dport = 53)
{
	const uint8_t payload[] = {'i', 'p', 'l', 'b'};
	return test::ipv4(spec, test::udp(sport, dport, payload));
}

// The outer destination of an IPIP frame (its first relay); 0 if the frame
// is not IP-in-IP.
uint32_t ipip_destination(const Bytes &frame)
{
	if (frame.size() < 34 || frame[23] != test::proto_ipip)
		return 0;
	return uint32_t{frame[30]} << 24 | uint32_t{frame[31]} << 16 | uint32_t{frame[32]} << 8 |
	       frame[33];
}

class HostDatapath : public ::testing::Test {
protected:
	void SetUp() override
	{
		auto loaded = HostProgram::load();
		ASSERT_TRUE(loaded) << loaded.error().message;
		program_.emplace(std::move(*loaded));
		ASSERT_TRUE(program_->maps().set_config(
			{.source = Ipv4{source}, .source6 = std::nullopt}));
	}

	void install(const RouteSpec &spec, uint32_t id = 7)
	{
		auto record = encode_route(spec, id);
		ASSERT_TRUE(record) << record.error().message;
		ASSERT_TRUE(program_->maps().put_route(spec.prefix, *record));
	}

	TestRun run(const Bytes &frame)
	{
		auto result = test_run(program_->prog_fd(), frame);
		EXPECT_TRUE(result) << result.error().message;
		return result ? *result : TestRun{};
	}

	// The first relay the program chose for this frame (its outer
	// destination), or 0 if it left the frame unencapsulated.
	uint32_t first_relay(const Bytes &frame) { return ipip_destination(run(frame).frame); }

	std::optional<HostProgram> program_;
};

TEST_F(HostDatapath, EncapsulatesToTheOneRelay)
{
	install(route_of({{r1}}));
	const auto spec = udp_spec();
	const Bytes inner = udp_packet(spec);

	const auto out = run(test::ethernet(inner));
	EXPECT_EQ(out.verdict, tcx_next) << "encapsulated, then on its way";
	const Bytes expected = test::ethernet(test::ipip(source, r1, inner, spec));
	EXPECT_EQ(out.frame, expected) << "got\n"
				       << test::hex(out.frame) << "\nexpected\n"
				       << test::hex(expected);

	auto counters = program_->maps().route_counters(7);
	ASSERT_TRUE(counters);
	EXPECT_EQ(counters->packets, 1u);
	EXPECT_EQ(counters->bytes, test::ethernet(inner).size());
	auto list = program_->maps().list_counters(7, 0);
	ASSERT_TRUE(list);
	EXPECT_EQ(list->packets, 1u);
}

TEST_F(HostDatapath, NestsOneHeaderPerRelayOutermostFirst)
{
	install(route_of({{r1, r2, r3}}));
	const auto spec = udp_spec();
	const Bytes inner = udp_packet(spec);

	const auto out = run(test::ethernet(inner));
	EXPECT_EQ(out.verdict, tcx_next);
	const Bytes expected = test::ethernet(test::ipip(
		source, r1, test::ipip(source, r2, test::ipip(source, r3, inner, spec), spec),
		spec));
	EXPECT_EQ(out.frame, expected) << "got\n"
				       << test::hex(out.frame) << "\nexpected\n"
				       << test::hex(expected);
}

TEST_F(HostDatapath, GreNestsAnIpAndAGreHeaderPerRelay)
{
	auto spec_ = route_of({{r1, r2}}, 1400);
	spec_.encap = Encap::gre;
	install(spec_);
	const auto spec = udp_spec();
	const Bytes inner = udp_packet(spec);
	const auto out = run(test::ethernet(inner));
	EXPECT_EQ(out.verdict, tcx_next);
	const Bytes expected =
		test::ethernet(test::gre(source, r1, test::gre(source, r2, inner, spec), spec));
	EXPECT_EQ(out.frame, expected) << "got\n"
				       << test::hex(out.frame) << "\nexpected\n"
				       << test::hex(expected);

	// The MSS clamp counts GRE's 24 bytes per relay: 1400 - 48 - 40.
	auto tcp = spec;
	tcp.protocol = test::proto_tcp;
	const Bytes syn = test::ipv4(tcp, test::tcp_syn(1, 2, 1460, tcp.src, tcp.dst));
	const Bytes clamped = test::ipv4(tcp, test::tcp_syn(1, 2, 1312, tcp.src, tcp.dst));
	EXPECT_EQ(run(test::ethernet(syn)).frame,
		  test::ethernet(test::gre(source, r1, test::gre(source, r2, clamped, tcp), tcp)));
}

TEST_F(HostDatapath, GueNestsAnIpAndAUdpHeaderPerRelayWithTheFlowInTheSourcePort)
{
	auto route = route_of({{r1, r2}}, 1400);
	route.encap = Encap::gue;
	install(route);
	const auto spec = udp_spec();
	const Bytes inner = udp_packet(spec, 40000);
	const auto out = run(test::ethernet(inner));
	EXPECT_EQ(out.verdict, tcx_next);
	ASSERT_GT(out.frame.size(), 14u + 20 + 2);
	// The source port is the flow's: read it, then check everything else.
	const uint16_t port = static_cast<uint16_t>(out.frame[34] << 8 | out.frame[35]);
	EXPECT_GE(port, 0xc000) << "in the ephemeral range";
	const Bytes expected = test::ethernet(
		test::gue(source, r1, port, test::gue(source, r2, port, inner, spec), spec));
	EXPECT_EQ(out.frame, expected) << "got\n"
				       << test::hex(out.frame) << "\nexpected\n"
				       << test::hex(expected);

	// Another flow, another port (most of the time: 16 of them all alike
	// would mean the port does not follow the flow).
	std::set<uint16_t> ports;
	for (uint16_t sport = 40000; sport < 40016; sport++) {
		const auto other = run(test::ethernet(udp_packet(spec, sport)));
		ports.insert(static_cast<uint16_t>(other.frame[34] << 8 | other.frame[35]));
	}
	EXPECT_GT(ports.size(), 8u);

	// MSS: 1400 - 2 * 28 - 40.
	auto tcp = spec;
	tcp.protocol = test::proto_tcp;
	const Bytes syn = test::ipv4(tcp, test::tcp_syn(1, 2, 1460, tcp.src, tcp.dst));
	const auto clamped = run(test::ethernet(syn));
	const uint16_t tcp_port = static_cast<uint16_t>(clamped.frame[34] << 8 | clamped.frame[35]);
	const Bytes small = test::ipv4(tcp, test::tcp_syn(1, 2, 1304, tcp.src, tcp.dst));
	EXPECT_EQ(clamped.frame,
		  test::ethernet(test::gue(source, r1, tcp_port,
					   test::gue(source, r2, tcp_port, small, tcp), tcp)));
}

TEST_F(HostDatapath, UdpToTheGuePortIsNotTunnelledAgain)
{
	install(route_of({{r1}}));
	const auto spec = udp_spec();
	const Bytes tunnelled =
		test::ethernet(test::ipv4(spec, test::udp(50000, 6080, Bytes(24, 0x45))));
	EXPECT_EQ(run(tunnelled).frame, tunnelled);
}

// IPv6 destinations over IPv4 relays, and IPv4 and IPv6 destinations over
// IPv6 relays.
class HostDatapath6 : public HostDatapath {
protected:
	void SetUp() override
	{
		HostDatapath::SetUp();
		ASSERT_TRUE(program_->maps().set_config(
			{.source = Ipv4{source}, .source6 = Ipv6{source6}}));
	}

	void install6(IpPrefix prefix, std::vector<IpAddress> relays, Encap encap, uint16_t mtu = 0)
	{
		RouteSpec spec;
		spec.prefix = prefix;
		spec.lists.push_back(RelayList{std::move(relays)});
		spec.encap = encap;
		spec.mtu = mtu;
		install(spec);
	}
};

TEST_F(HostDatapath6, SixInFour)
{
	install6(destination6, {Ipv4{r1}}, Encap::ipip);
	const Bytes inner = udp6_packet();
	const auto out = run(test::ethernet(inner, test::ethertype_ipv6));
	EXPECT_EQ(out.verdict, tcx_next);
	// Protocol 41, TOS from the traffic class, DF set (IPv6 is never
	// fragmented on the way), id 0.
	const Bytes expected = test::ethernet(
		test::ip4_tunnel(source, r1, IPLB_ENCAP_IPIP, true, inner, 0x28, 0, true));
	EXPECT_EQ(out.frame, expected) << "got\n"
				       << test::hex(out.frame) << "\nexpected\n"
				       << test::hex(expected);
}

TEST_F(HostDatapath6, FourInSixNested)
{
	install6(destination, {Ipv6{r1_6}, Ipv6{r2_6}}, Encap::ipip);
	const auto spec = udp_spec();
	const Bytes inner = udp_packet(spec);
	const auto out = run(test::ethernet(inner));
	ASSERT_GT(out.frame.size(), 18u);
	// The flow label carries the flow, the same in both headers.
	const uint32_t label = flow_label_at(out.frame, 14);
	EXPECT_EQ(flow_label_at(out.frame, 14 + 40), label);
	const Bytes expected =
		test::ethernet(test::ip6_tunnel(source6, r1_6, IPLB_ENCAP_IPIP, true,
						test::ip6_tunnel(source6, r2_6, IPLB_ENCAP_IPIP,
								 false, inner, spec.tos, label),
						spec.tos, label),
			       test::ethertype_ipv6);
	EXPECT_EQ(out.frame, expected) << "got\n"
				       << test::hex(out.frame) << "\nexpected\n"
				       << test::hex(expected);
	// Another flow, another label.
	const auto other = run(test::ethernet(udp_packet(spec, 40001)));
	EXPECT_NE(flow_label_at(other.frame, 14), label);
}

TEST_F(HostDatapath6, SixInSixGreAndGue)
{
	install6(destination6, {Ipv6{r1_6}}, Encap::gre);
	const Bytes inner = udp6_packet();
	auto out = run(test::ethernet(inner, test::ethertype_ipv6));
	Bytes expected = test::ethernet(test::ip6_tunnel(source6, r1_6, IPLB_ENCAP_GRE, true, inner,
							 0x28, flow_label_at(out.frame, 14)),
					test::ethertype_ipv6);
	EXPECT_EQ(out.frame, expected) << test::hex(out.frame);

	install6(destination6, {Ipv6{r1_6}}, Encap::gue);
	out = run(test::ethernet(inner, test::ethertype_ipv6));
	ASSERT_GT(out.frame.size(), 14u + 40 + 2);
	const uint16_t port = static_cast<uint16_t>(out.frame[54] << 8 | out.frame[55]);
	expected = test::ethernet(test::ip6_tunnel(source6, r1_6, IPLB_ENCAP_GUE, true, inner, 0x28,
						   flow_label_at(out.frame, 14), port),
				  test::ethertype_ipv6);
	EXPECT_EQ(out.frame, expected) << test::hex(out.frame);
}

TEST_F(HostDatapath6, WithoutASourceOfTheTunnelsFamilyThePacketGoesAsItIs)
{
	ASSERT_TRUE(
		program_->maps().set_config({.source = std::nullopt, .source6 = Ipv6{source6}}));
	install6(destination6, {Ipv4{r1}}, Encap::ipip);
	const Bytes frame = test::ethernet(udp6_packet(), test::ethertype_ipv6);
	const auto out = run(frame);
	EXPECT_EQ(out.verdict, tcx_next);
	EXPECT_EQ(out.frame, frame);
	EXPECT_EQ(program_->maps().route_counters(7)->bypass[IPLB_BYPASS_NO_SOURCE], 1u);

	// An IPv6 packet to IPv6 relays can do with its own source.
	ASSERT_TRUE(program_->maps().set_config({}));
	install6(destination6, {Ipv6{r1_6}}, Encap::ipip);
	const auto own = run(frame);
	ASSERT_GT(own.frame.size(), 14u + 40);
	EXPECT_TRUE(std::equal(host6.begin(), host6.end(), own.frame.begin() + 14 + 8));
}

TEST_F(HostDatapath6, AnIpv6SynsMssIsClampedForItsLargerHeader)
{
	install6(destination6, {Ipv4{r1}}, Encap::ipip, 1400);
	auto spec = udp6_spec();
	spec.next_header = test::proto_tcp;
	const Bytes syn = test::ipv6(spec, test::tcp_syn6(40000, 80, 1440, host6, dest6));
	const Bytes clamped = test::ipv6(spec, test::tcp_syn6(40000, 80, 1320, host6, dest6));
	const auto out = run(test::ethernet(syn, test::ethertype_ipv6));
	EXPECT_EQ(out.frame, test::ethernet(test::ip4_tunnel(source, r1, IPLB_ENCAP_IPIP, true,
							     clamped, 0x28, 0, true)))
		<< test::hex(out.frame);
	EXPECT_EQ(program_->maps().route_counters(7)->mss_clamped, 1u);
}

TEST_F(HostDatapath6, Ipv6FlowsSpreadAndAreRemembered)
{
	RouteSpec spec;
	spec.prefix = destination6;
	spec.lists = {RelayList{{Ipv6{r1_6}}}, RelayList{{Ipv6{r2_6}}}};
	spec.selection = Selection::flow;
	install(spec);
	std::set<uint8_t> first_hops; // the last byte of r1_6 / r2_6's network part
	for (uint16_t port = 20000; port < 20040; port++) {
		const auto out = run(test::ethernet(udp6_packet(port), test::ethertype_ipv6));
		ASSERT_GT(out.frame.size(), 14u + 40);
		first_hops.insert(out.frame[14 + 24 + 5]);
	}
	EXPECT_EQ(first_hops.size(), 2u);
	auto flows = program_->maps().flows();
	ASSERT_TRUE(flows);
	ASSERT_EQ(flows->size(), 40u);
	EXPECT_EQ(flows->front().destination, IpAddress{Ipv6{dest6}});
	EXPECT_EQ(flows->front().protocol, test::proto_udp);
}

TEST_F(HostDatapath, WithoutAnOuterSourceThePacketsOwnIsUsed)
{
	ASSERT_TRUE(program_->maps().set_config({}));
	install(route_of({{r1}}));
	const auto spec = udp_spec();
	const Bytes inner = udp_packet(spec);
	EXPECT_EQ(run(test::ethernet(inner)).frame,
		  test::ethernet(test::ipip(host, r1, inner, spec)));
}

TEST_F(HostDatapath, WhatIsNotInTheTableIsUntouched)
{
	install(route_of({{r1}}));
	const Bytes elsewhere = test::ethernet(udp_packet(udp_spec(addr("10.4.2.7"))));
	auto out = run(elsewhere);
	EXPECT_EQ(out.verdict, tcx_next);
	EXPECT_EQ(out.frame, elsewhere);

	// ARP is not iplb's business, nor IPv6 outside the table.
	const Bytes arp = test::ethernet(Bytes(28, 0), 0x0806);
	out = run(arp);
	EXPECT_EQ(out.verdict, tcx_next);
	EXPECT_EQ(out.frame, arp);
	const Bytes v6 = test::ethernet(Bytes(40, 0x60), 0x86dd);
	EXPECT_EQ(run(v6).frame, v6);
}

TEST_F(HostDatapath, WhatIsAlreadyTunnelledIsNotTunnelledAgain)
{
	// A tunnel to a relay inside a table prefix comes back through this
	// hook when the FIB redirect sends it out: it must not nest forever.
	install(route_of({{r1}}));
	const auto spec = udp_spec();
	const Bytes tunnelled =
		test::ethernet(test::ipip(source, addr("10.4.1.9"), udp_packet(spec), spec));
	const auto out = run(tunnelled);
	EXPECT_EQ(out.verdict, tcx_next);
	EXPECT_EQ(out.frame, tunnelled);
}

TEST_F(HostDatapath, TheLongestPrefixWins)
{
	install(route_of({{r1}}), 1);
	RouteSpec host_route = route_of({{r2}});
	host_route.prefix = *parse_prefix("10.4.1.7/32");
	install(host_route, 2);
	EXPECT_EQ(first_relay(test::ethernet(udp_packet(udp_spec(addr("10.4.1.7"))))), r2);
	EXPECT_EQ(first_relay(test::ethernet(udp_packet(udp_spec(addr("10.4.1.8"))))), r1);
}

TEST_F(HostDatapath, IcmpAndIpOptionsAreCarriedAsTheyAre)
{
	install(route_of({{r1}}));
	auto spec = udp_spec();
	spec.protocol = test::proto_icmp;
	const Bytes ping = test::ipv4(spec, test::icmp_echo(7, 1));
	EXPECT_EQ(run(test::ethernet(ping)).frame,
		  test::ethernet(test::ipip(source, r1, ping, spec)));

	spec = udp_spec();
	spec.options = {0x94, 0x04, 0, 0}; // router alert
	const Bytes with_options = udp_packet(spec);
	EXPECT_EQ(run(test::ethernet(with_options)).frame,
		  test::ethernet(test::ipip(source, r1, with_options, spec)));
}

// 400 flows over four single-relay lists: every list gets its share, a flow
// always gets the same list, and taking a list away moves only its flows.
TEST_F(HostDatapath, FlowsSpreadOverTheListsAndOnlyARemovedListsFlowsMove)
{
	const std::vector<uint32_t> relays{r1, r2, r3, addr("10.255.0.4")};
	install(route_of({{relays[0]}, {relays[1]}, {relays[2]}, {relays[3]}}));
	std::map<uint16_t, uint32_t> before;
	std::map<uint32_t, int> share;
	for (uint16_t port = 30000; port < 30400; port++) {
		const Bytes frame = test::ethernet(udp_packet(udp_spec(), port));
		before[port] = first_relay(frame);
		share[before[port]]++;
		ASSERT_EQ(first_relay(frame), before[port]) << "a flow keeps its list";
	}
	for (uint32_t r : relays)
		EXPECT_GE(share[r], 60) << "each of 4 lists gets a fair share of 400 flows";

	install(route_of({{relays[0]}, {relays[1]}, {relays[3]}})); // r3's list goes
	int moved = 0;
	for (const auto &[port, relay] : before) {
		const uint32_t now = first_relay(test::ethernet(udp_packet(udp_spec(), port)));
		if (relay != relays[2])
			EXPECT_EQ(now, relay) << "port " << port << " moved without reason";
		else
			moved++;
		EXPECT_NE(now, relays[2]);
	}
	EXPECT_EQ(moved, share[relays[2]]);
}

// Fragments carry no ports after the first: every fragment of a datagram
// must take the same list, or the destination cannot reassemble it in order.
TEST_F(HostDatapath, AllFragmentsOfADatagramTakeTheSameList)
{
	std::vector<std::vector<uint32_t>> lists;
	for (uint32_t i = 1; i <= 16; i++)
		lists.push_back({addr("10.255.0.0") + i});
	install(route_of(lists));
	std::set<uint32_t> used;
	for (uint16_t id = 1; id <= 20; id++) {
		auto first = udp_spec();
		first.src = host + id;
		first.id = id;
		first.df = false;
		first.mf = true;
		auto later = first;
		later.mf = false;
		later.fragment_offset = 2;
		const uint32_t a = first_relay(test::ethernet(udp_packet(first, 1000 + id)));
		const uint32_t b = first_relay(test::ethernet(test::ipv4(later, Bytes(16, 0xab))));
		ASSERT_NE(a, 0u);
		EXPECT_EQ(a, b) << "datagram " << id;
		used.insert(a);
	}
	EXPECT_GT(used.size(), 4u) << "and different datagrams still spread";
}

// Weighted rendezvous: shares follow the weights, and a weight change moves
// only flows to or from the list whose weight changed.
TEST_F(HostDatapath, WeightedListsGetFlowsInProportionAndAReweightMovesOnlyTheirs)
{
	const uint32_t r4 = addr("10.255.0.4");
	auto spec = route_of({{r1}, {r2}, {r3}, {r4}});
	spec.selection = Selection::weighted;
	const std::map<uint32_t, uint16_t> weights{{r1, 1}, {r2, 2}, {r3, 3}, {r4, 4}};
	for (size_t i = 0; i < spec.lists.size(); i++)
		spec.lists[i].weight = weights.at(std::get<Ipv4>(spec.lists[i].relays[0]).value);
	install(spec);

	constexpr int flows = 4000;
	std::map<uint16_t, uint32_t> before;
	std::map<uint32_t, int> share;
	for (int i = 0; i < flows; i++) {
		const auto port = static_cast<uint16_t>(20000 + i);
		before[port] = first_relay(test::ethernet(udp_packet(udp_spec(), port)));
		share[before[port]]++;
	}
	for (const auto &[relay, weight] : weights) {
		const double expected = flows * weight / 10.0;
		EXPECT_NEAR(share[relay], expected, expected * 0.15)
			<< "weight " << weight << " of 10";
	}

	spec.lists[3].weight = 1; // r4: from 4 to 1
	install(spec);
	int moved = 0;
	for (const auto &[port, relay] : before) {
		const uint32_t now = first_relay(test::ethernet(udp_packet(udp_spec(), port)));
		if (now != relay) {
			EXPECT_EQ(relay, r4) << "port " << port << " moved off an unchanged list";
			moved++;
		}
	}
	EXPECT_GT(moved, share[r4] / 2) << "r4 lost most of its flows";
}

TEST_F(HostDatapath, HashModeIgnoresWeights)
{
	auto spec = route_of({{r1}, {r2}});
	spec.lists[0].weight = 100;
	install(spec);
	std::map<uint32_t, int> share;
	for (uint16_t port = 20000; port < 20400; port++)
		share[first_relay(test::ethernet(udp_packet(udp_spec(), port)))]++;
	EXPECT_GT(share[r2], 120);
}

class FlowMode : public HostDatapath {
protected:
	void use_lists(std::vector<std::vector<uint32_t>> lists)
	{
		auto spec = route_of(std::move(lists));
		spec.selection = Selection::flow;
		install(spec);
	}
	uint64_t assigned() { return program_->maps().route_counters(7)->flows_assigned; }
};

// Mode flow's promise: lists added (or reweighted) take only new flows.
TEST_F(FlowMode, AFlowKeepsItsListWhenListsAreAdded)
{
	use_lists({{r1}, {r2}});
	std::map<uint16_t, uint32_t> before;
	for (uint16_t port = 20000; port < 20200; port++)
		before[port] = first_relay(test::ethernet(udp_packet(udp_spec(), port)));
	EXPECT_EQ(assigned(), 200u);

	use_lists({{r1}, {r2}, {r3}, {addr("10.255.0.4")}});
	for (const auto &[port, relay] : before)
		EXPECT_EQ(first_relay(test::ethernet(udp_packet(udp_spec(), port))), relay)
			<< "port " << port;
	EXPECT_EQ(assigned(), 200u) << "no flow was placed again";

	std::map<uint32_t, int> share;
	for (uint16_t port = 30000; port < 30200; port++)
		share[first_relay(test::ethernet(udp_packet(udp_spec(), port)))]++;
	EXPECT_GT(share[r3], 20) << "new flows use the new lists";
	EXPECT_EQ(assigned(), 400u);

	// A list that goes takes its flows to the others; the rest stay.
	use_lists({{r1}, {r3}, {addr("10.255.0.4")}});
	for (const auto &[port, relay] : before) {
		const uint32_t now = first_relay(test::ethernet(udp_packet(udp_spec(), port)));
		if (relay != r2)
			EXPECT_EQ(now, relay) << "port " << port;
		else
			EXPECT_NE(now, r2);
	}
}

TEST_F(FlowMode, AFlowIdleLongerThanTheTimeoutIsPlacedAgain)
{
	ASSERT_TRUE(program_->maps().set_config(
		{.source = Ipv4{source}, .source6 = std::nullopt, .flow_idle_ms = 50}));
	use_lists({{r1}, {r2}});
	const Bytes frame = test::ethernet(udp_packet(udp_spec(), 20000));
	ASSERT_NE(first_relay(frame), 0u);
	ASSERT_NE(first_relay(frame), 0u);
	EXPECT_EQ(assigned(), 1u) << "seen again at once: remembered";
	::usleep(120 * 1000);
	ASSERT_NE(first_relay(frame), 0u);
	EXPECT_EQ(assigned(), 2u) << "idle 120 ms > 50 ms: placed again";
}

TEST_F(FlowMode, TheTableListsItsFlows)
{
	use_lists({{r1}, {r2, r3}});
	const uint32_t relay = first_relay(test::ethernet(udp_packet(udp_spec(), 20001, 53)));
	auto flows = program_->maps().flows();
	ASSERT_TRUE(flows) << flows.error().message;
	ASSERT_EQ(flows->size(), 1u);
	const FlowEntry &f = flows->front();
	EXPECT_EQ(f.source, IpAddress{Ipv4{host}});
	EXPECT_EQ(f.destination, IpAddress{Ipv4{addr("10.4.1.7")}});
	EXPECT_EQ(f.source_port, 20001);
	EXPECT_EQ(f.destination_port, 53);
	EXPECT_EQ(f.protocol, test::proto_udp);
	EXPECT_EQ(f.route_id, 7u);
	RelayList chosen;
	chosen.relays.push_back(Ipv4{relay});
	if (relay == r2)
		chosen.relays.push_back(Ipv4{r3});
	EXPECT_EQ(f.list_key, relay_list_key(chosen));
	EXPECT_LT(f.idle_ns, 10'000'000'000u);

	ASSERT_TRUE(program_->maps().forget_flows());
	EXPECT_TRUE(program_->maps().flows()->empty());
}

// 64 remembered flows at most: the least recently seen are forgotten, and
// every new flow is still carried and remembered.
TEST(FlowTable, AFullTableForgetsTheOldestAndStillCarriesNewFlows)
{
	auto program = HostProgram::load(64);
	ASSERT_TRUE(program) << program.error().message;
	auto spec = route_of({{r1}, {r2}});
	spec.selection = Selection::flow;
	ASSERT_TRUE(program->maps().put_route(destination, *encode_route(spec, 2)));
	for (uint16_t port = 20000; port < 21000; port++) {
		auto out =
			test_run(program->prog_fd(), test::ethernet(udp_packet(udp_spec(), port)));
		ASSERT_TRUE(out);
		ASSERT_EQ(out->frame[23], test::proto_ipip) << "port " << port;
	}
	const auto counters = program->maps().route_counters(2);
	EXPECT_EQ(counters->flows_assigned, 1000u);
	EXPECT_EQ(counters->flows_unremembered, 0u);
	const auto flows = program->maps().flows();
	ASSERT_TRUE(flows);
	EXPECT_GT(flows->size(), 0u);
	EXPECT_LE(flows->size(), 64u);
	for (const FlowEntry &f : *flows)
		EXPECT_GE(f.source_port, 21000 - 64 * 2) << "an old flow outlived newer ones";
}

TEST_F(HostDatapath, TooBigForThePathWithDfGoesOutUnencapsulated)
{
	install(route_of({{r1, r2}}, 1400));
	auto spec = udp_spec();
	const Bytes fits = udp_packet(spec);
	const Bytes big = test::ipv4(spec, test::udp(1, 2, Bytes(1400 - 20 - 8 - 39, 0)));
	const auto out = run(test::ethernet(big));
	EXPECT_EQ(out.verdict, tcx_next);
	EXPECT_EQ(out.frame, test::ethernet(big)) << "1401 bytes with two headers: too big";
	EXPECT_EQ(program_->maps().route_counters(7)->bypass[IPLB_BYPASS_TOO_BIG], 1u);

	const Bytes just = test::ipv4(spec, test::udp(1, 2, Bytes(1400 - 20 - 8 - 40, 0)));
	EXPECT_EQ(first_relay(test::ethernet(just)), r1) << "exactly 1400 with both headers";
	EXPECT_EQ(first_relay(test::ethernet(fits)), r1);
}

// 1400-byte path, two relays: segments of at most 1400 - 40 - 40 bytes.
TEST_F(HostDatapath, ASynsMssIsClampedToWhatTheTunnelCarries)
{
	install(route_of({{r1, r2}}, 1400));
	auto spec = udp_spec();
	spec.protocol = test::proto_tcp;
	const Bytes syn = test::ipv4(spec, test::tcp_syn(40000, 80, 1460, spec.src, spec.dst));
	const Bytes clamped = test::ipv4(spec, test::tcp_syn(40000, 80, 1320, spec.src, spec.dst));
	const auto out = run(test::ethernet(syn));
	const Bytes expected =
		test::ethernet(test::ipip(source, r1, test::ipip(source, r2, clamped, spec), spec));
	EXPECT_EQ(out.frame, expected) << "got\n"
				       << test::hex(out.frame) << "\nexpected\n"
				       << test::hex(expected);
	EXPECT_EQ(program_->maps().route_counters(7)->mss_clamped, 1u);

	// Already small enough: left alone.
	const Bytes small = test::ipv4(spec, test::tcp_syn(40001, 80, 1200, spec.src, spec.dst));
	EXPECT_EQ(
		run(test::ethernet(small)).frame,
		test::ethernet(test::ipip(source, r1, test::ipip(source, r2, small, spec), spec)));
	EXPECT_EQ(program_->maps().route_counters(7)->mss_clamped, 1u);
}

// A path that needs no relay (the shortest, when nothing else pins it) is
// the direct list: its flows leave as they are, counted as that list's.
TEST_F(HostDatapath, TheDirectListsFlowsLeaveUnencapsulated)
{
	RouteSpec spec = route_of({{r1}});
	spec.lists.insert(spec.lists.begin(), RelayList{});
	install(spec);
	std::map<uint32_t, int> share;
	for (uint16_t port = 20000; port < 20200; port++) {
		const Bytes frame = test::ethernet(udp_packet(udp_spec(), port));
		const auto out = run(frame);
		EXPECT_EQ(out.verdict, tcx_next);
		if (out.frame == frame)
			share[0]++;
		else
			share[first_relay(frame)]++;
	}
	EXPECT_GT(share[0], 60);
	EXPECT_GT(share[r1], 60);
	EXPECT_EQ(share[0] + share[r1], 200);
	EXPECT_EQ(program_->maps().list_counters(7, 0)->packets, static_cast<uint64_t>(share[0]));
	EXPECT_EQ(program_->maps().route_counters(7)->packets,
		  200u + static_cast<uint64_t>(share[r1]))
		<< "first_relay() sent the r1 flows once more";
}

TEST_F(HostDatapath, ARecordUserSpaceShouldNotHaveWrittenIsBypassed)
{
	auto record = *encode_route(route_of({{r1}}), 3);
	record.lists[0].n_relays = IPLB_MAX_RELAYS + 1;
	ASSERT_TRUE(program_->maps().put_route(destination, record));
	const Bytes frame = test::ethernet(udp_packet(udp_spec()));
	const auto out = run(frame);
	EXPECT_EQ(out.verdict, tcx_next);
	EXPECT_EQ(out.frame, frame);
	EXPECT_EQ(program_->maps().route_counters(3)->bypass[IPLB_BYPASS_BAD_ROUTE], 1u);
}

TEST_F(HostDatapath, RoutesReadBackAsWritten)
{
	const RouteSpec spec = route_of({{r1, r2}, {r3}});
	install(spec, 9);
	auto stored = program_->maps().route(destination);
	ASSERT_TRUE(stored && *stored);
	auto decoded = decode_route(destination, **stored);
	ASSERT_TRUE(decoded) << decoded.error().message;
	EXPECT_EQ(*decoded, spec);
	ASSERT_TRUE(program_->maps().delete_route(destination));
	EXPECT_FALSE(*program_->maps().route(destination));
	EXPECT_FALSE(program_->maps().delete_route(destination)) << "nothing left to delete";
}

// Inbound SYN-ACKs from a table destination: clamped for the longest list,
// so that this host's own segments fit whichever list they take.
TEST_F(HostDatapath, AnInboundSynAcksMssIsClampedForTheLongestList)
{
	install(route_of({{r1}, {r1, r2, r3}}, 1400));
	test::Ipv4Spec back;
	back.src = addr("10.4.1.7");
	back.dst = host;
	back.protocol = test::proto_tcp;
	const Bytes synack =
		test::ipv4(back, test::tcp_syn(80, 40000, 1460, back.src, back.dst, true));
	const Bytes expected = test::ipv4(
		back, test::tcp_syn(80, 40000, 1400 - 60 - 40, back.src, back.dst, true));
	auto out = test_run(program_->ingress_prog_fd(), test::ethernet(synack));
	ASSERT_TRUE(out) << out.error().message;
	EXPECT_EQ(out->verdict, tcx_next);
	EXPECT_EQ(out->frame, test::ethernet(expected)) << test::hex(out->frame);

	// From elsewhere: untouched.
	back.src = addr("10.4.2.7");
	const Bytes other =
		test::ipv4(back, test::tcp_syn(80, 40000, 1460, back.src, back.dst, true));
	out = test_run(program_->ingress_prog_fd(), test::ethernet(other));
	ASSERT_TRUE(out);
	EXPECT_EQ(out->frame, test::ethernet(other));
}

class RelayDatapath : public ::testing::Test {
protected:
	void SetUp() override
	{
		auto loaded = RelayProgram::load();
		ASSERT_TRUE(loaded) << loaded.error().message;
		program_.emplace(std::move(*loaded));
		ASSERT_TRUE(program_->maps().add_local(Ipv4{r1}));
	}

	TestRun run(const Bytes &frame)
	{
		auto result = test_run(program_->prog_fd(), frame);
		EXPECT_TRUE(result) << result.error().message;
		return result ? *result : TestRun{};
	}

	std::optional<RelayProgram> program_;
};

TEST_F(RelayDatapath, UnwrapsOneHeaderForItsOwnAddress)
{
	const auto spec = udp_spec();
	const Bytes inner = udp_packet(spec);
	const Bytes to_r2 = test::ipip(source, r2, inner, spec);
	const auto out = run(test::ethernet(test::ipip(source, r1, to_r2, spec)));
	EXPECT_EQ(out.verdict, tcx_pass) << "handled: the stack forwards what was inside";
	EXPECT_EQ(out.frame, test::ethernet(to_r2));
	auto counters = program_->maps().counters();
	ASSERT_TRUE(counters);
	EXPECT_EQ(counters->decapsulated, 1u);
}

TEST_F(RelayDatapath, UnwrapsGreToo)
{
	const auto spec = udp_spec();
	const Bytes inner = udp_packet(spec);
	const Bytes to_r2 = test::gre(source, r2, inner, spec);
	const auto out = run(test::ethernet(test::gre(source, r1, to_r2, spec)));
	EXPECT_EQ(out.verdict, tcx_pass);
	EXPECT_EQ(out.frame, test::ethernet(to_r2));

	// GRE with a key (flag K) is not what hosts write: passed on.
	Bytes keyed = test::gre(source, r1, inner, spec);
	keyed[20] = 0x20; // K flag; the key itself is missing too
	keyed[10] = keyed[11] = 0;
	const uint16_t check = test::ipv4_checksum(std::span(keyed).first(20));
	keyed[10] = static_cast<uint8_t>(check >> 8);
	keyed[11] = static_cast<uint8_t>(check);
	const auto passed = run(test::ethernet(keyed));
	EXPECT_EQ(passed.verdict, tcx_next);
	EXPECT_EQ(passed.frame, test::ethernet(keyed));
	EXPECT_EQ(program_->maps().counters()->malformed, 1u);
}

TEST_F(RelayDatapath, UnwrapsGueToo)
{
	const auto spec = udp_spec();
	const Bytes inner = udp_packet(spec);
	const Bytes to_r2 = test::gue(source, r2, 50001, inner, spec);
	const auto out = run(test::ethernet(test::gue(source, r1, 50001, to_r2, spec)));
	EXPECT_EQ(out.verdict, tcx_pass);
	EXPECT_EQ(out.frame, test::ethernet(to_r2));
	EXPECT_EQ(program_->maps().counters()->decapsulated, 1u);

	// Other UDP to the relay, even to a relay address, is not a tunnel:
	// passed on and not counted.
	auto to_r1 = spec;
	to_r1.dst = r1;
	const Bytes dns = test::ethernet(test::ipv4(to_r1, test::udp(5353, 53, inner)));
	const auto passed = run(dns);
	EXPECT_EQ(passed.verdict, tcx_next);
	EXPECT_EQ(passed.frame, dns);
	// GUE whose payload is not IPv4 (a GUE header, variant 0): malformed.
	const Bytes variant0 =
		test::ethernet(test::ipv4(to_r1, test::udp(50001, 6080, Bytes(24, 0))));
	EXPECT_EQ(run(variant0).frame, variant0);
	const auto counters = program_->maps().counters();
	EXPECT_EQ(counters->decapsulated, 1u);
	EXPECT_EQ(counters->not_local, 0u);
	EXPECT_EQ(counters->malformed, 1u);
}

TEST_F(RelayDatapath, PassesOnWhatIsNotForIt)
{
	const auto spec = udp_spec();
	const Bytes inner = udp_packet(spec);
	const Bytes for_r2 = test::ethernet(test::ipip(source, r2, inner, spec));
	auto out = run(for_r2);
	EXPECT_EQ(out.verdict, tcx_next);
	EXPECT_EQ(out.frame, for_r2);

	const Bytes plain = test::ethernet(inner);
	EXPECT_EQ(run(plain).frame, plain);

	auto fragment = spec;
	fragment.dst = r1;
	fragment.protocol = test::proto_ipip;
	fragment.df = false;
	fragment.mf = true;
	const Bytes first_fragment = test::ethernet(test::ipv4(fragment, inner));
	out = run(first_fragment);
	EXPECT_EQ(out.verdict, tcx_next);
	EXPECT_EQ(out.frame, first_fragment) << "fragments are the stack's to reassemble";

	auto counters = program_->maps().counters();
	ASSERT_TRUE(counters);
	EXPECT_EQ(counters->not_local, 1u);
	EXPECT_EQ(counters->fragments, 1u);
	EXPECT_EQ(counters->decapsulated, 0u);
}

// What the host wrote, unwrapped by each relay in turn, is what it sent.
// Every tunnel: encapsulation x the packet's family x the relays' family.
struct Tunnel {
	Encap encap;
	bool inner_v6, relays_v6;
};

class RoundTrip : public ::testing::TestWithParam<Tunnel> {};

TEST_P(RoundTrip, HostThenEveryRelayGivesBackTheOriginalPacket)
{
	const Tunnel t = GetParam();
	auto host_program = HostProgram::load();
	ASSERT_TRUE(host_program) << host_program.error().message;
	ASSERT_TRUE(host_program->maps().set_config(
		{.source = Ipv4{source}, .source6 = Ipv6{source6}}));
	const std::vector<IpAddress> relay_addresses =
		t.relays_v6 ? std::vector<IpAddress>{Ipv6{r1_6}, Ipv6{r2_6}, Ipv6{r3_6}}
			    : std::vector<IpAddress>{Ipv4{r1}, Ipv4{r2}, Ipv4{r3}};
	RouteSpec spec;
	spec.prefix = t.inner_v6 ? IpPrefix{destination6} : IpPrefix{destination};
	spec.lists.push_back(RelayList{relay_addresses});
	spec.encap = t.encap;
	auto record = encode_route(spec, 1);
	ASSERT_TRUE(record) << record.error().message;
	ASSERT_TRUE(host_program->maps().put_route(spec.prefix, *record));
	std::vector<RelayProgram> relays;
	for (const IpAddress &r : relay_addresses) {
		auto relay = RelayProgram::load();
		ASSERT_TRUE(relay) << relay.error().message;
		ASSERT_TRUE(relay->maps().add_local(r));
		relays.push_back(std::move(*relay));
	}

	const Bytes original = t.inner_v6 ? test::ethernet(udp6_packet(), test::ethertype_ipv6)
					  : test::ethernet(udp_packet(udp_spec()));
	auto frame = test_run(host_program->prog_fd(), original);
	ASSERT_TRUE(frame);
	Bytes on_the_wire = frame->frame;
	ASSERT_EQ(on_the_wire.size(),
		  original.size() +
			  3 * iplb_encap_layer(static_cast<uint8_t>(t.encap), t.relays_v6));
	EXPECT_EQ(on_the_wire[12] << 8 | on_the_wire[13], t.relays_v6 ? 0x86dd : 0x0800);
	const uint8_t protocol = on_the_wire[t.relays_v6 ? 20 : 23];
	EXPECT_EQ(protocol, t.encap == Encap::gre   ? test::proto_gre
			    : t.encap == Encap::gue ? test::proto_udp
			    : t.relays_v6	    ? test::proto_ipv6
						    : test::proto_ipip);
	for (auto &relay : relays) {
		auto out = test_run(relay.prog_fd(), on_the_wire);
		ASSERT_TRUE(out);
		EXPECT_EQ(out->verdict, tcx_pass);
		on_the_wire = out->frame;
	}
	EXPECT_EQ(on_the_wire, original) << test::hex(on_the_wire);
	for (auto &relay : relays)
		EXPECT_EQ(relay.maps().counters()->decapsulated, 1u);
}

std::vector<Tunnel> every_tunnel()
{
	std::vector<Tunnel> out;
	for (Encap encap : {Encap::ipip, Encap::gre, Encap::gue})
		for (bool inner_v6 : {false, true})
			for (bool relays_v6 : {false, true})
				out.push_back({encap, inner_v6, relays_v6});
	return out;
}

INSTANTIATE_TEST_SUITE_P(Datapath, RoundTrip, ::testing::ValuesIn(every_tunnel()),
			 [](const auto &test_info) {
				 const Tunnel &tunnel = test_info.param;
				 return std::string(to_string(tunnel.encap)) +
					(tunnel.inner_v6 ? "_v6" : "_v4") +
					(tunnel.relays_v6 ? "_over_v6" : "_over_v4");
			 });

// sync_table() on the real maps: a prefix that stays keeps its counter slot
// (and its counts) even when its lists change; a new prefix gets a zeroed
// slot, possibly one a removed prefix left.
TEST(BpfTableSync, PrefixesThatStayKeepTheirSlotsAndCounts)
{
	auto program = HostProgram::load();
	ASSERT_TRUE(program) << program.error().message;
	ASSERT_TRUE(program->maps().set_config({.source = Ipv4{source}, .source6 = std::nullopt}));
	BpfRouteTable table(program->maps());
	const auto spec_of = [](const char *prefix, std::vector<uint32_t> relays) {
		RouteSpec spec;
		spec.prefix = *parse_ip_prefix(prefix);
		for (uint32_t r : relays)
			spec.lists.push_back(RelayList{{Ipv4{r}}});
		return spec;
	};
	const auto first_relay_of = [&](uint32_t dst) -> uint32_t {
		auto out = test_run(program->prog_fd(), test::ethernet(udp_packet(udp_spec(dst))));
		return out ? ipip_destination(out->frame) : 0u;
	};

	auto result = sync_table(table, std::vector<RouteSpec>{spec_of("10.4.1.0/24", {r1}),
							       spec_of("10.4.2.0/24", {r2})});
	ASSERT_TRUE(result) << result.error().message;
	EXPECT_EQ(result->put, 2u);
	const auto [slot_a, in_a] = *table.slot_for(*parse_ip_prefix("10.4.1.0/24"));
	const bool in_b = table.slot_for(*parse_ip_prefix("10.4.2.0/24"))->second;
	ASSERT_TRUE(in_a && in_b);
	EXPECT_EQ(first_relay_of(addr("10.4.1.7")), r1);
	EXPECT_EQ(first_relay_of(addr("10.4.2.7")), r2);

	// 10.4.1.0/24 changes lists, 10.4.2.0/24 goes, 10.4.3.0/24 comes.
	result = sync_table(table, std::vector<RouteSpec>{spec_of("10.4.1.0/24", {r3}),
							  spec_of("10.4.3.0/24", {r3})});
	ASSERT_TRUE(result) << result.error().message;
	EXPECT_EQ(result->put, 2u);
	EXPECT_EQ(result->removed, 1u);
	EXPECT_TRUE(result->errors.empty());
	EXPECT_EQ(table.slot_for(*parse_ip_prefix("10.4.1.0/24"))->first, slot_a);
	EXPECT_EQ(program->maps().route_counters(slot_a)->packets, 1u) << "its count went on";
	const auto [slot_c, in_c] = *table.slot_for(*parse_ip_prefix("10.4.3.0/24"));
	ASSERT_TRUE(in_c);
	EXPECT_EQ(program->maps().route_counters(slot_c)->packets, 0u)
		<< "a new prefix starts at 0";
	EXPECT_EQ(first_relay_of(addr("10.4.1.7")), r3);
	EXPECT_EQ(first_relay_of(addr("10.4.2.7")), 0u) << "no longer in the table";
	EXPECT_EQ(first_relay_of(addr("10.4.3.7")), r3);
}

// A bpffs of the test's own, removed with everything pinned in it.
class PinnedDatapath : public ::testing::Test {
protected:
	void TearDown() override
	{
		for (const std::string &dir : {root_ + "/a", root_}) {
			if (DIR *d = ::opendir(dir.c_str())) {
				while (const dirent *e = ::readdir(d))
					if (e->d_name[0] != '.')
						::unlink((dir + "/" + e->d_name).c_str());
				::closedir(d);
			}
			if (dir == root_)
				::umount2(root_.c_str(), MNT_DETACH);
			::rmdir(dir.c_str());
		}
	}

	const std::string root_ = "/run/iplb-test-" + std::to_string(::getpid());
};

TEST_F(PinnedDatapath, TheTableOutlivesTheProgramAndIsReadopted)
{
	auto dir = prepare_pin_dir(root_, "a");
	ASSERT_TRUE(dir) << dir.error().message;
	const RouteSpec spec = route_of({{r1, r2}});
	{
		auto program = HostProgram::open(*dir);
		ASSERT_TRUE(program) << program.error().message;
		ASSERT_TRUE(program->maps().set_config(
			{.source = Ipv4{source}, .source6 = std::nullopt, .fib_redirect = true}));
		ASSERT_TRUE(program->maps().put_route(destination, *encode_route(spec, 5)));
	}
	// Nothing runs it now; the maps are still there, for iplbctl...
	auto maps = HostMaps::from_pins(*dir);
	ASSERT_TRUE(maps) << maps.error().message;
	auto routes = maps->routes();
	ASSERT_TRUE(routes);
	ASSERT_EQ(routes->size(), 1u);
	EXPECT_EQ(*decode_route(destination, routes->front().second), spec);
	EXPECT_TRUE(maps->config()->fib_redirect);

	// ...and for the next program: same table, same config, and it works.
	auto again = HostProgram::open(*dir);
	ASSERT_TRUE(again) << again.error().message;
	EXPECT_EQ(again->maps().config()->source, Ipv4{source});
	EXPECT_TRUE(*again->maps().route(destination));
	ASSERT_TRUE(again->maps().set_config({.source = Ipv4{source}, .source6 = std::nullopt}));
	const Bytes frame = test::ethernet(udp_packet(udp_spec()));
	auto out = test_run(again->prog_fd(), frame);
	ASSERT_TRUE(out);
	EXPECT_EQ(out->frame.size(), frame.size() + 40);
	EXPECT_EQ(maps->route_counters(5)->packets, 1u) << "one table, seen from both";
}

TEST_F(PinnedDatapath, AnotherLayoutIsRefusedNotReused)
{
	auto dir = prepare_pin_dir(root_, "a");
	ASSERT_TRUE(dir);
	{
		auto program = HostProgram::open(*dir);
		ASSERT_TRUE(program);
		iplb_config old{};
		old.layout_version = IPLB_HOST_LAYOUT_VERSION + 1;
		const uint32_t zero = 0;
		auto fd = UniqueFd(bpf_obj_get((*dir / "iplb_config").c_str()));
		ASSERT_EQ(bpf_map_update_elem(fd.get(), &zero, &old, BPF_ANY), 0);
	}
	auto maps = HostMaps::from_pins(*dir);
	ASSERT_FALSE(maps);
	const std::string expected = "has table layout " + std::to_string(IPLB_HOST_LAYOUT_VERSION + 1) +
				     ", this build " + std::to_string(IPLB_HOST_LAYOUT_VERSION);
	EXPECT_NE(maps.error().message.find(expected), std::string::npos) << maps.error().message;
	auto program = HostProgram::open(*dir);
	ASSERT_FALSE(program);
	EXPECT_NE(program.error().message.find(expected), std::string::npos)
		<< program.error().message;
}

TEST(PinDir, InstanceNamesAreFileNames)
{
	EXPECT_FALSE(prepare_pin_dir("/run/iplb-never", "../etc"));
	EXPECT_FALSE(prepare_pin_dir("/run/iplb-never", ""));
	auto missing = existing_pin_dir("/run/iplb-never", "h1");
	ASSERT_FALSE(missing);
	EXPECT_EQ(missing.error().message, "no iplb datapath 'h1' (nothing at /run/iplb-never/h1)");
}

} // namespace
} // namespace iplb
