// SPDX-License-Identifier: GPL-2.0-or-later
// iplbctl: the iplb operator's command-line tool (iproute2 style).
#include "cli.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#ifndef IPLB_VERSION
#error "IPLB_VERSION must be defined by the build"
#endif

namespace {

const char usage[] =
	"Usage: iplbctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
	"\n"
	"  iplbctl [-j] paths --topology FILE --from ROUTER --to ROUTER|PREFIX\n"
	"                     [-k K] [--planner tree|exact] [--metric cost|hops]\n"
	"                     [--relay-source router-id|loopback|prefix:A.B.C.D/L]\n"
	"      The k shortest loopless paths (default 8) and their relay lists, computed\n"
	"      offline from a topology file as iplbd computes them from the LSDB. Paths are\n"
	"      ranked by cost then hops (--metric hops: hops then cost), ties by router-id\n"
	"      sequence. --planner exact (default) picks the fewest relays that pin each\n"
	"      path under ECMP; tree is the seed paper's rule. 'pinned' says whether OSPF\n"
	"      forwarding can only follow the path. Relays are shown by their relay\n"
	"      address: the file's, or per --relay-source a router's id, its lowest /32\n"
	"      stub prefix (loopback), or its /32 stub prefix inside a range. A topology\n"
	"      file (docs/TOPOLOGY-FORMAT.md) may have up to 64 MiB, twice the largest\n"
	"      fabric 'topology generate' makes (fattree --k 64, 30 MB).\n"
	"\n"
	"  iplbctl table --topology FILE --from ROUTER [-k 8] [--metric cost|hops]\n"
	"                [--planner exact|tree] [--relay-source POLICY] [--encap ipip|gre|gue]\n"
	"                [--mode hash|weighted|flow|round-robin] [--apply]\n"
	"      The iplb table ROUTER should hold: every prefix other routers announce, with\n"
	"      the relay lists of its k paths (direct: a path that needs no relay), as\n"
	"      iplbd computes it. --apply writes it into the datapath instance (-n, -N) by\n"
	"      differences: new and changed prefixes first, the rest removed last.\n"
	"\n"
	"  iplbctl topology generate fattree [--k 4] [--cost 10] [--no-hosts]\n"
	"  iplbctl topology generate jellyfish [--switches 20] [--ports 4] [--hosts 16]\n"
	"                                      [--seed 1] [--cost 10]\n"
	"      Print a topology file (format: docs/TOPOLOGY-FORMAT.md).\n"
	"\n"
	"The kernel datapath (eBPF, as root), through the maps and links pinned for the\n"
	"instance in <pin-root>/<instance>:\n"
	"  iplbctl attach host DEV [DEV...]    encapsulate what leaves DEV (TCX egress), clamp\n"
	"                                      the MSS of SYNs arriving from the table\n"
	"  iplbctl attach relay DEV [DEV...]   decapsulate what arrives on DEV (TCX ingress)\n"
	"  iplbctl attach mux DEV [DEV...]     load-balance what arrives on DEV for a VIP (XDP,\n"
	"                                      native where the driver has it, else generic)\n"
	"  iplbctl attach backend DEV [DEV...] take the muxes' tunnels for local VIPs (TCX\n"
	"                                      ingress): deliver, or chain once to the previous "
	"DIP\n"
	"  iplbctl detach DEV [DEV...]\n"
	"  iplbctl show                        attached interfaces (and whether the kernel runs\n"
	"                                      the program there), table size\n"
	"  iplbctl purge                       detach everything, remove the pinned table\n"
	"  iplbctl config [show]\n"
	"  iplbctl config [source A.B.C.D|none] [source6 X:X::X|none] [fib-redirect on|off]\n"
	"                 [flow-idle SECONDS]\n"
	"      Outer source address of IPv4 and IPv6 tunnels (none: the packet's own, if\n"
	"      it is of the tunnel's family; else it goes out unencapsulated), whether\n"
	"      encapsulated packets are routed towards their first relay by the FIB, and\n"
	"      how long modes flow and round-robin remember an idle flow (default 30).\n"
	"  iplbctl prefix add|replace PREFIX relay ADDR[,ADDR...] [weight N]\n"
	"                 [relay ...] [encap ipip|gre|gue] [mode hash|weighted|flow|round-robin]\n"
	"                 [mtu N]\n"
	"      PREFIX IPv4 or IPv6; the relays (the tunnel's family) all IPv4 or all IPv6;\n"
	"      'relay direct': a list whose flows take the normal route, unencapsulated.\n"
	"      Up to 16 relay lists of up to 8 relays each, outermost relay first; each\n"
	"      flow to PREFIX goes through one list. mode hash (default): consistent\n"
	"      hashing, so changing one list moves only its flows; weighted: the same, in\n"
	"      proportion to the weights (1-65535, default 1); flow: a flow keeps its list\n"
	"      until idle (flow-idle) or the list goes, new flows are placed by weight;\n"
	"      round-robin: as flow, but new flows take the lists in turn (weights\n"
	"      ignored), so that the subflows of an MPTCP connection spread.\n"
	"      mtu: the path's, if known (else the device's is used): TCP SYNs get their\n"
	"      MSS clamped to fit the tunnel, and a packet with DF that cannot fit once\n"
	"      encapsulated goes out unencapsulated.\n"
	"  iplbctl prefix del PREFIX | prefix flush | prefix show [PREFIX]\n"
	"  iplbctl stats [PREFIX]               packets and bytes per prefix and relay list\n"
	"  iplbctl flow show [PREFIX] | flow flush\n"
	"      The flows modes flow and round-robin remember, with their list and idle time; flush makes\n"
	"      each take a fresh pick at its next packet.\n"
	"  iplbctl relay add|del ADDR | relay add|del dev DEV\n"
	"      The addresses (IPv4 or IPv6) the relay program decapsulates for; dev DEV:\n"
	"      every global address of DEV (a relay's loopback).\n"
	"  iplbctl relay source add|del PREFIX [PREFIX...]\n"
	"      The outer sources tunnels are accepted from (an address: its /32 or /128;\n"
	"      up to 256 prefixes per family): the hosts' tunnel sources (config source).\n"
	"      A tunnel to the relay from any other source is dropped and counted, never\n"
	"      decapsulated; with none allowed, every tunnel is refused. All or nothing.\n"
	"  iplbctl relay show\n"
	"      Addresses, allowed sources and counters (decapsulated, refused, passed on).\n"
	"\n"
	"The load balancer (docs/LB.md), in the same instance:\n"
	"  iplbctl lb vip add|del ADDR [port P] [proto tcp|udp] [buckets B]\n"
	"      A VIP: an IPv4 /32 or IPv6 /128, TCP (default) or UDP, one port or all (no\n"
	"      port). On a mux: B buckets (100-65536, default 4096), none owned yet; a VIP\n"
	"      keeps B for life, and takes at most B/100 backends (imbalance under 1%).\n"
	"      On a backend: its tunnels are taken, and ADDR is bound on lo. del: by\n"
	"      address alone when only one VIP has it.\n"
	"  iplbctl lb backend add|del|set VIP [port P] [proto tcp|udp] ADDR [weight W]\n"
	"                 [drain|active|down]\n"
	"      Changes the VIP's pool; the buckets that must move move (to or from the\n"
	"      backends whose share changed, no others), recording their previous DIP,\n"
	"      and the new map replaces the old in one step. Weights 1-1000 (default 1);\n"
	"      a draining or down backend owns no bucket.\n"
	"  iplbctl lb show [VIP [port P] [proto tcp|udp]] [buckets]\n"
	"      Per VIP: buckets, generation, runs, the pool with each backend's buckets and\n"
	"      runs; 'buckets': every bucket, its DIP, previous DIP, change time, packets.\n"
	"  iplbctl lb stats\n"
	"      The mux's counters per VIP, the backend's by decision and drop reason.\n"
	"  iplbctl lb config [source A.B.C.D|none] [source6 X:X::X|none] [fib on|off]\n"
	"                    [mtu N] [daisy-timeout SECONDS]\n"
	"      The mux's tunnel source (default: the first attached device's addresses),\n"
	"      next hop (fib on: the FIB's; off: back to the router the packet came from),\n"
	"      largest encapsulated packet; the backend's daisy timeout (default 240 s).\n"
	"      Without settings: prints those in force.\n"
	"\n"
	"Coupled congestion control for MPTCP subflows (docs/MPTCP.md), as root; the\n"
	"kernel's registration is the whole machine's, not a namespace's:\n"
	"  iplbctl cc load [--pin-dir DIR] [--min-coupled N]\n"
	"      Registers iplb_lia (RFC 6356 LIA for MPTCP subflows, cubic for plain TCP)\n"
	"      and pins its link in DIR (default <pin-root>/cc), so it stays after\n"
	"      iplbctl exits. Select it per socket (TCP_CONGESTION; on an MPTCP socket\n"
	"      it reaches the subflows) or as a namespace's default (add it to\n"
	"      net.ipv4.tcp_allowed_congestion_control, from the initial namespace,\n"
	"      first). --min-coupled N: a subflow whose window is under N packets grows\n"
	"      as Reno (0, the default: RFC 6356 as written; 4 keeps fast retransmit\n"
	"      on a congested path). Loading it again into the same DIR changes only\n"
	"      --min-coupled, if given; loaded from elsewhere, it is an error.\n"
	"  iplbctl cc unload [--pin-dir DIR]\n"
	"      Unregisters it and removes the pins; sockets using it keep it until\n"
	"      they close.\n"
	"  iplbctl cc status [--pin-dir DIR]\n"
	"      Whether iplb_lia is registered (tcp_available_congestion_control) and\n"
	"      pinned in DIR, and the MPTCP connections it couples: alpha, and each\n"
	"      subflow's window and RTT.\n"
	"\n"
	"The SRv6 backend: the same table as native kernel routes (seg6 multipath, protocol\n"
	"200, main table; docs/SRV6.md), no eBPF:\n"
	"  iplbctl srv6 prefix add|replace PREFIX segs SID[,SID...] [weight N] [segs ...] dev DEV\n"
	"      One nexthop per segment list (up to 16 lists of up to 8 SIDs, first hop\n"
	"      first; weight 1-255); replace swaps the whole route in one step.\n"
	"  iplbctl srv6 prefix del PREFIX | srv6 prefix show [PREFIX]\n"
	"  iplbctl srv6 sid add SID action end|end.dx4|end.dx6 [nh4 A.B.C.D|nh6 X:X::X] dev DEV\n"
	"  iplbctl srv6 sid del SID | srv6 sid show\n"
	"      A relay's SIDs (seg6local, counted); End.DX4/DX6 without nh4/nh6 route the\n"
	"      decapsulated packet by its own destination.\n"
	"  iplbctl srv6 probe\n"
	"      Whether this kernel has SRv6 lightweight tunnels (CONFIG_IPV6_SEG6_LWTUNNEL):\n"
	"      exit 0 if it has, 1 and what it lacks if not. Adds and removes one SID in\n"
	"      a table of its own (0x69706c62), none a lookup uses.\n"
	"\n"
	"Options, anywhere on the command line (`iplbctl paths ... -j`; after `--`\n"
	"every word is the command's):\n"
	"  -j, --json     JSON output\n"
	"  -n, --instance NAME  the datapath instance (default: default)\n"
	"  -N, --netns NAME     work in network namespace NAME (/run/netns/NAME), like\n"
	"                       ip -n; prefer it to `ip netns exec`, whose private mount\n"
	"                       namespace would take a bpffs mounted there away with it\n"
	"  --pin-root DIR       where instances are pinned (default: /run/iplb/bpf, a bpffs\n"
	"                       iplbctl mounts if needed)\n"
	"  -V, --version  print the version\n"
	"  -h, --help     this text\n"
	"\n"
	"Exit status: 0 success, 1 the command failed, 2 bad usage.\n";

bool enter_netns(const std::string &name)
{
	const std::string path = "/run/netns/" + name;
	const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
		std::fprintf(stderr, "iplbctl: cannot enter network namespace %s: %s\n",
			     name.c_str(), std::strerror(errno));
		if (fd >= 0)
			::close(fd);
		return false;
	}
	::close(fd);
	return true;
}

} // namespace

int main(int argc, char **argv)
{
	iplbctl::Options options;
	// The global options are taken wherever they are (`iplbctl paths ... -j`
	// is `iplbctl -j paths ...`): no object has an option or a value of its
	// own spelled like one. After "--", every word is the command's.
	std::vector<std::string> words;
	bool help = false, version = false;
	std::vector<std::string> netns;
	for (int i = 1; i < argc; i++) {
		const std::string w = argv[i];
		if (w == "--") {
			words.insert(words.end(), argv + i + 1, argv + argc);
			break;
		}
		if (w == "-j" || w == "--json") {
			options.json = true;
		} else if (w == "-n" || w == "--instance" || w == "--pin-root" || w == "-N" ||
			   w == "--netns") {
			if (i + 1 >= argc) {
				std::fprintf(stderr, "iplbctl: option %s needs a value\n",
					     w.c_str());
				return 2;
			}
			const std::string value = argv[++i];
			if (w == "--pin-root")
				options.pin_root = value;
			else if (w == "-N" || w == "--netns")
				netns.push_back(value);
			else
				options.instance = value;
		} else if (w == "-h" || w == "--help") {
			help = true;
		} else if (w == "-V" || w == "--version") {
			version = true;
		} else if (words.empty() && w.size() > 1 && w[0] == '-') {
			std::fprintf(stderr, "iplbctl: unknown option '%s' (see iplbctl --help)\n",
				     w.c_str());
			return 2;
		} else {
			words.push_back(w);
		}
	}
	if (help) {
		std::fputs(usage, stdout);
		return 0;
	}
	if (version) {
		std::printf("iplbctl %s\n", IPLB_VERSION);
		return 0;
	}
	if (netns.size() > 1) {
		std::fprintf(stderr, "iplbctl: option -N given twice\n");
		return 2;
	}
	if (words.empty()) {
		std::fputs(usage, stderr);
		return 2;
	}
	if (!netns.empty() && !enter_netns(netns.front()))
		return 1;
	const std::string object = words[0];
	const std::span<const std::string> rest(words.data() + 1, words.size() - 1);
	try {
		if (object == "paths")
			return iplbctl::paths_command(options, rest);
		if (object == "topology")
			return iplbctl::topology_command(options, rest);
		if (object == "table")
			return iplbctl::table_command(options, rest);
		if (object == "srv6")
			return iplbctl::srv6_command(options, rest);
		if (object == "lb")
			return iplbctl::lb_command(options, rest);
		if (object == "cc")
			return iplbctl::cc_command(options, rest);
		if (iplbctl::is_datapath_object(object))
			return iplbctl::datapath_command(options, object, rest);
		if (object == "help") {
			std::fputs(usage, stdout);
			return 0;
		}
		throw iplbctl::UsageError("unknown object '" + object + "' (see iplbctl --help)");
	} catch (const iplbctl::UsageError &e) {
		std::fprintf(stderr, "iplbctl: %s\n", e.what());
		return 2;
	} catch (const iplbctl::CommandError &e) {
		std::fprintf(stderr, "iplbctl: %s\n", e.what());
		return 1;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "iplbctl: %s\n", e.what());
		return 1;
	}
}
