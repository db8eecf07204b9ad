// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's backend (kernel/iplb_backend.bpf.c, TCX ingress) run by
// the kernel on fixed frames (BPF_PROG_TEST_RUN). First its table of packet
// cases, one frame each on a program loaded for it from its skeleton, in a
// network namespace of its own (so that no socket of the machine answers its
// lookups), maps filled here as user space would (kernel/iplb_lb_layout.h),
// expected bytes built by packets.hpp. Then the cases that need real sockets:
// an established connection, a listener, a SYN cookie. Needs root (CAP_BPF,
// network namespaces).
//
// Time: the rows pin the program's clock (iplb_backend_config.clock_offset_ns)
// to a fixed unix time, so that a bucket's age is exact whenever a row runs;
// one test checks the real offset (CLOCK_REALTIME - CLOCK_BOOTTIME).
#include "lb_fixtures.hpp"
#include "packet_tester.hpp"
#include "packets.hpp"

#include "iplb_backend.skel.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace iplb {
namespace {

using namespace test;

// The network: a mux, this backend (the outer destination, "this host") and
// the bucket's previous backend, of both families; a client and the VIPs.
const uint32_t mux = addr("10.0.0.1");
const Addr6 mux6 = addr6("fc00::1");
const uint32_t this_dip = addr("10.1.0.2");
const Addr6 this_dip6 = addr6("fc00:1::2");
const uint32_t previous_dip = addr("10.2.0.3");
const Addr6 previous_dip6 = addr6("fc00:2::3");
const uint32_t client = addr("198.51.100.7");
const Addr6 client6 = addr6("2001:db8:c::7");
const uint32_t vip = addr("192.0.2.10");
const Addr6 vip6 = addr6("2001:db8::10");

constexpr uint16_t mux_port = 0xc123; // the GUE source port the mux chose
constexpr uint32_t flow_label = 0x5c123;

// The rows' clock: the program's unix time is this (and a few ms) when the
// row runs.
constexpr uint32_t now = 1'767'225'600;

// ---------------------------------------------------------------------------
// The table

struct BackendVipSetup {
	IpAddress address = Ipv4{vip};
	uint8_t protocol = proto_tcp;
	uint16_t port = 80; // 0: every port
	uint32_t generation = 5;
};

struct BackendSetup {
	uint32_t daisy_timeout = 240;
	// TCP 80 and UDP 53 of the IPv4 VIP, TCP 80 of the IPv6 one.
	std::vector<BackendVipSetup> vips{
		{},
		{.protocol = proto_udp, .port = 53},
		{.address = Ipv6{vip6}},
	};
	// Commands run in the case's network namespace, and the interface the
	// frame arrives on there ("": the loopback).
	std::vector<std::string> network;
	std::string ingress;
};

// The counters, and the generation seen for the first VIP afterwards.
struct BackendCounts {
	iplb_backend_counters c{};
	std::optional<uint32_t> generation = std::nullopt;
};

using BackendCase = PacketCase<BackendSetup, BackendCounts>;

class BackendTarget {
public:
	using Setup = BackendSetup;
	using Counters = BackendCounts;

	void set_up(const BackendSetup &setup) { set_up(setup, int64_t{now} * 1'000'000'000); }

	// With the program's unix time at unix_ns now (half a second into the
	// second, so that a row's ages do not change while it runs).
	void set_up(const BackendSetup &setup, int64_t unix_ns)
	{
		netns_.emplace();
		ASSERT_TRUE(netns_->entered()) << "cannot make a network namespace (root?)";
		ASSERT_EQ(run_commands(setup.network), "");
		if (!setup.ingress.empty()) {
			ifindex_ = if_nametoindex(setup.ingress.c_str());
			ASSERT_NE(ifindex_, 0u) << setup.ingress;
		}
		std::string error;
		skeleton_ = load_skeleton<iplb_backend>(error);
		ASSERT_TRUE(skeleton_) << error;

		iplb_backend_config config;
		std::memset(&config, 0, sizeof(config));
		config.layout_version = IPLB_LB_LAYOUT_VERSION;
		config.daisy_timeout = setup.daisy_timeout;
		config.clock_offset_ns = unix_ns + 500'000'000 - boottime_ns();
		const uint32_t zero = 0;
		ASSERT_EQ(bpf_map_update_elem(fd(skeleton_->maps.iplb_backend_config), &zero,
					      &config, BPF_ANY),
			  0);
		for (const BackendVipSetup &v : setup.vips) {
			const iplb_vip_key key = vip_key(v.address, v.protocol, v.port);
			iplb_backend_vip value{.generation = v.generation, .pad = 0};
			ASSERT_EQ(bpf_map_update_elem(fd(skeleton_->maps.iplb_backend_vips), &key,
						      &value, BPF_ANY),
				  0);
		}
		if (!setup.vips.empty()) {
			const BackendVipSetup &first = setup.vips.front();
			first_key_ = vip_key(first.address, first.protocol, first.port);
		}
	}

	int prog_fd() const { return bpf_program__fd(skeleton_->progs.iplb_backend_ingress); }

	Result<TestRun, Error> run(const Bytes &frame) const
	{
		return run_tc(prog_fd(), frame, ifindex_);
	}

	iplb_backend_counters counters() const
	{
		return sum_per_cpu<iplb_backend_counters>(fd(skeleton_->maps.iplb_backend_counters),
							  0);
	}

	void expect_counters(const BackendCounts &want) const
	{
		const iplb_backend_counters got = counters();
		const iplb_backend_counters &w = want.c;
		EXPECT_EQ(got.delivered, w.delivered) << "delivered";
		EXPECT_EQ(got.delivered_syn, w.delivered_syn) << "delivered_syn";
		EXPECT_EQ(got.delivered_socket, w.delivered_socket) << "delivered_socket";
		EXPECT_EQ(got.delivered_cookie, w.delivered_cookie) << "delivered_cookie";
		EXPECT_EQ(got.delivered_last_resort, w.delivered_last_resort)
			<< "delivered_last_resort";
		EXPECT_EQ(got.chained, w.chained) << "chained";
		EXPECT_EQ(got.dropped_stale, w.dropped_stale) << "dropped_stale";
		EXPECT_EQ(got.dropped_malformed, w.dropped_malformed) << "dropped_malformed";
		EXPECT_EQ(got.dropped_chain, w.dropped_chain) << "dropped_chain";
		EXPECT_EQ(got.not_vip, w.not_vip) << "not_vip";
		if (want.generation) {
			iplb_backend_vip seen{};
			ASSERT_EQ(bpf_map_lookup_elem(fd(skeleton_->maps.iplb_backend_vips),
						      &first_key_, &seen),
				  0);
			EXPECT_EQ(seen.generation, *want.generation) << "the VIP's seen generation";
		}
	}

private:
	static int fd(const bpf_map *map) { return bpf_map__fd(map); }

	std::optional<PrivateNetns> netns_; // first in, last out: the program goes before it
	SkeletonPtr<iplb_backend> skeleton_;
	iplb_vip_key first_key_{};
	uint32_t ifindex_ = 0;
};

using Counter = decltype(iplb_backend_counters::delivered) iplb_backend_counters::*;

// Decapsulated for the stack, for `reason`.
BackendCounts delivered(Counter reason)
{
	BackendCounts c;
	c.c.delivered = 1;
	c.c.*reason = 1;
	return c;
}

BackendCounts counted(Counter what)
{
	BackendCounts c;
	c.c.*what = 1;
	return c;
}

// And the VIP's seen generation afterwards.
BackendCounts seen(BackendCounts c, uint32_t generation)
{
	c.generation = generation;
	return c;
}

// This backend's namespace for chaining: its DIPs on b0, the previous
// backends behind a gateway there (a permanent neighbour), forwarding on
// (bpf_fib_lookup() refuses otherwise, output lookups too).
BackendSetup chain_route()
{
	BackendSetup s;
	s.ingress = "b0";
	s.network = {
		"ip link set dev lo up",
		"ip link add dev b0 address 02:00:00:00:b0:01 type veth peer name b0p",
		"ip link set dev b0 up",
		"ip link set dev b0p up",
		"ip addr add 10.1.0.2/24 dev b0",
		"ip -6 addr add fc00:1::2/64 dev b0 nodad",
		"ip route add 10.2.0.0/24 via 10.1.0.254 dev b0 onlink",
		"ip -6 route add fc00:2::/64 via fc00:1::fe dev b0 onlink",
		"ip neigh replace 10.1.0.254 dev b0 lladdr 02:00:00:00:b0:fe nud permanent",
		"ip -6 neigh replace fc00:1::fe dev b0 lladdr 02:00:00:00:b0:fe nud permanent",
		"sysctl -qw net.ipv4.conf.all.forwarding=1",
		"sysctl -qw net.ipv6.conf.all.forwarding=1",
	};
	return s;
}

// client:40000 -> VIP:80, TOS 0x28, id 0x4242, DF.
Ipv4Spec client_spec(uint8_t protocol = proto_tcp)
{
	Ipv4Spec spec;
	spec.src = client;
	spec.dst = vip;
	spec.protocol = protocol;
	spec.tos = 0x28;
	spec.id = 0x4242;
	return spec;
}

Ipv6Spec client6_spec(uint8_t next_header = proto_tcp)
{
	Ipv6Spec spec;
	spec.src = client6;
	spec.dst = vip6;
	spec.next_header = next_header;
	spec.traffic_class = 0x28;
	spec.flow_label = 0x12345;
	return spec;
}

Bytes syn_packet(uint16_t dport = 80)
{
	return ipv4(client_spec(), tcp_syn(40000, dport, 1460, client, vip));
}

// A plain ACK of an established connection (or of none).
Bytes ack_packet(uint16_t sport = 40000, uint16_t dport = 80)
{
	return ipv4(client_spec(), tcp_segment({.src_port = sport,
						.dst_port = dport,
						.seq = 1001,
						.ack = 2002,
						.flags = tcp_ack},
					       client, vip));
}

Bytes ack6_packet()
{
	return ipv6(client6_spec(), tcp_segment6({.src_port = 40000,
						  .dst_port = 80,
						  .seq = 1001,
						  .ack = 2002,
						  .flags = tcp_ack},
						 client6, vip6));
}

// The mux's private data: generation 5 (what the VIP has seen), the previous
// DIP, changed `age` seconds ago.
LbGueSpec from_mux(bool inner_v6, Bytes previous, uint32_t age = 10, uint32_t generation = 5)
{
	LbGueSpec spec;
	spec.inner_v6 = inner_v6;
	spec.generation = generation;
	spec.changed_at = now - age;
	spec.previous = std::move(previous);
	return spec;
}

// The mux's frame to this backend, over IPv4 or IPv6, three routers on
// (TTL, hop limit 61).
constexpr uint8_t arrived_ttl = 61;

Bytes tunnel4(const LbGueSpec &spec, const Bytes &inner)
{
	return ethernet(
		lb_tunnel4(mux, this_dip, mux_port, spec, inner, 0x28, 0x4242, true, arrived_ttl));
}

Bytes tunnel6(const LbGueSpec &spec, const Bytes &inner)
{
	return ethernet(
		lb_tunnel6(mux6, this_dip6, mux_port, flow_label, 0x28, spec, inner, arrived_ttl),
		ethertype_ipv6);
}

// The same frame sent on to the previous DIP: from this backend, marked
// chained, TTL or hop limit 64 again (the MAC addresses are
// bpf_redirect_neigh()'s to write).
Bytes chained4(LbGueSpec spec, const Bytes &inner)
{
	spec.flags |= lb_chained;
	return ethernet(
		lb_tunnel4(this_dip, previous_dip, mux_port, spec, inner, 0x28, 0x4242, true, 64));
}

Bytes chained6(LbGueSpec spec, const Bytes &inner)
{
	spec.flags |= lb_chained;
	return ethernet(
		lb_tunnel6(this_dip6, previous_dip6, mux_port, flow_label, 0x28, spec, inner, 64),
		ethertype_ipv6);
}

// What the stack gets: Ethernet (its type the inner family's) and the
// client's packet.
Bytes decapsulated(const Bytes &inner, bool inner_v6 = false)
{
	return ethernet(inner, inner_v6 ? ethertype_ipv6 : 0x0800);
}

// An ICMP "fragmentation needed" from a router to the client's side of a
// VIP flow: it quotes the VIP's reply (VIP:80 -> client:40000).
Bytes frag_needed_about_flow()
{
	Ipv4Spec reply;
	reply.src = vip;
	reply.dst = client;
	reply.protocol = proto_tcp;
	const Bytes quoted =
		ipv4(reply, tcp_segment({.src_port = 80, .dst_port = 40000}, vip, client));
	Ipv4Spec spec;
	spec.src = addr("203.0.113.1");
	spec.dst = vip;
	spec.protocol = proto_icmp;
	return ipv4(spec, icmp_frag_needed(1400, quoted));
}

Bytes packet_too_big_about_flow()
{
	Ipv6Spec reply;
	reply.src = vip6;
	reply.dst = client6;
	reply.next_header = proto_tcp;
	const Bytes quoted =
		ipv6(reply, tcp_segment6({.src_port = 80, .dst_port = 40000}, vip6, client6));
	Ipv6Spec spec;
	spec.src = addr6("2001:db8:ff::1");
	spec.dst = vip6;
	spec.next_header = proto_icmpv6;
	return ipv6(spec, icmp6_packet_too_big(1400, quoted, spec.src, vip6));
}

std::vector<BackendCase> backend_cases()
{
	std::vector<BackendCase> cases;
	const Bytes previous = address_bytes(previous_dip);
	const Bytes previous6 = address_bytes(previous_dip6);
	const Bytes syn = syn_packet();
	const Bytes ack = ack_packet();

	// Delivered: SYNs, UDP, every family.
	cases.push_back({
		.description = "a SYN to a VIP is decapsulated for the local stack",
		.input = tunnel4(from_mux(false, previous), syn),
		.expected = decapsulated(syn),
		.verdict = tcx_pass,
		.counters = delivered(&iplb_backend_counters::delivered_syn),
	});
	{
		const uint8_t query[] = {'d', 'n', 's', '?'};
		const Bytes dns = ipv4(client_spec(proto_udp), udp(40000, 53, query));
		// UDP has no connection to look up: always this backend's, even
		// when the bucket moved.
		cases.push_back({
			.description =
				"a UDP datagram to a VIP is delivered even if its bucket moved",
			.input = tunnel4(from_mux(false, previous), dns),
			.expected = decapsulated(dns),
			.verdict = tcx_pass,
			.counters = delivered(&iplb_backend_counters::delivered_last_resort),
		});
	}
	{
		const Bytes syn6 = ipv6(client6_spec(), tcp_syn6(40000, 80, 1440, client6, vip6));
		cases.push_back({
			.description = "an IPv6 SYN over IPv4 is delivered with the IPv6 ethertype",
			.input = tunnel4(from_mux(true, previous), syn6),
			.expected = decapsulated(syn6, true),
			.verdict = tcx_pass,
			.counters = delivered(&iplb_backend_counters::delivered_syn),
		});
		cases.push_back({
			.description = "an IPv6 SYN over IPv6 is delivered",
			.input = tunnel6(from_mux(true, previous6), syn6),
			.expected = decapsulated(syn6, true),
			.verdict = tcx_pass,
			.counters = delivered(&iplb_backend_counters::delivered_syn),
		});
		cases.push_back({
			.description = "an IPv4 SYN over IPv6 is delivered with the IPv4 ethertype",
			.input = tunnel6(from_mux(false, previous6), syn),
			.expected = decapsulated(syn),
			.verdict = tcx_pass,
			.counters = delivered(&iplb_backend_counters::delivered_syn),
		});
	}
	{
		BackendSetup every_port;
		every_port.vips = {{.port = 0}};
		const Bytes to443 = syn_packet(443);
		cases.push_back({
			.description = "a VIP of every port takes any port",
			.setup = every_port,
			.input = tunnel4(from_mux(false, previous), to443),
			.expected = decapsulated(to443),
			.verdict = tcx_pass,
			.counters = delivered(&iplb_backend_counters::delivered_syn),
		});
	}

	// Chaining to the previous DIP: an ACK no local socket has, a bucket
	// that moved less than the daisy timeout ago, from another DIP.
	{
		const LbGueSpec moved = from_mux(false, previous);
		cases.push_back({
			.description = "an ACK without a socket of a bucket that moved recently is "
				       "sent on to the previous DIP",
			.setup = chain_route(),
			.input = tunnel4(moved, ack),
			.expected = chained4(moved, ack),
			.verdict = tc_act_redirect,
			.counters = counted(&iplb_backend_counters::chained),
		});
		// Without a route, the packet was rewritten already; it is
		// dropped all the same.
		cases.push_back({
			.description = "an ACK to chain without a route to the previous DIP is "
				       "dropped and counted",
			.input = tunnel4(moved, ack),
			.expected = chained4(moved, ack),
			.verdict = tc_act_shot,
			.counters = counted(&iplb_backend_counters::dropped_chain),
		});
		BackendSetup other_interface = chain_route();
		other_interface.network.push_back(
			"ip link add dev b1 type veth peer name b1p && ip link set dev b1 up");
		other_interface.ingress = "b1";
		cases.push_back({
			.description = "an ACK to chain whose previous DIP is behind another "
				       "interface is dropped and counted",
			.setup = other_interface,
			.input = tunnel4(moved, ack),
			.expected = chained4(moved, ack),
			.verdict = tc_act_shot,
			.counters = counted(&iplb_backend_counters::dropped_chain),
		});
		BackendSetup no_forwarding = chain_route();
		no_forwarding.network.push_back("sysctl -qw net.ipv4.conf.all.forwarding=0");
		cases.push_back({
			.description = "an ACK to chain is dropped when forwarding is off",
			.setup = no_forwarding,
			.input = tunnel4(moved, ack),
			.expected = chained4(moved, ack),
			.verdict = tc_act_shot,
			.counters = counted(&iplb_backend_counters::dropped_chain),
		});
		const LbGueSpec moved6 = from_mux(true, previous6);
		const Bytes ack6 = ack6_packet();
		cases.push_back({
			.description = "an IPv6 ACK over IPv6 is chained to the IPv6 previous DIP",
			.setup = chain_route(),
			.input = tunnel6(moved6, ack6),
			.expected = chained6(moved6, ack6),
			.verdict = tc_act_redirect,
			.counters = counted(&iplb_backend_counters::chained),
		});
		const LbGueSpec just_in_time = from_mux(false, previous, 239);
		cases.push_back({
			.description =
				"a bucket that moved 239 s ago with a daisy timeout of 240 s is "
				"chained",
			.setup = chain_route(),
			.input = tunnel4(just_in_time, ack),
			.expected = chained4(just_in_time, ack),
			.verdict = tc_act_redirect,
			.counters = counted(&iplb_backend_counters::chained),
		});
		// A stale generation does not stop the chain: the previous DIP
		// may have the connection.
		const LbGueSpec stale_moved = from_mux(false, previous, 10, 4);
		cases.push_back({
			.description = "a packet of an older generation is still chained",
			.setup = chain_route(),
			.input = tunnel4(stale_moved, ack),
			.expected = chained4(stale_moved, ack),
			.verdict = tc_act_redirect,
			.counters = seen(counted(&iplb_backend_counters::chained), 5),
		});
	}

	// Not chained: the last resort, or a stale drop.
	{
		LbGueSpec chained = from_mux(false, previous);
		chained.flags = lb_chained;
		cases.push_back({
			.description = "a packet a backend chained already is not chained again",
			.setup = chain_route(),
			.input = tunnel4(chained, ack),
			.expected = decapsulated(ack),
			.verdict = tcx_pass,
			.counters = delivered(&iplb_backend_counters::delivered_last_resort),
		});
		LbGueSpec chained_stale = from_mux(false, previous, 10, 4);
		chained_stale.flags = lb_chained;
		cases.push_back({
			.description =
				"a chained packet of an older generation is dropped as stale",
			.setup = chain_route(),
			.input = tunnel4(chained_stale, ack),
			.expected = tunnel4(chained_stale, ack),
			.verdict = tc_act_shot,
			.counters = seen(counted(&iplb_backend_counters::dropped_stale), 5),
		});
		const LbGueSpec old = from_mux(false, previous, 240);
		cases.push_back({
			.description =
				"a bucket that moved as long ago as the daisy timeout is not "
				"chained",
			.setup = chain_route(),
			.input = tunnel4(old, ack),
			.expected = decapsulated(ack),
			.verdict = tcx_pass,
			.counters = delivered(&iplb_backend_counters::delivered_last_resort),
		});
		const LbGueSpec self = from_mux(false, address_bytes(this_dip));
		cases.push_back({
			.description = "a previous DIP that is this backend is not chained to",
			.setup = chain_route(),
			.input = tunnel4(self, ack),
			.expected = decapsulated(ack),
			.verdict = tcx_pass,
			.counters = delivered(&iplb_backend_counters::delivered_last_resort),
		});
		const LbGueSpec none = from_mux(false, Bytes(4, 0));
		cases.push_back({
			.description = "no previous DIP is not chained",
			.setup = chain_route(),
			.input = tunnel4(none, ack),
			.expected = decapsulated(ack),
			.verdict = tcx_pass,
			.counters = delivered(&iplb_backend_counters::delivered_last_resort),
		});
		LbGueSpec never = from_mux(false, previous);
		never.changed_at = 0;
		cases.push_back({
			.description = "a bucket that never changed is not chained",
			.setup = chain_route(),
			.input = tunnel4(never, ack),
			.expected = decapsulated(ack),
			.verdict = tcx_pass,
			.counters = delivered(&iplb_backend_counters::delivered_last_resort),
		});
		const LbGueSpec self6 = from_mux(true, address_bytes(this_dip6));
		const Bytes ack6 = ack6_packet();
		cases.push_back({
			.description =
				"an IPv6 previous DIP that is this backend is not chained to",
			.setup = chain_route(),
			.input = tunnel6(self6, ack6),
			.expected = decapsulated(ack6, true),
			.verdict = tcx_pass,
			.counters = delivered(&iplb_backend_counters::delivered_last_resort),
		});
	}

	// Generations: the newest seen per VIP.
	{
		const LbGueSpec stale = from_mux(false, Bytes(4, 0), 10, 4);
		cases.push_back({
			.description = "an older generation than seen without socket or chain is "
				       "dropped as stale",
			.input = tunnel4(stale, ack),
			.expected = tunnel4(stale, ack),
			.verdict = tc_act_shot,
			.counters = seen(counted(&iplb_backend_counters::dropped_stale), 5),
		});
		cases.push_back({
			.description = "a SYN of an older generation is delivered",
			.input = tunnel4(stale, syn),
			.expected = decapsulated(syn),
			.verdict = tcx_pass,
			.counters = seen(delivered(&iplb_backend_counters::delivered_syn), 5),
		});
		const LbGueSpec newer = from_mux(false, Bytes(4, 0), 10, 9);
		cases.push_back({
			.description = "a newer generation raises the one seen for the VIP",
			.input = tunnel4(newer, syn),
			.expected = decapsulated(syn),
			.verdict = tcx_pass,
			.counters = seen(delivered(&iplb_backend_counters::delivered_syn), 9),
		});
		cases.push_back({
			.description = "the same generation as seen is delivered as a last resort",
			.input = tunnel4(from_mux(false, Bytes(4, 0)), ack),
			.expected = decapsulated(ack),
			.verdict = tcx_pass,
			.counters =
				seen(delivered(&iplb_backend_counters::delivered_last_resort), 5),
		});
	}

	// ICMP errors about a VIP flow: judged as the flow's TCP without a
	// socket.
	{
		const Bytes error = frag_needed_about_flow();
		const LbGueSpec moved = from_mux(false, previous);
		cases.push_back({
			.description = "an ICMP fragmentation needed about a VIP flow of a moved "
				       "bucket is chained",
			.setup = chain_route(),
			.input = tunnel4(moved, error),
			.expected = chained4(moved, error),
			.verdict = tc_act_redirect,
			.counters = counted(&iplb_backend_counters::chained),
		});
		cases.push_back({
			.description =
				"an ICMP fragmentation needed about a VIP flow is delivered as "
				"a last resort",
			.input = tunnel4(from_mux(false, Bytes(4, 0)), error),
			.expected = decapsulated(error),
			.verdict = tcx_pass,
			.counters = delivered(&iplb_backend_counters::delivered_last_resort),
		});
		const Bytes error6 = packet_too_big_about_flow();
		const LbGueSpec moved6 = from_mux(true, previous6);
		cases.push_back({
			.description =
				"an ICMPv6 packet too big about a VIP flow of a moved bucket "
				"is chained",
			.setup = chain_route(),
			.input = tunnel6(moved6, error6),
			.expected = chained6(moved6, error6),
			.verdict = tc_act_redirect,
			.counters = counted(&iplb_backend_counters::chained),
		});
		cases.push_back({
			.description =
				"an ICMPv6 packet too big about a VIP flow is delivered as a "
				"last resort",
			.input = tunnel6(from_mux(true, Bytes(16, 0)), error6),
			.expected = decapsulated(error6, true),
			.verdict = tcx_pass,
			.counters = delivered(&iplb_backend_counters::delivered_last_resort),
		});
	}

	// Not ours: passed on untouched.
	{
		Ipv4Spec outer;
		outer.src = addr("10.255.1.1");
		outer.dst = this_dip;
		outer.protocol = proto_udp;
		const Bytes variant1 = ethernet(ipv4(outer, udp(50001, gue_port, syn)));
		cases.push_back({
			.description =
				"GUE variant 1 with an IP header right after UDP is not ours",
			.input = variant1,
			.expected = variant1,
			.verdict = tcx_next,
			.counters = BackendCounts{},
		});
		LbGueSpec other_kind = from_mux(false, previous);
		other_kind.kind = 0x4d;
		const Bytes foreign = tunnel4(other_kind, syn);
		cases.push_back({
			.description = "GUE variant 0 of another kind is not ours",
			.input = foreign,
			.expected = foreign,
			.verdict = tcx_next,
			.counters = BackendCounts{},
		});
		Ipv4Spec dns_spec = client_spec(proto_udp);
		dns_spec.dst = this_dip;
		const Bytes dns = ethernet(ipv4(dns_spec, udp(40000, 53, Bytes(12, 0))));
		cases.push_back({
			.description = "UDP to another port is not ours",
			.input = dns,
			.expected = dns,
			.verdict = tcx_next,
			.counters = BackendCounts{},
		});
		const Bytes plain = ethernet(syn);
		cases.push_back({
			.description = "a packet to the VIP without a tunnel is not ours",
			.input = plain,
			.expected = plain,
			.verdict = tcx_next,
			.counters = BackendCounts{},
		});
		const Bytes to443 = tunnel4(from_mux(false, previous), syn_packet(443));
		cases.push_back({
			.description = "our GUE to a VIP port not configured here is passed on",
			.input = to443,
			.expected = to443,
			.verdict = tcx_next,
			.counters = counted(&iplb_backend_counters::not_vip),
		});
		Ipv4Spec elsewhere = client_spec();
		elsewhere.dst = addr("192.0.2.99");
		const Bytes other_vip =
			tunnel4(from_mux(false, previous),
				ipv4(elsewhere, tcp_syn(40000, 80, 1460, client, elsewhere.dst)));
		cases.push_back({
			.description = "our GUE to a VIP not configured here is passed on",
			.input = other_vip,
			.expected = other_vip,
			.verdict = tcx_next,
			.counters = counted(&iplb_backend_counters::not_vip),
		});
	}

	// Ours, but malformed: dropped.
	{
		LbGueSpec wrong_length = from_mux(false, previous);
		wrong_length.first_byte = 7; // IPv6's, over IPv4
		const Bytes bad_hlen = tunnel4(wrong_length, syn);
		cases.push_back({
			.description = "a GUE header length that does not fit the outer family is "
				       "malformed",
			.input = bad_hlen,
			.expected = bad_hlen,
			.verdict = tc_act_shot,
			.counters = counted(&iplb_backend_counters::dropped_malformed),
		});
		LbGueSpec wrong_proto = from_mux(false, previous);
		wrong_proto.proto = proto_gre;
		const Bytes bad_proto = tunnel4(wrong_proto, syn);
		cases.push_back({
			.description = "a GUE protocol other than IPv4 and IPv6 is malformed",
			.input = bad_proto,
			.expected = bad_proto,
			.verdict = tc_act_shot,
			.counters = counted(&iplb_backend_counters::dropped_malformed),
		});
		// GUE header and 8 of the 12 bytes of private data.
		Ipv4Spec outer;
		outer.src = mux;
		outer.dst = this_dip;
		outer.protocol = proto_udp;
		const Bytes short_private = ethernet(
			ipv4(outer, udp(mux_port, gue_port,
					Bytes{4, proto_ipip, 0, 0, lb_kind, 0, 0, 0, 0, 0, 0, 5})));
		cases.push_back({
			.description = "truncated private data is malformed",
			.input = short_private,
			.expected = short_private,
			.verdict = tc_act_shot,
			.counters = counted(&iplb_backend_counters::dropped_malformed),
		});
		const Bytes no_room_for_previous = ethernet(
			ipv4(outer, udp(mux_port, gue_port,
					Bytes{4, proto_ipip, 0, 0, lb_kind, 0, 0, 0, 0, 0,
					      0, 5,	     0, 0, 0,	    0, 0, 0, 0, 0})));
		cases.push_back({
			.description = "a tunnel that ends after the previous DIP is malformed",
			.input = no_room_for_previous,
			.expected = no_room_for_previous,
			.verdict = tc_act_shot,
			.counters = counted(&iplb_backend_counters::dropped_malformed),
		});
		const Bytes not_ip = tunnel4(from_mux(false, previous), Bytes(40, 0));
		cases.push_back({
			.description = "an inner packet that is not IP is malformed",
			.input = not_ip,
			.expected = not_ip,
			.verdict = tc_act_shot,
			.counters = counted(&iplb_backend_counters::dropped_malformed),
		});
		const Bytes syn6 = ipv6(client6_spec(), tcp_syn6(40000, 80, 1440, client6, vip6));
		const Bytes wrong_family = tunnel4(from_mux(false, previous), syn6);
		cases.push_back({
			.description =
				"an inner IPv6 packet the GUE header calls IPv4 is malformed",
			.input = wrong_family,
			.expected = wrong_family,
			.verdict = tc_act_shot,
			.counters = counted(&iplb_backend_counters::dropped_malformed),
		});
		Ipv4Spec icmp_spec = client_spec(proto_icmp);
		const Bytes ping = ipv4(icmp_spec, icmp_echo(1, 1));
		const Bytes echo = tunnel4(from_mux(false, previous), ping);
		cases.push_back({
			.description =
				"an inner ICMP echo is malformed since the mux never sends one",
			.input = echo,
			.expected = echo,
			.verdict = tc_act_shot,
			.counters = counted(&iplb_backend_counters::dropped_malformed),
		});
		// The backend reads TCP right after a 20-byte header: options are
		// refused (Katran does not take them either).
		Ipv4Spec with_options = client_spec();
		with_options.options = {0x94, 0x04, 0, 0}; // router alert
		const Bytes options_syn =
			tunnel4(from_mux(false, previous),
				ipv4(with_options, tcp_syn(40000, 80, 1460, client, vip)));
		cases.push_back({
			.description = "an inner IPv4 packet with options is malformed",
			.input = options_syn,
			.expected = options_syn,
			.verdict = tc_act_shot,
			.counters = counted(&iplb_backend_counters::dropped_malformed),
		});
		const Bytes truncated =
			tunnel4(from_mux(false, previous), ipv4(client_spec(), Bytes{0x9c, 0x40}));
		cases.push_back({
			.description = "an inner TCP packet without its ports is malformed",
			.input = truncated,
			.expected = truncated,
			.verdict = tc_act_shot,
			.counters = counted(&iplb_backend_counters::dropped_malformed),
		});
	}
	return cases;
}

class BackendPacket : public ::testing::TestWithParam<BackendCase> {};

TEST_P(BackendPacket, Run)
{
	run_packet_case<BackendTarget>(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Backend, BackendPacket, ::testing::ValuesIn(backend_cases()),
			 case_name<BackendCase>);

// ---------------------------------------------------------------------------
// The program's clock is unix time with the real offset.

TEST(BackendClock, TheRealClockOffsetGivesUnixTime)
{
	const uint32_t unix_now = static_cast<uint32_t>(realtime_ns() / 1'000'000'000);
	const Bytes ack = ack_packet();
	for (const auto &[age, chain_tried] :
	     std::vector<std::pair<uint32_t, bool>>{{5, true}, {300, false}}) {
		BackendTarget target;
		BackendSetup setup;
		// With the offset user space writes, CLOCK_REALTIME - CLOCK_BOOTTIME
		// (set_up adds half a second: take it off).
		ASSERT_NO_FATAL_FAILURE(target.set_up(setup, realtime_ns() - 500'000'000));
		LbGueSpec spec = from_mux(false, address_bytes(previous_dip));
		spec.changed_at = unix_now - age;
		const auto out = target.run(tunnel4(spec, ack));
		ASSERT_TRUE(out) << out.error().message;
		// No route in the namespace: a chain is tried and dropped.
		EXPECT_EQ(target.counters().dropped_chain, chain_tried ? 1u : 0u) << "age " << age;
		EXPECT_EQ(target.counters().delivered_last_resort, chain_tried ? 0u : 1u)
			<< "age " << age;
	}
}

// ---------------------------------------------------------------------------
// Real sockets: the namespace has the VIPs and the client on lo, and a route
// to the previous DIP (chain_route()): a packet that is chained shows it.

class BackendSockets : public ::testing::Test {
protected:
	void SetUp() override
	{
		BackendSetup setup = chain_route();
		setup.network.insert(setup.network.end(),
				     {
					     "ip addr add 192.0.2.10/32 dev lo",
					     "ip addr add 198.51.100.7/32 dev lo",
					     "ip -6 addr add 2001:db8::10/128 dev lo nodad",
					     "ip -6 addr add 2001:db8:c::7/128 dev lo nodad",
				     });
		ASSERT_NO_FATAL_FAILURE(target_.set_up(setup));
	}

	// A TCP listener on VIP:port.
	UniqueFd listen_on(const IpAddress &address, uint16_t port)
	{
		const int family = is_v6(address) ? AF_INET6 : AF_INET;
		UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
		EXPECT_TRUE(fd);
		const int one = 1;
		::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		sockaddr_storage sa = sockaddr_of(address, port);
		EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)), 0)
			<< std::strerror(errno);
		EXPECT_EQ(::listen(fd.get(), 16), 0);
		return fd;
	}

	// A connection from the client's address to VIP:port; its local port.
	UniqueFd connect_to(const IpAddress &from, const IpAddress &to, uint16_t port,
			    uint16_t &local_port)
	{
		const int family = is_v6(to) ? AF_INET6 : AF_INET;
		UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
		EXPECT_TRUE(fd);
		sockaddr_storage local = sockaddr_of(from, 0);
		EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr *>(&local), sizeof(local)), 0);
		sockaddr_storage remote = sockaddr_of(to, port);
		EXPECT_EQ(
			::connect(fd.get(), reinterpret_cast<sockaddr *>(&remote), sizeof(remote)),
			0)
			<< std::strerror(errno);
		socklen_t len = sizeof(local);
		::getsockname(fd.get(), reinterpret_cast<sockaddr *>(&local), &len);
		local_port = ntohs(family == AF_INET
					   ? reinterpret_cast<sockaddr_in *>(&local)->sin_port
					   : reinterpret_cast<sockaddr_in6 *>(&local)->sin6_port);
		return fd;
	}

	static sockaddr_storage sockaddr_of(const IpAddress &address, uint16_t port)
	{
		sockaddr_storage ss{};
		if (const auto *v4 = std::get_if<Ipv4>(&address)) {
			auto *sin = reinterpret_cast<sockaddr_in *>(&ss);
			sin->sin_family = AF_INET;
			sin->sin_port = htons(port);
			sin->sin_addr.s_addr = htonl(v4->value);
		} else {
			auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&ss);
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(port);
			std::memcpy(&sin6->sin6_addr, std::get<Ipv6>(address).bytes.data(), 16);
		}
		return ss;
	}

	TestRun run(const Bytes &frame)
	{
		auto out = target_.run(frame);
		EXPECT_TRUE(out) << out.error().message;
		return out ? *out : TestRun{};
	}

	BackendTarget target_;
	// A moved bucket: chained unless a local connection has the packet.
	const LbGueSpec moved = from_mux(false, address_bytes(previous_dip));
	const LbGueSpec moved6 = from_mux(true, address_bytes(previous_dip6));
};

TEST_F(BackendSockets, AnAckOfAnEstablishedConnectionIsDeliveredNotChained)
{
	const UniqueFd listener = listen_on(Ipv4{vip}, 80);
	uint16_t port = 0;
	const UniqueFd connection = connect_to(Ipv4{client}, Ipv4{vip}, 80, port);
	ASSERT_NE(port, 0);
	const Bytes ack = ack_packet(port);
	const TestRun out = run(tunnel4(moved, ack));
	EXPECT_EQ(verdict_name(out.verdict), verdict_name(tcx_pass));
	EXPECT_EQ(out.frame, decapsulated(ack)) << hex(out.frame);
	EXPECT_EQ(target_.counters().delivered_socket, 1u);
	EXPECT_EQ(target_.counters().chained, 0u);

	// Another client port of the same VIP has no connection: chained.
	const Bytes other = ack_packet(static_cast<uint16_t>(port + 1));
	EXPECT_EQ(verdict_name(run(tunnel4(moved, other)).verdict), verdict_name(tc_act_redirect));
	EXPECT_EQ(target_.counters().chained, 1u);
}

TEST_F(BackendSockets, AnIpv6AckOfAnEstablishedConnectionIsDeliveredNotChained)
{
	const UniqueFd listener = listen_on(Ipv6{vip6}, 80);
	uint16_t port = 0;
	const UniqueFd connection = connect_to(Ipv6{client6}, Ipv6{vip6}, 80, port);
	ASSERT_NE(port, 0);
	const Bytes ack = ipv6(client6_spec(), tcp_segment6({.src_port = port,
							     .dst_port = 80,
							     .seq = 1001,
							     .ack = 2002,
							     .flags = tcp_ack},
							    client6, vip6));
	const TestRun out = run(tunnel6(moved6, ack));
	EXPECT_EQ(verdict_name(out.verdict), verdict_name(tcx_pass));
	EXPECT_EQ(out.frame, decapsulated(ack, true)) << hex(out.frame);
	EXPECT_EQ(target_.counters().delivered_socket, 1u);
}

// The router's ICMP error about an established flow reaches its socket.
TEST_F(BackendSockets, AnIcmpErrorAboutAnEstablishedConnectionIsDeliveredToIt)
{
	const UniqueFd listener = listen_on(Ipv4{vip}, 80);
	uint16_t port = 0;
	const UniqueFd connection = connect_to(Ipv4{client}, Ipv4{vip}, 80, port);
	ASSERT_NE(port, 0);
	Ipv4Spec reply;
	reply.src = vip;
	reply.dst = client;
	reply.protocol = proto_tcp;
	const Bytes quoted =
		ipv4(reply, tcp_segment({.src_port = 80, .dst_port = port}, vip, client));
	Ipv4Spec spec;
	spec.src = addr("203.0.113.1");
	spec.dst = vip;
	spec.protocol = proto_icmp;
	const Bytes error = ipv4(spec, icmp_frag_needed(1400, quoted));
	const TestRun out = run(tunnel4(moved, error));
	EXPECT_EQ(verdict_name(out.verdict), verdict_name(tcx_pass));
	EXPECT_EQ(out.frame, decapsulated(error)) << hex(out.frame);
	EXPECT_EQ(target_.counters().delivered_socket, 1u);
}

// A listener alone is no connection: a plain ACK without a valid SYN cookie
// (no SYN queue overflow, no cookie sent) is the previous DIP's.
TEST_F(BackendSockets, AListenerAndAnAckWithoutAValidCookieIsChained)
{
	const UniqueFd listener = listen_on(Ipv4{vip}, 80);
	const Bytes ack = ack_packet();
	const TestRun out = run(tunnel4(moved, ack));
	EXPECT_EQ(verdict_name(out.verdict), verdict_name(tc_act_redirect));
	EXPECT_EQ(out.frame, chained4(moved, ack)) << hex(out.frame);
	EXPECT_EQ(target_.counters().chained, 1u);
	EXPECT_EQ(target_.counters().delivered_cookie, 0u);
	EXPECT_EQ(target_.counters().delivered_socket, 0u);
}

// A SYN cookie: with net.ipv4.tcp_syncookies=2 the listener answers every SYN
// with a cookie (and counts that as an overflow, which is what
// bpf_tcp_check_syncookie() wants recent). The SYN goes from a raw socket, so
// that no client socket takes the SYN-ACK; the ACK that answers it is the
// fixture's.
TEST_F(BackendSockets, AnAckCarryingAValidSynCookieIsDelivered)
{
	ASSERT_EQ(run_commands({"sysctl -qw net.ipv4.tcp_syncookies=2"}), "");
	const UniqueFd listener = listen_on(Ipv4{vip}, 80);
	const UniqueFd raw(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP));
	ASSERT_TRUE(raw) << std::strerror(errno);
	sockaddr_storage from = sockaddr_of(Ipv4{client}, 0);
	ASSERT_EQ(::bind(raw.get(), reinterpret_cast<sockaddr *>(&from), sizeof(sockaddr_in)), 0);
	const timeval timeout{.tv_sec = 2, .tv_usec = 0};
	::setsockopt(raw.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));

	constexpr uint16_t client_port = 41000;
	constexpr uint32_t client_isn = 0x01020304; // tcp_syn()'s
	const Bytes syn = tcp_syn(client_port, 80, 1460, client, vip);
	sockaddr_storage to = sockaddr_of(Ipv4{vip}, 0);
	ASSERT_EQ(::sendto(raw.get(), syn.data(), syn.size(), 0, reinterpret_cast<sockaddr *>(&to),
			   sizeof(sockaddr_in)),
		  static_cast<ssize_t>(syn.size()))
		<< std::strerror(errno);

	// A raw socket sees every TCP packet this namespace receives, our SYN
	// too: wait for the SYN-ACK to the client's port.
	uint32_t cookie = 0;
	for (int i = 0; i < 10 && !cookie; i++) {
		uint8_t buf[256];
		const ssize_t n = ::recv(raw.get(), buf, sizeof(buf), 0);
		ASSERT_GT(n, 0) << "no SYN-ACK: " << std::strerror(errno);
		const size_t ihl = (buf[0] & 0xfu) * 4;
		if (static_cast<size_t>(n) < ihl + 20)
			continue;
		const uint8_t *tcp = buf + ihl;
		const uint16_t sport = static_cast<uint16_t>(tcp[0] << 8 | tcp[1]);
		const uint16_t dport = static_cast<uint16_t>(tcp[2] << 8 | tcp[3]);
		if (sport == 80 && dport == client_port && tcp[13] == (tcp_syn_flag | tcp_ack))
			cookie = uint32_t{tcp[4]} << 24 | uint32_t{tcp[5]} << 16 |
				 uint32_t{tcp[6]} << 8 | tcp[7];
	}
	ASSERT_NE(cookie, 0u);

	const Bytes ack = ipv4(client_spec(), tcp_segment({.src_port = client_port,
							   .dst_port = 80,
							   .seq = client_isn + 1,
							   .ack = cookie + 1,
							   .flags = tcp_ack},
							  client, vip));
	const TestRun out = run(tunnel4(moved, ack));
	EXPECT_EQ(verdict_name(out.verdict), verdict_name(tcx_pass));
	EXPECT_EQ(out.frame, decapsulated(ack)) << hex(out.frame);
	EXPECT_EQ(target_.counters().delivered_cookie, 1u);
	EXPECT_EQ(target_.counters().chained, 0u);

	// The same ACK with a wrong cookie is not the listener's.
	const Bytes forged = ipv4(client_spec(), tcp_segment({.src_port = client_port,
							      .dst_port = 80,
							      .seq = client_isn + 1,
							      .ack = cookie + 2,
							      .flags = tcp_ack},
							     client, vip));
	EXPECT_EQ(verdict_name(run(tunnel4(moved, forged)).verdict), verdict_name(tc_act_redirect));
	EXPECT_EQ(target_.counters().delivered_cookie, 1u);
	EXPECT_EQ(target_.counters().chained, 1u);
}

} // namespace
} // namespace iplb
