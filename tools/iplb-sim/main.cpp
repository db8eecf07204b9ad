// SPDX-License-Identifier: GPL-2.0-or-later
// iplb-sim: the seed paper's throughput experiment as a flow-level
// simulation (docs/EVALUATION.md).
#include "experiment.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace iplb;
using namespace iplb::sim;
using json = nlohmann::ordered_json;

const char usage[] =
	"Usage: iplb-sim [OPTIONS]\n"
	"\n"
	"The seed paper's throughput experiment, flow-level: every host opens one MPTCP\n"
	"connection to another (a random permutation), each routing scheme routes its\n"
	"subflows, rates are weighted max-min fair (subflow weight 1/n: coupled congestion\n"
	"control), every link of capacity 1 each way. A scheme's total throughput is\n"
	"divided by shortest-path routing's on the same graph and traffic, then averaged\n"
	"over seeds. Also the relay-list lengths of k-max paths and their header cost.\n"
	"\n"
	"  --topology jellyfish|fattree  random regular graph (default) or 3-level fat-tree\n"
	"  --ports P             ports per switch (default 8). Jellyfish is sized like the\n"
	"                        fat-tree of P-port switches: 5P^2/4 switches, P^3/4 hosts\n"
	"                        (4: 20/16, 6: 45/54, 8: 80/128, 12: 180/432)\n"
	"  --switches N, --hosts N  jellyfish only: other sizes (hosts spread evenly)\n"
	"  --seeds N             graph and traffic instances (default 10)\n"
	"  --seed S              first seed (default 1); instance i uses seed S+i\n"
	"  --subflows N          subflows per connection, 1-8 (default 8)\n"
	"  --k-max K             paths computed per pair, 1-16 (default 8)\n"
	"  --planner tree|exact|both  relay planner of the k-path schemes (default both);\n"
	"                        'normalized' is tree's (the seed's rule) when it runs,\n"
	"                        'normalized_exact' exact's\n"
	"  --schemes LIST        comma-separated: shortest, ecmp, k1..k<k-max>\n"
	"                        (default ecmp,k2..k<k-max>)\n"
	"  --mapping round-robin|hash  subflow to path: in turn, as iplbd's default mode\n"
	"                        round-robin (default; a connection's subflows take\n"
	"                        consecutive paths from anywhere), or by a hash of the\n"
	"                        subflow, as modes hash and weighted\n"
	"  --cdf-pairs N         host pairs sampled per seed for the relay counts\n"
	"                        (default 2000; 0: all pairs)\n"
	"  --relay-cdf           only the relay counts and overhead, no throughput\n"
	"  --no-relay-cdf        only the throughput\n"
	"  --json                one JSON object on stdout\n"
	"  -h, --help            this text\n"
	"\n"
	"Exit status: 0, 1 if the experiment failed, 2 for a bad option.\n";

struct UsageError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

unsigned long number(const std::string &option, const std::string &text, unsigned long min,
		     unsigned long max)
{
	unsigned long n = 0;
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
	if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || n < min ||
	    n > max)
		throw UsageError(option + " must be a number in " + std::to_string(min) + "-" +
				 std::to_string(max) + ", not '" + text + "'");
	return n;
}

std::vector<std::string> split(const std::string &text)
{
	std::vector<std::string> out;
	size_t start = 0;
	for (;;) {
		const size_t comma = text.find(',', start);
		out.push_back(text.substr(start, comma - start));
		if (comma == std::string::npos)
			return out;
		start = comma + 1;
	}
}

struct Cli {
	ExperimentOptions options;
	bool json = false;
	bool help = false;
	bool sized = false; // --switches/--hosts given
};

Cli parse(int argc, char **argv)
{
	Cli cli;
	ExperimentOptions &o = cli.options;
	std::optional<std::string> schemes, switches, hosts;
	bool only_cdf = false, no_cdf = false;
	std::vector<std::string> seen;
	for (int i = 1; i < argc; i++) {
		const std::string arg = argv[i];
		if (arg == "-h" || arg == "--help") {
			cli.help = true;
			return cli;
		}
		for (const auto &s : seen)
			if (s == arg)
				throw UsageError("option " + arg + " given twice");
		seen.push_back(arg);
		if (arg == "--json") {
			cli.json = true;
			continue;
		}
		if (arg == "--relay-cdf") {
			only_cdf = true;
			continue;
		}
		if (arg == "--no-relay-cdf") {
			no_cdf = true;
			continue;
		}
		if (i + 1 >= argc)
			throw UsageError(arg.rfind("--", 0) == 0
						 ? "option " + arg + " needs a value"
						 : "unexpected argument '" + arg + "'");
		const std::string value = argv[++i];
		if (arg == "--topology") {
			if (value == "jellyfish")
				o.kind = TopologyKind::jellyfish;
			else if (value == "fattree")
				o.kind = TopologyKind::fattree;
			else
				throw UsageError("--topology must be jellyfish or fattree, not '" +
						 value + "'");
		} else if (arg == "--ports") {
			o.ports = static_cast<unsigned>(number(arg, value, 2, 64));
		} else if (arg == "--switches") {
			switches = value;
		} else if (arg == "--hosts") {
			hosts = value;
		} else if (arg == "--seeds") {
			o.seeds = static_cast<unsigned>(number(arg, value, 1, 100000));
		} else if (arg == "--seed") {
			o.first_seed = number(arg, value, 0, std::numeric_limits<uint32_t>::max());
		} else if (arg == "--subflows") {
			o.subflows = static_cast<unsigned>(number(arg, value, 1, max_subflows));
		} else if (arg == "--k-max") {
			o.k_max = static_cast<unsigned>(number(arg, value, 1, 16));
		} else if (arg == "--planner") {
			if (value == "both")
				o.planners = {Planner::tree, Planner::exact};
			else if (auto p = parse_planner(value))
				o.planners = {*p};
			else
				throw UsageError("--planner must be tree, exact or both, not '" +
						 value + "'");
		} else if (arg == "--schemes") {
			schemes = value;
		} else if (arg == "--mapping") {
			auto m = parse_mapping(value);
			if (!m)
				throw UsageError("--" + m.error().message);
			o.mapping = *m;
		} else if (arg == "--cdf-pairs") {
			o.cdf_pairs = number(arg, value, 0, 100000000);
		} else {
			throw UsageError("unknown option '" + arg + "'");
		}
	}
	if (only_cdf && no_cdf)
		throw UsageError("--relay-cdf and --no-relay-cdf exclude each other");
	o.throughput = !only_cdf;
	o.relay_cdf = !no_cdf;

	if (o.kind == TopologyKind::fattree) {
		if (switches || hosts)
			throw UsageError("--switches and --hosts are for jellyfish; a fat-tree is "
					 "sized by --ports");
		if (o.ports % 2 != 0)
			throw UsageError("a fat-tree needs an even --ports, not " +
					 std::to_string(o.ports));
		o.switches = fat_tree_switches(o.ports);
		o.hosts = fat_tree_hosts(o.ports);
	} else {
		o.switches =
			switches ? static_cast<unsigned>(number("--switches", *switches, 2, 65536))
				 : fat_tree_switches(o.ports);
		o.hosts = hosts ? static_cast<unsigned>(number("--hosts", *hosts, 2, 65536))
				: fat_tree_hosts(o.ports);
		cli.sized = switches || hosts;
	}

	if (schemes) {
		for (const std::string &name : split(*schemes)) {
			auto s = parse_scheme(name, o.k_max);
			if (!s)
				throw UsageError("--schemes: " + s.error().message);
			for (const Scheme &known : o.schemes)
				if (known == *s)
					throw UsageError("--schemes: " + name + " given twice");
			o.schemes.push_back(*s);
		}
	} else {
		o.schemes.push_back(Scheme{Scheme::Kind::ecmp, 1});
		for (unsigned k = 2; k <= o.k_max; k++)
			o.schemes.push_back(Scheme{Scheme::Kind::kpaths, k});
	}
	return cli;
}

std::string label(const Cli &cli)
{
	const ExperimentOptions &o = cli.options;
	if (o.kind == TopologyKind::fattree)
		return "fat-tree k=" + std::to_string(o.ports);
	if (cli.sized)
		return std::to_string(o.switches) + "sw/" + std::to_string(o.hosts) + "h";
	return std::to_string(o.ports) + "-port";
}

std::string column(const Scheme &s)
{
	switch (s.kind) {
	case Scheme::Kind::shortest:
		return "SP";
	case Scheme::Kind::ecmp:
		return "ECMP";
	case Scheme::Kind::kpaths:
		break;
	}
	return "k=" + std::to_string(s.k);
}

struct Summary {
	std::vector<double> mean, min, max, sd; // [scheme]; sd: sample standard deviation
};

// Per planner: each scheme's total over shortest's, over the seeds.
Summary summarise(const ExperimentResult &r, size_t planner, size_t schemes)
{
	Summary s;
	s.mean.assign(schemes, 0);
	s.min.assign(schemes, std::numeric_limits<double>::infinity());
	s.max.assign(schemes, -std::numeric_limits<double>::infinity());
	for (const InstanceResult &i : r.instances)
		for (size_t k = 0; k < schemes; k++) {
			const double x = i.totals[planner][k] / i.shortest_total;
			s.mean[k] += x / static_cast<double>(r.instances.size());
			s.min[k] = std::min(s.min[k], x);
			s.max[k] = std::max(s.max[k], x);
		}
	s.sd.assign(schemes, 0);
	if (r.instances.size() > 1) {
		for (const InstanceResult &i : r.instances)
			for (size_t k = 0; k < schemes; k++) {
				const double d =
					i.totals[planner][k] / i.shortest_total - s.mean[k];
				s.sd[k] += d * d / static_cast<double>(r.instances.size() - 1);
			}
		for (double &v : s.sd)
			v = std::sqrt(v);
	}
	return s;
}

constexpr size_t cdf_relays = 8; // the CDF is shown for 0..8 relays

struct Overhead {
	double relays;
	double ipip_1500, ipip_9000, gre_1500, gre_9000;
};

Overhead overhead(double relays)
{
	return {relays, header_share(relays, ipip_bytes_per_relay, 1500),
		header_share(relays, ipip_bytes_per_relay, 9000),
		header_share(relays, gre_bytes_per_relay, 1500),
		header_share(relays, gre_bytes_per_relay, 9000)};
}

json overhead_json(const Overhead &o)
{
	return {{"relays", o.relays},
		{"ipip_1500", o.ipip_1500},
		{"ipip_9000", o.ipip_9000},
		{"gre_1500", o.gre_1500},
		{"gre_9000", o.gre_9000}};
}

json by_scheme(const std::vector<Scheme> &schemes, const std::vector<double> &values)
{
	json out = json::object();
	for (size_t i = 0; i < schemes.size(); i++)
		out[to_string(schemes[i])] = values[i];
	return out;
}

uint64_t diverted(const ExperimentResult &r, size_t planner, uint64_t &routed)
{
	uint64_t n = 0;
	routed = 0;
	for (const InstanceResult &i : r.instances) {
		n += i.diverted[planner];
		routed += i.kpath_subflows;
	}
	return n;
}

void print_json(const Cli &cli, const ExperimentResult &r, double wall, double cpu)
{
	const ExperimentOptions &o = cli.options;
	json out;
	out["topology"] = {{"kind", o.kind == TopologyKind::fattree ? "fattree" : "jellyfish"},
			   {"ports", o.ports},
			   {"switches", r.switches},
			   {"hosts", r.hosts},
			   {"seeds", o.seeds},
			   {"first_seed", o.first_seed}};
	out["subflows"] = o.subflows;
	out["k_max"] = o.k_max;
	out["mapping"] = to_string(o.mapping);
	json planners = json::array();
	for (Planner p : o.planners)
		planners.push_back(to_string(p));
	out["planners"] = planners;
	if (o.throughput) {
		json by_planner = json::object();
		for (size_t p = 0; p < o.planners.size(); p++) {
			const Summary s = summarise(r, p, o.schemes.size());
			const std::string name(to_string(o.planners[p]));
			if (p == 0)
				out["normalized"] = by_scheme(o.schemes, s.mean);
			else
				out["normalized_" + name] = by_scheme(o.schemes, s.mean);
			uint64_t routed = 0;
			const uint64_t off = diverted(r, p, routed);
			by_planner[name] = {{"mean", by_scheme(o.schemes, s.mean)},
					    {"min", by_scheme(o.schemes, s.min)},
					    {"max", by_scheme(o.schemes, s.max)},
					    {"sd", by_scheme(o.schemes, s.sd)},
					    {"kpath_subflows", routed},
					    {"diverted_subflows", off}};
		}
		out["by_planner"] = by_planner;
		json seeds = json::array();
		for (const InstanceResult &i : r.instances) {
			json per = {{"seed", i.seed}, {"shortest_total", i.shortest_total}};
			for (size_t p = 0; p < o.planners.size(); p++)
				per[std::string(to_string(o.planners[p]))] =
					by_scheme(o.schemes, i.totals[p]);
			seeds.push_back(per);
		}
		out["per_seed"] = seeds;
	}
	if (o.relay_cdf) {
		json relays = json::object();
		for (size_t p = 0; p < o.planners.size(); p++) {
			const RelayHistogram &h = r.relays[p];
			const auto cdf = h.cdf_up_to(cdf_relays);
			const std::string name(to_string(o.planners[p]));
			if (p == 0)
				out["relay_cdf"] = cdf;
			else
				out["relay_cdf_" + name] = cdf;
			const size_t p90 = h.percentile(0.9);
			relays[name] = {
				{"paths", h.paths()},
				{"cdf", cdf},
				{"max", h.max_relays()},
				{"p90", p90},
				{"mean", h.mean()},
				{"overhead",
				 {{"p90", overhead_json(overhead(static_cast<double>(p90)))},
				  {"mean", overhead_json(overhead(h.mean()))}}}};
		}
		out["relays"] = relays;
		out["relay_pairs_per_seed"] = r.instances.front().relay_pairs;
	}
	out["seconds"] = {{"wall", wall}, {"cpu", cpu}};
	std::printf("%s\n", out.dump(1, '\t').c_str());
}

void print_text(const Cli &cli, const ExperimentResult &r, double wall, double cpu)
{
	const ExperimentOptions &o = cli.options;
	std::printf("iplb-sim: %s, %zu switches of %u ports, %zu hosts; seeds %llu-%llu; %u "
		    "subflows per connection, mapping %s, k-max %u\n",
		    o.kind == TopologyKind::fattree ? "fat-tree" : "jellyfish", r.switches, o.ports,
		    r.hosts, static_cast<unsigned long long>(o.first_seed),
		    static_cast<unsigned long long>(o.first_seed + o.seeds - 1), o.subflows,
		    std::string(to_string(o.mapping)).c_str(), o.k_max);
	if (o.throughput) {
		std::printf("\nThroughput normalised to shortest-path routing (mean of %u seeds; "
			    "min, max, standard deviation below):\n",
			    o.seeds);
		std::printf("%-8s %-12s", "planner", "topology");
		for (const Scheme &s : o.schemes)
			std::printf(" %6s", column(s).c_str());
		std::printf("\n");
		for (size_t p = 0; p < o.planners.size(); p++) {
			const Summary s = summarise(r, p, o.schemes.size());
			const std::string name(to_string(o.planners[p]));
			auto row = [&](const char *planner, const std::string &what,
				       const std::vector<double> &v) {
				std::printf("%-8s %-12s", planner, what.c_str());
				for (double x : v)
					std::printf(" %6.3f", x);
				std::printf("\n");
			};
			row(name.c_str(), label(cli), s.mean);
			row("", "  min", s.min);
			row("", "  max", s.max);
			row("", "  sd", s.sd);
		}
		for (size_t p = 0; p < o.planners.size(); p++) {
			uint64_t routed = 0;
			const uint64_t off = diverted(r, p, routed);
			std::printf(
				"%s planner: %llu of %llu k-path subflows (%.1f%%) forwarded off "
				"their planned path\n",
				std::string(to_string(o.planners[p])).c_str(),
				static_cast<unsigned long long>(off),
				static_cast<unsigned long long>(routed),
				routed ? 100.0 * static_cast<double>(off) /
						 static_cast<double>(routed)
				       : 0.0);
		}
	}
	if (o.relay_cdf) {
		std::printf("\nRelay-list length CDF (k=%u paths of %zu host pairs per seed%s; "
			    "fraction of paths with <= r relays):\n",
			    o.k_max, r.instances.front().relay_pairs,
			    r.instances.front().relay_pairs == r.hosts * (r.hosts - 1) ? " (all)"
										       : "");
		std::printf("%-8s %9s", "planner", "paths");
		for (size_t rl = 0; rl <= cdf_relays; rl++)
			std::printf("  r<=%zu", rl);
		std::printf("   max   p90  mean\n");
		for (size_t p = 0; p < o.planners.size(); p++) {
			const RelayHistogram &h = r.relays[p];
			std::printf("%-8s %9llu", std::string(to_string(o.planners[p])).c_str(),
				    static_cast<unsigned long long>(h.paths()));
			for (double x : h.cdf_up_to(cdf_relays))
				std::printf(" %5.3f", x);
			std::printf(" %5zu %5zu %5.2f\n", h.max_relays(), h.percentile(0.9),
				    h.mean());
		}
		std::printf("\nEncapsulation overhead (headers / MTU-sized packet; IPIP 20, GRE "
			    "24 bytes per relay):\n");
		for (size_t p = 0; p < o.planners.size(); p++) {
			const RelayHistogram &h = r.relays[p];
			for (const auto &[what, relays] :
			     {std::pair{"p90", static_cast<double>(h.percentile(0.9))},
			      std::pair{"mean", h.mean()}}) {
				const Overhead x = overhead(relays);
				std::printf("%-8s %-4s %4.2f relays: IPIP %4.1f%% at 1500, %4.2f%% "
					    "at 9000; GRE %4.1f%% at 1500, %4.2f%% at 9000\n",
					    std::string(to_string(o.planners[p])).c_str(), what,
					    relays, 100 * x.ipip_1500, 100 * x.ipip_9000,
					    100 * x.gre_1500, 100 * x.gre_9000);
			}
		}
	}
	std::printf("\nRuntime: %.2f s wall, %.2f s CPU (%.2f s per seed)\n", wall, cpu,
		    wall / o.seeds);
}

} // namespace

int main(int argc, char **argv)
{
	Cli cli;
	try {
		cli = parse(argc, argv);
	} catch (const UsageError &e) {
		std::fprintf(stderr, "iplb-sim: %s\n(iplb-sim --help lists the options)\n",
			     e.what());
		return 2;
	}
	if (cli.help) {
		std::fputs(usage, stdout);
		return 0;
	}
	const auto started = std::chrono::steady_clock::now();
	const std::clock_t cpu_started = std::clock();
	auto result = run_experiment(cli.options);
	if (!result) {
		std::fprintf(stderr, "iplb-sim: %s\n", result.error().message.c_str());
		return 1;
	}
	const double wall =
		std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
	const double cpu = static_cast<double>(std::clock() - cpu_started) / CLOCKS_PER_SEC;
	if (cli.json)
		print_json(cli, *result, wall, cpu);
	else
		print_text(cli, *result, wall, cpu);
	return 0;
}
