// SPDX-License-Identifier: GPL-2.0-or-later
// The eBPF datapath's cost per packet as the kernel times it
// (BPF_PROG_TEST_RUN): the host program encapsulating (IPIP with one and two
// relays, GRE, GUE, one of 16 lists by hash or, iplbd's default, by turn:
// a remembered flow), the relay program decapsulating (and refusing a
// tunnel from a source it does not allow), and the host program passing a
// packet that is not in its table.
//
// BPF_PROG_TEST_RUN's `repeat` runs a tc program N times on the same skb:
// after the first run the packet is already encapsulated (or unwrapped), and
// the other N-1 runs time the program passing its own output on. Worse for a
// loop that undoes the encapsulation in between: bpf_skb_adjust_room() with
// an ENCAP flag marks the skb (skb->encapsulation) and refuses a second one
// with -EALREADY, and nothing a tc program can call clears the mark. So:
//
// - single runs, every case: one BPF_PROG_TEST_RUN per packet (repeat = 1, a
//   fresh skb each time), the kernel's duration averaged. It includes the
//   kernel's two clock reads and caches the system call has partly cooled:
//   the "empty" row (a program that only returns) is that floor, "net" is the
//   median minus it.
// - kernel loop, where it is possible: repeat = N on one skb, for the
//   programs that leave the packet as they found it (not in the table,
//   empty), and for decapsulation through a small wrapper that pushes the
//   outer header back before tail-calling the relay program: every run then
//   does the full work on warm caches, and the figure is an upper bound of the
//   program's own cost (it includes the wrapper's work). Checked by the
//   counters: the relay counts N decapsulations in N runs.
//
// What the programs cost per packet in real traffic is measured by
// veth_compare.py (BPF_ENABLE_STATS: the kernel's run time per program run).
//
// Every case is first run and its output compared with the frame
// tests/bpf/packets.hpp builds, so the numbers are those of the intended path.
// Needs root (loading eBPF programs).
#include "datapath/bpf_programs.hpp"
#include "datapath/route_record.hpp"
#include "util/unique_fd.hpp"

#include "iplb_host_layout.h"

#include "bpf_bench.hpp"
#include "packets.hpp"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <nlohmann/json.hpp>
#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using iplb::Ipv4;
using iplb::test::addr;
using iplb::test::Bytes;
using json = nlohmann::ordered_json;

using namespace iplb::bench;

const char usage[] =
	"usage: iplb-datapath-bench [--packets N] [--repeat N] [--rounds R] [--json FILE|-]\n"
	"  --packets N  single runs (repeat = 1) per case and round (default 200000)\n"
	"  --repeat N   runs of the kernel loop per case and round (default 1000000)\n"
	"  --rounds R   rounds, cases interleaved in each (default 5)\n"
	"  --json FILE  also write the results as JSON (-: to stdout, instead of Markdown)\n"
	"Needs root. Prints ns per packet, min/median/max over rounds, as Markdown.\n";

const iplb::Ipv4Prefix destination = *iplb::parse_prefix("10.4.1.0/24");
const uint32_t host = addr("10.1.1.1");
const uint32_t source = addr("10.255.1.1");
const uint32_t r1 = addr("10.255.0.1"), r2 = addr("10.255.0.2");

struct Options {
	uint64_t packets = 200000;
	uint32_t repeat = 1000000;
	int rounds = 5;
	std::optional<std::string> json_path;
};

template <typename T>
T must(iplb::Result<T, iplb::Error> result, const std::string &what)
{
	if (!result)
		throw std::runtime_error(what + ": " + result.error().message);
	return std::move(*result);
}

void must(const iplb::Status &status, const std::string &what)
{
	if (!status)
		throw std::runtime_error(what + ": " + status.error().message);
}

// ---------------------------------------------------------------------------
// Frames and routes

iplb::test::Ipv4Spec udp_spec(uint32_t dst)
{
	iplb::test::Ipv4Spec spec;
	spec.src = host;
	spec.dst = dst;
	spec.id = 0x4242;
	return spec;
}

// In a 64-byte frame: Ethernet, IPv4, UDP and 22 bytes of payload.
Bytes udp_packet(const iplb::test::Ipv4Spec &spec)
{
	const Bytes payload(64 - 14 - 20 - 8, 0xab);
	return iplb::test::ipv4(spec, iplb::test::udp(40000, 5201, payload));
}

iplb::RouteSpec route_of(std::vector<std::vector<uint32_t>> lists, iplb::Encap encap)
{
	iplb::RouteSpec spec;
	spec.prefix = destination;
	spec.encap = encap;
	for (const auto &relays : lists) {
		iplb::RelayList list;
		for (uint32_t r : relays)
			list.relays.push_back(Ipv4{r});
		spec.lists.push_back(list);
	}
	return spec;
}

// ---------------------------------------------------------------------------
// A small tc program of our own (bench/bpf_bench.hpp assembles it):
// bpf_skb_adjust_room() alone.

// For reference: what making room for one IPIP header costs alone.
iplb::UniqueFd load_adjust_room_program()
{
	Assembler a;
	a.mov(BPF_REG_2, 20);
	a.mov(BPF_REG_3, BPF_ADJ_ROOM_MAC);
	a.mov(BPF_REG_4, static_cast<int32_t>(BPF_F_ADJ_ROOM_ENCAP_L3_IPV4));
	a.call(BPF_FUNC_skb_adjust_room);
	a.mov(BPF_REG_0, tcx_next);
	a.exit();
	return a.load("iplb_bench_room");
}

struct Case {
	std::string name, program;
	Run single;		 // single runs
	std::optional<Run> loop; // the kernel loop, if the case has one
	std::string loop_note;	 // what the loop adds to the program
	std::vector<double> single_ns, loop_ns;
};

Options parse(int argc, char **argv)
{
	Options o;
	for (int i = 1; i < argc; i++) {
		const std::string w = argv[i];
		if (w == "-h" || w == "--help") {
			std::fputs(usage, stdout);
			std::exit(0);
		}
		if (i + 1 >= argc ||
		    (w != "--packets" && w != "--repeat" && w != "--rounds" && w != "--json")) {
			std::fputs(usage, stderr);
			std::exit(2);
		}
		const std::string value = argv[++i];
		if (w == "--json") {
			o.json_path = value;
			continue;
		}
		char *end = nullptr;
		const unsigned long long n = std::strtoull(value.c_str(), &end, 10);
		if (*end || n == 0 || (w == "--rounds" && n > 1000) ||
		    (w == "--repeat" && n > 100000000)) {
			std::fprintf(stderr, "iplb-datapath-bench: bad value for %s: %s\n",
				     w.c_str(), value.c_str());
			std::exit(2);
		}
		if (w == "--packets")
			o.packets = n;
		else if (w == "--repeat")
			o.repeat = static_cast<uint32_t>(n);
		else
			o.rounds = static_cast<int>(n);
	}
	return o;
}

int run(const Options &o)
{
	// Programs with maps of their own, gone at exit. Outer source: the
	// host's loopback; no FIB redirect (skb->ifindex is the loopback's in
	// BPF_PROG_TEST_RUN, as in the fixtures).
	auto make_host = [](const iplb::RouteSpec &spec, bool lease = false) {
		auto program = must(iplb::HostProgram::load(), "host program");
		iplb::HostConfig config;
		config.source = Ipv4{source};
		must(program.maps().set_config(config), "config");
		// As iplbd runs it: the owner's lease checked on every packet.
		if (lease)
			must(program.renew_lease(std::chrono::hours{1}), "lease");
		must(program.maps().put_route(spec.prefix,
					      must(iplb::encode_route(spec, 1), "route")),
		     "route");
		return program;
	};
	using iplb::Encap;
	iplb::HostProgram ipip1 = make_host(route_of({{r1}}, Encap::ipip));
	iplb::HostProgram ipip1_leased = make_host(route_of({{r1}}, Encap::ipip), true);
	iplb::HostProgram ipip2 = make_host(route_of({{r1, r2}}, Encap::ipip));
	iplb::HostProgram gre1 = make_host(route_of({{r1}}, Encap::gre));
	iplb::HostProgram gue1 = make_host(route_of({{r1}}, Encap::gue));
	std::vector<std::vector<uint32_t>> many;
	for (uint32_t i = 0; i < IPLB_MAX_LISTS; i++)
		many.push_back({addr("10.255.0.0") + 1 + i});
	iplb::HostProgram lists16 = make_host(route_of(many, Encap::ipip));
	// iplbd's default mode: a flow's list remembered in the LRU flow table
	// (the first run places it, every later run looks it up).
	iplb::RouteSpec in_turn = route_of(many, Encap::ipip);
	in_turn.selection = iplb::Selection::round_robin;
	iplb::HostProgram lists16_rr = make_host(in_turn);
	iplb::RelayProgram relay = must(iplb::RelayProgram::load(), "relay program");
	must(relay.maps().add_local(Ipv4{r1}), "relay address");
	must(relay.maps().add_source(iplb::Ipv4Prefix{Ipv4{source}, 32}), "tunnel source");
	const iplb::UniqueFd empty = load_empty_program(tcx_next);
	const iplb::UniqueFd room = load_adjust_room_program();

	using iplb::test::ethernet;
	using iplb::test::gre;
	using iplb::test::ipip;
	const auto spec = udp_spec(addr("10.4.1.7"));
	const Bytes inner = udp_packet(spec);
	const Bytes frame = ethernet(inner);
	auto encapsulated = [](const iplb::HostProgram &p) {
		return [&p] {
			return must(p.maps().route_counters(1), "counters").packets;
		};
	};

	std::vector<Wrapper> wrappers;
	wrappers.reserve(8);
	std::vector<Case> cases;
	auto encap_case = [&](std::string name, const iplb::HostProgram &p, const Bytes &expected) {
		Case c;
		c.name = std::move(name);
		c.program = "host egress";
		c.single = {p.prog_fd(), frame, expected, tcx_next, encapsulated(p)};
		c.loop_note = "(none possible)";
		cases.push_back(std::move(c));
	};
	encap_case("encap IPIP, 1 relay", ipip1, ethernet(ipip(source, r1, inner, spec)));
	encap_case("encap IPIP, 1 relay, owner's lease", ipip1_leased,
		   ethernet(ipip(source, r1, inner, spec)));
	encap_case("encap IPIP, 2 relays", ipip2,
		   ethernet(ipip(source, r1, ipip(source, r2, inner, spec), spec)));
	encap_case("encap GRE, 1 relay", gre1, ethernet(gre(source, r1, inner, spec)));
	// What the flow hash chose (a list, a UDP source port), read from the
	// program's output; the rest of the frame is checked.
	auto first_output = [&frame](const iplb::HostProgram &p) {
		auto out = must(iplb::test_run(p.prog_fd(), frame), "first run");
		if (out.frame.size() < 42)
			throw std::runtime_error("the first run did not encapsulate");
		return out.frame;
	};
	{
		const Bytes out = first_output(gue1);
		const auto port = static_cast<uint16_t>(out[34] << 8 | out[35]);
		encap_case("encap GUE, 1 relay", gue1,
			   ethernet(iplb::test::gue(source, r1, port, inner, spec)));
	}
	// One of 16 lists: the relay the first run chose (the outer
	// destination) is the expected frame's.
	auto list_case = [&](std::string name, const iplb::HostProgram &p) {
		const Bytes out = first_output(p);
		const uint32_t first = uint32_t{out[30]} << 24 | uint32_t{out[31]} << 16 |
				       uint32_t{out[32]} << 8 | out[33];
		encap_case(std::move(name), p, ethernet(ipip(source, first, inner, spec)));
	};
	list_case("encap IPIP, 1 relay, 16 lists", lists16);
	list_case("encap IPIP, 1 relay, 16 lists, round-robin (known flow)", lists16_rr);
	auto decapsulated = [&relay] {
		return must(relay.maps().counters(), "relay counters").decapsulated;
	};
	auto decap_case = [&](std::string name, const Bytes &outer) {
		const Bytes header(outer.begin() + 14,
				   outer.begin() + static_cast<long>(outer.size() - frame.size()) +
					   14);
		wrappers.push_back(Wrapper::push(relay.prog_fd(), header));
		Case c;
		c.name = std::move(name);
		c.program = "relay ingress";
		c.single = {relay.prog_fd(), outer, frame, tcx_pass, decapsulated};
		c.loop = Run{wrappers.back().fd(), frame, frame, tcx_pass, decapsulated};
		c.loop_note = "wrapper: push " + std::to_string(header.size()) + " B, tail call";
		cases.push_back(std::move(c));
	};
	decap_case("decap IPIP", ethernet(ipip(source, r1, inner, spec)));
	decap_case("decap GRE", ethernet(gre(source, r1, inner, spec)));
	decap_case("decap GUE", ethernet(iplb::test::gue(source, r1, 50001, inner, spec)));
	{
		// A tunnel from a source no prefix allows: looked up, counted,
		// dropped; the packet is left as it was, so the loop is possible.
		const Bytes refused = ethernet(ipip(addr("10.0.1.1"), r1, inner, spec));
		Case c;
		c.name = "refuse IPIP, source not allowed";
		c.program = "relay ingress";
		c.single = {relay.prog_fd(), refused, refused, tc_act_shot, [&relay] {
				    return must(relay.maps().counters(), "relay counters")
					    .refused_source;
			    }};
		c.loop = c.single;
		cases.push_back(std::move(c));
	}
	{
		// The room is zeroed: BPF_PROG_TEST_RUN's buffer is.
		Bytes grown = inner;
		grown.insert(grown.begin(), 20, 0);
		Case c;
		c.name = "bpf_skb_adjust_room +20 B alone";
		c.program = "reference";
		c.single = {room.get(), frame, ethernet(grown), tcx_next, {}};
		c.loop_note = "(none possible)";
		cases.push_back(std::move(c));
	}
	{
		const Bytes other = ethernet(udp_packet(udp_spec(addr("10.9.9.9"))));
		Case c;
		c.name = "not in the table";
		c.program = "host egress";
		c.single = {ipip1.prog_fd(), other, other, tcx_next, {}};
		c.loop = c.single;
		cases.push_back(std::move(c));
	}
	{
		Case c;
		c.name = "empty program";
		c.program = "returns only";
		c.single = {empty.get(), frame, frame, tcx_next, {}};
		c.loop = c.single;
		cases.push_back(std::move(c));
	}
	for (const Case &c : cases) {
		verify(c.name, c.single, 1);
		if (c.loop)
			verify(c.name + " (kernel loop)", *c.loop, 1000);
	}

	// Warm-up, then rounds with the cases interleaved, so that a change of
	// load on the machine touches every case alike.
	for (const Case &c : cases)
		single_runs(c.single, std::max<uint64_t>(o.packets / 10, 1));
	for (int round = 0; round < o.rounds; round++)
		for (Case &c : cases) {
			c.single_ns.push_back(single_runs(c.single, o.packets));
			if (c.loop)
				c.loop_ns.push_back(kernel_loop(*c.loop, o.repeat));
		}
	// The loops did the work every time, still.
	for (const Case &c : cases)
		if (c.loop)
			verify(c.name + " (kernel loop)", *c.loop, 1000);

	const double empty_ns = stats(cases.back().single_ns).median;
	double worst_single = 0;
	for (const Case &c : cases)
		if (c.name.rfind("encap", 0) == 0)
			worst_single = std::max(worst_single, stats(c.single_ns).median);
	auto min_median_max = [](const std::vector<double> &v) -> json {
		if (v.empty())
			return nullptr;
		const Stats s = stats(v);
		return {{"min", s.min}, {"median", s.median}, {"max", s.max}};
	};

	utsname u{};
	::uname(&u);
	double load[3] = {0, 0, 0};
	::getloadavg(load, 3);
	json rows = json::array();
	for (const Case &c : cases)
		rows.push_back({{"case", c.name},
				{"program", c.program},
				{"single_ns", min_median_max(c.single_ns)},
				{"single_net_ns", stats(c.single_ns).median - empty_ns},
				{"loop_ns", min_median_max(c.loop_ns)},
				{"loop_note", c.loop_note},
				{"single_rounds", c.single_ns},
				{"loop_rounds", c.loop_ns}});
	const json out = {{"tool", "iplb-datapath-bench"},
			  {"kernel", u.release},
			  {"packets_per_round", o.packets},
			  {"repeat_per_round", o.repeat},
			  {"rounds", o.rounds},
			  {"frame_bytes", frame.size()},
			  {"load_average_1min", load[0]},
			  {"cases", rows},
			  {"target_encap_ns", 100},
			  {"slowest_encap_single_ns", worst_single},
			  {"slowest_encap_single_net_ns", worst_single - empty_ns}};
	if (o.json_path && *o.json_path != "-") {
		std::ofstream f(*o.json_path);
		f << out.dump(2) << "\n";
		if (!f)
			throw std::runtime_error("cannot write " + *o.json_path);
	}
	if (o.json_path && *o.json_path == "-") {
		std::printf("%s\n", out.dump(2).c_str());
		return 0;
	}

	std::printf("### BPF_PROG_TEST_RUN, ns per packet\n\n");
	std::printf(
		"Kernel %s, %zu-byte UDP frame, %d rounds, cases interleaved; min/median/max "
		"over rounds. Single: %llu calls with repeat = 1 (a fresh skb each), mean of the "
		"kernel's duration; net = median minus the empty program's (the kernel's clock "
		"reads). Loop: repeat = %u on one skb, possible only where the packet can be "
		"given back (bpf_skb_adjust_room() encapsulates an skb once); for "
		"decapsulation it includes a wrapper that pushes the outer header back. Load "
		"average at the end: %.2f.\n\n",
		u.release, frame.size(), o.rounds, static_cast<unsigned long long>(o.packets),
		o.repeat, load[0]);
	std::printf("| case | program | single min | single median | single max | net | "
		    "loop min | loop median | loop max | loop includes |\n");
	std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
	for (const Case &c : cases) {
		const Stats s = stats(c.single_ns), l = stats(c.loop_ns);
		const bool no_loop = c.loop_ns.empty();
		std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c.name.c_str(),
			    c.program.c_str(), fixed(s.min).c_str(), fixed(s.median).c_str(),
			    fixed(s.max).c_str(),
			    &c == &cases.back() ? "" : fixed(s.median - empty_ns).c_str(),
			    no_loop ? "" : fixed(l.min, 0).c_str(),
			    no_loop ? "" : fixed(l.median, 0).c_str(),
			    no_loop ? "" : fixed(l.max, 0).c_str(), c.loop_note.c_str());
	}
	std::printf("\nTarget: encapsulation under 100 ns per packet. Slowest encapsulation, "
		    "median of single runs: %s ns, %s ns net of the clock reads: %s.\n",
		    fixed(worst_single).c_str(), fixed(worst_single - empty_ns).c_str(),
		    worst_single - empty_ns < 100 ? "met" : "NOT met");
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	const Options o = parse(argc, argv);
	try {
		return run(o);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "iplb-datapath-bench: %s\n", e.what());
		return 1;
	}
}
