// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's mux (kernel/iplb_mux.bpf.c, XDP) run by the kernel on
// fixed frames (BPF_PROG_TEST_RUN). First its table of packet cases, one frame
// each on a program loaded for it from its skeleton, maps filled here as
// user space would (kernel/iplb_lb_layout.h), expected bytes built by
// packets.hpp; then what one frame cannot show: a flow keeps its bucket, flows
// spread over the buckets, an ICMP error follows the flow it quotes. Needs
// root (CAP_BPF; the FIB cases a network namespace).
//
// The bucket is the flow hash modulo B and GUE's source port is 0xc000 | 14
// bits of the same hash, so with B a power of two up to 2^14 the bucket a
// packet took is its source port modulo B: how the cases tell, without
// recomputing the hash, which bucket's counter must have moved.
#include "datapath/lb_programs.hpp"
#include "lb_fixtures.hpp"
#include "packet_tester.hpp"
#include "packets.hpp"

#include "iplb_mux.skel.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <net/if.h>

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
using namespace test::mux_net;

constexpr uint32_t changed = 1'767'225'600; // a bucket's change time, unix seconds

// ---------------------------------------------------------------------------
// The table

using Buckets = std::vector<iplb_mux_bucket>;

// n buckets, all to DIP `to` (previous DIP `from`, changed at `when`).
Buckets all_to(uint16_t to, uint16_t from = 2, uint32_t when = changed, size_t n = 16)
{
	return Buckets(n, iplb_mux_bucket{.dip = to, .previous = from, .changed_at = when});
}

// Bucket i to DIP i + 1: which bucket a packet took shows in its DIP.
Buckets one_dip_each(size_t n = 16)
{
	Buckets b;
	for (size_t i = 0; i < n; i++)
		b.push_back({.dip = static_cast<uint16_t>(i + 1), .previous = 0, .changed_at = 0});
	return b;
}

struct MuxVipSetup {
	IpAddress address = Ipv4{vip};
	uint8_t protocol = proto_tcp;
	uint16_t port = 80; // 0: every port
	uint32_t id = 3;
	uint32_t flags = 0; // IPLB_VIP_DIPS_V6
	uint32_t active = 0;
	std::array<uint32_t, 2> generation{7, 8};
	// Each slot's buckets; B is the longer (the shorter is padded with
	// empty buckets, as a slot not written yet).
	std::array<Buckets, 2> slots{all_to(1), {}};
	uint32_t counter_base = 100;
	// What user space should not have written.
	std::function<void(iplb_mux_vip &)> spoil = nullptr;
};

struct MuxSetup {
	uint32_t flags = 0; // IPLB_MUX_FIB
	uint32_t mtu = 0;
	std::vector<IpAddress> dips{Ipv4{dip(1)}, Ipv4{dip(2)}, Ipv4{dip(3)}};
	std::vector<MuxVipSetup> vips{MuxVipSetup{}};
	// A network namespace of the case's own, set up by these commands, and
	// the interface the frame arrives on there ("": the loopback).
	bool own_netns = false;
	std::vector<std::string> network;
	std::string ingress;
};

// The counters after the case: the mux's, those of one VIP (every other
// VIP's must be zero), and the packets of the bucket the flow took, read
// from the output's GUE source port (0: every bucket of every VIP is zero).
struct MuxCounts {
	iplb_mux_counters mux{};
	uint32_t vip_id = 3;
	iplb_mux_vip_counters vip{};
	uint64_t flow_bucket_packets = 0;
};

using MuxCase = PacketCase<MuxSetup, MuxCounts>;

class MuxTarget {
public:
	using Setup = MuxSetup;
	using Counters = MuxCounts;

	static std::string verdict_name(int verdict) { return xdp_verdict_name(verdict); }

	void set_up(const MuxSetup &setup)
	{
		if (setup.own_netns) {
			netns_.emplace();
			ASSERT_TRUE(netns_->entered()) << "cannot make a network namespace (root?)";
			ASSERT_EQ(run_commands(setup.network), "");
			if (!setup.ingress.empty()) {
				ifindex_ = if_nametoindex(setup.ingress.c_str());
				ASSERT_NE(ifindex_, 0u) << setup.ingress;
			}
		}
		std::string error;
		skeleton_ = load_skeleton<iplb_mux>(error);
		ASSERT_TRUE(skeleton_) << error;

		iplb_mux_config config;
		std::memset(&config, 0, sizeof(config));
		config.layout_version = IPLB_LB_LAYOUT_VERSION;
		config.flags = setup.flags;
		config.source_v4 = htonl(mux_source);
		std::memcpy(config.source_v6, mux_source6.data(), 16);
		config.mtu = setup.mtu;
		const uint32_t zero = 0;
		ASSERT_EQ(bpf_map_update_elem(fd(skeleton_->maps.iplb_mux_config), &zero, &config,
					      BPF_ANY),
			  0);

		for (size_t i = 0; i < setup.dips.size(); i++) {
			const uint32_t index = static_cast<uint32_t>(i + 1);
			const union iplb_addr a = lb_addr(setup.dips[i]);
			ASSERT_EQ(bpf_map_update_elem(fd(skeleton_->maps.iplb_mux_dips), &index, &a,
						      BPF_ANY),
				  0);
		}

		// Bucket ranges handed out from 64 on, so that a base is never
		// 0 by accident.
		uint32_t next = 64;
		std::map<std::pair<std::array<uint32_t, 4>, bool>, uint32_t> per_address;
		for (const MuxVipSetup &v : setup.vips) {
			const uint32_t buckets = static_cast<uint32_t>(
				std::max(v.slots[0].size(), v.slots[1].size()));
			iplb_mux_vip record;
			std::memset(&record, 0, sizeof(record));
			record.id = v.id;
			record.buckets = buckets;
			record.active = v.active;
			record.flags = v.flags;
			record.counter_base = v.counter_base;
			for (int slot = 0; slot < 2; slot++) {
				record.base[slot] = next;
				record.generation[slot] = v.generation[slot];
				for (uint32_t i = 0; i < buckets; i++) {
					const uint32_t entry = next + i;
					iplb_mux_bucket b{};
					if (i < v.slots[slot].size())
						b = v.slots[slot][i];
					ASSERT_EQ(bpf_map_update_elem(
							  fd(skeleton_->maps.iplb_mux_buckets),
							  &entry, &b, BPF_ANY),
						  0);
				}
				next += buckets;
			}
			if (v.spoil)
				v.spoil(record);
			const iplb_vip_key key = vip_key(v.address, v.protocol, v.port);
			ASSERT_EQ(bpf_map_update_elem(fd(skeleton_->maps.iplb_mux_vips), &key,
						      &record, BPF_ANY),
				  0);
			per_address[{address_words(v.address), is_v6(v.address)}]++;
			vips_.push_back({v.id, buckets, v.counter_base});
		}
		for (const auto &[address, count] : per_address) {
			iplb_vip_address key;
			std::memset(&key, 0, sizeof(key));
			std::memcpy(key.addr, address.first.data(), 16);
			key.v6 = address.second ? 1 : 0;
			ASSERT_EQ(bpf_map_update_elem(fd(skeleton_->maps.iplb_mux_addresses), &key,
						      &count, BPF_ANY),
				  0);
		}
	}

	int prog_fd() const { return bpf_program__fd(skeleton_->progs.iplb_mux); }

	Result<TestRun, Error> run(const Bytes &frame) const
	{
		return run_xdp(prog_fd(), frame, ifindex_);
	}

	iplb_mux_vip_counters vip_counters(uint32_t id) const
	{
		return sum_per_cpu<iplb_mux_vip_counters>(fd(skeleton_->maps.iplb_mux_vip_counters),
							  id);
	}

	void expect_counters(const MuxCounts &want, const TestRun &out) const
	{
		const auto mux =
			sum_per_cpu<iplb_mux_counters>(fd(skeleton_->maps.iplb_mux_counters), 0);
		EXPECT_EQ(mux.fragments, want.mux.fragments) << "fragments";
		EXPECT_EQ(mux.malformed, want.mux.malformed) << "malformed";
		EXPECT_EQ(mux.icmp_other, want.mux.icmp_other) << "icmp_other";

		// The bucket the flow took, from its GUE source port.
		const uint16_t port = flow_hash_fields(out.frame).gue_source_port;
		for (const VipCounters &v : vips_) {
			const auto got = sum_per_cpu<iplb_mux_vip_counters>(
				fd(skeleton_->maps.iplb_mux_vip_counters), v.id);
			const iplb_mux_vip_counters none{};
			const iplb_mux_vip_counters &w = v.id == want.vip_id ? want.vip : none;
			SCOPED_TRACE("VIP id " + std::to_string(v.id));
			EXPECT_EQ(got.packets, w.packets) << "packets";
			EXPECT_EQ(got.bytes, w.bytes) << "bytes";
			EXPECT_EQ(got.icmp, w.icmp) << "icmp";
			EXPECT_EQ(got.no_backend, w.no_backend) << "no_backend";
			EXPECT_EQ(got.too_big, w.too_big) << "too_big";
			EXPECT_EQ(got.no_route, w.no_route) << "no_route";
			EXPECT_EQ(got.errors, w.errors) << "errors";

			const bool counted = v.id == want.vip_id && want.flow_bucket_packets;
			if (counted) {
				ASSERT_TRUE(v.buckets && (v.buckets & (v.buckets - 1)) == 0 &&
					    v.buckets <= 0x4000)
					<< "a bucket counter case needs B a power of two";
			}
			for (uint32_t i = 0; i < v.buckets; i++) {
				const uint64_t packets = bucket_packets(v.counter_base + i);
				const bool flows_bucket = counted && i == (port & (v.buckets - 1));
				EXPECT_EQ(packets, flows_bucket ? want.flow_bucket_packets : 0)
					<< "bucket " << i << " (counter " << v.counter_base + i
					<< "), GUE source port " << port;
			}
		}
	}

private:
	struct VipCounters {
		uint32_t id, buckets, counter_base;
	};

	static int fd(const bpf_map *map) { return bpf_map__fd(map); }

	uint64_t bucket_packets(uint32_t counter) const
	{
		struct One {
			uint64_t packets;
		};
		return sum_per_cpu<One>(fd(skeleton_->maps.iplb_mux_bucket_counters), counter)
			.packets;
	}

	std::optional<PrivateNetns> netns_; // first in, last out: the program goes before it
	SkeletonPtr<iplb_mux> skeleton_;
	std::vector<VipCounters> vips_;
	uint32_t ifindex_ = 0;
};

// One packet of l3_bytes sent by VIP 3, in its flow's bucket.
MuxCounts sent(size_t l3_bytes, bool icmp = false, uint32_t vip_id = 3)
{
	MuxCounts c;
	c.vip_id = vip_id;
	c.vip.packets = 1;
	c.vip.bytes = l3_bytes;
	c.vip.icmp = icmp ? 1 : 0;
	c.flow_bucket_packets = 1;
	return c;
}

// One packet dropped for `reason`, of VIP 3.
MuxCounts vip_dropped(decltype(iplb_mux_vip_counters::errors) iplb_mux_vip_counters::*reason)
{
	MuxCounts c;
	c.vip.*reason = 1;
	return c;
}

MuxCounts mux_counted(decltype(iplb_mux_counters::fragments) iplb_mux_counters::*reason)
{
	MuxCounts c;
	c.mux.*reason = 1;
	return c;
}

// The private data of the default VIP's slot 0 (all_to(1)): generation 7,
// previous DIP 2, changed at `changed`.
LbGueSpec private_of(bool inner_v6, Bytes previous, uint32_t generation = 7,
		     uint32_t changed_at = changed)
{
	LbGueSpec spec;
	spec.inner_v6 = inner_v6;
	spec.generation = generation;
	spec.changed_at = changed_at;
	spec.previous = std::move(previous);
	return spec;
}

// What the mux sends back out (XDP_TX: the MAC addresses swapped): `inner`
// in IPv4 to `to`, TOS/id/DF as given, the source port as it chose.
ExpectedFrame tunnel4_to(uint32_t to, const LbGueSpec &spec, const Bytes &inner, uint8_t tos,
			 uint16_t id, bool df, const Mac &dst = frame_src,
			 const Mac &src = frame_dst)
{
	return ExpectedFrame::Builder([=](const FlowHashFields &chosen) {
		return ethernet_between(dst, src,
					lb_tunnel4(mux_source, to, chosen.gue_source_port, spec,
						   inner, tos, id, df));
	});
}

// The same in IPv6; the flow label and the source port come from one hash.
ExpectedFrame tunnel6_to(const Addr6 &to, const LbGueSpec &spec, const Bytes &inner,
			 uint8_t traffic_class, const Mac &dst = frame_src,
			 const Mac &src = frame_dst)
{
	return ExpectedFrame::Builder([=](const FlowHashFields &chosen) {
		EXPECT_EQ(chosen.flow_label & 0x3fff, chosen.gue_source_port & 0x3fff)
			<< "flow label and GUE source port from different hashes";
		return ethernet_between(dst, src,
					lb_tunnel6(mux_source6, to, chosen.gue_source_port,
						   chosen.flow_label, traffic_class, spec, inner),
					ethertype_ipv6);
	});
}

// client:sport -> address:dport, TOS 0x28, id 0x4242, DF.
Ipv4Spec to_vip(uint8_t protocol = proto_tcp, uint32_t address = vip)
{
	Ipv4Spec spec;
	spec.src = client;
	spec.dst = address;
	spec.protocol = protocol;
	spec.tos = 0x28;
	spec.id = 0x4242;
	return spec;
}

Bytes tcp_to(uint16_t dport, uint16_t sport = 40000, uint32_t address = vip)
{
	return ipv4(to_vip(proto_tcp, address), tcp_syn(sport, dport, 1460, client, address));
}

Ipv6Spec to_vip6(uint8_t next_header = proto_tcp, const Addr6 &address = vip6)
{
	Ipv6Spec spec;
	spec.src = client6;
	spec.dst = address;
	spec.next_header = next_header;
	spec.traffic_class = 0x28;
	spec.flow_label = 0x12345;
	return spec;
}

Bytes tcp6_to(uint16_t dport, uint16_t sport = 40000, const Addr6 &address = vip6)
{
	return ipv6(to_vip6(proto_tcp, address), tcp_syn6(sport, dport, 1440, client6, address));
}

// The VIP's reply as a router quotes it in an ICMP error: VIP:vport ->
// client:cport, IP header and the whole TCP header.
Bytes reply_quoted(uint16_t vport = 80, uint16_t cport = 40000)
{
	Ipv4Spec reply;
	reply.src = vip;
	reply.dst = client;
	reply.protocol = proto_tcp;
	return ipv4(reply, tcp_segment({.src_port = vport, .dst_port = cport}, vip, client));
}

Bytes reply6_quoted(uint16_t vport = 80, uint16_t cport = 40000)
{
	Ipv6Spec reply;
	reply.src = vip6;
	reply.dst = client6;
	reply.next_header = proto_tcp;
	return ipv6(reply, tcp_segment6({.src_port = vport, .dst_port = cport}, vip6, client6));
}

// An ICMP error from the router to the VIP.
Bytes icmp_to_vip(std::span<const uint8_t> message)
{
	Ipv4Spec spec;
	spec.src = router;
	spec.dst = vip;
	spec.protocol = proto_icmp;
	spec.tos = 0xc0;
	spec.id = 0x77;
	spec.df = false;
	return ipv4(spec, message);
}

Bytes icmp6_to_vip(std::span<const uint8_t> message)
{
	Ipv6Spec spec;
	spec.src = router6;
	spec.dst = vip6;
	spec.next_header = proto_icmpv6;
	return ipv6(spec, message);
}

// IPv6 VIP over IPv6 DIPs.
MuxSetup v6_over_v6()
{
	MuxSetup s;
	s.dips = {Ipv6{dip6(1)}, Ipv6{dip6(2)}};
	MuxVipSetup v;
	v.address = Ipv6{vip6};
	v.flags = IPLB_VIP_DIPS_V6;
	s.vips = {v};
	return s;
}

// FIB mode in a namespace: the frame arrives on m0 or m1; the DIPs are
// behind a gateway on m0 (a permanent neighbour: bpf_fib_lookup() never
// resolves one), forwarding on (the lookup refuses otherwise).
const Mac m0_mac{0x02, 0, 0, 0, 0xaa, 0x01};
const Mac gateway_mac{0x02, 0, 0, 0, 0xaa, 0xfe};

MuxSetup fib_setup(const std::string &ingress, bool forwarding = true)
{
	MuxSetup s;
	s.flags = IPLB_MUX_FIB;
	s.own_netns = true;
	s.ingress = ingress;
	s.network = {
		"ip link set dev lo up",
		"ip link add dev m0 address 02:00:00:00:aa:01 type veth peer name m0p",
		"ip link add dev m1 address 02:00:00:00:aa:02 type veth peer name m1p",
		"ip link set dev m0 up",
		"ip link set dev m0p up",
		"ip link set dev m1 up",
		"ip link set dev m1p up",
		"ip addr add 10.9.0.2/24 dev m0",
		"ip -6 addr add fc00:9::2/64 dev m0 nodad",
		"ip route add 10.1.0.0/24 via 10.9.0.1 dev m0 onlink",
		"ip -6 route add fc00:1::/64 via fc00:9::1 dev m0 onlink",
		"ip neigh replace 10.9.0.1 dev m0 lladdr 02:00:00:00:aa:fe nud permanent",
		"ip -6 neigh replace fc00:9::1 dev m0 lladdr 02:00:00:00:aa:fe nud permanent",
	};
	const std::string on = forwarding ? "1" : "0";
	s.network.push_back("sysctl -qw net.ipv4.conf.all.forwarding=" + on);
	s.network.push_back("sysctl -qw net.ipv6.conf.all.forwarding=" + on);
	return s;
}

std::vector<MuxCase> mux_cases()
{
	std::vector<MuxCase> cases;
	const Bytes syn = tcp_to(80);
	const Ipv4Spec tcp = to_vip();
	const LbGueSpec slot0 = private_of(false, address_bytes(dip(2)));

	// A VIP's packets, in GUE to the bucket's DIP, back out where they came.
	cases.push_back({
		.description = "encapsulates IPv4 TCP to a VIP's port in GUE to the bucket's DIP",
		.input = ethernet(syn),
		.expected = tunnel4_to(dip(1), slot0, syn, tcp.tos, tcp.id, true),
		.verdict = xdp_tx,
		.counters = sent(syn.size()),
	});
	{
		// Without DF, the outer header has none either; id and TOS
		// follow.
		Ipv4Spec no_df = tcp;
		no_df.df = false;
		no_df.id = 0x9999;
		no_df.tos = 0;
		const Bytes packet = ipv4(no_df, tcp_syn(40000, 80, 1460, client, vip));
		cases.push_back({
			.description = "copies DF, TOS and id of the packet into the outer header",
			.input = ethernet(packet),
			.expected = tunnel4_to(dip(1), slot0, packet, 0, 0x9999, false),
			.verdict = xdp_tx,
			.counters = sent(packet.size()),
		});
	}
	{
		MuxSetup every_port;
		every_port.vips[0].port = 0;
		const Bytes to443 = tcp_to(443);
		cases.push_back({
			.description = "a VIP of every port takes any port of its address",
			.setup = every_port,
			.input = ethernet(to443),
			.expected = tunnel4_to(dip(1), slot0, to443, tcp.tos, tcp.id, true),
			.verdict = xdp_tx,
			.counters = sent(to443.size()),
		});
		// The same address with both: the exact port first.
		MuxSetup both;
		MuxVipSetup any = both.vips[0];
		any.port = 0;
		any.id = 4;
		any.counter_base = 200;
		any.slots = {all_to(3), {}};
		both.vips.push_back(any);
		cases.push_back({
			.description = "the VIP of the exact port wins over the VIP of every port",
			.setup = both,
			.input = ethernet(syn),
			.expected = tunnel4_to(dip(1), slot0, syn, tcp.tos, tcp.id, true),
			.verdict = xdp_tx,
			.counters = sent(syn.size()),
		});
		cases.push_back({
			.description =
				"the VIP of every port takes the ports the other VIP does not "
				"name",
			.setup = both,
			.input = ethernet(to443),
			.expected = tunnel4_to(dip(3), slot0, to443, tcp.tos, tcp.id, true),
			.verdict = xdp_tx,
			.counters = sent(to443.size(), false, 4),
		});
	}
	{
		MuxSetup udp_vip;
		udp_vip.vips[0].protocol = proto_udp;
		udp_vip.vips[0].port = 53;
		const uint8_t query[] = {'d', 'n', 's', '?'};
		const Bytes dns = ipv4(to_vip(proto_udp), udp(40000, 53, query));
		cases.push_back({
			.description = "encapsulates UDP to a UDP VIP",
			.setup = udp_vip,
			.input = ethernet(dns),
			.expected = tunnel4_to(dip(1), slot0, dns, tcp.tos, tcp.id, true),
			.verdict = xdp_tx,
			.counters = sent(dns.size()),
		});
		const Bytes tcp53 = tcp_to(53);
		cases.push_back({
			.description = "TCP to a UDP VIP's port passes untouched",
			.setup = udp_vip,
			.input = ethernet(tcp53),
			.expected = ethernet(tcp53),
			.verdict = xdp_pass,
			.counters = MuxCounts{},
		});
	}

	// IPv6, inside and outside.
	{
		const Bytes syn6 = tcp6_to(80);
		cases.push_back({
			.description =
				"an IPv6 VIP over IPv6 DIPs gets an outer IPv6 header with a "
				"16-byte previous DIP",
			.setup = v6_over_v6(),
			.input = ethernet(syn6, ethertype_ipv6),
			.expected = tunnel6_to(dip6(1), private_of(true, address_bytes(dip6(2))),
					       syn6, 0x28),
			.verdict = xdp_tx,
			.counters = sent(syn6.size()),
		});
		MuxSetup v6_over_v4;
		v6_over_v4.vips[0].address = Ipv6{vip6};
		// IPv6 is never fragmented on the way: DF, id 0.
		cases.push_back({
			.description = "an IPv6 VIP over IPv4 DIPs gets an outer IPv4 header",
			.setup = v6_over_v4,
			.input = ethernet(syn6, ethertype_ipv6),
			.expected = tunnel4_to(dip(1), private_of(true, address_bytes(dip(2))),
					       syn6, 0x28, 0, true),
			.verdict = xdp_tx,
			.counters = sent(syn6.size()),
		});
		MuxSetup v4_over_v6 = v6_over_v6();
		v4_over_v6.vips[0].address = Ipv4{vip};
		cases.push_back({
			.description = "an IPv4 VIP over IPv6 DIPs gets an outer IPv6 header",
			.setup = v4_over_v6,
			.input = ethernet(syn),
			.expected = tunnel6_to(dip6(1), private_of(false, address_bytes(dip6(2))),
					       syn, tcp.tos),
			.verdict = xdp_tx,
			.counters = sent(syn.size()),
		});
	}

	// Not a VIP's.
	{
		const Bytes elsewhere = tcp_to(80, 40000, addr("192.0.2.99"));
		cases.push_back({
			.description = "a packet to an address that is no VIP passes untouched",
			.input = ethernet(elsewhere),
			.expected = ethernet(elsewhere),
			.verdict = xdp_pass,
			.counters = MuxCounts{},
		});
		const Bytes other_port = tcp_to(443);
		cases.push_back({
			.description =
				"another port of a VIP address passes untouched without a VIP "
				"of every port",
			.input = ethernet(other_port),
			.expected = ethernet(other_port),
			.verdict = xdp_pass,
			.counters = MuxCounts{},
		});
		// The key's words as the IPv4 VIP's (192.0.2.10 in the first),
		// but IPv6: the family is part of the key.
		const Bytes same_words =
			ethernet(tcp6_to(80, 40000, addr6("c000:20a::")), ethertype_ipv6);
		cases.push_back({
			.description = "an IPv6 packet to the words of an IPv4 VIP is no VIP's",
			.input = same_words,
			.expected = same_words,
			.verdict = xdp_pass,
			.counters = MuxCounts{},
		});
		const Bytes arp = ethernet(Bytes(28, 0), 0x0806);
		cases.push_back({
			.description = "ARP passes untouched",
			.input = arp,
			.expected = arp,
			.verdict = xdp_pass,
			.counters = MuxCounts{},
		});
	}

	// Buckets and slots.
	{
		MuxSetup empty_bucket;
		empty_bucket.vips[0].slots = {all_to(0, 0, 0), {}};
		cases.push_back({
			.description =
				"a bucket without a DIP drops the packet and counts no_backend",
			.setup = empty_bucket,
			.input = ethernet(syn),
			.expected = ethernet(syn),
			.verdict = xdp_drop,
			.counters = vip_dropped(&iplb_mux_vip_counters::no_backend),
		});
		MuxSetup no_buckets;
		no_buckets.vips[0].slots = {Buckets{}, Buckets{}};
		cases.push_back({
			.description =
				"a VIP without buckets drops the packet and counts no_backend",
			.setup = no_buckets,
			.input = ethernet(syn),
			.expected = ethernet(syn),
			.verdict = xdp_drop,
			.counters = vip_dropped(&iplb_mux_vip_counters::no_backend),
		});
		// Slot 0 to DIP 1 (generation 7), slot 1 to DIP 3 (generation 8).
		MuxSetup two_slots;
		two_slots.vips[0].slots = {all_to(1, 2, changed), all_to(3, 1, changed + 60)};
		two_slots.vips[0].active = 1;
		cases.push_back({
			.description = "the active slot 1 is used and its generation stamped",
			.setup = two_slots,
			.input = ethernet(syn),
			.expected = tunnel4_to(
				dip(3), private_of(false, address_bytes(dip(1)), 8, changed + 60),
				syn, tcp.tos, tcp.id, true),
			.verdict = xdp_tx,
			.counters = sent(syn.size()),
		});
		two_slots.vips[0].active = 0;
		cases.push_back({
			.description = "the active slot 0 is used and its generation stamped",
			.setup = two_slots,
			.input = ethernet(syn),
			.expected = tunnel4_to(dip(1), slot0, syn, tcp.tos, tcp.id, true),
			.verdict = xdp_tx,
			.counters = sent(syn.size()),
		});
		MuxSetup never_changed;
		never_changed.vips[0].slots = {all_to(1, 0, 0), {}};
		cases.push_back({
			.description = "a bucket that never changed has no previous DIP and time 0",
			.setup = never_changed,
			.input = ethernet(syn),
			.expected = tunnel4_to(dip(1), private_of(false, Bytes(4, 0), 7, 0), syn,
					       tcp.tos, tcp.id, true),
			.verdict = xdp_tx,
			.counters = sent(syn.size()),
		});
		// Another VIP beside it keeps its counters at zero (checked for
		// every VIP of the setup).
		MuxSetup two_vips;
		MuxVipSetup other = two_vips.vips[0];
		other.address = Ipv4{addr("192.0.2.11")};
		other.id = 9;
		other.counter_base = 300;
		two_vips.vips.push_back(other);
		cases.push_back({
			.description = "a packet counts in its own VIP's counters and bucket only",
			.setup = two_vips,
			.input = ethernet(syn),
			.expected = tunnel4_to(dip(1), slot0, syn, tcp.tos, tcp.id, true),
			.verdict = xdp_tx,
			.counters = sent(syn.size()),
		});
	}
	{
		MuxSetup outside;
		outside.vips[0].spoil = [](iplb_mux_vip &v) {
			v.base[0] = IPLB_LB_MAX_BUCKET_ENTRIES;
		};
		cases.push_back({
			.description =
				"a slot outside the bucket table drops the packet and counts an "
				"error",
			.setup = outside,
			.input = ethernet(syn),
			.expected = ethernet(syn),
			.verdict = xdp_drop,
			.counters = vip_dropped(&iplb_mux_vip_counters::errors),
		});
		MuxSetup bad_dip;
		bad_dip.vips[0].slots = {all_to(IPLB_LB_MAX_DIPS + 5), {}};
		cases.push_back({
			.description = "a DIP outside the DIP table drops the packet and counts an "
				       "error",
			.setup = bad_dip,
			.input = ethernet(syn),
			.expected = ethernet(syn),
			.verdict = xdp_drop,
			.counters = vip_dropped(&iplb_mux_vip_counters::errors),
		});
	}

	// ICMP errors about a VIP's flow go where the flow goes.
	{
		const Bytes error = icmp_to_vip(icmp_frag_needed(1400, reply_quoted()));
		Ipv4Spec icmp_spec;
		icmp_spec.tos = 0xc0;
		cases.push_back({
			.description = "an ICMP fragmentation needed quoting a VIP flow's reply is "
				       "encapsulated to the flow's DIP",
			.input = ethernet(error),
			.expected = tunnel4_to(dip(1), slot0, error, 0xc0, 0x77, false),
			.verdict = xdp_tx,
			.counters = sent(error.size(), true),
		});
		const Bytes error6 =
			icmp6_to_vip(icmp6_packet_too_big(1400, reply6_quoted(), router6, vip6));
		cases.push_back({
			.description = "an ICMPv6 packet too big quoting a VIP flow's reply is "
				       "encapsulated to the flow's DIP",
			.setup = v6_over_v6(),
			.input = ethernet(error6, ethertype_ipv6),
			.expected = tunnel6_to(dip6(1), private_of(true, address_bytes(dip6(2))),
					       error6, 0),
			.verdict = xdp_tx,
			.counters = sent(error6.size(), true),
		});
		const Bytes ping = icmp_to_vip(icmp_echo(7, 1));
		cases.push_back({
			.description =
				"an echo request to a VIP address passes and counts icmp_other",
			.input = ethernet(ping),
			.expected = ethernet(ping),
			.verdict = xdp_pass,
			.counters = mux_counted(&iplb_mux_counters::icmp_other),
		});
		const Bytes ping6 = icmp6_to_vip(icmp6_echo(7, 1, router6, vip6));
		cases.push_back({
			.description = "an ICMPv6 echo request to a VIP address passes and counts "
				       "icmp_other",
			.setup = v6_over_v6(),
			.input = ethernet(ping6, ethertype_ipv6),
			.expected = ethernet(ping6, ethertype_ipv6),
			.verdict = xdp_pass,
			.counters = mux_counted(&iplb_mux_counters::icmp_other),
		});
		const Bytes no_flow = icmp_to_vip(icmp_frag_needed(1400, reply_quoted(443)));
		cases.push_back({
			.description = "an ICMP error quoting no VIP's flow passes and counts "
				       "icmp_other",
			.input = ethernet(no_flow),
			.expected = ethernet(no_flow),
			.verdict = xdp_pass,
			.counters = mux_counted(&iplb_mux_counters::icmp_other),
		});
		Ipv4Spec to_other = icmp_spec;
		to_other.src = router;
		to_other.dst = addr("192.0.2.99");
		to_other.protocol = proto_icmp;
		const Bytes elsewhere = ipv4(to_other, icmp_echo(7, 1));
		cases.push_back({
			.description = "ICMP to an address that is no VIP passes uncounted",
			.input = ethernet(elsewhere),
			.expected = ethernet(elsewhere),
			.verdict = xdp_pass,
			.counters = MuxCounts{},
		});
	}

	// Fragments and packets without ports.
	{
		Ipv4Spec first = to_vip(proto_udp);
		first.df = false;
		first.mf = true;
		const Bytes first_fragment = ipv4(first, udp(40000, 80, Bytes(16, 1)));
		MuxSetup udp_vip;
		udp_vip.vips[0].protocol = proto_udp;
		cases.push_back({
			.description = "a first fragment to a VIP address is dropped and counted",
			.setup = udp_vip,
			.input = ethernet(first_fragment),
			.expected = ethernet(first_fragment),
			.verdict = xdp_drop,
			.counters = mux_counted(&iplb_mux_counters::fragments),
		});
		Ipv4Spec later = first;
		later.mf = false;
		later.fragment_offset = 3;
		const Bytes later_fragment = ipv4(later, Bytes(16, 1));
		cases.push_back({
			.description = "a later fragment to a VIP address is dropped and counted",
			.setup = udp_vip,
			.input = ethernet(later_fragment),
			.expected = ethernet(later_fragment),
			.verdict = xdp_drop,
			.counters = mux_counted(&iplb_mux_counters::fragments),
		});
		Ipv4Spec icmp_fragment = later;
		icmp_fragment.protocol = proto_icmp;
		const Bytes icmp_later = ipv4(icmp_fragment, Bytes(16, 1));
		cases.push_back({
			.description = "an ICMP fragment to a VIP address is dropped and counted",
			.input = ethernet(icmp_later),
			.expected = ethernet(icmp_later),
			.verdict = xdp_drop,
			.counters = mux_counted(&iplb_mux_counters::fragments),
		});
		Ipv4Spec elsewhere = first;
		elsewhere.dst = addr("192.0.2.99");
		const Bytes other_fragment = ipv4(elsewhere, udp(40000, 80, Bytes(16, 1)));
		cases.push_back({
			.description = "a fragment to another address passes untouched",
			.setup = udp_vip,
			.input = ethernet(other_fragment),
			.expected = ethernet(other_fragment),
			.verdict = xdp_pass,
			.counters = MuxCounts{},
		});

		const Bytes frag6 = ipv6(to_vip6(proto_ipv6_fragment),
					 ipv6_fragment(proto_tcp, 0, true, 0x1234,
						       tcp_syn6(40000, 80, 1440, client6, vip6)));
		cases.push_back({
			.description =
				"IPv6 with a fragment header to a VIP address is dropped and "
				"counted",
			.setup = v6_over_v6(),
			.input = ethernet(frag6, ethertype_ipv6),
			.expected = ethernet(frag6, ethertype_ipv6),
			.verdict = xdp_drop,
			.counters = mux_counted(&iplb_mux_counters::fragments),
		});
		// Hop-by-hop options (next header 0), 8 bytes of padding.
		Bytes hop_by_hop{proto_tcp, 0, 1, 4, 0, 0, 0, 0};
		const Bytes tcp_part = tcp_syn6(40000, 80, 1440, client6, vip6);
		hop_by_hop.insert(hop_by_hop.end(), tcp_part.begin(), tcp_part.end());
		const Bytes options6 = ipv6(to_vip6(0), hop_by_hop);
		cases.push_back({
			.description =
				"IPv6 with an extension header to a VIP address is dropped as "
				"a fragment",
			.setup = v6_over_v6(),
			.input = ethernet(options6, ethertype_ipv6),
			.expected = ethernet(options6, ethertype_ipv6),
			.verdict = xdp_drop,
			.counters = mux_counted(&iplb_mux_counters::fragments),
		});
		const Bytes frag6_elsewhere =
			ipv6(to_vip6(proto_ipv6_fragment, addr6("2001:db8::99")),
			     ipv6_fragment(proto_tcp, 0, true, 0x1234, Bytes(20, 0)));
		cases.push_back({
			.description = "IPv6 with a fragment header to another address passes",
			.setup = v6_over_v6(),
			.input = ethernet(frag6_elsewhere, ethertype_ipv6),
			.expected = ethernet(frag6_elsewhere, ethertype_ipv6),
			.verdict = xdp_pass,
			.counters = MuxCounts{},
		});

		const Bytes truncated = ipv4(tcp, Bytes{0x9c, 0x40});
		cases.push_back({
			.description = "TCP too short for its ports to a VIP address is dropped as "
				       "malformed",
			.input = ethernet(truncated),
			.expected = ethernet(truncated),
			.verdict = xdp_drop,
			.counters = mux_counted(&iplb_mux_counters::malformed),
		});
		Ipv4Spec tcp_elsewhere = tcp;
		tcp_elsewhere.dst = addr("192.0.2.99");
		const Bytes truncated_elsewhere = ipv4(tcp_elsewhere, Bytes{0x9c, 0x40});
		cases.push_back({
			.description = "TCP too short for its ports to another address passes",
			.input = ethernet(truncated_elsewhere),
			.expected = ethernet(truncated_elsewhere),
			.verdict = xdp_pass,
			.counters = MuxCounts{},
		});
		const Bytes truncated6 = ipv6(to_vip6(proto_tcp), Bytes{0x9c, 0x40});
		cases.push_back({
			.description =
				"IPv6 TCP too short for its ports to a VIP address is dropped "
				"as malformed",
			.setup = v6_over_v6(),
			.input = ethernet(truncated6, ethertype_ipv6),
			.expected = ethernet(truncated6, ethertype_ipv6),
			.verdict = xdp_drop,
			.counters = mux_counted(&iplb_mux_counters::malformed),
		});
	}

	// The MTU: 1500 bytes with 48 of encapsulation over IPv4.
	{
		MuxSetup mtu;
		mtu.mtu = 1500;
		const Bytes fits = [&] {
			Bytes payload =
				tcp_segment({.src_port = 40000, .dst_port = 80}, client, vip);
			payload.resize(1500 - IPLB_LB_OVERHEAD_V4 - 20, 0);
			return ipv4(tcp, payload);
		}();
		const Bytes too_big = [&] {
			Bytes payload =
				tcp_segment({.src_port = 40000, .dst_port = 80}, client, vip);
			payload.resize(1500 - IPLB_LB_OVERHEAD_V4 - 20 + 1, 0);
			return ipv4(tcp, payload);
		}();
		cases.push_back({
			.description = "a packet exactly the MTU once encapsulated is sent",
			.setup = mtu,
			.input = ethernet(fits),
			.expected = tunnel4_to(dip(1), slot0, fits, tcp.tos, tcp.id, true),
			.verdict = xdp_tx,
			.counters = sent(fits.size()),
		});
		cases.push_back({
			.description =
				"a packet one byte over the MTU once encapsulated is dropped "
				"and counted too_big",
			.setup = mtu,
			.input = ethernet(too_big),
			.expected = ethernet(too_big),
			.verdict = xdp_drop,
			.counters = vip_dropped(&iplb_mux_vip_counters::too_big),
		});
	}

	// FIB mode: the next hop for the DIP, out of the interface it names. A
	// packet dropped after its encapsulation has the MAC addresses of the
	// headroom the kernel zeroed: only a sent one gets them written.
	const Mac unwritten{};
	{
		MuxSetup no_route = fib_setup("");
		no_route.network = {"ip link set dev lo up"};
		cases.push_back({
			.description =
				"in FIB mode a DIP without a route drops the packet and counts "
				"no_route",
			.setup = no_route,
			.input = ethernet(syn),
			.expected = tunnel4_to(dip(1), slot0, syn, tcp.tos, tcp.id, true, unwritten,
					       unwritten),
			.verdict = xdp_drop,
			.counters = vip_dropped(&iplb_mux_vip_counters::no_route),
		});
		cases.push_back({
			.description =
				"in FIB mode forwarding off on the ingress interface drops the "
				"packet and counts no_route",
			.setup = fib_setup("m0", false),
			.input = ethernet(syn),
			.expected = tunnel4_to(dip(1), slot0, syn, tcp.tos, tcp.id, true, unwritten,
					       unwritten),
			.verdict = xdp_drop,
			.counters = vip_dropped(&iplb_mux_vip_counters::no_route),
		});
		cases.push_back({
			.description =
				"in FIB mode a DIP behind the ingress interface goes back out "
				"to its gateway",
			.setup = fib_setup("m0"),
			.input = ethernet(syn),
			.expected = tunnel4_to(dip(1), slot0, syn, tcp.tos, tcp.id, true,
					       gateway_mac, m0_mac),
			.verdict = xdp_tx,
			.counters = sent(syn.size()),
		});
		cases.push_back({
			.description =
				"in FIB mode a DIP behind another interface is redirected to "
				"it",
			.setup = fib_setup("m1"),
			.input = ethernet(syn),
			.expected = tunnel4_to(dip(1), slot0, syn, tcp.tos, tcp.id, true,
					       gateway_mac, m0_mac),
			.verdict = xdp_redirect,
			.counters = sent(syn.size()),
		});
		MuxSetup fib6 = fib_setup("m0");
		fib6.dips = v6_over_v6().dips;
		fib6.vips = v6_over_v6().vips;
		const Bytes syn6 = tcp6_to(80);
		cases.push_back({
			.description = "in FIB mode an IPv6 DIP goes to its gateway",
			.setup = fib6,
			.input = ethernet(syn6, ethertype_ipv6),
			.expected = tunnel6_to(dip6(1), private_of(true, address_bytes(dip6(2))),
					       syn6, 0x28, gateway_mac, m0_mac),
			.verdict = xdp_tx,
			.counters = sent(syn6.size()),
		});
	}
	return cases;
}

class MuxPacket : public ::testing::TestWithParam<MuxCase> {};

TEST_P(MuxPacket, Run)
{
	run_packet_case<MuxTarget>(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Mux, MuxPacket, ::testing::ValuesIn(mux_cases()), case_name<MuxCase>);

// ---------------------------------------------------------------------------
// Many frames: a flow keeps its bucket, flows spread, ICMP follows its flow.

class MuxDatapath : public ::testing::Test {
protected:
	// One VIP (TCP 80, IPv4 and IPv6), bucket i to DIP i + 1.
	void SetUp() override
	{
		MuxSetup setup;
		setup.dips.clear();
		for (uint16_t n = 1; n <= buckets; n++)
			setup.dips.push_back(Ipv4{dip(n)});
		setup.vips[0].slots = {one_dip_each(buckets), {}};
		MuxVipSetup v6 = setup.vips[0];
		v6.address = Ipv6{vip6};
		v6.id = 4;
		v6.counter_base = 200;
		setup.vips.push_back(v6);
		ASSERT_NO_FATAL_FAILURE(target_.set_up(setup));
	}

	TestRun run(const Bytes &frame)
	{
		auto out = target_.run(frame);
		EXPECT_TRUE(out) << out.error().message;
		return out ? *out : TestRun{};
	}

	// The DIP number (1-based) a frame went to, 0 if it was not sent.
	uint16_t dip_of(const TestRun &out)
	{
		if (out.verdict != xdp_tx || out.frame.size() < 34)
			return 0;
		const uint32_t to = uint32_t{out.frame[30]} << 24 | uint32_t{out.frame[31]} << 16 |
				    uint32_t{out.frame[32]} << 8 | out.frame[33];
		return static_cast<uint16_t>(to - dip(0));
	}

	static constexpr uint16_t buckets = 16;
	MuxTarget target_;
};

// 1600 flows, each sent twice: a flow keeps its DIP; the DIP is that of the
// bucket its GUE source port names (hash mod B); every bucket gets a share.
TEST_F(MuxDatapath, EveryPacketOfAFlowGoesToOneBucketAndFlowsSpreadOverAllBuckets)
{
	std::map<uint16_t, int> share;
	for (uint16_t port = 20000; port < 21600; port++) {
		const Bytes frame = ethernet(tcp_to(80, port));
		const TestRun first = run(frame);
		const uint16_t to = dip_of(first);
		ASSERT_NE(to, 0) << "port " << port;
		EXPECT_EQ(dip_of(run(frame)), to) << "port " << port << " changed bucket";
		const uint16_t source_port = flow_hash_fields(first.frame).gue_source_port;
		EXPECT_EQ(to, (source_port & (buckets - 1)) + 1)
			<< "the bucket is not the hash modulo B";
		share[to]++;
	}
	ASSERT_EQ(share.size(), buckets);
	for (const auto &[to, flows] : share)
		EXPECT_GE(flows, 50) << "DIP " << to << ": 100 of 1600 flows expected";
}

TEST_F(MuxDatapath, Ipv6FlowsKeepTheirBucketAndSpread)
{
	std::set<uint16_t> used;
	for (uint16_t port = 20000; port < 20400; port++) {
		const Bytes frame = ethernet(tcp6_to(80, port), ethertype_ipv6);
		const TestRun first = run(frame);
		const uint16_t to = dip_of(first);
		ASSERT_NE(to, 0) << "port " << port;
		EXPECT_EQ(dip_of(run(frame)), to) << "port " << port << " changed bucket";
		used.insert(to);
	}
	EXPECT_EQ(used.size(), buckets);
}

// The ICMP error about a flow goes to the DIP of the flow, whichever bucket
// it is: with a DIP per bucket, a wrong flow would show.
TEST_F(MuxDatapath, AnIcmpErrorGoesToTheDipOfTheFlowItQuotes)
{
	std::set<uint16_t> used;
	for (uint16_t port = 30000; port < 30100; port++) {
		const uint16_t forward = dip_of(run(ethernet(tcp_to(80, port))));
		ASSERT_NE(forward, 0);
		const Bytes error = icmp_to_vip(icmp_frag_needed(1400, reply_quoted(80, port)));
		EXPECT_EQ(dip_of(run(ethernet(error))), forward) << "port " << port;
		used.insert(forward);
	}
	EXPECT_GT(used.size(), buckets / 2) << "the flows should have used many buckets";
	const auto counted = target_.vip_counters(3);
	EXPECT_EQ(counted.icmp, 100u);
	EXPECT_EQ(counted.packets, 200u);
}

TEST_F(MuxDatapath, AnIcmpv6ErrorGoesToTheDipOfTheFlowItQuotes)
{
	for (uint16_t port = 30000; port < 30100; port++) {
		const uint16_t forward = dip_of(run(ethernet(tcp6_to(80, port), ethertype_ipv6)));
		ASSERT_NE(forward, 0);
		const Bytes error = icmp6_to_vip(
			icmp6_packet_too_big(1400, reply6_quoted(80, port), router6, vip6));
		EXPECT_EQ(dip_of(run(ethernet(error, ethertype_ipv6))), forward) << "port " << port;
	}
}

// ---------------------------------------------------------------------------
// Two-phase commit through MuxMaps (iplbd/datapath/lb_programs): packets
// read the active map while another is staged, and the staged one once
// activated; to a VIP only staged they pass as to no VIP.

class MuxStaging : public ::testing::Test {
protected:
	void SetUp() override
	{
		auto loaded = MuxProgram::load();
		ASSERT_TRUE(loaded) << loaded.error().message;
		mux_.emplace(std::move(*loaded));
		MuxConfig config;
		config.source = Ipv4{mux_source};
		ASSERT_TRUE(mux_->maps().set_config(config));
	}

	// Every bucket to DIP n.
	static LbMapVersion all_to_dip(uint32_t generation, uint16_t n)
	{
		LbMapVersion v;
		v.generation = generation;
		v.pool.push_back({Ipv4{dip(n)}, 1, LbBackendState::active});
		v.buckets.assign(16, LbBucketEntry{Ipv4{dip(n)}, std::nullopt, 0});
		return v;
	}

	// Where a few flows to the VIP go: the DIP number, 0 if passed.
	std::set<uint16_t> sent_to(uint16_t dport = 80)
	{
		std::set<uint16_t> to;
		for (uint16_t port = 40000; port < 40016; port++) {
			auto out = run_xdp(mux_->prog_fd(), ethernet(tcp_to(dport, port)), 0);
			EXPECT_TRUE(out) << out.error().message;
			if (!out)
				continue;
			if (out->verdict == xdp_pass) {
				to.insert(0);
				continue;
			}
			EXPECT_EQ(out->verdict, xdp_tx);
			if (out->frame.size() < 34)
				continue;
			const uint32_t d = uint32_t{out->frame[30]} << 24 |
					   uint32_t{out->frame[31]} << 16 |
					   uint32_t{out->frame[32]} << 8 | out->frame[33];
			to.insert(static_cast<uint16_t>(d - dip(0)));
		}
		return to;
	}

	const VipKey web{Ipv4{vip}, IPPROTO_TCP, 80};
	std::optional<MuxProgram> mux_;
};

TEST_F(MuxStaging, PacketsReadTheActiveMapUntilTheStagedOneIsActivated)
{
	auto &maps = mux_->maps();
	ASSERT_TRUE(maps.install(web, all_to_dip(1, 1)));
	EXPECT_EQ(sent_to(), std::set<uint16_t>{1});
	ASSERT_TRUE(maps.stage(web, all_to_dip(2, 2)));
	EXPECT_EQ(sent_to(), std::set<uint16_t>{1}) << "staged, and already read";
	ASSERT_TRUE(maps.stage(web, all_to_dip(3, 3)));
	EXPECT_EQ(sent_to(), std::set<uint16_t>{1});
	EXPECT_FALSE(maps.activate(web, 2)) << "replaced by 3";
	EXPECT_EQ(sent_to(), std::set<uint16_t>{1});
	ASSERT_TRUE(maps.activate(web, 3));
	EXPECT_EQ(sent_to(), std::set<uint16_t>{3});
	ASSERT_TRUE(maps.activate(web, 3));
	EXPECT_EQ(sent_to(), std::set<uint16_t>{3});
}

TEST_F(MuxStaging, PacketsToAVipOnlyStagedPassUntilItIsActivated)
{
	auto &maps = mux_->maps();
	EXPECT_EQ(sent_to(), std::set<uint16_t>{0}) << "no VIP yet";
	ASSERT_TRUE(maps.stage(web, all_to_dip(1, 2)));
	EXPECT_EQ(sent_to(), std::set<uint16_t>{0}) << "staged, and already balanced";
	ASSERT_TRUE(maps.activate(web, 1));
	EXPECT_EQ(sent_to(), std::set<uint16_t>{2});
	// Another port of the same address: still not a VIP.
	EXPECT_EQ(sent_to(443), std::set<uint16_t>{0});
	const auto counted = maps.vip_counters(maps.vip(web)->value().id);
	ASSERT_TRUE(counted);
	EXPECT_EQ(counted->packets, 16u) << "the counters start at activation";
}

} // namespace
} // namespace iplb
