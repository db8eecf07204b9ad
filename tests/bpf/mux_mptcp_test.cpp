// SPDX-License-Identifier: GPL-2.0-or-later
// The mux's MPTCP token mode (kernel/iplb_mux.bpf.c, docs/MPTCP.md) run by
// the kernel on fixed frames (BPF_PROG_TEST_RUN), its maps filled through
// MuxMaps as iplbd fills them: a join SYN goes to the backend its token
// names, in the load balancer's tunnel (bytes built by packets.hpp from the
// format's description); an unknown token is dropped, counted and handed to
// user space; the join subflow's later packets and ICMP errors follow it
// whatever their bucket; everything else of the VIP goes by its bucket.
// Needs root (CAP_BPF).
#include "../cluster/redis_server.hpp"
#include "datapath/lb_programs.hpp"
#include "lb_fixtures.hpp"
#include "mptcp/token_mirror.hpp"
#include "mptcp/token_store.hpp"
#include "packet_tester.hpp"
#include "packets.hpp"
#include "roles/lb_mux_dataplane.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace iplb {
namespace {

using namespace test;
using namespace test::mux_net;

Ipv6 ipv6_of(const Addr6 &a)
{
	Ipv6 out;
	out.bytes = a;
	return out;
}

constexpr uint32_t token = 0xa1b2c3d4;
constexpr uint32_t generation = 5;

Ipv4Spec to_vip()
{
	Ipv4Spec spec;
	spec.src = client;
	spec.dst = vip;
	spec.protocol = proto_tcp;
	spec.tos = 0x28;
	spec.id = 0x4242;
	return spec;
}

Ipv6Spec to_vip6()
{
	Ipv6Spec spec;
	spec.src = client6;
	spec.dst = vip6;
	spec.next_header = proto_tcp;
	spec.traffic_class = 0x28;
	spec.flow_label = 0x12345;
	return spec;
}

Bytes options_then(const Bytes &mptcp)
{
	Bytes out = linux_syn_options();
	out.insert(out.end(), mptcp.begin(), mptcp.end());
	return out;
}

// IPv4 segments from the client to VIP:dport.
Bytes segment(uint16_t sport, uint8_t flags, Bytes options = {}, uint16_t dport = 80)
{
	TcpSpec tcp;
	tcp.src_port = sport;
	tcp.dst_port = dport;
	tcp.flags = flags;
	return ipv4(to_vip(), tcp_segment(tcp, options, client, vip));
}
Bytes join_syn(uint16_t sport, uint32_t with_token = token, uint16_t dport = 80)
{
	return segment(sport, tcp_syn_flag, options_then(mptcp_join_syn(with_token)), dport);
}
Bytes ack(uint16_t sport)
{
	return segment(sport, tcp_ack);
}

Bytes join_syn6(uint16_t sport, uint32_t with_token = token)
{
	TcpSpec tcp;
	tcp.src_port = sport;
	tcp.dst_port = 80;
	tcp.flags = tcp_syn_flag;
	return ipv6(to_vip6(),
		    tcp_segment6(tcp, options_then(mptcp_join_syn(with_token)), client6, vip6));
}

// The VIP's reply to client:cport as a router quotes it, in "fragmentation
// needed" from that router to the VIP.
Bytes icmp_about(uint16_t cport)
{
	Ipv4Spec reply;
	reply.src = vip;
	reply.dst = client;
	reply.protocol = proto_tcp;
	const Bytes quoted =
		ipv4(reply, tcp_segment({.src_port = 80, .dst_port = cport}, vip, client));
	Ipv4Spec spec;
	spec.src = addr("203.0.113.1");
	spec.dst = vip;
	spec.protocol = proto_icmp;
	return ipv4(spec, icmp_frag_needed(1400, quoted));
}

// Every bucket to DIP n, in token mode or not.
LbMapVersion all_to(uint32_t gen, uint16_t n, MuxMptcpMode mode)
{
	LbMapVersion v;
	v.generation = gen;
	v.mptcp = mode;
	v.pool.push_back({Ipv4{dip(n)}, 1, LbBackendState::active});
	v.buckets.assign(16, LbBucketEntry{Ipv4{dip(n)}, std::nullopt, 0});
	return v;
}

LbMapVersion all_to6(uint32_t gen, uint16_t n, MuxMptcpMode mode)
{
	LbMapVersion v;
	v.generation = gen;
	v.mptcp = mode;
	v.pool.push_back({ipv6_of(dip6(n)), 1, LbBackendState::active});
	v.buckets.assign(16, LbBucketEntry{ipv6_of(dip6(n)), std::nullopt, 0});
	return v;
}

class MuxMptcp : public ::testing::Test {
protected:
	void SetUp() override
	{
		auto loaded = MuxProgram::load();
		ASSERT_TRUE(loaded) << loaded.error().message;
		mux_.emplace(std::move(*loaded));
		MuxConfig config;
		config.source = Ipv4{mux_source};
		config.source6 = ipv6_of(mux_source6);
		ASSERT_TRUE(maps().set_config(config));
		ASSERT_TRUE(maps().install(web, all_to(generation, 1, MuxMptcpMode::token)));
	}

	MuxMaps &maps() { return mux_->maps(); }

	TestRun run(const Bytes &packet, uint16_t ethertype = 0x0800)
	{
		auto out = run_xdp(mux_->prog_fd(), ethernet(packet, ethertype), 0);
		EXPECT_TRUE(out) << out.error().message;
		return out ? *out : TestRun{};
	}

	// The DIP number an IPv4-tunnelled frame went to; 0: not sent.
	static uint16_t dip_of(const TestRun &out)
	{
		if (out.verdict != xdp_tx || out.frame.size() < 34)
			return 0;
		const uint32_t to = uint32_t{out.frame[30]} << 24 | uint32_t{out.frame[31]} << 16 |
				    uint32_t{out.frame[32]} << 8 | out.frame[33];
		return static_cast<uint16_t>(to - dip(0));
	}

	iplb_mux_vip_counters counters(const VipKey &key)
	{
		auto installed = maps().vip(key);
		EXPECT_TRUE(installed && *installed) << to_string(key);
		if (!installed || !*installed)
			return {};
		auto c = maps().vip_counters((*installed)->id);
		EXPECT_TRUE(c) << c.error().message;
		return c ? *c : iplb_mux_vip_counters{};
	}

	// The tunnel a token or subflow sends in: generation of the map, no
	// previous DIP, never changed.
	static LbGueSpec token_tunnel(bool outer_v6, bool inner_v6 = false)
	{
		LbGueSpec spec;
		spec.inner_v6 = inner_v6;
		spec.generation = generation;
		spec.changed_at = 0;
		spec.previous = outer_v6 ? address_bytes(Addr6{}) : address_bytes(uint32_t{0});
		return spec;
	}

	const VipKey web{Ipv4{vip}, IPPROTO_TCP, 80};
	std::optional<MuxProgram> mux_;
};

TEST_F(MuxMptcp, AJoinSynGoesToTheBackendItsTokenNames)
{
	ASSERT_TRUE(maps().set_token(token, Ipv4{dip(3)}));
	const Bytes syn = join_syn(40001);
	const TestRun out = run(syn);
	ASSERT_EQ(out.verdict, xdp_tx) << xdp_verdict_name(out.verdict);
	const uint16_t port = flow_hash_fields(out.frame).gue_source_port;
	const Bytes expected = ethernet_between(
		frame_src, frame_dst,
		lb_tunnel4(mux_source, dip(3), port, token_tunnel(false), syn, 0x28, 0x4242, true));
	EXPECT_EQ(hex(out.frame), hex(expected));

	const auto c = counters(web);
	EXPECT_EQ(c.packets, 1u);
	EXPECT_EQ(c.bytes, syn.size());
	EXPECT_EQ(c.mptcp_joins, 1u);
	EXPECT_EQ(c.mptcp_unknown_token, 0u);
	auto buckets = maps().bucket_counters(web);
	ASSERT_TRUE(buckets);
	for (uint64_t packets : *buckets)
		EXPECT_EQ(packets, 0u) << "a join sent by its token is no bucket's";

	auto subflows = maps().subflows();
	ASSERT_TRUE(subflows) << subflows.error().message;
	const SubflowKey joined{Ipv4{client}, 40001, Ipv4{vip}, 80};
	ASSERT_EQ(subflows->size(), 1u);
	EXPECT_EQ(subflows->begin()->first, joined) << to_string(subflows->begin()->first);
	EXPECT_EQ(subflows->begin()->second, IpAddress{Ipv4{dip(3)}});
}

TEST_F(MuxMptcp, TheJoinSubflowsLaterPacketsFollowItWhateverTheirBucket)
{
	ASSERT_TRUE(maps().set_token(token, Ipv4{dip(3)}));
	ASSERT_EQ(dip_of(run(join_syn(40001))), 3);
	for (int i = 0; i < 20; i++)
		EXPECT_EQ(dip_of(run(ack(40001))), 3) << "packet " << i;
	EXPECT_EQ(dip_of(run(ack(40002))), 1) << "another flow goes by its bucket";
	EXPECT_EQ(dip_of(run(icmp_about(40001))), 3) << "an ICMP error about the subflow";
	EXPECT_EQ(dip_of(run(icmp_about(40002))), 1);
	const auto c = counters(web);
	EXPECT_EQ(c.mptcp_joins, 1u);
	EXPECT_EQ(c.mptcp_subflow, 21u);
	EXPECT_EQ(c.packets, 24u);
	EXPECT_EQ(c.icmp, 2u);
}

TEST_F(MuxMptcp, AnUnknownTokenIsDroppedCountedAndHandedToUserSpace)
{
	auto misses = TokenMisses::open(maps());
	ASSERT_TRUE(misses) << misses.error().message;
	EXPECT_EQ(run(join_syn(40001)).verdict, xdp_drop);
	EXPECT_EQ(run(join_syn(40001)).verdict, xdp_drop) << "the client's resent SYN";

	auto c = counters(web);
	EXPECT_EQ(c.mptcp_unknown_token, 2u);
	EXPECT_EQ(c.packets, 0u) << "never forwarded";
	auto read = misses->read();
	ASSERT_TRUE(read) << read.error().message;
	const uint32_t id = maps().vip(web)->value().id;
	ASSERT_EQ(read->size(), 2u);
	for (const auto &miss : *read) {
		EXPECT_EQ(miss.token, token);
		EXPECT_EQ(miss.vip_id, id);
		EXPECT_EQ(miss.frame, ethernet(join_syn(40001), 0x0800)) << "the frame as it came";
		EXPECT_GT(miss.ifindex, 0u);
	}
	auto again = misses->read();
	ASSERT_TRUE(again);
	EXPECT_TRUE(again->empty()) << "read once";
	EXPECT_TRUE(maps().subflows()->empty()) << "a dropped join is no subflow";

	// User space learns the token and sends the dropped frame through the
	// program again (live): it goes as a join by token now.
	ASSERT_TRUE(maps().set_token(token, Ipv4{dip(2)}));
	const auto &dropped = read->front();
	ASSERT_TRUE(
		replay_frame(mux_->prog_fd(), dropped.frame, dropped.ifindex, dropped.rx_queue));
	c = counters(web);
	EXPECT_EQ(c.mptcp_joins, 1u) << "the replayed join went by its token";
	EXPECT_EQ(c.mptcp_unknown_token, 2u);
	EXPECT_EQ(maps().subflows()->size(), 1u);
	// And the client's resent SYN too.
	EXPECT_EQ(dip_of(run(join_syn(40001))), 2);
	EXPECT_EQ(counters(web).mptcp_joins, 2u);
}

TEST_F(MuxMptcp, OnlyJoinsGoByToken)
{
	ASSERT_TRUE(maps().set_token(token, Ipv4{dip(3)}));
	EXPECT_EQ(dip_of(run(segment(40001, tcp_syn_flag, options_then(mptcp_capable_syn())))), 1)
		<< "a first subflow (MP_CAPABLE) goes by its bucket";
	EXPECT_EQ(dip_of(run(segment(40002, tcp_syn_flag, linux_syn_options()))), 1) << "plain TCP";
	EXPECT_EQ(dip_of(run(segment(40003, tcp_syn_flag | tcp_ack,
				     options_then(mptcp_join_syn(token))))),
		  1)
		<< "not a SYN alone";

	// A VIP not in token mode: a join goes by its bucket, known token or not.
	const VipKey other{Ipv4{vip}, IPPROTO_TCP, 443};
	ASSERT_TRUE(maps().install(other, all_to(1, 2, MuxMptcpMode::none)));
	EXPECT_EQ(dip_of(run(join_syn(40004, token, 443))), 2);
	EXPECT_EQ(dip_of(run(join_syn(40005, 0x01010101, 443))), 2);
	EXPECT_EQ(counters(other).mptcp_unknown_token, 0u);
	EXPECT_EQ(counters(other).mptcp_joins, 0u);
	EXPECT_EQ(counters(web).mptcp_joins, 0u);
	EXPECT_TRUE(maps().subflows()->empty());
}

TEST_F(MuxMptcp, OptionsThatDoNotParseAreNoJoin)
{
	// The buckets decide, and nothing is dropped as unknown.
	const Bytes join = mptcp_join_syn(token);
	Bytes zero_length_first{1, 1, 8, 0}; // NOP, NOP, an option of length 0
	zero_length_first.insert(zero_length_first.end(), join.begin(), join.end());
	Bytes past_the_header = linux_syn_options(); // a join of 12 with 8 bytes left
	past_the_header.insert(past_the_header.end(), join.begin(), join.begin() + 8);
	Bytes wrong_length = join;
	wrong_length[1] = 16;
	wrong_length.insert(wrong_length.end(), {1, 1, 1, 1});
	for (const Bytes &options :
	     {options_then(zero_length_first), past_the_header, options_then(wrong_length)})
		EXPECT_EQ(dip_of(run(segment(40001, tcp_syn_flag, options))), 1) << hex(options);
	EXPECT_EQ(counters(web).mptcp_unknown_token, 0u);
	EXPECT_EQ(counters(web).mptcp_joins, 0u);
}

TEST_F(MuxMptcp, ANewConnectionOnAJoinSubflowsTupleGoesByItsBucket)
{
	ASSERT_TRUE(maps().set_token(token, Ipv4{dip(3)}));
	ASSERT_EQ(dip_of(run(join_syn(40001))), 3);
	// The port is reused for a first subflow: every mux sends it by its
	// bucket, so this one must too, and forget the old subflow.
	EXPECT_EQ(dip_of(run(segment(40001, tcp_syn_flag, options_then(mptcp_capable_syn())))), 1);
	EXPECT_TRUE(maps().subflows()->empty());
	EXPECT_EQ(dip_of(run(ack(40001))), 1);
	// A join on it again names its token, which wins over a stale entry.
	ASSERT_TRUE(maps().set_subflow({Ipv4{client}, 40001, Ipv4{vip}, 80}, Ipv4{dip(2)}));
	EXPECT_EQ(dip_of(run(join_syn(40001))), 3);
	EXPECT_EQ(dip_of(run(ack(40001))), 3);
}

TEST_F(MuxMptcp, SubflowsUserSpaceWritesAreFollowed)
{
	const SubflowKey announced{Ipv4{client}, 40005, Ipv4{vip}, 80};
	ASSERT_TRUE(maps().set_subflow(announced, Ipv4{dip(2)}));
	EXPECT_EQ(dip_of(run(ack(40005))), 2) << "a subflow another mux sent the join of";
	ASSERT_TRUE(maps().remove_subflow(announced));
	EXPECT_EQ(dip_of(run(ack(40005))), 1);
	EXPECT_TRUE(maps().remove_subflow(announced)) << "removing one not there is no error";
	auto mixed = maps().set_subflow({Ipv4{client}, 1, ipv6_of(vip6), 80}, Ipv4{dip(2)});
	ASSERT_FALSE(mixed);
	EXPECT_NE(mixed.error().message.find("two families"), std::string::npos)
		<< mixed.error().message;
}

TEST_F(MuxMptcp, TokensReadBackAndGo)
{
	ASSERT_TRUE(maps().set_token(1, Ipv4{dip(1)}));
	ASSERT_TRUE(maps().set_token(token, ipv6_of(dip6(2))));
	ASSERT_TRUE(maps().set_token(token, Ipv4{dip(3)})) << "set again: replaced";
	auto all = maps().tokens();
	ASSERT_TRUE(all) << all.error().message;
	EXPECT_EQ(*all, (std::map<uint32_t, IpAddress>{{1, Ipv4{dip(1)}}, {token, Ipv4{dip(3)}}}));
	ASSERT_TRUE(maps().remove_token(token));
	EXPECT_TRUE(maps().remove_token(token)) << "removing one not there is no error";
	EXPECT_EQ(maps().tokens()->size(), 1u);
	EXPECT_EQ(run(join_syn(40001)).verdict, xdp_drop) << "a withdrawn token is unknown";
}

TEST_F(MuxMptcp, Ipv6JoinsGoByTokenInAnIpv6Tunnel)
{
	const VipKey web6{ipv6_of(vip6), IPPROTO_TCP, 80};
	ASSERT_TRUE(maps().install(web6, all_to6(generation, 1, MuxMptcpMode::token)));
	ASSERT_TRUE(maps().set_token(token, ipv6_of(dip6(2))));
	const Bytes syn = join_syn6(40001);
	const TestRun out = run(syn, ethertype_ipv6);
	ASSERT_EQ(out.verdict, xdp_tx) << xdp_verdict_name(out.verdict);
	const FlowHashFields chosen = flow_hash_fields(out.frame);
	const Bytes expected =
		ethernet_between(frame_src, frame_dst,
				 lb_tunnel6(mux_source6, dip6(2), chosen.gue_source_port,
					    chosen.flow_label, 0x28, token_tunnel(true, true), syn),
				 ethertype_ipv6);
	EXPECT_EQ(hex(out.frame), hex(expected));
	EXPECT_EQ(counters(web6).mptcp_joins, 1u);
	EXPECT_EQ(counters(web).mptcp_joins, 0u);
}

TEST_F(MuxMptcp, TheModeFlipsWithTheMap)
{
	ASSERT_TRUE(maps().set_token(token, Ipv4{dip(3)}));
	EXPECT_EQ(maps().vip(web)->value().map.mptcp, MuxMptcpMode::token);
	ASSERT_TRUE(maps().stage(web, all_to(generation + 1, 2, MuxMptcpMode::none)));
	EXPECT_EQ(dip_of(run(join_syn(40001))), 3) << "staged: the active map's mode holds";
	ASSERT_TRUE(maps().activate(web, generation + 1));
	EXPECT_EQ(maps().vip(web)->value().map.mptcp, MuxMptcpMode::none);
	EXPECT_EQ(dip_of(run(join_syn(40002))), 2) << "mode none: by the bucket";
	ASSERT_TRUE(maps().install(web, all_to(generation + 2, 2, MuxMptcpMode::token)));
	EXPECT_EQ(dip_of(run(join_syn(40003))), 3);
}

// ---------------------------------------------------------------------------
// Port mode: each backend of the pool announced VIP:port of its own; every
// packet to that port goes to it (a join SYN, the subflow's later packets,
// an ICMP error about it), no token and no state involved.

// Two backends, DIP 1 and DIP 2, announcing ports 40000 and 40001; every
// bucket to DIP 1.
LbMapVersion ported(uint32_t gen, MuxMptcpMode mode = MuxMptcpMode::port)
{
	LbMapVersion v = all_to(gen, 1, mode);
	v.pool[0].mptcp_port = 40000;
	v.pool.push_back({Ipv4{dip(2)}, 1, LbBackendState::active, 40001});
	return v;
}

// "Fragmentation needed" about the VIP's reply from `vport` to client:cport.
Bytes icmp_about_port(uint16_t vport, uint16_t cport)
{
	Ipv4Spec reply;
	reply.src = vip;
	reply.dst = client;
	reply.protocol = proto_tcp;
	const Bytes quoted =
		ipv4(reply, tcp_segment({.src_port = vport, .dst_port = cport}, vip, client));
	Ipv4Spec spec;
	spec.src = addr("203.0.113.1");
	spec.dst = vip;
	spec.protocol = proto_icmp;
	return ipv4(spec, icmp_frag_needed(1400, quoted));
}

class MuxMptcpPort : public MuxMptcp {
protected:
	// Port mode's tunnel: generation 0 and no previous DIP, whatever the
	// VIP's map (the port is one backend's).
	static LbGueSpec port_tunnel()
	{
		LbGueSpec spec = token_tunnel(false);
		spec.generation = 0;
		return spec;
	}
};

TEST_F(MuxMptcpPort, AJoinToABackendsPortGoesToThatBackend)
{
	ASSERT_TRUE(maps().install(web, ported(generation + 1)));
	const Bytes syn = join_syn(40100, 0x01020304, 40001);
	const TestRun out = run(syn);
	ASSERT_EQ(out.verdict, xdp_tx) << xdp_verdict_name(out.verdict);
	const uint16_t port = flow_hash_fields(out.frame).gue_source_port;
	const Bytes expected = ethernet_between(
		frame_src, frame_dst,
		lb_tunnel4(mux_source, dip(2), port, port_tunnel(), syn, 0x28, 0x4242, true));
	EXPECT_EQ(hex(out.frame), hex(expected));
	for (int i = 0; i < 10; i++)
		EXPECT_EQ(dip_of(run(segment(40100, tcp_ack, {}, 40001))), 2) << "packet " << i;
	EXPECT_EQ(dip_of(run(segment(40101, tcp_ack, {}, 40000))), 1);
	EXPECT_EQ(dip_of(run(icmp_about_port(40001, 40100))), 2) << "an ICMP error about it";
	EXPECT_EQ(dip_of(run(segment(40102, tcp_ack, {}, 80))), 1) << "the VIP's own port";

	const auto c = counters(web);
	EXPECT_EQ(c.mptcp_port, 13u);
	EXPECT_EQ(c.packets, 14u);
	EXPECT_EQ(c.icmp, 1u);
	EXPECT_EQ(c.mptcp_joins, 0u);
	EXPECT_EQ(maps().subflows()->size(), 0u) << "port mode keeps no state";
	auto buckets = maps().bucket_counters(web);
	ASSERT_TRUE(buckets);
	uint64_t by_bucket = 0;
	for (uint64_t packets : *buckets)
		by_bucket += packets;
	EXPECT_EQ(by_bucket, 1u) << "only the packet to the VIP's own port went by its bucket";
}

TEST_F(MuxMptcpPort, OtherPortsAndOtherProtocolsPass)
{
	ASSERT_TRUE(maps().install(web, ported(generation + 1)));
	const TestRun out = run(segment(40100, tcp_ack, {}, 40002));
	EXPECT_EQ(out.verdict, xdp_pass) << "a port no backend announced";
	Ipv4Spec datagram = to_vip();
	datagram.protocol = proto_udp;
	const Bytes payload(8, 0x55);
	EXPECT_EQ(run(ipv4(datagram, udp(40100, 40001, payload))).verdict, xdp_pass)
		<< "UDP to a backend's TCP port";
}

TEST_F(MuxMptcpPort, ThePortLookupRunsOnlyWhileSomeVipIsInPortMode)
{
	EXPECT_FALSE(maps().config()->ports) << "no port-mode VIP yet";
	ASSERT_TRUE(maps().install(web, ported(generation + 1)));
	EXPECT_TRUE(maps().config()->ports);
	// Another setting of the config keeps it: it follows the port map.
	auto config = *maps().config();
	config.fib = true;
	config.ports = false;
	ASSERT_TRUE(maps().set_config(config));
	EXPECT_TRUE(maps().config()->ports);
	EXPECT_TRUE(maps().config()->fib);
	ASSERT_TRUE(maps().install(web, all_to(generation + 2, 1, MuxMptcpMode::token)));
	EXPECT_FALSE(maps().config()->ports) << "the last port went";
}

TEST_F(MuxMptcpPort, ThePortsFollowTheActiveMap)
{
	// Staged: the new backend's port works at once (it announces it once
	// the version is committed, maybe before this mux flips).
	ASSERT_TRUE(maps().stage(web, ported(generation + 1)));
	EXPECT_EQ(dip_of(run(segment(40100, tcp_ack, {}, 40001))), 2);
	ASSERT_TRUE(maps().activate(web, generation + 1));
	auto ports = maps().mptcp_ports();
	ASSERT_TRUE(ports) << ports.error().message;
	EXPECT_EQ(*ports, (std::map<VipKey, IpAddress>{
				  {VipKey{Ipv4{vip}, IPPROTO_TCP, 40000}, Ipv4{dip(1)}},
				  {VipKey{Ipv4{vip}, IPPROTO_TCP, 40001}, Ipv4{dip(2)}}}));
	EXPECT_EQ(maps().vip(web)->value().map, ported(generation + 1)) << "read back whole";

	// DIP 2 leaves the pool: its port goes with the flip, not before.
	ASSERT_TRUE(maps().stage(web, all_to(generation + 2, 1, MuxMptcpMode::port)));
	EXPECT_EQ(dip_of(run(segment(40100, tcp_ack, {}, 40001))), 2);
	ASSERT_TRUE(maps().activate(web, generation + 2));
	EXPECT_EQ(run(segment(40100, tcp_ack, {}, 40001)).verdict, xdp_pass);

	// Token mode again: no port left; the VIP removed: none either.
	ASSERT_TRUE(maps().install(web, ported(generation + 3)));
	ASSERT_TRUE(maps().install(web, all_to(generation + 4, 1, MuxMptcpMode::token)));
	EXPECT_TRUE(maps().mptcp_ports()->empty());
	ASSERT_TRUE(maps().install(web, ported(generation + 5)));
	ASSERT_TRUE(maps().remove(web));
	EXPECT_TRUE(maps().mptcp_ports()->empty());
}

TEST_F(MuxMptcpPort, APortThatIsAnotherVipsOrAnotherVipsBackendsIsRefused)
{
	const VipKey other{Ipv4{vip}, IPPROTO_TCP, 40001};
	ASSERT_TRUE(maps().install(other, all_to(1, 3, MuxMptcpMode::none)));
	auto refused = maps().stage(web, ported(generation + 1));
	ASSERT_FALSE(refused);
	EXPECT_NE(refused.error().message.find("is the port of VIP"), std::string::npos)
		<< refused.error().message;
	EXPECT_EQ(maps().staged_generation(web)->value_or(0), 0u) << "nothing staged";
	ASSERT_TRUE(maps().remove(other));

	const VipKey second{Ipv4{vip}, IPPROTO_TCP, 81};
	ASSERT_TRUE(maps().install(web, ported(generation + 1)));
	refused = maps().stage(second, ported(1));
	ASSERT_FALSE(refused);
	EXPECT_NE(refused.error().message.find("announced by a backend of another VIP"),
		  std::string::npos)
		<< refused.error().message;
	EXPECT_EQ(dip_of(run(segment(40100, tcp_ack, {}, 40001))), 2) << "the first VIP's still";
}

// ---------------------------------------------------------------------------
// The token mirror (iplbd/mptcp/token_mirror) over the real maps
// (MuxMapsTokens) and a real redis-server: a published token lets the next
// join through; a join whose token never reached the map is dropped, its
// token looked up from the ring buffer, and the client's next SYN goes
// through. The times are this machine's, from the test's clock.

class MuxTokenMirror : public MuxMptcp {
protected:
	void SetUp() override
	{
		MuxMptcp::SetUp();
		if (HasFatalFailure())
			return;
		const auto binary = cluster::testing::RedisServer::find_redis();
		if (!binary)
			GTEST_SKIP() << "no redis-server (apt-get install redis-server; "
					"./quickstart.sh installs it)";
		auto started = cluster::testing::RedisServer::start(*binary);
		ASSERT_TRUE(started) << started.error().message;
		server_ = std::move(*started);
		const std::string endpoints[] = {server_->endpoint()};
		auto connected = redis::Keyspace::connect(endpoints, std::chrono::seconds(1));
		ASSERT_TRUE(connected) << connected.error().message;
		backend_.emplace(std::move(*connected));
		auto tokens = MuxMapsTokens::open(maps(), mux_->prog_fd());
		ASSERT_TRUE(tokens) << tokens.error().message;
		tokens_.emplace(std::move(*tokens));
		mptcp::TokenMirrorOptions options;
		options.redis = {server_->endpoint()};
		mirror_.emplace(*tokens_, options, nullptr);
		ASSERT_TRUE(wait_for([&] { return mirror_->view().full_reads == 1; }));
	}

	void TearDown() override { mirror_.reset(); }

	template <typename F>
	static bool wait_for(F condition)
	{
		const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
		while (!condition()) {
			if (std::chrono::steady_clock::now() >= deadline)
				return false;
			std::this_thread::sleep_for(std::chrono::microseconds(200));
		}
		return true;
	}

	static double ms_since(std::chrono::steady_clock::time_point start)
	{
		return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
								 start)
			.count();
	}

	std::unique_ptr<cluster::testing::RedisServer> server_;
	std::optional<redis::Keyspace> backend_;
	std::optional<MuxMapsTokens> tokens_;
	std::optional<mptcp::TokenMirror> mirror_;
};

TEST_F(MuxTokenMirror, APublishedTokenLetsTheJoinThrough)
{
	mptcp::TokenStore store(*backend_);
	const auto published = std::chrono::steady_clock::now();
	ASSERT_TRUE(store.publish(token, to_string(IpAddress{Ipv4{dip(3)}})));
	ASSERT_TRUE(wait_for([&] { return maps().tokens()->contains(token); }));
	std::printf("[mptcp] published -> in the mux's map: %.2f ms\n", ms_since(published));
	EXPECT_EQ(dip_of(run(join_syn(40001))), 3);
	ASSERT_TRUE(store.withdraw(token, to_string(IpAddress{Ipv4{dip(3)}})).value());
	ASSERT_TRUE(wait_for([&] { return !maps().tokens()->contains(token); }));
	EXPECT_EQ(run(join_syn(40002)).verdict, xdp_drop);
}

TEST_F(MuxTokenMirror, AMissIsLookedUpAndTheDroppedJoinSentAgain)
{
	// In the store, never announced: the map does not have it.
	mptcp::TokenStore store(*backend_);
	ASSERT_TRUE(backend_->command(store.key(token), {"SET", store.key(token), "10.1.0.2"}));
	const auto dropped = std::chrono::steady_clock::now();
	EXPECT_EQ(run(join_syn(40001)).verdict, xdp_drop);
	ASSERT_TRUE(wait_for([&] { return maps().tokens()->contains(token); }));
	const double in_map = ms_since(dropped);
	// The mirror sends the dropped frame through the program again (live):
	// the join goes by its token without waiting for the client.
	ASSERT_TRUE(wait_for([&] { return counters(web).mptcp_joins == 1; }));
	std::printf("[mptcp] join dropped -> token looked up and in the map: %.2f ms; the "
		    "dropped join sent again by its token: %.2f ms (without: the client's SYN "
		    "retransmission, about 1 s)\n",
		    in_map, ms_since(dropped));
	// The mirror publishes its counters after the replay.
	ASSERT_TRUE(wait_for([&] { return mirror_->view().replayed == 1; }));
	EXPECT_EQ(mirror_->view().miss_found, 1u);
	EXPECT_EQ(mirror_->view().misses, 1u);
	EXPECT_EQ(mirror_->view().replay_errors, 0u);
	EXPECT_EQ(counters(web).mptcp_unknown_token, 1u);
	EXPECT_EQ(dip_of(run(join_syn(40001))), 2) << "a resent SYN goes too";

	// A token no backend has: dropped every time, looked up every time.
	EXPECT_EQ(run(join_syn(40002, 0x0badf00d)).verdict, xdp_drop);
	ASSERT_TRUE(wait_for([&] { return mirror_->view().miss_unknown == 1; }));
	EXPECT_FALSE(maps().tokens()->contains(0x0badf00d));
}

} // namespace
} // namespace iplb
