// SPDX-License-Identifier: GPL-2.0-or-later
// iplbctl: the iplb operator's command-line tool (iproute2 style).
#include "cli.hpp"

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
	"      stub prefix (loopback), or its /32 stub prefix inside a range.\n"
	"\n"
	"  iplbctl topology generate fattree [--k 4] [--cost 10] [--no-hosts]\n"
	"  iplbctl topology generate jellyfish [--switches 20] [--ports 4] [--hosts 16]\n"
	"                                      [--seed 1] [--cost 10]\n"
	"      Print a topology file (format: docs/TOPOLOGY-FORMAT.md).\n"
	"\n"
	"Options:\n"
	"  -j, --json     JSON output\n"
	"  -V, --version  print the version\n"
	"  -h, --help     this text\n"
	"\n"
	"Exit status: 0 success, 1 the command failed, 2 bad usage.\n";

} // namespace

int main(int argc, char **argv)
{
	iplbctl::Options options;
	std::vector<std::string> words(argv + 1, argv + argc);
	size_t i = 0;
	for (; i < words.size() && !words[i].empty() && words[i][0] == '-'; i++) {
		const std::string &w = words[i];
		if (w == "-j" || w == "--json") {
			options.json = true;
		} else if (w == "-h" || w == "--help") {
			std::fputs(usage, stdout);
			return 0;
		} else if (w == "-V" || w == "--version") {
			std::printf("iplbctl %s\n", IPLB_VERSION);
			return 0;
		} else {
			std::fprintf(stderr, "iplbctl: unknown option '%s' (see iplbctl --help)\n",
				     w.c_str());
			return 2;
		}
	}
	if (i == words.size()) {
		std::fputs(usage, stderr);
		return 2;
	}
	const std::string object = words[i];
	const std::span<const std::string> rest(words.data() + i + 1, words.size() - i - 1);
	try {
		if (object == "paths")
			return iplbctl::paths_command(options, rest);
		if (object == "topology")
			return iplbctl::topology_command(options, rest);
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
