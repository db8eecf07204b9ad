// SPDX-License-Identifier: GPL-2.0-or-later
// iplbctl table: the iplb table a router of a topology file should hold
// (every other router's prefixes, k paths each, their relay lists), as
// iplbd computes it; --apply writes it into the datapath by differences.
#include "cli.hpp"

#include "datapath/bpf_route_table.hpp"
#include "datapath/pin_dir.hpp"
#include "pipeline/desired_table.hpp"
#include "pipeline/table_format.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace iplbctl {

int table_command(const Options &options, std::span<const std::string> words)
{
	Args args(words, {"--apply"});
	const PathOptions po = path_options(args);
	iplb::TableOptions table_options{.k = po.k, .metric = po.metric, .planner = po.planner};
	table_options.encap =
		usage_take(iplb::parse_encap(args.value("--encap").value_or("ipip")), "--encap: ");
	table_options.selection = usage_take(
		iplb::parse_selection(args.value("--mode").value_or("round-robin")), "--mode: ");
	const bool apply = args.flag("--apply");
	args.finish();

	const auto topology = load_topology(po);
	const auto source_id = usage_take(iplb::parse_ipv4(po.from), "--from: ");
	const auto source = topology->find(source_id);
	if (!source)
		throw CommandError("--from: unknown router " + po.from);
	const auto table = take(iplb::desired_table(*topology, *source, table_options));

	if (apply) {
		auto maps = take(iplb::HostMaps::from_pins(
			take(iplb::existing_pin_dir(options.pin_root, options.instance))));
		iplb::BpfRouteTable installed(maps);
		const auto result = take(iplb::sync_table(installed, table));
		for (const std::string &error : result.errors)
			std::fprintf(stderr, "iplbctl: %s\n", error.c_str());
		if (options.json)
			std::printf("%s\n", nlohmann::ordered_json({{"written", result.put},
								    {"removed", result.removed},
								    {"unchanged", result.unchanged},
								    {"errors", result.errors}})
						    .dump()
						    .c_str());
		else
			std::printf("%zu prefixes written, %zu removed, %zu unchanged\n",
				    result.put, result.removed, result.unchanged);
		return result.errors.empty() ? 0 : 1;
	}
	if (options.json) {
		// As `prefix show -j` and iplbd's `show iplb table json` print it.
		std::printf("%s\n", iplb::table_json(table).dump().c_str());
		return 0;
	}
	for (const iplb::RouteSpec &spec : table) {
		std::printf("%s", iplb::to_string(spec.prefix).c_str());
		for (const iplb::RelayList &list : spec.lists)
			std::printf(" relay %s", iplb::to_string(list).c_str());
		std::printf("\n");
	}
	return 0;
}

} // namespace iplbctl
