// SPDX-License-Identifier: GPL-2.0-or-later
// `show iplb status [json]`: the JSON object is built from the daemon, and
// the text is written from that object, so the two cannot disagree.
#include "show/show.hpp"

#include "show/uptime.hpp"

#include <cstdio>

namespace iplb {

using json = nlohmann::ordered_json;

namespace {

int64_t ago_msec(std::chrono::steady_clock::time_point at)
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(
		       std::chrono::steady_clock::now() - at)
		.count();
}

// The LSA types `show iplb status json` counts, by type number.
constexpr std::pair<int, const char *> lsa_type_keys[] = {
	{1, "router"}, {2, "network"},	  {3, "summary"},     {4, "asbrSummary"}, {5, "asExternal"},
	{7, "nssa"},   {9, "opaqueLink"}, {10, "opaqueArea"}, {11, "opaqueAs"},
};

json lsdb_json(const ApiSession &session)
{
	const SessionStatus s = session.status();
	json out = {
		{"state", std::string(to_string(s.state))},
		{"server", to_string(s.config.server) + ":" + std::to_string(s.config.port)},
		{"stateSinceSec", s.since.count()},
		{"stateSince", format_uptime(s.since)},
	};
	if (s.router_id)
		out["routerId"] = to_string(*s.router_id);
	out["lsas"] = s.lsas;
	json by_type = json::object();
	const auto &counts = session.database().count_by_type();
	for (const auto &[type, key] : lsa_type_keys)
		by_type[key] = counts[static_cast<size_t>(type)];
	out["lsasByType"] = by_type;
	out["lsaUpdates"] = s.counters.lsa_updates;
	out["lsaDeletes"] = s.counters.lsa_deletes;
	out["malformed"] = s.counters.malformed;
	out["truncated"] = s.counters.truncated;
	out["ospfInterfaces"] = s.interfaces;
	out["ospfInterfacesUp"] = s.interfaces_up;
	out["ospfNeighbours"] = s.neighbours;
	out["ospfNeighboursFull"] = s.neighbours_full;
	out["ospfReachableRouters"] = s.reachable_routers;
	out["syncs"] = s.counters.syncs;
	out["disconnects"] = s.counters.disconnects;
	out["connectAttempts"] = s.counters.connect_attempts;
	out["lastError"] = s.last_error;
	if (s.retry_in)
		out["retryInMsec"] = s.retry_in->count();
	return out;
}

json topology_status_json(const Daemon &d)
{
	const LsdbTopologyStats &s = d.topology_stats();
	const RebuildCounters &r = d.rebuilds();
	json out = {
		{"routers", s.routers},
		{"networks", s.networks},
		{"links", s.links},
		{"prefixes", s.prefixes},
		{"oneWayLinks", s.one_way},
		{"ignored", s.ignored},
		{"malformed", s.malformed},
		{"rebuilds", r.rebuilds},
		{"rebuildsUnchanged", r.unchanged},
		{"rebuildErrors", r.errors},
		{"lastRebuildUsec", r.last.count()},
		{"maxRebuildUsec", r.max.count()},
		{"lastRebuildAgoMsec", r.rebuilds + r.errors == 0 ? -1 : ago_msec(r.at)},
		{"rebuildPending", d.rebuild_pending()},
		{"debounceDelayMsec", d.debounce().delay.count()},
		{"debounceMaxHoldMsec", d.debounce().max_hold.count()},
		{"snapshots", r.snapshots},
		{"sameTopology", r.same_topology},
	};
	if (r.snapshots > 0) {
		const DeltaSummary &c = r.last_delta;
		out["lastChange"] = {
			{"agoMsec", ago_msec(r.last_change_at)},
			{"nodesAdded", c.nodes_added},
			{"nodesRemoved", c.nodes_removed},
			{"relaysChanged", c.relays_changed},
			{"linksAdded", c.links_added},
			{"linksRemoved", c.links_removed},
			{"linksChanged", c.links_changed},
			{"prefixesAdded", c.prefixes_added},
			{"prefixesRemoved", c.prefixes_removed},
			{"prefixesChanged", c.prefixes_changed},
		};
	}
	return out;
}

json table_status_json(const Daemon &d)
{
	const HostPlane &host = d.host();
	const PipelineCounters &c = host.pipeline().counters();
	const UpdateTiming &t = d.update_timing();
	json out = {{"destinations", host.pipeline().fill().destinations}};
	if (const auto source = host.pipeline().source())
		out["source"] = to_string(*source);
	out["datapath"] = host.config().datapath ? "bpf" : "none";
	if (host.config().datapath) {
		out["instance"] = host.config().datapath->instance;
		out["open"] = host.datapath().open();
		std::string attached;
		for (const std::string &ifname : host.datapath().attached())
			attached += (attached.empty() ? "" : " ") + ifname;
		out["attached"] = attached;
	}
	out["healthy"] = d.healthy();
	out["problems"] = host.problems();
	out["fill"] = table_fill_json(host.pipeline().fill());
	out["repairs"] = host.datapath().repairs();
	if (!host.last_repair().empty()) {
		out["lastRepair"] = host.last_repair();
		out["lastRepairAgoMsec"] = ago_msec(host.last_repair_at());
	}
	json orphans = json::array();
	for (const InstanceRef &orphan : host.datapath().orphans())
		orphans.push_back(orphan.instance + " (" + orphan.pin_root + ")");
	out["orphans"] = orphans;
	out["configurationLoaded"] = host.configuration_is_loaded();
	out["recomputes"] = c.recomputes;
	out["lastComputeUsec"] = c.compute.last.count();
	out["maxComputeUsec"] = c.compute.max.count();
	out["routesWritten"] = c.routes_written;
	out["routesRemoved"] = c.routes_removed;
	out["withoutChanges"] = c.without_changes;
	out["errors"] = c.compute_errors + c.sync_errors + host.datapath().errors();
	out["updates"] = t.updates;
	out["lsaToTableMsec"] = t.updates == 0 ? -1 : t.last.count();
	out["maxLsaToTableMsec"] = t.updates == 0 ? -1 : t.max.count();
	out["lastUpdateAgoMsec"] = t.updates == 0 ? -1 : ago_msec(t.at);
	return out;
}

// printf into a std::string: the text keeps the widths operators know.
template <typename... Args>
std::string format(const char *pattern, Args... args)
{
	const int n = std::snprintf(nullptr, 0, pattern, args...);
	std::string out(static_cast<size_t>(n > 0 ? n : 0), '\0');
	std::snprintf(out.data(), out.size() + 1, pattern, args...);
	return out;
}

std::string str(const json &j, const char *key)
{
	return j.at(key).get<std::string>();
}

long long num(const json &j, const char *key)
{
	return j.at(key).get<long long>();
}

std::string lsdb_text(const json &l)
{
	const json &t = l.at("lsasByType");
	std::string out =
		format("  LSDB feed: %s with ospfd API %s for %s\n", str(l, "state").c_str(),
		       str(l, "server").c_str(), str(l, "stateSince").c_str());
	if (l.contains("routerId"))
		out += format("    Router ID:  %s\n", str(l, "routerId").c_str());
	out += format("    LSAs:       %lld (router %lld, network %lld, summary %lld, "
		      "ASBR-summary %lld, AS-external %lld, NSSA %lld)\n",
		      num(l, "lsas"), num(t, "router"), num(t, "network"), num(t, "summary"),
		      num(t, "asbrSummary"), num(t, "asExternal"), num(t, "nssa"));
	out += format("    Received:   %lld updates, %lld deletes, %lld malformed\n",
		      num(l, "lsaUpdates"), num(l, "lsaDeletes"), num(l, "malformed"));
	out += format("    ospfd:      %lld interfaces (%lld up), %lld neighbours (%lld full), "
		      "%lld reachable routers\n",
		      num(l, "ospfInterfaces"), num(l, "ospfInterfacesUp"),
		      num(l, "ospfNeighbours"), num(l, "ospfNeighboursFull"),
		      num(l, "ospfReachableRouters"));
	out += format("    Sessions:   %lld syncs, %lld disconnects, %lld connect attempts\n",
		      num(l, "syncs"), num(l, "disconnects"), num(l, "connectAttempts"));
	if (!str(l, "lastError").empty())
		out += format("    Last error: %s\n", str(l, "lastError").c_str());
	if (l.contains("retryInMsec"))
		out += format("    Retry in:   %lld ms\n", num(l, "retryInMsec"));
	return out;
}

std::string topology_status_text(const json &t)
{
	std::string out =
		format("  Topology:  %lld routers, %lld networks, %lld links, %lld "
		       "prefixes\n",
		       num(t, "routers"), num(t, "networks"), num(t, "links"), num(t, "prefixes"));
	out += format("    Dropped:    %lld one-way links, %lld ignored, %lld malformed\n",
		      num(t, "oneWayLinks"), num(t, "ignored"), num(t, "malformed"));
	out += format("    Rebuilds:   %lld (last %lld us, max %lld us), %lld skipped as "
		      "unchanged, debounce %lld ms, max hold %lld ms%s\n",
		      num(t, "rebuilds"), num(t, "lastRebuildUsec"), num(t, "maxRebuildUsec"),
		      num(t, "rebuildsUnchanged"), num(t, "debounceDelayMsec"),
		      num(t, "debounceMaxHoldMsec"),
		      t.at("rebuildPending").get<bool>() ? ", rebuild pending" : "");
	out += format("    Snapshots:  %lld to the path engine, %lld rebuilds gave the same "
		      "graph\n",
		      num(t, "snapshots"), num(t, "sameTopology"));
	if (t.contains("lastChange")) {
		const json &c = t.at("lastChange");
		out += format("    Last change: %lld ms ago: nodes +%lld -%lld, links +%lld -%lld "
			      "~%lld, prefixes +%lld -%lld ~%lld, relays moved %lld\n",
			      num(c, "agoMsec"), num(c, "nodesAdded"), num(c, "nodesRemoved"),
			      num(c, "linksAdded"), num(c, "linksRemoved"), num(c, "linksChanged"),
			      num(c, "prefixesAdded"), num(c, "prefixesRemoved"),
			      num(c, "prefixesChanged"), num(c, "relaysChanged"));
	}
	return out;
}

std::string table_status_text(const json &t)
{
	std::string out =
		format("  Table:     %lld destinations from router %s\n", num(t, "destinations"),
		       t.contains("source") ? str(t, "source").c_str() : "(unknown)");
	if (str(t, "datapath") != "none")
		out += format("    Datapath:   bpf instance %s, %s, attached to: %s, %s\n",
			      str(t, "instance").c_str(),
			      t.at("open").get<bool>() ? "open" : "not open",
			      str(t, "attached").empty() ? "(none)" : str(t, "attached").c_str(),
			      t.at("healthy").get<bool>() ? "healthy" : "NOT healthy");
	else
		out += "    Datapath:   none (computed, not installed)\n";
	for (const json &problem : t.at("problems"))
		out += format("    Datapath problem: %s\n", problem.get<std::string>().c_str());
	if (t.contains("lastRepair"))
		out += format("    Datapath repairs: %lld, the last %lld ms ago: %s\n",
			      num(t, "repairs"), num(t, "lastRepairAgoMsec"),
			      str(t, "lastRepair").c_str());
	for (const json &orphan : t.at("orphans"))
		out += format("    Left attached by a previous iplbd: instance %s, %s\n",
			      orphan.get<std::string>().c_str(),
			      t.at("configurationLoaded").get<bool>()
				      ? "not released (see the log)"
				      : "released once the configuration is loaded");
	out += format("    Recomputes: %lld (last %lld us, max %lld us), %lld routes written, "
		      "%lld removed, %lld changed nothing, %lld errors\n",
		      num(t, "recomputes"), num(t, "lastComputeUsec"), num(t, "maxComputeUsec"),
		      num(t, "routesWritten"), num(t, "routesRemoved"), num(t, "withoutChanges"),
		      num(t, "errors"));
	if (num(t, "updates") > 0)
		out += format("    LSA to table: last %lld ms (%lld ms ago), max %lld ms, %lld "
			      "updates\n",
			      num(t, "lsaToTableMsec"), num(t, "lastUpdateAgoMsec"),
			      num(t, "maxLsaToTableMsec"), num(t, "updates"));
	return out;
}

} // namespace

json status_json(const Daemon &daemon, const GlueFacts &glue)
{
	const auto uptime = daemon.uptime();
	return {
		{"daemon", "iplbd"},
		{"version", IPLB_VERSION},
		{"frrVersion", glue.frr_version},
		{"role", std::string(to_string(daemon.role()))},
		{"uptimeSec", uptime.count()},
		{"uptime", format_uptime(uptime)},
		{"zebraConnected", glue.zebra_connected},
		{"lsdb", lsdb_json(daemon.lsdb())},
		{"topology", topology_status_json(daemon)},
		{"table", table_status_json(daemon)},
	};
}

std::string status_text(const json &status)
{
	std::string out = format("iplbd %s (FRRouting %s)\n", str(status, "version").c_str(),
				 str(status, "frrVersion").c_str());
	out += format("  Role:      %s\n", str(status, "role").c_str());
	out += format("  Uptime:    %s\n", str(status, "uptime").c_str());
	out += format("  Zebra:     %s\n",
		      status.at("zebraConnected").get<bool>() ? "connected" : "not connected");
	out += lsdb_text(status.at("lsdb"));
	out += topology_status_text(status.at("topology"));
	out += table_status_text(status.at("table"));
	return out;
}

} // namespace iplb
