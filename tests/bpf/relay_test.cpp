// SPDX-License-Identifier: GPL-2.0-or-later
// The relay program (kernel/iplb_relay.bpf.c) run by the kernel on fixed
// frames (BPF_PROG_TEST_RUN): its table of packet cases, then round trips
// of every tunnel through the host program and three relays. Needs root
// (CAP_BPF).
#include "datapath/bpf_programs.hpp"
#include "datapath/route_record.hpp"

#include "fixtures.hpp"
#include "packet_tester.hpp"
#include "packets.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace iplb {
namespace {

using namespace test;

// ---------------------------------------------------------------------------
// The table

struct RelaySetup {
	std::vector<IpAddress> locals{Ipv4{r1}}; // the addresses it decapsulates for
	// the tunnel sources it accepts: by default the host's loopback
	std::vector<IpPrefix> sources{Ipv4Prefix{Ipv4{source}, 32}};
};

using RelayCase = PacketCase<RelaySetup, iplb_relay_counters>;

class RelayTarget {
public:
	using Setup = RelaySetup;
	using Counters = iplb_relay_counters;

	void set_up(const RelaySetup &setup)
	{
		auto loaded = RelayProgram::load();
		ASSERT_TRUE(loaded) << loaded.error().message;
		program_.emplace(std::move(*loaded));
		for (const IpAddress &local : setup.locals)
			ASSERT_TRUE(program_->maps().add_local(local));
		for (const IpPrefix &prefix : setup.sources)
			ASSERT_TRUE(program_->maps().add_source(prefix));
	}

	int prog_fd() const { return program_->prog_fd(); }

	// Summed over CPUs, compared field by field.
	void expect_counters(const iplb_relay_counters &want) const
	{
		const auto got = program_->maps().counters();
		ASSERT_TRUE(got) << got.error().message;
		EXPECT_EQ(got->decapsulated, want.decapsulated) << "decapsulated";
		EXPECT_EQ(got->bytes, want.bytes) << "bytes";
		EXPECT_EQ(got->not_local, want.not_local) << "not_local";
		EXPECT_EQ(got->fragments, want.fragments) << "fragments";
		EXPECT_EQ(got->malformed, want.malformed) << "malformed";
		EXPECT_EQ(got->refused_source, want.refused_source) << "refused_source";
	}

private:
	std::optional<RelayProgram> program_;
};

// One decapsulation of a frame of `bytes` (before).
iplb_relay_counters decapsulated_once(size_t bytes)
{
	iplb_relay_counters counters{};
	counters.decapsulated = 1;
	counters.bytes = bytes;
	return counters;
}

// One packet passed on, counted in `reason` only.
iplb_relay_counters passed_on(decltype(iplb_relay_counters::malformed) iplb_relay_counters::*reason)
{
	iplb_relay_counters counters{};
	counters.*reason = 1;
	return counters;
}

// One tunnel refused for its outer source: dropped, counted there only.
iplb_relay_counters refused_once()
{
	iplb_relay_counters counters{};
	counters.refused_source = 1;
	return counters;
}

// Outer sources no setup allows: another host's link address, and one just
// outside the loopbacks' /24.
const uint32_t stranger = addr("10.0.1.1");
const uint32_t next_range = addr("10.255.2.1");
const Addr6 stranger6 = addr6("fc00:a1::1");

IpPrefix v4_prefix(const char *text)
{
	return *parse_prefix(text);
}

IpPrefix v6_prefix(const char *text)
{
	return *parse_ipv6_prefix(text);
}

std::vector<RelayCase> relay_cases()
{
	std::vector<RelayCase> cases;
	const Ipv4Spec spec = udp_spec();
	const Bytes inner = udp_packet(spec);

	{
		const Bytes to_r2 = ipip(source, r2, inner, spec);
		const Bytes frame = ethernet(ipip(source, r1, to_r2, spec));
		cases.push_back({
			.description = "unwraps one header for its own address",
			.input = frame,
			.expected = ethernet(to_r2),
			.verdict = tcx_pass, // handled: the stack forwards what was inside
			.counters = decapsulated_once(frame.size()),
		});
	}
	{
		const Bytes to_r2 = gre(source, r2, inner, spec);
		const Bytes frame = ethernet(gre(source, r1, to_r2, spec));
		cases.push_back({
			.description = "unwraps GRE",
			.input = frame,
			.expected = ethernet(to_r2),
			.verdict = tcx_pass,
			.counters = decapsulated_once(frame.size()),
		});
	}
	{
		// GRE with a key (flag K) is not what hosts write: passed on.
		Bytes keyed = gre(source, r1, inner, spec);
		keyed[20] = 0x20; // K flag; the key itself is missing too
		keyed[10] = keyed[11] = 0;
		const uint16_t check = ipv4_checksum(std::span(keyed).first(20));
		keyed[10] = static_cast<uint8_t>(check >> 8);
		keyed[11] = static_cast<uint8_t>(check);
		cases.push_back({
			.description = "passes on GRE with a flag",
			.input = ethernet(keyed),
			.expected = ethernet(keyed),
			.verdict = tcx_next,
			.counters = passed_on(&iplb_relay_counters::malformed),
		});
	}
	{
		const Bytes to_r2 = gue(source, r2, 50001, inner, spec);
		const Bytes frame = ethernet(gue(source, r1, 50001, to_r2, spec));
		cases.push_back({
			.description = "unwraps GUE",
			.input = frame,
			.expected = ethernet(to_r2),
			.verdict = tcx_pass,
			.counters = decapsulated_once(frame.size()),
		});
	}
	auto to_r1 = spec;
	to_r1.dst = r1;
	auto from_source_to_r1 = to_r1;
	from_source_to_r1.src = source;
	{
		// Other UDP to the relay, even to a relay address, is not a
		// tunnel: passed on and not counted.
		const Bytes dns = ethernet(ipv4(to_r1, udp(5353, 53, inner)));
		cases.push_back({
			.description = "other UDP to its address is not a tunnel",
			.input = dns,
			.expected = dns,
			.verdict = tcx_next,
			.counters = iplb_relay_counters{},
		});
		// GUE whose payload is not IPv4 (a GUE header, variant 0).
		const Bytes variant0 =
			ethernet(ipv4(from_source_to_r1, udp(50001, 6080, Bytes(24, 0))));
		cases.push_back({
			.description = "passes on GUE variant 0",
			.input = variant0,
			.expected = variant0,
			.verdict = tcx_next,
			.counters = passed_on(&iplb_relay_counters::malformed),
		});
	}
	{
		const Bytes for_r2 = ethernet(ipip(source, r2, inner, spec));
		cases.push_back({
			.description = "passes on a tunnel to another address",
			.input = for_r2,
			.expected = for_r2,
			.verdict = tcx_next,
			.counters = passed_on(&iplb_relay_counters::not_local),
		});
		const Bytes plain = ethernet(inner);
		cases.push_back({
			.description = "passes on what is not a tunnel",
			.input = plain,
			.expected = plain,
			.verdict = tcx_next,
			.counters = iplb_relay_counters{},
		});
		auto fragment = from_source_to_r1;
		fragment.protocol = proto_ipip;
		fragment.df = false;
		fragment.mf = true;
		const Bytes first_fragment = ethernet(ipv4(fragment, inner));
		cases.push_back({
			.description = "passes on fragments, the stack's to reassemble",
			.input = first_fragment,
			.expected = first_fragment,
			.verdict = tcx_next,
			.counters = passed_on(&iplb_relay_counters::fragments),
		});
		// Reassembled, the stack would hand it to whatever takes IPIP.
		fragment.src = stranger;
		const Bytes strangers_fragment = ethernet(ipv4(fragment, inner));
		cases.push_back({
			.description = "refuses fragments from a source not allowed",
			.input = strangers_fragment,
			.expected = strangers_fragment,
			.verdict = tc_act_shot,
			.counters = refused_once(),
		});
	}

	// Allowed tunnel sources. The attack: a packet with a forged inner
	// source (192.0.2.66), tunnelled to a relay by anyone, must not be
	// unwrapped and forwarded.
	auto forged = spec;
	forged.src = addr("192.0.2.66");
	const Bytes forged_inner = udp_packet(forged);
	{
		const Bytes frame = ethernet(ipip(stranger, r1, forged_inner, forged));
		cases.push_back({
			.description = "refuses IPIP from a source outside every allowed prefix",
			.setup = {.sources = {v4_prefix("10.255.1.1/32"), v4_prefix("10.9.0.0/16"),
					      v6_prefix("fc00:a1::/64")}},
			.input = frame,
			.expected = frame,
			.verdict = tc_act_shot, // dropped, not the stack's
			.counters = refused_once(),
		});
		const Bytes allowed = ethernet(ipip(source, r1, forged_inner, forged));
		cases.push_back({
			.description = "unwraps IPIP from an allowed source, whatever is inside",
			.input = allowed,
			.expected = ethernet(forged_inner),
			.verdict = tcx_pass,
			.counters = decapsulated_once(allowed.size()),
		});
	}
	{
		const Bytes frame = ethernet(gre(stranger, r1, forged_inner, forged));
		cases.push_back({
			.description = "refuses GRE from a source not allowed",
			.input = frame,
			.expected = frame,
			.verdict = tc_act_shot,
			.counters = refused_once(),
		});
	}
	{
		const Bytes frame = ethernet(gue(stranger, r1, 50001, forged_inner, forged));
		cases.push_back({
			.description = "refuses GUE from a source not allowed",
			.input = frame,
			.expected = frame,
			.verdict = tc_act_shot,
			.counters = refused_once(),
		});
	}
	{
		const Bytes frame = ethernet(ipip(source, r1, inner, spec));
		cases.push_back({
			.description = "refuses every tunnel when no source is allowed",
			.setup = {.sources = {}},
			.input = frame,
			.expected = frame,
			.verdict = tc_act_shot,
			.counters = refused_once(),
		});
	}
	{
		// A prefix allows its whole range, and nothing beside it.
		const RelaySetup range = {.sources = {v4_prefix("10.255.1.0/24")}};
		const uint32_t another_host = addr("10.255.1.77");
		const Bytes gre_frame = ethernet(gre(another_host, r1, inner, spec));
		cases.push_back({
			.description = "a prefix allows every source in its range",
			.setup = range,
			.input = gre_frame,
			.expected = ethernet(inner),
			.verdict = tcx_pass,
			.counters = decapsulated_once(gre_frame.size()),
		});
		const Bytes gue_frame = ethernet(gue(another_host, r1, 50001, inner, spec));
		cases.push_back({
			.description = "a prefix allows GUE from its range",
			.setup = range,
			.input = gue_frame,
			.expected = ethernet(inner),
			.verdict = tcx_pass,
			.counters = decapsulated_once(gue_frame.size()),
		});
		const Bytes outside = ethernet(ipip(next_range, r1, inner, spec));
		cases.push_back({
			.description = "a prefix allows nothing outside its range",
			.setup = range,
			.input = outside,
			.expected = outside,
			.verdict = tc_act_shot,
			.counters = refused_once(),
		});
	}
	{
		// A tunnel to another address is not this relay's to judge.
		const Bytes transit = ethernet(ipip(stranger, r2, inner, spec));
		cases.push_back({
			.description = "passes on a tunnel to another address from any source",
			.input = transit,
			.expected = transit,
			.verdict = tcx_next,
			.counters = passed_on(&iplb_relay_counters::not_local),
		});
	}
	{
		// Over IPv6: 4in6 from the host's IPv6 loopback, allowed by a /64.
		const std::vector<IpAddress> locals6{Ipv6{r1_6}};
		const Bytes frame = ethernet(
			ip6_tunnel(source6, r1_6, IPLB_ENCAP_IPIP, false, inner, 0x28, 0x12345),
			ethertype_ipv6);
		cases.push_back({
			.description = "unwraps IPv6 tunnels from an allowed IPv6 prefix",
			.setup = {.locals = locals6, .sources = {v6_prefix("fc00:ff::/64")}},
			.input = frame,
			.expected = ethernet(inner),
			.verdict = tcx_pass,
			.counters = decapsulated_once(frame.size()),
		});
		const Bytes strangers = ethernet(ip6_tunnel(stranger6, r1_6, IPLB_ENCAP_GRE, false,
							    forged_inner, 0x28, 0x12345),
						 ethertype_ipv6);
		cases.push_back({
			.description = "refuses IPv6 tunnels from a source not allowed",
			.setup = {.locals = locals6,
				  .sources = {v6_prefix("fc00:ff::1/128"),
					      v4_prefix("10.0.0.0/8")}},
			.input = strangers,
			.expected = strangers,
			.verdict = tc_act_shot,
			.counters = refused_once(),
		});
		// The families are apart: an IPv4 prefix allows no IPv6 source.
		cases.push_back({
			.description = "an IPv4 prefix allows no IPv6 tunnel",
			.setup = {.locals = locals6, .sources = {v4_prefix("0.0.0.0/0")}},
			.input = frame,
			.expected = frame,
			.verdict = tc_act_shot,
			.counters = refused_once(),
		});
	}
	return cases;
}

class RelayPacket : public ::testing::TestWithParam<RelayCase> {};

TEST_P(RelayPacket, Run)
{
	run_packet_case<RelayTarget>(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Cases, RelayPacket, ::testing::ValuesIn(relay_cases()),
			 case_name<RelayCase>);

// ---------------------------------------------------------------------------
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
		// Every layer comes from the host's source of the tunnel's family.
		ASSERT_TRUE(relay->maps().add_source(Ipv4Prefix{Ipv4{source}, 32}));
		ASSERT_TRUE(relay->maps().add_source(Ipv6Prefix{Ipv6{source6}, 128}));
		relays.push_back(std::move(*relay));
	}

	const Bytes original = t.inner_v6 ? ethernet(udp6_packet(), ethertype_ipv6)
					  : ethernet(udp_packet(udp_spec()));
	auto frame = test_run(host_program->prog_fd(), original);
	ASSERT_TRUE(frame);
	Bytes on_the_wire = frame->frame;
	ASSERT_EQ(on_the_wire.size(),
		  original.size() +
			  3 * iplb_encap_layer(static_cast<uint8_t>(t.encap), t.relays_v6));
	EXPECT_EQ(on_the_wire[12] << 8 | on_the_wire[13], t.relays_v6 ? 0x86dd : 0x0800);
	const uint8_t protocol = on_the_wire[t.relays_v6 ? 20 : 23];
	EXPECT_EQ(protocol, t.encap == Encap::gre   ? proto_gre
			    : t.encap == Encap::gue ? proto_udp
			    : t.relays_v6	    ? proto_ipv6
						    : proto_ipip);
	for (auto &relay : relays) {
		auto out = test_run(relay.prog_fd(), on_the_wire);
		ASSERT_TRUE(out);
		EXPECT_EQ(out->verdict, tcx_pass);
		on_the_wire = out->frame;
	}
	EXPECT_EQ(on_the_wire, original) << hex(on_the_wire);
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

} // namespace
} // namespace iplb
