// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's cost per packet as the kernel times it
// (BPF_PROG_TEST_RUN): the mux (XDP) encapsulating a VIP's packet in GUE
// (IPv4 TCP, IPv4 UDP, a VIP of every port, IPv6 over IPv6 DIPs) and passing
// a packet that is no VIP's; a VIP in MPTCP token mode sending a join SYN by
// its token, the join subflow's ACK by the subflow map, another flow's ACK by
// its bucket after the subflow map missed, and dropping a join SYN of an
// unknown token; a packet to a backend's own port in MPTCP port mode; the
// backend (TCX) delivering a SYN, an ACK after
// its socket lookup (none found: the last resort) and passing what is not its
// tunnel. Katran's published figures are printed beside them as a reference,
// not measured here.
//
// Two timings per case (bench/bpf_bench.hpp says why):
// - single: one BPF_PROG_TEST_RUN per packet (repeat = 1, a fresh packet),
//   the kernel's duration averaged; it includes the kernel's two clock reads,
//   which the empty program of the same type shows ("net" subtracts it).
// - loop: repeat = N on one packet. `repeat` resets nothing between runs: from
//   the second run on, the mux would see its own GUE output (no VIP: passed)
//   and the backend the decapsulated packet (not a tunnel: passed on). So a
//   wrapper gives the program its input back before tail-calling it (XDP:
//   bpf_xdp_adjust_head() and the Ethernet header rewritten; tc: the outer
//   headers pushed back), and the figure includes the wrapper. The program's
//   counters must say it did the work N times in N runs.
//
// Every case is first run once and its output compared with the frame
// tests/bpf/packets.hpp builds, so the numbers are those of the intended path.
// Runs in a network namespace of its own (no socket of the machine answers
// the backend's lookups). Needs root.
#include "util/unique_fd.hpp"

#include "iplb_lb_layout.h"

#include "bpf_bench.hpp"
#include "packets.hpp"

#include "iplb_backend.skel.h"
#include "iplb_mux.skel.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <nlohmann/json.hpp>
#include <sched.h>
#include <sys/utsname.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace iplb::bench;
using namespace iplb::test;
using json = nlohmann::ordered_json;

constexpr int xdp_pass = XDP_PASS;
constexpr int xdp_tx = XDP_TX;
constexpr int xdp_drop = XDP_DROP;

const char usage[] =
	"usage: iplb-lb-datapath-bench [--packets N] [--repeat N] [--rounds R] [--json FILE|-]\n"
	"                              [--no-port-mode]\n"
	"  --packets N  single runs (repeat = 1) per case and round (default 200000)\n"
	"  --repeat N   runs of the kernel loop per case and round (default 1000000)\n"
	"  --rounds R   rounds, cases interleaved in each (default 5)\n"
	"  --json FILE  also write the results as JSON (-: to stdout, instead of Markdown)\n"
	"  --no-port-mode  a mux without a VIP in MPTCP port mode (no port lookup for\n"
	"               what is no VIP's; its case left out)\n"
	"Needs root. Prints ns per packet, min/median/max over rounds, as Markdown.\n";

// Katran's figures (katran_tester perf_testing: BPF_PROG_TEST_RUN of its XDP
// program alone, on the maintainer's machine), quoted in
// https://github.com/facebookincubator/katran/issues/235.
struct Reference {
	const char *name;
	double ns;
};
const Reference katran[] = {
	{"Katran: TCP v4 VIP, v4 real", 101},
	{"Katran: TCP v4 VIP, v4 real, any dst ports", 112},
	{"Katran: UDP v4 VIP, v4 real", 119},
};
const char katran_source[] = "https://github.com/facebookincubator/katran/issues/235";

// The network, as the fixtures have it (tests/bpf/mux_test.cpp,
// backend_test.cpp).
const uint32_t mux_source = addr("10.0.0.1");
const Addr6 mux_source6 = addr6("fc00::1");
const uint32_t client = addr("198.51.100.7");
const Addr6 client6 = addr6("2001:db8:c::7");
const uint32_t vip = addr("192.0.2.10");
const uint32_t vip_any = addr("192.0.2.20"); // a VIP of every port
const Addr6 vip6 = addr6("2001:db8::10");
const uint32_t dip1 = addr("10.1.0.1"), dip2 = addr("10.1.0.2");
const Addr6 dip6_1 = addr6("fc00:1::1"), dip6_2 = addr6("fc00:1::2");
constexpr uint32_t changed = 1'767'225'600;
constexpr uint32_t generation = 7;
// The VIP in MPTCP token mode (vip:8080, id 4): one token and one join
// subflow, both to DIP 2.
constexpr uint16_t mptcp_port = 8080;
constexpr uint32_t token = 0xa1b2c3d4, unknown_token = 0x01010101;
constexpr uint16_t join_port = 40001;	 // the join SYN's (the program writes its subflow)
constexpr uint16_t subflow_port = 40002; // the subflow make_mux() writes
constexpr uint16_t other_port = 40003;	 // in neither
constexpr uint16_t unknown_port = 40004; // the unknown token's join SYN
// MPTCP port mode: vip:41000 is DIP 2's own port (for the VIP of id 4).
constexpr uint16_t backends_port = 41000;

struct Options {
	uint64_t packets = 200000;
	uint32_t repeat = 1000000;
	int rounds = 5;
	std::optional<std::string> json_path;
	bool port_mode = true; // a VIP in MPTCP port mode (the config's IPLB_MUX_PORTS)
};

template <typename Skeleton>
struct Destroy {
	void operator()(Skeleton *s) const { Skeleton::destroy(s); }
};
template <typename Skeleton>
using SkeletonPtr = std::unique_ptr<Skeleton, Destroy<Skeleton>>;

template <typename Skeleton>
SkeletonPtr<Skeleton> load_skeleton(const char *what)
{
	SkeletonPtr<Skeleton> s(Skeleton::open());
	if (!s || Skeleton::load(s.get()) != 0)
		throw std::runtime_error(std::string("cannot load the ") + what +
					 " program (root needed?)");
	return s;
}

void update(const bpf_map *map, const void *key, const void *value, const char *what)
{
	if (bpf_map_update_elem(bpf_map__fd(map), key, value, BPF_ANY) != 0)
		throw std::runtime_error(std::string("cannot write ") + what + ": " +
					 std::strerror(errno));
}

// A per-CPU array's element, summed. Through memcpy: the fields are __u64
// (unsigned long long), not uint64_t.
template <typename Counters>
Counters sum_per_cpu(const bpf_map *map, uint32_t index)
{
	const int cpus = libbpf_num_possible_cpus();
	std::vector<Counters> per_cpu(static_cast<size_t>(cpus > 0 ? cpus : 1));
	if (bpf_map_lookup_elem(bpf_map__fd(map), &index, per_cpu.data()) != 0)
		throw std::runtime_error("cannot read counters");
	constexpr size_t fields = sizeof(Counters) / sizeof(uint64_t);
	uint64_t sum[fields] = {};
	for (const Counters &c : per_cpu) {
		uint64_t one[fields];
		std::memcpy(one, &c, sizeof(c));
		for (size_t i = 0; i < fields; i++)
			sum[i] += one[i];
	}
	Counters total;
	std::memcpy(&total, sum, sizeof(total));
	return total;
}

iplb_vip_key key_of(const uint32_t *words, bool v6, uint8_t protocol, uint16_t port)
{
	iplb_vip_key key;
	std::memset(&key, 0, sizeof(key));
	std::memcpy(key.addr, words, sizeof(key.addr));
	key.port = htons(port);
	key.protocol = protocol;
	key.v6 = v6 ? 1 : 0;
	return key;
}

std::array<uint32_t, 4> words_of(uint32_t v4)
{
	return {htonl(v4), 0, 0, 0};
}

std::array<uint32_t, 4> words_of(const Addr6 &v6)
{
	std::array<uint32_t, 4> w;
	std::memcpy(w.data(), v6.data(), 16);
	return w;
}

// The mux as user space would set it up: outer sources, DIPs 1-4 (IPv4 1-2,
// IPv6 3-4), and VIPs, each 16 buckets all to its first DIP (previous: its
// second, changed at `changed`); the last VIP in MPTCP token mode, with a
// token and a join subflow to DIP 2.
SkeletonPtr<iplb_mux> make_mux(bool port_mode)
{
	auto mux = load_skeleton<iplb_mux>("mux");
	iplb_mux_config config;
	std::memset(&config, 0, sizeof(config));
	config.layout_version = IPLB_LB_LAYOUT_VERSION;
	config.source_v4 = htonl(mux_source);
	config.flags = port_mode ? IPLB_MUX_PORTS : 0; // a VIP in MPTCP port mode (below)
	std::memcpy(config.source_v6, mux_source6.data(), 16);
	const uint32_t zero = 0;
	update(mux->maps.iplb_mux_config, &zero, &config, "the mux's config");

	const std::array<std::array<uint32_t, 4>, 4> dips{words_of(dip1), words_of(dip2),
							  words_of(dip6_1), words_of(dip6_2)};
	for (uint32_t i = 0; i < dips.size(); i++) {
		const uint32_t index = i + 1;
		update(mux->maps.iplb_mux_dips, &index, dips[i].data(), "a DIP");
	}
	struct Vip {
		std::array<uint32_t, 4> address;
		bool v6;
		uint8_t protocol;
		uint16_t port;
		uint16_t dip, previous; // indexes
		uint32_t flags;		// IPLB_VIP_* besides IPLB_VIP_DIPS_V6
	};
	const Vip vips[] = {
		{words_of(vip), false, IPPROTO_TCP, 80, 1, 2, 0},
		{words_of(vip), false, IPPROTO_UDP, 53, 1, 2, 0},
		{words_of(vip_any), false, IPPROTO_TCP, 0, 1, 2, 0},
		{words_of(vip6), true, IPPROTO_TCP, 80, 3, 4, 0},
		{words_of(vip), false, IPPROTO_TCP, mptcp_port, 1, 2, IPLB_VIP_MPTCP_TOKEN},
	};
	constexpr uint32_t buckets = 16;
	uint32_t id = 0;
	for (const Vip &v : vips) {
		iplb_mux_vip record;
		std::memset(&record, 0, sizeof(record));
		record.id = id;
		record.buckets = buckets;
		record.flags = (v.v6 ? IPLB_VIP_DIPS_V6 : 0) | v.flags;
		record.base[0] = id * 2 * buckets;
		record.base[1] = record.base[0] + buckets;
		record.generation[0] = generation;
		record.counter_base = id * buckets;
		const iplb_mux_bucket bucket{
			.dip = v.dip, .previous = v.previous, .changed_at = changed};
		for (uint32_t i = 0; i < buckets; i++) {
			const uint32_t entry = record.base[0] + i;
			update(mux->maps.iplb_mux_buckets, &entry, &bucket, "a bucket");
		}
		const iplb_vip_key key = key_of(v.address.data(), v.v6, v.protocol, v.port);
		update(mux->maps.iplb_mux_vips, &key, &record, "a VIP");
		iplb_vip_address address;
		std::memset(&address, 0, sizeof(address));
		std::memcpy(address.addr, v.address.data(), 16);
		address.v6 = v.v6 ? 1 : 0;
		const uint32_t one = 1;
		update(mux->maps.iplb_mux_addresses, &address, &one, "a VIP address");
		id++;
	}

	iplb_mux_target target;
	std::memset(&target, 0, sizeof(target));
	target.dip.v4 = htonl(dip2);
	target.v6 = 0;
	update(mux->maps.iplb_mux_tokens, &token, &target, "a token");
	iplb_subflow_key subflow;
	std::memset(&subflow, 0, sizeof(subflow));
	subflow.saddr[0] = htonl(client);
	subflow.daddr[0] = htonl(vip);
	subflow.sport = htons(subflow_port);
	subflow.dport = htons(mptcp_port);
	subflow.v6 = 0;
	update(mux->maps.iplb_mux_subflows, &subflow, &target, "a join subflow");
	iplb_mux_port port;
	std::memset(&port, 0, sizeof(port));
	port.to = target;
	port.vip_id = 4;
	const iplb_vip_key port_key =
		key_of(words_of(vip).data(), false, IPPROTO_TCP, backends_port);
	update(mux->maps.iplb_mux_ports, &port_key, &port, "a backend's MPTCP port");
	return mux;
}

// The backend: the TCP VIP (port 80) seen at generation 7, the unix clock.
SkeletonPtr<iplb_backend> make_backend()
{
	auto backend = load_skeleton<iplb_backend>("backend");
	timespec real{}, boot{};
	::clock_gettime(CLOCK_REALTIME, &real);
	::clock_gettime(CLOCK_BOOTTIME, &boot);
	iplb_backend_config config;
	std::memset(&config, 0, sizeof(config));
	config.layout_version = IPLB_LB_LAYOUT_VERSION;
	config.daisy_timeout = 240;
	config.clock_offset_ns = (int64_t{real.tv_sec} - boot.tv_sec) * 1'000'000'000 +
				 (real.tv_nsec - boot.tv_nsec);
	const uint32_t zero = 0;
	update(backend->maps.iplb_backend_config, &zero, &config, "the backend's config");
	const iplb_vip_key key = key_of(words_of(vip).data(), false, IPPROTO_TCP, 80);
	const iplb_backend_vip seen{.generation = generation, .pad = 0};
	update(backend->maps.iplb_backend_vips, &key, &seen, "a VIP");
	return backend;
}

// ---------------------------------------------------------------------------
// Frames

// In a 64-byte frame where it fits: Ethernet, IPv4, TCP (a SYN with MSS).
Ipv4Spec client_to(uint32_t address, uint8_t protocol)
{
	Ipv4Spec spec;
	spec.src = client;
	spec.dst = address;
	spec.protocol = protocol;
	spec.id = 0x4242;
	return spec;
}

Bytes syn_to(uint32_t address, uint16_t port)
{
	return ipv4(client_to(address, IPPROTO_TCP), tcp_syn(40000, port, 1460, client, address));
}

Bytes udp_to(uint32_t address, uint16_t port)
{
	const Bytes payload(64 - 14 - 20 - 8, 0xab);
	return ipv4(client_to(address, IPPROTO_UDP), udp(40000, port, payload));
}

Bytes syn6_to(const Addr6 &address, uint16_t port)
{
	Ipv6Spec spec;
	spec.src = client6;
	spec.dst = address;
	spec.next_header = IPPROTO_TCP;
	return ipv6(spec, tcp_syn6(40000, port, 1440, client6, address));
}

// To the MPTCP VIP from client:sport: a SYN with a Linux client's options
// then MP_JOIN of `with_token`, or a bare ACK.
Bytes join_syn_to(uint16_t sport, uint32_t with_token)
{
	Bytes options = linux_syn_options();
	const Bytes join = mptcp_join_syn(with_token);
	options.insert(options.end(), join.begin(), join.end());
	return ipv4(client_to(vip, IPPROTO_TCP),
		    tcp_segment({.src_port = sport, .dst_port = mptcp_port, .flags = tcp_syn_flag},
				options, client, vip));
}

Bytes ack_to_mptcp(uint16_t sport)
{
	return ipv4(client_to(vip, IPPROTO_TCP), tcp_segment({.src_port = sport,
							      .dst_port = mptcp_port,
							      .seq = 1001,
							      .ack = 2002,
							      .flags = tcp_ack},
							     client, vip));
}

LbGueSpec private_data(bool inner_v6, Bytes previous)
{
	LbGueSpec spec;
	spec.inner_v6 = inner_v6;
	spec.generation = generation;
	spec.changed_at = changed;
	spec.previous = std::move(previous);
	return spec;
}

uint16_t read16(const Bytes &b, size_t at)
{
	return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

// What the mux sends back out for `inner` (IPv4 outer): MACs swapped; the
// GUE source port, from the flow hash, read from its output.
Bytes mux_output4(const Bytes &inner, bool inner_v6, const Bytes &actual)
{
	const uint16_t port = actual.size() > 36 ? read16(actual, 34) : 0;
	return ethernet_between(frame_src, frame_dst,
				lb_tunnel4(mux_source, dip1, port,
					   private_data(inner_v6, address_bytes(dip2)), inner, 0,
					   0x4242, true));
}

// The same for a send by token or subflow map (to DIP 2): the map's
// generation, no previous DIP, never changed; by a backend's port (port
// mode), generation 0.
Bytes mux_token_output4(const Bytes &inner, const Bytes &actual,
			uint32_t with_generation = generation)
{
	const uint16_t port = actual.size() > 36 ? read16(actual, 34) : 0;
	LbGueSpec spec;
	spec.inner_v6 = false;
	spec.generation = with_generation;
	spec.changed_at = 0;
	spec.previous = address_bytes(uint32_t{0});
	return ethernet_between(frame_src, frame_dst,
				lb_tunnel4(mux_source, dip2, port, spec, inner, 0, 0x4242, true));
}

Bytes mux_output6(const Bytes &inner, const Bytes &actual)
{
	const uint16_t port = actual.size() > 56 ? read16(actual, 54) : 0;
	const uint32_t label = actual.size() > 18 ? (actual[15] & 0xfu) << 16 |
							    uint32_t{actual[16]} << 8 | actual[17]
						  : 0;
	return ethernet_between(frame_src, frame_dst,
				lb_tunnel6(mux_source6, dip6_1, port, label, 0,
					   private_data(true, address_bytes(dip6_2)), inner),
				ethertype_ipv6);
}

Bytes first_output(int prog_fd, const Bytes &frame)
{
	Bytes out(frame.size() + 256);
	bpf_test_run_opts opts = run_opts(frame, 1);
	opts.data_out = out.data();
	opts.data_size_out = static_cast<uint32_t>(out.size());
	if (int rc = bpf_prog_test_run_opts(prog_fd, &opts); rc != 0)
		throw std::runtime_error(std::string("BPF_PROG_TEST_RUN: ") + std::strerror(-rc));
	out.resize(opts.data_size_out);
	return out;
}

// ---------------------------------------------------------------------------

struct Case {
	std::string name, program;
	Run single;
	std::optional<Run> loop;
	std::string loop_note;
	bool xdp = false; // its floor is the empty XDP program's, else the tc one's
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
		if (w == "--no-port-mode") {
			o.port_mode = false;
			continue;
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
			std::fprintf(stderr, "iplb-lb-datapath-bench: bad value for %s: %s\n",
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

int run(const Options &o, const std::string &command)
{
	// A namespace of our own: the backend's socket lookups find nothing of
	// the machine's (a listener on *:80 would take the ACK's path elsewhere).
	if (::unshare(CLONE_NEWNET) != 0)
		throw std::runtime_error(std::string("cannot make a network namespace: ") +
					 std::strerror(errno) + " (root needed)");
	const auto mux = make_mux(o.port_mode);
	const auto backend = make_backend();
	const int mux_fd = bpf_program__fd(mux->progs.iplb_mux);
	const auto mux_attach = bpf_program__expected_attach_type(mux->progs.iplb_mux);
	const int backend_fd = bpf_program__fd(backend->progs.iplb_backend_ingress);
	const iplb::UniqueFd empty_xdp =
		load_empty_program(xdp_pass, BPF_PROG_TYPE_XDP, mux_attach);
	const iplb::UniqueFd empty_tc = load_empty_program(tcx_next);

	// What each program counts of its work, for verify().
	auto vip_counter = [&mux](uint32_t id, auto field) {
		return [&mux, id, field] {
			const auto counters = sum_per_cpu<iplb_mux_vip_counters>(
				mux->maps.iplb_mux_vip_counters, id);
			return counters.*field;
		};
	};
	auto vip_packets = [&](uint32_t id) {
		return vip_counter(id, &iplb_mux_vip_counters::packets);
	};
	// Sent by its bucket: what neither the token nor the subflow map sent.
	auto vip_bucket_sends = [&mux](uint32_t id) {
		return [&mux, id] {
			const auto counters = sum_per_cpu<iplb_mux_vip_counters>(
				mux->maps.iplb_mux_vip_counters, id);
			return counters.packets - counters.mptcp_joins - counters.mptcp_subflow;
		};
	};
	auto backend_counter = [&backend](auto field) {
		return [&backend, field] {
			const auto counters = sum_per_cpu<iplb_backend_counters>(
				backend->maps.iplb_backend_counters, 0);
			return counters.*field;
		};
	};

	std::vector<Wrapper> wrappers;
	wrappers.reserve(8);
	std::vector<Case> cases;
	// A VIP's packet: single runs as it is, the loop through a wrapper that
	// takes the encapsulation off again.
	auto mux_sent = [&](std::string name, const Bytes &frame, const Bytes &expected,
			    const std::function<uint64_t()> &done) {
		const auto added = static_cast<int32_t>(expected.size() - frame.size());
		wrappers.push_back(Wrapper::unpush_xdp(
			mux_fd, mux_attach, static_cast<uint32_t>(expected.size()), added,
			Bytes(frame.begin(), frame.begin() + 14)));
		Case c;
		c.name = std::move(name);
		c.program = "mux (XDP)";
		c.xdp = true;
		c.single = {mux_fd, frame, expected, xdp_tx, done};
		c.loop = Run{wrappers.back().fd(), frame, expected, xdp_tx, done};
		c.loop_note = "wrapper: adjust_head +" + std::to_string(added) +
			      " B, Ethernet back, tail call";
		cases.push_back(std::move(c));
	};
	auto mux_hit = [&](std::string name, const Bytes &frame, const Bytes &expected,
			   uint32_t id) {
		mux_sent(std::move(name), frame, expected, vip_packets(id));
	};
	// Where the cases Katran's figures compare with are.
	const size_t tcp_case = cases.size();
	{
		const Bytes inner = syn_to(vip, 80);
		const Bytes frame = ethernet(inner);
		mux_hit("IPv4 TCP VIP hit, IPv4 DIP", frame,
			mux_output4(inner, false, first_output(mux_fd, frame)), 0);
	}
	const size_t udp_case = cases.size();
	{
		const Bytes inner = udp_to(vip, 53);
		const Bytes frame = ethernet(inner);
		mux_hit("IPv4 UDP VIP hit, IPv4 DIP", frame,
			mux_output4(inner, false, first_output(mux_fd, frame)), 1);
	}
	const size_t any_port_case = cases.size();
	{
		// Two lookups: the exact port first, then every port.
		const Bytes inner = syn_to(vip_any, 443);
		const Bytes frame = ethernet(inner);
		mux_hit("IPv4 TCP VIP of every port hit, IPv4 DIP", frame,
			mux_output4(inner, false, first_output(mux_fd, frame)), 2);
	}
	{
		const Bytes inner = syn6_to(vip6, 80);
		const Bytes frame = ethernet(inner, ethertype_ipv6);
		mux_hit("IPv6 TCP VIP hit, IPv6 DIP", frame,
			mux_output6(inner, first_output(mux_fd, frame)), 3);
	}
	{
		const Bytes other = ethernet(syn_to(addr("192.0.2.99"), 80));
		Case c;
		c.name = "not a VIP: passed";
		c.program = "mux (XDP)";
		c.xdp = true;
		c.single = {mux_fd, other, other, xdp_pass, {}};
		c.loop = c.single;
		cases.push_back(std::move(c));
	}
	// The VIP in MPTCP token mode (id 4).
	constexpr uint32_t mptcp_id = 4;
	{
		// Each run also writes the join's subflow entry (from the second
		// run on, an update of the same entry): part of the cost.
		const Bytes inner = join_syn_to(join_port, token);
		const Bytes frame = ethernet(inner);
		mux_sent("MPTCP token VIP: join SYN sent by its token", frame,
			 mux_token_output4(inner, first_output(mux_fd, frame)),
			 vip_counter(mptcp_id, &iplb_mux_vip_counters::mptcp_joins));
	}
	{
		const Bytes inner = ack_to_mptcp(subflow_port);
		const Bytes frame = ethernet(inner);
		mux_sent("MPTCP token VIP: join subflow's ACK (subflow map)", frame,
			 mux_token_output4(inner, first_output(mux_fd, frame)),
			 vip_counter(mptcp_id, &iplb_mux_vip_counters::mptcp_subflow));
	}
	{
		const Bytes inner = ack_to_mptcp(other_port);
		const Bytes frame = ethernet(inner);
		mux_sent("MPTCP token VIP: other ACK (subflow miss, then bucket)", frame,
			 mux_output4(inner, false, first_output(mux_fd, frame)),
			 vip_bucket_sends(mptcp_id));
	}
	{
		// Dropped before any change to the frame: no wrapper needed. Each
		// run writes {token, VIP id} to the ring buffer iplb_mux_token_misses
		// (64 KiB), which nobody reads here: it fills up after about 4096
		// runs, and bpf_ringbuf_output() then fails silently (the program
		// ignores its result), so most timed runs are of a full buffer.
		const Bytes frame = ethernet(join_syn_to(unknown_port, unknown_token));
		Case c;
		c.name = "MPTCP token VIP: unknown token (dropped)";
		c.program = "mux (XDP)";
		c.xdp = true;
		c.single = {mux_fd, frame, frame, xdp_drop,
			    vip_counter(mptcp_id, &iplb_mux_vip_counters::mptcp_unknown_token)};
		c.loop = c.single;
		cases.push_back(std::move(c));
	}

	if (o.port_mode) {
		// Port mode: no VIP on the port (two VIP lookups miss), the port map
		// names the backend.
		const Bytes inner = syn_to(vip, backends_port);
		const Bytes frame = ethernet(inner);
		mux_sent("MPTCP port mode: to a backend's own port", frame,
			 mux_token_output4(inner, first_output(mux_fd, frame), 0),
			 vip_counter(mptcp_id, &iplb_mux_vip_counters::mptcp_port));
	}

	// The backend: the mux's IPv4 tunnel (48 bytes) around the packet.
	auto backend_case = [&](std::string name, const Bytes &inner, auto counter) {
		const Bytes tunnel = ethernet(lb_tunnel4(mux_source, dip1, 0xc123,
							 private_data(false, Bytes(4, 0)), inner, 0,
							 0x4242, true));
		const Bytes header(tunnel.begin() + 14,
				   tunnel.begin() +
					   static_cast<long>(tunnel.size() - inner.size()));
		wrappers.push_back(Wrapper::push(backend_fd, header));
		Case c;
		c.name = std::move(name);
		c.program = "backend (TCX)";
		c.single = {backend_fd, tunnel, ethernet(inner), tcx_pass,
			    backend_counter(counter)};
		c.loop = Run{wrappers.back().fd(), ethernet(inner), ethernet(inner), tcx_pass,
			     backend_counter(counter)};
		c.loop_note = "wrapper: push " + std::to_string(header.size()) + " B, tail call";
		cases.push_back(std::move(c));
	};
	const size_t syn_case = cases.size();
	backend_case("SYN delivered (IPv4 in IPv4)", syn_to(vip, 80),
		     &iplb_backend_counters::delivered_syn);
	{
		// An ACK: the socket lookup finds nothing, nothing to chain to
		// (no previous DIP), the same generation: the last resort.
		const Bytes ack = ipv4(client_to(vip, IPPROTO_TCP), tcp_segment({.src_port = 40000,
										 .dst_port = 80,
										 .seq = 1001,
										 .ack = 2002,
										 .flags = tcp_ack},
										client, vip));
		backend_case("ACK after a socket lookup, delivered as a last resort", ack,
			     &iplb_backend_counters::delivered_last_resort);
	}
	{
		const Bytes other = ethernet(udp_to(dip1, 53));
		Case c;
		c.name = "not its tunnel: passed on";
		c.program = "backend (TCX)";
		c.single = {backend_fd, other, other, tcx_next, {}};
		c.loop = c.single;
		cases.push_back(std::move(c));
	}
	{
		const Bytes frame = ethernet(syn_to(vip, 80));
		Case x;
		x.name = "empty XDP program";
		x.program = "returns only";
		x.xdp = true;
		x.single = {empty_xdp.get(), frame, frame, xdp_pass, {}};
		x.loop = x.single;
		cases.push_back(std::move(x));
		Case t;
		t.name = "empty tc program";
		t.program = "returns only";
		t.single = {empty_tc.get(), frame, frame, tcx_next, {}};
		t.loop = t.single;
		cases.push_back(std::move(t));
	}

	for (const Case &c : cases) {
		verify(c.name, c.single, 1);
		if (c.loop)
			verify(c.name + " (kernel loop)", *c.loop, 1000);
	}
	// Why the wrappers: how many of 1000 plain repeats (no wrapper) did the
	// work, for a case of each program.
	auto plain_repeat = [](const Case &c) {
		const uint64_t before = c.single.done();
		(void)kernel_loop(c.single, 1000);
		return c.single.done() - before;
	};
	const uint64_t mux_plain = plain_repeat(cases[tcp_case]);
	const uint64_t backend_plain = plain_repeat(cases[syn_case]);
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

	const double empty_xdp_ns = stats(cases[cases.size() - 2].single_ns).median;
	const double empty_tc_ns = stats(cases.back().single_ns).median;
	auto floor_of = [&](const Case &c) {
		return c.xdp ? empty_xdp_ns : empty_tc_ns;
	};
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
				{"single_net_ns", stats(c.single_ns).median - floor_of(c)},
				{"loop_ns", min_median_max(c.loop_ns)},
				{"loop_note", c.loop_note},
				{"single_rounds", c.single_ns},
				{"loop_rounds", c.loop_ns}});
	json references = json::array();
	for (const Reference &r : katran)
		references.push_back({{"case", r.name}, {"ns", r.ns}, {"source", katran_source}});
	const json out = {{"tool", "iplb-lb-datapath-bench"},
			  {"plain_repeat_1000_did_the_work",
			   {{"mux", mux_plain}, {"backend", backend_plain}}},
			  {"command", command},
			  {"kernel", u.release},
			  {"packets_per_round", o.packets},
			  {"repeat_per_round", o.repeat},
			  {"rounds", o.rounds},
			  {"load_average_1min", load[0]},
			  {"cases", rows},
			  {"references_not_measured", references}};
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

	std::printf("### The load balancer under BPF_PROG_TEST_RUN, ns per packet\n\n");
	std::printf("Command: `%s`\n\n", command.c_str());
	std::printf(
		"Kernel %s, %d rounds, cases interleaved; min/median/max over rounds. Single: "
		"%llu calls with repeat = 1 (a fresh packet each), mean of the kernel's duration; "
		"net = median minus the empty program's of the same type (the kernel's clock "
		"reads). Loop: repeat = %u on one packet, through a wrapper that gives the "
		"program its input back (the figure includes it); every loop did the program's "
		"work once per run (its counters). Load average at the end: %.2f.\n\n",
		u.release, o.rounds, static_cast<unsigned long long>(o.packets), o.repeat, load[0]);
	std::printf("| case | program | single min | single median | single max | net | "
		    "loop min | loop median | loop max | loop includes |\n");
	std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
	for (const Case &c : cases) {
		const Stats s = stats(c.single_ns), l = stats(c.loop_ns);
		const bool floor = c.program == "returns only";
		std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c.name.c_str(),
			    c.program.c_str(), fixed(s.min).c_str(), fixed(s.median).c_str(),
			    fixed(s.max).c_str(),
			    floor ? "" : fixed(s.median - floor_of(c)).c_str(),
			    fixed(l.min, 0).c_str(), fixed(l.median, 0).c_str(),
			    fixed(l.max, 0).c_str(), c.loop_note.c_str());
	}
	for (const Reference &r : katran)
		std::printf("| %s | reference, not measured | | | | | | %s | | %s |\n", r.name,
			    fixed(r.ns, 0).c_str(), katran_source);
	const Stats tcp = stats(cases[tcp_case].loop_ns), udp = stats(cases[udp_case].loop_ns),
		    any = stats(cases[any_port_case].loop_ns);
	std::printf("\nKatran's figures are its own XDP program under BPF_PROG_TEST_RUN with "
		    "repeat (katran_tester perf_testing) on its maintainer's machine, quoted in "
		    "%s, not measured here; ours are the kernel loop's medians on this machine "
		    "(wrapper included): TCP v4 VIP %s ns (Katran 101), UDP v4 VIP %s ns (Katran "
		    "119), VIP of every port %s ns (Katran 112). Compare with care: other "
		    "machines, kernels and programs.\n",
		    katran_source, fixed(tcp.median, 0).c_str(), fixed(udp.median, 0).c_str(),
		    fixed(any.median, 0).c_str());
	std::printf("\nWithout the wrappers, repeat = 1000 on one packet: the mux encapsulated "
		    "in %llu of 1000 runs, the backend delivered in %llu of 1000 (the other runs "
		    "timed the program passing its own output on).\n",
		    static_cast<unsigned long long>(mux_plain),
		    static_cast<unsigned long long>(backend_plain));
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	const Options o = parse(argc, argv);
	std::string command = argv[0];
	for (int i = 1; i < argc; i++)
		command += std::string(" ") + argv[i];
	try {
		return run(o, command);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "iplb-lb-datapath-bench: %s\n", e.what());
		return 1;
	}
}
