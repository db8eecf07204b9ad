// SPDX-License-Identifier: GPL-2.0-or-later
// The host program (kernel/iplb_host.bpf.c) run by the kernel on fixed frames
// (BPF_PROG_TEST_RUN). First its table of packet cases: one frame each, on a
// program loaded for it, expected bytes built by packets.hpp. Then what one
// frame cannot show: how flows spread over lists and stay on them, weights,
// mode flow over time, the flow table. Needs root (CAP_BPF).
#include "datapath/bpf_programs.hpp"
#include "datapath/route_record.hpp"

#include "fixtures.hpp"
#include "packet_tester.hpp"
#include "packets.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace iplb {
namespace {

using namespace test;

// ---------------------------------------------------------------------------
// The table

// A route of the table, as user space writes it (or, spoilt, would not).
struct HostRoute {
	RouteSpec spec;
	uint32_t id = 7; // its counters' slot
	std::function<void(iplb_route &)> spoil = nullptr;
};

struct HostSetup {
	HostConfig config{.source = Ipv4{source}, .source6 = std::nullopt};
	std::vector<HostRoute> routes;
	bool ingress = false; // the TCX ingress program, else egress
	// The owner's lease; none: no owner.
	std::optional<OwnerLease> lease{};
};

// The counters of one route (summed over CPUs), and of some of its lists;
// compared field by field.
struct HostCounts {
	uint32_t route_id = 7;
	iplb_counters route{};
	std::vector<std::pair<uint32_t, iplb_list_counters>> lists;
};

using HostCase = PacketCase<HostSetup, HostCounts>;

class HostTarget {
public:
	using Setup = HostSetup;
	using Counters = HostCounts;

	void set_up(const HostSetup &setup)
	{
		auto loaded = HostProgram::load();
		ASSERT_TRUE(loaded) << loaded.error().message;
		program_.emplace(std::move(*loaded));
		ASSERT_TRUE(program_->maps().set_config(setup.config));
		if (setup.lease) {
			ASSERT_TRUE(program_->maps().set_owner_lease(*setup.lease));
		}
		for (const HostRoute &route : setup.routes) {
			auto record = encode_route(route.spec, route.id);
			ASSERT_TRUE(record) << record.error().message;
			if (route.spoil)
				route.spoil(*record);
			ASSERT_TRUE(program_->maps().put_route(route.spec.prefix, *record));
		}
		ingress_ = setup.ingress;
	}

	int prog_fd() const { return ingress_ ? program_->ingress_prog_fd() : program_->prog_fd(); }

	void expect_counters(const HostCounts &expected) const
	{
		const auto got = program_->maps().route_counters(expected.route_id);
		ASSERT_TRUE(got) << got.error().message;
		const iplb_counters &want = expected.route;
		EXPECT_EQ(got->packets, want.packets) << "route counter packets";
		EXPECT_EQ(got->bytes, want.bytes) << "route counter bytes";
		for (int why = 0; why < IPLB_BYPASS_REASONS; why++)
			EXPECT_EQ(got->bypass[why], want.bypass[why]) << "bypass reason " << why;
		EXPECT_EQ(got->fib_fallback, want.fib_fallback) << "fib_fallback";
		EXPECT_EQ(got->mss_clamped, want.mss_clamped) << "mss_clamped";
		EXPECT_EQ(got->flows_assigned, want.flows_assigned) << "flows_assigned";
		EXPECT_EQ(got->flows_unremembered, want.flows_unremembered) << "flows_unremembered";
		for (const auto &[list, want_list] : expected.lists) {
			const auto got_list =
				program_->maps().list_counters(expected.route_id, list);
			ASSERT_TRUE(got_list) << got_list.error().message;
			EXPECT_EQ(got_list->packets, want_list.packets)
				<< "list " << list << " packets";
			EXPECT_EQ(got_list->bytes, want_list.bytes) << "list " << list << " bytes";
		}
	}

private:
	std::optional<HostProgram> program_;
	bool ingress_ = false;
};

// Both outer sources configured: for the cases with IPv6 on either side.
const HostConfig both_sources{.source = Ipv4{source}, .source6 = Ipv6{source6}};

HostRoute route_over(std::vector<std::vector<uint32_t>> lists, uint16_t mtu = 0,
		     Encap encap = Encap::ipip)
{
	HostRoute route{.spec = route_of(std::move(lists), mtu)};
	route.spec.encap = encap;
	return route;
}

// One list of relays of either family, to a prefix of either family.
HostRoute route6(IpPrefix prefix, std::vector<IpAddress> relays, Encap encap, uint16_t mtu = 0)
{
	HostRoute route;
	route.spec.prefix = prefix;
	route.spec.lists.push_back(RelayList{std::move(relays)});
	route.spec.encap = encap;
	route.spec.mtu = mtu;
	return route;
}

// The counters of a route after one packet of `bytes` (the frame, before
// encapsulation) went through list 0.
HostCounts sent_once(size_t bytes)
{
	HostCounts counts;
	counts.route.packets = 1;
	counts.route.bytes = bytes;
	return counts;
}

HostCounts clamped_and_sent(size_t bytes)
{
	HostCounts counts = sent_once(bytes);
	counts.route.mss_clamped = 1;
	return counts;
}

HostCounts bypassed(iplb_bypass why, uint32_t route_id = 7)
{
	HostCounts counts;
	counts.route_id = route_id;
	counts.route.bypass[why] = 1;
	return counts;
}

std::vector<HostCase> host_cases()
{
	std::vector<HostCase> cases;
	const Ipv4Spec spec = udp_spec();
	const Bytes inner = udp_packet(spec);
	const Bytes frame = ethernet(inner);
	Ipv4Spec tcp = spec;
	tcp.protocol = proto_tcp;

	// Encapsulation over IPv4 relays.
	{
		HostCounts counts = sent_once(frame.size());
		counts.lists = {{0, {.packets = 1, .bytes = frame.size()}}};
		cases.push_back({
			.description = "encapsulates to the one relay",
			.setup = {.routes = {route_over({{r1}})}},
			.input = frame,
			.expected = ethernet(ipip(source, r1, inner, spec)),
			.verdict = tcx_next, // encapsulated, then on its way
			.counters = counts,
		});
	}
	// The owner's lease.
	{
		HostCounts counts = sent_once(frame.size());
		counts.lists = {{0, {.packets = 1, .bytes = frame.size()}}};
		cases.push_back({
			.description = "encapsulates while its owner's lease runs",
			.setup = {.routes = {route_over({{r1}})},
				  .lease = OwnerLease{.deadline_jiffies = UINT64_MAX}},
			.input = frame,
			.expected = ethernet(ipip(source, r1, inner, spec)),
			.counters = counts,
		});
	}
	cases.push_back({
		.description = "leaves packets alone once its owner's lease has passed",
		// Jiffies start high (5 minutes before wrapping 32 bits).
		.setup = {.routes = {route_over({{r1}})},
			  .lease = OwnerLease{.deadline_jiffies = 1}},
		.input = frame,
		.expected = frame,
		.counters = bypassed(IPLB_BYPASS_STALE),
	});
	cases.push_back({
		.description = "nests one header per relay, outermost first",
		.setup = {.routes = {route_over({{r1, r2, r3}})}},
		.input = frame,
		.expected = ethernet(ipip(
			source, r1, ipip(source, r2, ipip(source, r3, inner, spec), spec), spec)),
	});
	cases.push_back({
		.description = "GRE nests an IP and a GRE header per relay",
		.setup = {.routes = {route_over({{r1, r2}}, 1400, Encap::gre)}},
		.input = frame,
		.expected = ethernet(gre(source, r1, gre(source, r2, inner, spec), spec)),
	});
	// The MSS clamp counts GRE's 24 bytes per relay: 1400 - 48 - 40.
	cases.push_back({
		.description = "GRE clamps a SYN's MSS for its 24 bytes per relay",
		.setup = {.routes = {route_over({{r1, r2}}, 1400, Encap::gre)}},
		.input = ethernet(ipv4(tcp, tcp_syn(1, 2, 1460, tcp.src, tcp.dst))),
		.expected = ethernet(
			gre(source, r1,
			    gre(source, r2, ipv4(tcp, tcp_syn(1, 2, 1312, tcp.src, tcp.dst)), tcp),
			    tcp)),
	});
	cases.push_back({
		.description = "GUE nests an IP and a UDP header per relay with the flow in the "
			       "source port",
		.setup = {.routes = {route_over({{r1, r2}}, 1400, Encap::gue)}},
		.input = frame,
		.expected = ExpectedFrame::Builder([=](const FlowHashFields &chosen) {
			const uint16_t port = chosen.gue_source_port;
			return ethernet(
				gue(source, r1, port, gue(source, r2, port, inner, spec), spec));
		}),
	});
	// MSS: 1400 - 2 * 28 - 40.
	cases.push_back({
		.description = "GUE clamps a SYN's MSS for its 28 bytes per relay",
		.setup = {.routes = {route_over({{r1, r2}}, 1400, Encap::gue)}},
		.input = ethernet(ipv4(tcp, tcp_syn(1, 2, 1460, tcp.src, tcp.dst))),
		.expected = ExpectedFrame::Builder([=](const FlowHashFields &chosen) {
			const uint16_t port = chosen.gue_source_port;
			const Bytes small = ipv4(tcp, tcp_syn(1, 2, 1304, tcp.src, tcp.dst));
			return ethernet(
				gue(source, r1, port, gue(source, r2, port, small, tcp), tcp));
		}),
	});
	{
		const Bytes tunnelled = ethernet(ipv4(spec, udp(50000, 6080, Bytes(24, 0x45))));
		cases.push_back({
			.description = "UDP to the GUE port is not tunnelled again",
			.setup = {.routes = {route_over({{r1}})}},
			.input = tunnelled,
			.expected = tunnelled,
		});
	}
	cases.push_back({
		.description = "without an outer source the packet's own is used",
		.setup = {.config = {}, .routes = {route_over({{r1}})}},
		.input = frame,
		.expected = ethernet(ipip(host, r1, inner, spec)),
	});

	// What is not iplb's business.
	{
		const Bytes elsewhere = ethernet(udp_packet(udp_spec(addr("10.4.2.7"))));
		cases.push_back({
			.description = "what is not in the table is untouched",
			.setup = {.routes = {route_over({{r1}})}},
			.input = elsewhere,
			.expected = elsewhere,
		});
		const Bytes arp = ethernet(Bytes(28, 0), 0x0806);
		cases.push_back({
			.description = "ARP is untouched",
			.setup = {.routes = {route_over({{r1}})}},
			.input = arp,
			.expected = arp,
		});
		const Bytes v6 = ethernet(Bytes(40, 0x60), 0x86dd);
		cases.push_back({
			.description = "IPv6 outside the table is untouched",
			.setup = {.routes = {route_over({{r1}})}},
			.input = v6,
			.expected = v6,
		});
	}
	{
		// A tunnel to a relay inside a table prefix comes back through
		// this hook when the FIB redirect sends it out: it must not nest
		// forever.
		const Bytes tunnelled =
			ethernet(ipip(source, addr("10.4.1.9"), udp_packet(spec), spec));
		cases.push_back({
			.description = "what is already tunnelled is not tunnelled again",
			.setup = {.routes = {route_over({{r1}})}},
			.input = tunnelled,
			.expected = tunnelled,
		});
	}

	// The longest prefix wins: 10.4.1.7/32 over 10.4.1.0/24.
	{
		HostRoute wide = route_over({{r1}});
		wide.id = 1;
		HostRoute narrow = route_over({{r2}});
		narrow.spec.prefix = *parse_prefix("10.4.1.7/32");
		narrow.id = 2;
		const auto to7 = udp_spec(addr("10.4.1.7")), to8 = udp_spec(addr("10.4.1.8"));
		cases.push_back({
			.description = "the longest prefix wins",
			.setup = {.routes = {wide, narrow}},
			.input = ethernet(udp_packet(to7)),
			.expected = ethernet(ipip(source, r2, udp_packet(to7), to7)),
		});
		cases.push_back({
			.description = "the longest prefix wins, the shorter takes the rest",
			.setup = {.routes = {wide, narrow}},
			.input = ethernet(udp_packet(to8)),
			.expected = ethernet(ipip(source, r1, udp_packet(to8), to8)),
		});
	}
	{
		auto icmp = spec;
		icmp.protocol = proto_icmp;
		const Bytes ping = ipv4(icmp, icmp_echo(7, 1));
		cases.push_back({
			.description = "ICMP is carried as it is",
			.setup = {.routes = {route_over({{r1}})}},
			.input = ethernet(ping),
			.expected = ethernet(ipip(source, r1, ping, icmp)),
		});
		auto with_options = spec;
		with_options.options = {0x94, 0x04, 0, 0}; // router alert
		const Bytes packet = udp_packet(with_options);
		cases.push_back({
			.description = "IP options are carried as they are",
			.setup = {.routes = {route_over({{r1}})}},
			.input = ethernet(packet),
			.expected = ethernet(ipip(source, r1, packet, with_options)),
		});
	}

	// Path MTU 1400, two relays: 40 bytes of headers.
	{
		const Bytes big = ethernet(ipv4(spec, udp(1, 2, Bytes(1400 - 20 - 8 - 39, 0))));
		cases.push_back({
			.description = "too big for the path with DF goes out unencapsulated",
			.setup = {.routes = {route_over({{r1, r2}}, 1400)}},
			.input = big, // 1401 bytes with two headers
			.expected = big,
			.counters = bypassed(IPLB_BYPASS_TOO_BIG),
		});
		const Bytes just = ipv4(spec, udp(1, 2, Bytes(1400 - 20 - 8 - 40, 0)));
		cases.push_back({
			.description = "exactly the path MTU with both headers is encapsulated",
			.setup = {.routes = {route_over({{r1, r2}}, 1400)}},
			.input = ethernet(just),
			.expected = ethernet(ipip(source, r1, ipip(source, r2, just, spec), spec)),
		});
		cases.push_back({
			.description = "well within the path MTU is encapsulated",
			.setup = {.routes = {route_over({{r1, r2}}, 1400)}},
			.input = frame,
			.expected = ethernet(ipip(source, r1, ipip(source, r2, inner, spec), spec)),
		});
	}
	// 1400-byte path, two relays: segments of at most 1400 - 40 - 40 bytes.
	{
		const Bytes syn = ethernet(ipv4(tcp, tcp_syn(40000, 80, 1460, tcp.src, tcp.dst)));
		const Bytes clamped = ipv4(tcp, tcp_syn(40000, 80, 1320, tcp.src, tcp.dst));
		cases.push_back({
			.description = "a SYN's MSS is clamped to what the tunnel carries",
			.setup = {.routes = {route_over({{r1, r2}}, 1400)}},
			.input = syn,
			.expected = ethernet(ipip(source, r1, ipip(source, r2, clamped, tcp), tcp)),
			.counters = clamped_and_sent(syn.size()),
		});
		const Bytes small = ipv4(tcp, tcp_syn(40001, 80, 1200, tcp.src, tcp.dst));
		cases.push_back({
			.description = "a SYN's MSS already small enough is left alone",
			.setup = {.routes = {route_over({{r1, r2}}, 1400)}},
			.input = ethernet(small),
			.expected = ethernet(ipip(source, r1, ipip(source, r2, small, tcp), tcp)),
			.counters = sent_once(ethernet(small).size()),
		});
	}
	{
		HostRoute spoilt = route_over({{r1}});
		spoilt.id = 3;
		spoilt.spoil = [](iplb_route &record) {
			record.lists[0].n_relays = IPLB_MAX_RELAYS + 1;
		};
		cases.push_back({
			.description = "a record user space should not have written is bypassed",
			.setup = {.routes = {spoilt}},
			.input = frame,
			.expected = frame,
			.counters = bypassed(IPLB_BYPASS_BAD_ROUTE, 3),
		});
	}

	// TCX ingress: SYN-ACKs from a table destination are clamped for the
	// longest list, so that this host's own segments fit whichever list
	// they take; from elsewhere they are untouched.
	{
		Ipv4Spec back;
		back.src = addr("10.4.1.7");
		back.dst = host;
		back.protocol = proto_tcp;
		const HostSetup setup{.routes = {route_over({{r1}, {r1, r2, r3}}, 1400)},
				      .ingress = true};
		cases.push_back({
			.description = "an inbound SYN-ACK's MSS is clamped for the longest list",
			.setup = setup,
			.input = ethernet(
				ipv4(back, tcp_syn(80, 40000, 1460, back.src, back.dst, true))),
			.expected = ethernet(ipv4(back, tcp_syn(80, 40000, 1400 - 60 - 40, back.src,
								back.dst, true))),
		});
		back.src = addr("10.4.2.7");
		const Bytes other =
			ethernet(ipv4(back, tcp_syn(80, 40000, 1460, back.src, back.dst, true)));
		cases.push_back({
			.description = "an inbound SYN-ACK from outside the table is untouched",
			.setup = setup,
			.input = other,
			.expected = other,
		});
	}

	// IPv6 destinations over IPv4 relays, and IPv4 and IPv6 destinations
	// over IPv6 relays.
	const Bytes inner6 = udp6_packet();
	const Bytes frame6 = ethernet(inner6, ethertype_ipv6);
	// Protocol 41, TOS from the traffic class, DF set (IPv6 is never
	// fragmented on the way), id 0.
	cases.push_back({
		.description = "6in4",
		.setup = {.config = both_sources,
			  .routes = {route6(destination6, {Ipv4{r1}}, Encap::ipip)}},
		.input = frame6,
		.expected = ethernet(
			ip4_tunnel(source, r1, IPLB_ENCAP_IPIP, true, inner6, 0x28, 0, true)),
	});
	// The flow label carries the flow, the same in both headers.
	cases.push_back({
		.description = "4in6 nested",
		.setup = {.config = both_sources,
			  .routes = {route6(destination, {Ipv6{r1_6}, Ipv6{r2_6}}, Encap::ipip)}},
		.input = frame,
		.expected = ExpectedFrame::Builder([=](const FlowHashFields &chosen) {
			const uint32_t label = chosen.flow_label;
			return ethernet(ip6_tunnel(source6, r1_6, IPLB_ENCAP_IPIP, true,
						   ip6_tunnel(source6, r2_6, IPLB_ENCAP_IPIP, false,
							      inner, spec.tos, label),
						   spec.tos, label),
					ethertype_ipv6);
		}),
	});
	cases.push_back({
		.description = "6in6 GRE",
		.setup = {.config = both_sources,
			  .routes = {route6(destination6, {Ipv6{r1_6}}, Encap::gre)}},
		.input = frame6,
		.expected = ExpectedFrame::Builder([=](const FlowHashFields &chosen) {
			return ethernet(ip6_tunnel(source6, r1_6, IPLB_ENCAP_GRE, true, inner6,
						   0x28, chosen.flow_label),
					ethertype_ipv6);
		}),
	});
	cases.push_back({
		.description = "6in6 GUE",
		.setup = {.config = both_sources,
			  .routes = {route6(destination6, {Ipv6{r1_6}}, Encap::gue)}},
		.input = frame6,
		.expected = ExpectedFrame::Builder([=](const FlowHashFields &chosen) {
			return ethernet(ip6_tunnel(source6, r1_6, IPLB_ENCAP_GUE, true, inner6,
						   0x28, chosen.flow_label, chosen.gue_source_port),
					ethertype_ipv6);
		}),
	});
	cases.push_back({
		.description = "without a source of the tunnel's family the packet goes as it is",
		.setup = {.config = {.source = std::nullopt, .source6 = Ipv6{source6}},
			  .routes = {route6(destination6, {Ipv4{r1}}, Encap::ipip)}},
		.input = frame6,
		.expected = frame6,
		.counters = bypassed(IPLB_BYPASS_NO_SOURCE),
	});
	// An IPv6 packet to IPv6 relays can do with its own source.
	cases.push_back({
		.description = "an IPv6 packet to IPv6 relays without a source uses its own",
		.setup = {.config = {},
			  .routes = {route6(destination6, {Ipv6{r1_6}}, Encap::ipip)}},
		.input = frame6,
		.expected = ExpectedFrame::Builder([=](const FlowHashFields &chosen) {
			return ethernet(ip6_tunnel(host6, r1_6, IPLB_ENCAP_IPIP, true, inner6, 0x28,
						   chosen.flow_label),
					ethertype_ipv6);
		}),
	});
	{
		auto syn_spec = udp6_spec();
		syn_spec.next_header = proto_tcp;
		const Bytes syn = ipv6(syn_spec, tcp_syn6(40000, 80, 1440, host6, dest6));
		const Bytes clamped = ipv6(syn_spec, tcp_syn6(40000, 80, 1320, host6, dest6));
		cases.push_back({
			.description = "an IPv6 SYN's MSS is clamped for its larger header",
			.setup = {.config = both_sources,
				  .routes = {route6(destination6, {Ipv4{r1}}, Encap::ipip, 1400)}},
			.input = ethernet(syn, ethertype_ipv6),
			.expected = ethernet(ip4_tunnel(source, r1, IPLB_ENCAP_IPIP, true, clamped,
							0x28, 0, true)),
			.counters = clamped_and_sent(ethernet(syn, ethertype_ipv6).size()),
		});
	}
	return cases;
}

class HostPacket : public ::testing::TestWithParam<HostCase> {};

TEST_P(HostPacket, Run)
{
	run_packet_case<HostTarget>(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Cases, HostPacket, ::testing::ValuesIn(host_cases()), case_name<HostCase>);

// ---------------------------------------------------------------------------
// Many frames: spreading, weights, mode flow

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

// Another flow, another port (most of the time: 16 of them all alike would
// mean the port does not follow the flow).
TEST_F(HostDatapath, TheGueSourcePortFollowsTheFlow)
{
	auto route = route_of({{r1, r2}}, 1400);
	route.encap = Encap::gue;
	install(route);
	std::set<uint16_t> ports;
	for (uint16_t sport = 40000; sport < 40016; sport++) {
		const auto other = run(ethernet(udp_packet(udp_spec(), sport)));
		ASSERT_GT(other.frame.size(), 14u + 20 + 2);
		ports.insert(static_cast<uint16_t>(other.frame[34] << 8 | other.frame[35]));
	}
	EXPECT_GT(ports.size(), 8u);
}

// 400 flows over four single-relay lists: every list gets its share, a flow
// always gets the same list, and taking a list away moves only its flows.
TEST_F(HostDatapath, FlowsSpreadOverTheListsAndOnlyARemovedListsFlowsMove)
{
	const std::vector<uint32_t> relays{r1, r2, r3, r4};
	install(route_of({{relays[0]}, {relays[1]}, {relays[2]}, {relays[3]}}));
	std::map<uint16_t, uint32_t> before;
	std::map<uint32_t, int> share;
	for (uint16_t port = 30000; port < 30400; port++) {
		const Bytes frame = ethernet(udp_packet(udp_spec(), port));
		before[port] = first_relay(frame);
		share[before[port]]++;
		ASSERT_EQ(first_relay(frame), before[port]) << "a flow keeps its list";
	}
	for (uint32_t r : relays)
		EXPECT_GE(share[r], 60) << "each of 4 lists gets a fair share of 400 flows";

	install(route_of({{relays[0]}, {relays[1]}, {relays[3]}})); // r3's list goes
	int moved = 0;
	for (const auto &[port, relay] : before) {
		const uint32_t now = first_relay(ethernet(udp_packet(udp_spec(), port)));
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
		const uint32_t a = first_relay(ethernet(udp_packet(first, 1000 + id)));
		const uint32_t b = first_relay(ethernet(ipv4(later, Bytes(16, 0xab))));
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
		before[port] = first_relay(ethernet(udp_packet(udp_spec(), port)));
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
		const uint32_t now = first_relay(ethernet(udp_packet(udp_spec(), port)));
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
		share[first_relay(ethernet(udp_packet(udp_spec(), port)))]++;
	EXPECT_GT(share[r2], 120);
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
		const Bytes frame = ethernet(udp_packet(udp_spec(), port));
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

class HostDatapath6 : public HostDatapath {
protected:
	void SetUp() override
	{
		HostDatapath::SetUp();
		ASSERT_TRUE(program_->maps().set_config(both_sources));
	}
};

// Another flow, another flow label.
TEST_F(HostDatapath6, TheFlowLabelFollowsTheFlow)
{
	install(route6(destination, {Ipv6{r1_6}, Ipv6{r2_6}}, Encap::ipip).spec);
	const auto one = run(ethernet(udp_packet(udp_spec(), 40000)));
	const auto other = run(ethernet(udp_packet(udp_spec(), 40001)));
	ASSERT_GT(one.frame.size(), 18u);
	ASSERT_GT(other.frame.size(), 18u);
	EXPECT_NE(flow_label_at(other.frame, 14), flow_label_at(one.frame, 14));
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
		const auto out = run(ethernet(udp6_packet(port), ethertype_ipv6));
		ASSERT_GT(out.frame.size(), 14u + 40);
		first_hops.insert(out.frame[14 + 24 + 5]);
	}
	EXPECT_EQ(first_hops.size(), 2u);
	auto flows = program_->maps().flows();
	ASSERT_TRUE(flows);
	ASSERT_EQ(flows->size(), 40u);
	EXPECT_EQ(flows->front().destination, IpAddress{Ipv6{dest6}});
	EXPECT_EQ(flows->front().protocol, proto_udp);
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
		before[port] = first_relay(ethernet(udp_packet(udp_spec(), port)));
	EXPECT_EQ(assigned(), 200u);

	use_lists({{r1}, {r2}, {r3}, {r4}});
	for (const auto &[port, relay] : before)
		EXPECT_EQ(first_relay(ethernet(udp_packet(udp_spec(), port))), relay)
			<< "port " << port;
	EXPECT_EQ(assigned(), 200u) << "no flow was placed again";

	std::map<uint32_t, int> share;
	for (uint16_t port = 30000; port < 30200; port++)
		share[first_relay(ethernet(udp_packet(udp_spec(), port)))]++;
	EXPECT_GT(share[r3], 20) << "new flows use the new lists";
	EXPECT_EQ(assigned(), 400u);

	// A list that goes takes its flows to the others; the rest stay.
	use_lists({{r1}, {r3}, {r4}});
	for (const auto &[port, relay] : before) {
		const uint32_t now = first_relay(ethernet(udp_packet(udp_spec(), port)));
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
	const Bytes frame = ethernet(udp_packet(udp_spec(), 20000));
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
	const uint32_t relay = first_relay(ethernet(udp_packet(udp_spec(), 20001, 53)));
	auto flows = program_->maps().flows();
	ASSERT_TRUE(flows) << flows.error().message;
	ASSERT_EQ(flows->size(), 1u);
	const FlowEntry &f = flows->front();
	EXPECT_EQ(f.source, IpAddress{Ipv4{host}});
	EXPECT_EQ(f.destination, IpAddress{Ipv4{addr("10.4.1.7")}});
	EXPECT_EQ(f.source_port, 20001);
	EXPECT_EQ(f.destination_port, 53);
	EXPECT_EQ(f.protocol, proto_udp);
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

// Mode round-robin: new flows take the lists in turn, whatever their hash,
// so any k consecutive new flows (an MPTCP connection's subflows) use k
// different lists; and, as mode flow, each keeps its list.
TEST_F(FlowMode, RoundRobinGivesNewFlowsTheListsInTurn)
{
	auto spec = route_of({{r1}, {r2}, {r3}, {r4}});
	spec.selection = Selection::round_robin;
	install(spec);
	std::vector<uint32_t> chosen;
	for (uint16_t port = 20000; port < 20012; port++)
		chosen.push_back(first_relay(ethernet(udp_packet(udp_spec(), port))));
	EXPECT_EQ(assigned(), 12u);
	for (size_t i = 0; i + 4 <= chosen.size(); i++) {
		const std::set<uint32_t> window(chosen.begin() + i, chosen.begin() + i + 4);
		EXPECT_EQ(window, (std::set<uint32_t>{r1, r2, r3, r4}))
			<< "flows " << i << "-" << i + 3;
	}
	for (uint16_t port = 20000; port < 20012; port++)
		EXPECT_EQ(first_relay(ethernet(udp_packet(udp_spec(), port))), chosen[port - 20000])
			<< "port " << port;
	EXPECT_EQ(assigned(), 12u) << "seen again: remembered, not placed again";
}

// A list that goes takes its flows to the others in turn; the rest stay.
TEST_F(FlowMode, RoundRobinMovesOnlyTheFlowsOfAListThatGoes)
{
	auto spec = route_of({{r1}, {r2}, {r3}});
	spec.selection = Selection::round_robin;
	install(spec);
	std::map<uint16_t, uint32_t> before;
	for (uint16_t port = 20000; port < 20030; port++)
		before[port] = first_relay(ethernet(udp_packet(udp_spec(), port)));
	spec.lists.erase(spec.lists.begin() + 1);
	install(spec);
	std::map<uint32_t, int> moved_to;
	for (const auto &[port, relay] : before) {
		const uint32_t now = first_relay(ethernet(udp_packet(udp_spec(), port)));
		if (relay != r2)
			EXPECT_EQ(now, relay) << "port " << port;
		else
			moved_to[now]++;
	}
	EXPECT_EQ(moved_to[r1] + moved_to[r3], 10);
	EXPECT_EQ(moved_to[r1], 5) << "in turn: half each";
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
		auto out = test_run(program->prog_fd(), ethernet(udp_packet(udp_spec(), port)));
		ASSERT_TRUE(out);
		ASSERT_EQ(out->frame[23], proto_ipip) << "port " << port;
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

} // namespace
} // namespace iplb
