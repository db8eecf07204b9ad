// SPDX-License-Identifier: GPL-2.0-or-later
// `show iplb table|counters|paths|topology`: the host plane and the
// topology it works on.
#include "show/show.hpp"

#include "pipeline/table_format.hpp"
#include "topology/json_format.hpp"
#include "topology/text_format.hpp"

#include <sstream>

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

std::string table_text(const Daemon &daemon)
{
	const auto &routes = daemon.host().pipeline().desired();
	std::ostringstream out;
	out << "Datapath: " << datapath_line(daemon) << "\n";
	out << "Destinations: " << routes.size() << "\n";
	for (const RouteSpec &route : routes)
		out << "  " << route_text(route) << "\n";
	return out.str();
}

json table_json(const Daemon &daemon)
{
	const auto &routes = daemon.host().pipeline().desired();
	json out = {{"datapath", daemon.host().config().datapath ? "bpf" : "none"},
		    {"installed", daemon.host().datapath().open()},
		    {"healthy", daemon.healthy()},
		    {"routes", table_json(std::span<const RouteSpec>(routes))}};
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
