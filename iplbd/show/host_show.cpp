// SPDX-License-Identifier: GPL-2.0-or-later
// `show iplb table|counters|paths|topology`: the host plane and the
// topology it works on.
#include "show/show.hpp"

#include "pipeline/table_format.hpp"
#include "topology/json_format.hpp"
#include "topology/text_format.hpp"

#include <set>
#include <sstream>
#include <vector>

namespace iplb {

using json = nlohmann::ordered_json;

namespace {

std::string datapath_line(const Daemon &daemon)
{
	const HostDatapath &d = daemon.host().datapath();
	if (!daemon.host().config().datapath)
		return "none (tables are computed, not installed)";
	std::string out = "bpf instance " + daemon.host().config().datapath->instance;
	out += d.open() ? ", attached to" : ", not open";
	for (const std::string &ifname : d.attached())
		out += " " + ifname;
	out += daemon.healthy() ? "; healthy" : "; NOT healthy";
	for (const std::string &problem : d.problems())
		out += "; " + problem;
	return out;
}

} // namespace

json table_fill_json(const TableFill &fill)
{
	return {{"capacity", fill.capacity ? json(*fill.capacity) : json(nullptr)},
		{"destinations", fill.destinations},
		{"installed", fill.installed},
		{"notInstalled", fill.not_installed()},
		{"tableFull", fill.table_full},
		{"writeFailed", fill.write_failed}};
}

std::string table_fill_text(const TableFill &fill)
{
	if (!fill.capacity)
		return "no capacity bound (no datapath)";
	std::string out = "table capacity " + std::to_string(*fill.capacity) + ": " +
			  std::to_string(fill.installed) + " installed";
	if (fill.not_installed() > 0) {
		out += ", " + std::to_string(fill.not_installed()) + " NOT installed (";
		if (fill.table_full > 0)
			out += std::to_string(fill.table_full) + " table full";
		if (fill.table_full > 0 && fill.write_failed > 0)
			out += ", ";
		if (fill.write_failed > 0)
			out += std::to_string(fill.write_failed) + " write failed";
		out += ")";
	}
	return out;
}

namespace {

// The routes in the table as computed (with no datapath: as computed).
std::vector<RouteSpec> installed_routes(const HostPipeline &pipeline)
{
	std::set<IpPrefix> missing;
	for (const NotInstalled &entry : pipeline.not_installed())
		missing.insert(entry.prefix);
	std::vector<RouteSpec> out;
	for (const RouteSpec &route : pipeline.desired())
		if (!missing.count(route.prefix))
			out.push_back(route);
	return out;
}

} // namespace

std::string table_text(const HostPipeline &pipeline)
{
	std::ostringstream out;
	const TableFill &fill = pipeline.fill();
	out << "Destinations: " << fill.destinations;
	if (fill.capacity)
		out << "; " << table_fill_text(fill);
	out << "\n";
	for (const RouteSpec &route : installed_routes(pipeline))
		out << "  " << route_text(route) << "\n";
	if (!pipeline.not_installed().empty()) {
		out << "Not installed: " << pipeline.not_installed().size() << "\n";
		for (const NotInstalled &entry : pipeline.not_installed())
			out << "  " << to_string(entry.prefix)
			    << " not installed: " << to_string(entry) << "\n";
	}
	return out.str();
}

json table_json(const HostPipeline &pipeline)
{
	json missing = json::array();
	for (const NotInstalled &entry : pipeline.not_installed())
		missing.push_back({{"prefix", to_string(entry.prefix)},
				   {"installed", false},
				   {"reason", to_string(entry)}});
	const auto routes = installed_routes(pipeline);
	return {{"fill", table_fill_json(pipeline.fill())},
		{"routes", table_json(std::span<const RouteSpec>(routes))},
		{"notInstalled", missing}};
}

std::string table_text(const Daemon &daemon)
{
	return "Datapath: " + datapath_line(daemon) + "\n" + table_text(daemon.host().pipeline());
}

json table_json(const Daemon &daemon)
{
	json out = {{"datapath", daemon.host().config().datapath ? "bpf" : "none"},
		    {"installed", daemon.host().datapath().open()},
		    {"healthy", daemon.healthy()}};
	out.update(table_json(daemon.host().pipeline()));
	return out;
}

json counters_json(const Daemon &daemon)
{
	const PipelineCounters &c = daemon.host().pipeline().counters();
	const UpdateTiming &t = daemon.update_timing();
	const auto us = [](std::chrono::microseconds d) {
		return d.count();
	};
	return {
		{"recomputes", c.recomputes},
		{"incremental", c.incremental},
		{"withoutChanges", c.without_changes},
		{"computeErrors", c.compute_errors},
		{"skippedNoSource", c.skipped_no_source},
		{"computeUsec",
		 {{"last", us(c.compute.last)},
		  {"avg", us(c.compute.average())},
		  {"max", us(c.compute.max)}}},
		{"enginePaths",
		 {{"searched", c.engine.searched},
		  {"derived", c.engine.derived},
		  {"reused", c.engine.reused}}},
		{"syncs", c.syncs},
		{"syncUsec",
		 {{"last", us(c.sync.last)},
		  {"avg", us(c.sync.average())},
		  {"max", us(c.sync.max)}}},
		{"routesWritten", c.routes_written},
		{"routesRemoved", c.routes_removed},
		{"syncErrors", c.sync_errors},
		{"listsTooLong", c.lists_too_long},
		{"table", table_fill_json(daemon.host().pipeline().fill())},
		{"datapathErrors", daemon.host().datapath().errors()},
		{"datapathRepairs", daemon.host().datapath().repairs()},
		{"recordsRepaired", c.records_repaired},
		{"updates", t.updates},
		{"lsaToTableMsec", {{"last", t.last.count()}, {"max", t.max.count()}}},
		{"lastError", c.last_error},
	};
}

std::string counters_text(const Daemon &daemon)
{
	const PipelineCounters &c = daemon.host().pipeline().counters();
	const UpdateTiming &t = daemon.update_timing();
	std::ostringstream out;
	out << "Recomputes:     " << c.recomputes << " (" << c.incremental << " incremental, "
	    << c.without_changes << " changed nothing, " << c.compute_errors << " errors, "
	    << c.skipped_no_source << " skipped without our router)\n";
	out << "Compute time:   last " << c.compute.last.count() << " us, avg "
	    << c.compute.average().count() << " us, max " << c.compute.max.count() << " us\n";
	out << "Engine:         " << c.engine.searched << " destinations searched, "
	    << c.engine.derived << " derived, " << c.engine.reused << " reused\n";
	out << "Datapath syncs: " << c.syncs << " (last " << c.sync.last.count() << " us, max "
	    << c.sync.max.count() << " us): " << c.routes_written << " routes written, "
	    << c.routes_removed << " removed, " << c.sync_errors << " errors\n";
	out << "Lists too long: " << c.lists_too_long << "\n";
	const TableFill &fill = daemon.host().pipeline().fill();
	out << "Table:          " << fill.destinations << " destinations; " << table_fill_text(fill)
	    << "\n";
	out << "LSA to table:   " << t.updates << " updates, last " << t.last.count() << " ms, max "
	    << t.max.count() << " ms\n";
	out << "Datapath:       " << datapath_line(daemon) << "\n";
	out << "Repairs:        " << daemon.host().datapath().repairs() << " of the datapath, "
	    << c.records_repaired << " table records written again or removed\n";
	if (!c.last_error.empty())
		out << "Last error:     " << c.last_error << "\n";
	return out.str();
}

Result<std::string, Error> paths_show(const Daemon &daemon, std::string_view prefix,
				      PathsFormat format)
{
	auto parsed = parse_prefix(prefix);
	if (!parsed)
		return unexpected(parsed.error());
	const HostPipeline &pipeline = daemon.host().pipeline();
	auto view = pipeline.explain(*parsed);
	if (!view)
		return unexpected(view.error());
	const Topology &topology = *pipeline.topology();
	const Metric metric = pipeline.config().defaults.metric;
	switch (format) {
	case PathsFormat::json:
		return paths_json(topology, *view, metric).dump();
	case PathsFormat::dot:
		return paths_dot(topology, *view);
	case PathsFormat::text:
		break;
	}
	return paths_text(topology, *view, metric);
}

std::string topology_text(const Daemon &daemon)
{
	return topology_to_text(*daemon.topology());
}

std::string topology_json(const Daemon &daemon)
{
	return topology_to_json(*daemon.topology());
}

} // namespace iplb
