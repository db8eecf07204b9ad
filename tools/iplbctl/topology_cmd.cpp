// SPDX-License-Identifier: GPL-2.0-or-later
// iplbctl topology generate fattree|jellyfish: topology files for tests,
// benchmarks and the lab.
#include "cli.hpp"

#include "generators/generators.hpp"
#include "topology/json_format.hpp"

#include <cstdio>

namespace iplbctl {

int topology_command(const Options &, std::span<const std::string> words)
{
	if (words.size() < 2 || words[0] != "generate")
		throw UsageError("usage: iplbctl topology generate fattree|jellyfish [OPTIONS]");
	const std::string kind = words[1];
	iplb::Result<iplb::TopologySnapshot, iplb::Error> topology = iplb::unexpected(
		iplb::Error{"unknown topology kind '" + kind + "': expected fattree or jellyfish"});
	if (kind == "fattree") {
		Args args(words.subspan(2), {"--no-hosts"});
		iplb::FatTreeOptions o;
		o.k = args.number("--k", 4, 2, 64);
		o.cost = args.number("--cost", 10, 1, 65535);
		o.hosts = !args.flag("--no-hosts");
		args.finish();
		topology = iplb::make_fat_tree(o);
	} else if (kind == "jellyfish") {
		Args args(words.subspan(2));
		iplb::JellyfishOptions o;
		o.switches = args.number("--switches", 20, 2, 65536);
		o.ports = args.number("--ports", 4, 2, 1024);
		o.hosts = args.number("--hosts", 16, 0, 65536);
		o.seed = args.number("--seed", 1, 0, 0xffffffffu);
		o.cost = args.number("--cost", 10, 1, 65535);
		args.finish();
		topology = iplb::make_jellyfish(o);
	} else {
		throw UsageError(topology.error().message);
	}
	if (!topology)
		throw CommandError(topology.error().message);
	std::fputs(iplb::topology_to_json(**topology).c_str(), stdout);
	return 0;
}

} // namespace iplbctl
