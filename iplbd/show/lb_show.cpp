// SPDX-License-Identifier: GPL-2.0-or-later
// `show iplb lb controller [json]`: the load balancer's controller on this
// node, the text written from the JSON object.
#include "show/show.hpp"

#include <cstdio>
#include <map>
#include <set>

namespace iplb {

using json = nlohmann::ordered_json;

namespace {

json names(const std::vector<std::string> &list)
{
	json out = json::array();
	for (const auto &name : list)
		out.push_back(name);
	return out;
}

std::string joined(const json &list)
{
	std::string out;
	for (const auto &name : list)
		out += (out.empty() ? "" : ", ") + name.get<std::string>();
	return out.empty() ? "-" : out;
}

} // namespace

json lb_controller_json(const Daemon &daemon)
{
	const auto &plane = daemon.lb();
	const auto view = plane.controller_view();
	json endpoints = names(plane.config().endpoints);
	if (!view)
		return {{"controller", false},
			{"reason", "this node does not run the controller ('lb controller')"},
			{"endpoints", endpoints}};
	json vips = json::array();
	for (const auto &vip : view->vips) {
		json backends = json::array();
		for (const auto &backend : vip.pool) {
			const auto status = vip.status.backends.find(backend.dip);
			backends.push_back(
				{{"address", lb::to_string(backend.dip)},
				 {"weight", backend.weight},
				 {"state", lb::to_string(backend.state)},
				 {"health", status == vip.status.backends.end()
						    ? "unknown"
						    : lbcontrol::to_string(status->second.health)},
				 {"drainSince", status == vip.status.backends.end()
							? 0
							: status->second.drain_since}});
		}
		vips.push_back({{"vip", lbcontrol::to_string(vip.vip)},
				{"committed", vip.committed},
				{"prepared", vip.prepared},
				{"acked", names(vip.acked)},
				{"failed", names(vip.failed)},
				{"waiting", names(vip.waiting)},
				{"backends", backends},
				{"heldUntil", vip.held_until},
				{"error", vip.error}});
	}
	return {{"controller", true},
		{"name", view->name},
		{"leader", view->leader},
		{"leaderName", view->leader_name},
		{"etcd",
		 {{"connected", view->etcd_connected},
		  {"error", view->etcd_error},
		  {"endpoints", endpoints},
		  {"prefix", plane.config().prefix}}},
		{"muxes", names(view->muxes)},
		{"vips", vips},
		{"counters",
		 {{"terms", view->terms},
		  {"prepares", view->prepares},
		  {"commits", view->commits},
		  {"commitsIncomplete", view->commits_incomplete},
		  {"malformed", view->malformed},
		  {"holds", view->holds}}}};
}

std::string lb_controller_text(const json &controller)
{
	if (!controller.at("controller").get<bool>())
		return "Controller: not running: " + controller.at("reason").get<std::string>() +
		       "\n";
	std::string out = "Controller " + controller.at("name").get<std::string>() + ": ";
	const auto leader_name = controller.at("leaderName").get<std::string>();
	if (controller.at("leader").get<bool>())
		out += "leader";
	else
		out += leader_name.empty() ? "standby, no leader"
					   : "standby, leader " + leader_name;
	const auto &etcd = controller.at("etcd");
	out += "\netcd: " + joined(etcd.at("endpoints")) + " (prefix " +
	       etcd.at("prefix").get<std::string>() + "): " +
	       (etcd.at("connected").get<bool>()
			? "connected"
			: "unreachable: " + etcd.at("error").get<std::string>()) +
	       "\nLive muxes: " + joined(controller.at("muxes")) + "\n";
	char line[256];
	for (const auto &vip : controller.at("vips")) {
		std::snprintf(line, sizeof(line), "\nVIP %s: generation %u",
			      vip.at("vip").get<std::string>().c_str(),
			      vip.at("committed").get<uint32_t>());
		out += line;
		if (const auto prepared = vip.at("prepared").get<uint32_t>(); prepared != 0)
			out += ", " + std::to_string(prepared) +
			       " prepared (loaded: " + joined(vip.at("acked")) +
			       "; failed: " + joined(vip.at("failed")) +
			       "; waiting for: " + joined(vip.at("waiting")) + ")";
		if (const auto held = vip.at("heldUntil").get<uint32_t>(); held != 0)
			out += ", next change held until " + std::to_string(held) +
			       " (unix time): it would move a bucket twice within the drain "
			       "timeout";
		if (const auto error = vip.at("error").get<std::string>(); !error.empty())
			out += "\n  error: " + error;
		out += "\n";
		for (const auto &backend : vip.at("backends")) {
			std::snprintf(line, sizeof(line), "  %-40s weight %-4u %-9s health %s\n",
				      backend.at("address").get<std::string>().c_str(),
				      backend.at("weight").get<uint32_t>(),
				      backend.at("state").get<std::string>().c_str(),
				      backend.at("health").get<std::string>().c_str());
			out += line;
		}
	}
	const auto &counters = controller.at("counters");
	std::snprintf(
		line, sizeof(line),
		"\nTerms led %llu, versions prepared %llu, committed %llu (%llu without "
		"every mux's answer), malformed values %llu\n",
		static_cast<unsigned long long>(counters.at("terms").get<uint64_t>()),
		static_cast<unsigned long long>(counters.at("prepares").get<uint64_t>()),
		static_cast<unsigned long long>(counters.at("commits").get<uint64_t>()),
		static_cast<unsigned long long>(counters.at("commitsIncomplete").get<uint64_t>()),
		static_cast<unsigned long long>(counters.at("malformed").get<uint64_t>()));
	return out + line;
}

} // namespace iplb

// --- `show iplb lb [vip ...]` and `show iplb lb buckets VIP` ---------------

namespace iplb {
namespace {

using lbcontrol::ParsedKey;

// etcd's keys under the prefix, decoded by kind; a value that does not
// decode is shown as an error of its VIP, never used.
struct EtcdView {
	std::map<lbcontrol::VipId, std::string> errors;
	std::map<lbcontrol::VipId, lbcontrol::VipConfig> configs;
	std::map<lbcontrol::VipId, lbcontrol::VipStatus> statuses;
	std::map<lbcontrol::VipId, lbcontrol::MapVersion> maps;
	std::map<lbcontrol::VipId, uint32_t> prepared;
	std::map<lbcontrol::VipId, std::map<std::string, lbcontrol::Ack>> acks;
	std::vector<lbcontrol::MemberRecord> muxes, backends;
	std::string leader;
};

EtcdView decode_view(const LbPlane &plane, const cluster::RangeResult &range)
{
	const lbcontrol::Keys keys{plane.config().prefix};
	EtcdView view;
	for (const auto &kv : range.kvs) {
		const auto parsed = lbcontrol::parse_key(keys, kv.key);
		const auto fail = [&](const Error &error) {
			if (parsed.vip)
				view.errors[*parsed.vip] = kv.key + ": " + error.message;
		};
		switch (parsed.kind) {
		case ParsedKey::Kind::config:
			if (auto config = lbcontrol::decode_vip_config(kv.value))
				view.configs[*parsed.vip] = *config;
			else
				fail(config.error());
			break;
		case ParsedKey::Kind::status:
			if (auto status = lbcontrol::decode_vip_status(kv.value))
				view.statuses[*parsed.vip] = *status;
			break;
		case ParsedKey::Kind::map:
			if (auto map = lbcontrol::decode_map_version(kv.value))
				view.maps[*parsed.vip] = *map;
			else
				fail(map.error());
			break;
		case ParsedKey::Kind::prepared:
			if (auto map = lbcontrol::decode_map_version(kv.value))
				view.prepared[*parsed.vip] = map->generation();
			break;
		case ParsedKey::Kind::ack:
			if (auto ack = lbcontrol::decode_ack(kv.value))
				view.acks[*parsed.vip][parsed.member] = *ack;
			break;
		case ParsedKey::Kind::mux:
		case ParsedKey::Kind::backend:
			if (auto member = lbcontrol::decode_member(kv.value))
				(parsed.kind == ParsedKey::Kind::mux ? view.muxes : view.backends)
					.push_back(*member);
			break;
		case ParsedKey::Kind::leader:
			if (auto member = lbcontrol::decode_member(kv.value))
				view.leader = member->name;
			break;
		case ParsedKey::Kind::other:
			break;
		}
	}
	return view;
}

std::string protocol_name(uint8_t protocol)
{
	return protocol == 17 ? "udp" : "tcp";
}

json vip_json(const EtcdView &view, const lbcontrol::VipId &vip)
{
	const auto config = view.configs.find(vip);
	const auto map = view.maps.find(vip);
	const auto status = view.statuses.find(vip);
	std::map<lb::Dip, uint32_t> owned;
	if (map != view.maps.end())
		for (const auto &bucket : map->second.map.buckets)
			if (bucket.owner)
				owned[*bucket.owner]++;
	json backends = json::array();
	if (config != view.configs.end()) {
		for (const auto &backend : config->second.backends) {
			std::string state = "not in the map yet";
			if (map != view.maps.end())
				for (const auto &pooled : map->second.pool)
					if (pooled.dip == backend.dip)
						state = std::string(lb::to_string(pooled.state));
			std::string health = "unknown";
			uint32_t drain_since = 0;
			if (status != view.statuses.end()) {
				const auto it = status->second.backends.find(backend.dip);
				if (it != status->second.backends.end()) {
					health = std::string(
						lbcontrol::to_string(it->second.health));
					drain_since = it->second.drain_since;
				}
			}
			uint16_t mptcp_port = 0;
			if (map != view.maps.end())
				if (const auto it = map->second.mptcp_ports.find(backend.dip);
				    it != map->second.mptcp_ports.end())
					mptcp_port = it->second;
			backends.push_back({{"address", lb::to_string(backend.dip)},
					    {"weight", backend.weight},
					    {"drain", backend.drain},
					    {"state", state},
					    {"health", health},
					    {"drainSince", drain_since},
					    {"buckets", owned[backend.dip]},
					    {"mptcpPort", mptcp_port}});
		}
	}
	json acks = json::array();
	if (const auto it = view.acks.find(vip); it != view.acks.end())
		for (const auto &[mux, ack] : it->second)
			acks.push_back({{"mux", mux},
					{"generation", ack.generation},
					{"ok", ack.ok},
					{"error", ack.error}});
	json out = {
		{"vip", lbcontrol::to_string(vip)},
		{"address", to_string(vip.address)},
		{"protocol", protocol_name(vip.protocol)},
		{"port", vip.port},
		{"configured", config != view.configs.end()},
		{"buckets", config != view.configs.end() ? config->second.bucket_count : 0},
		{"drainTimeout", config != view.configs.end() ? config->second.drain_timeout : 0},
		{"mptcp", config != view.configs.end() ? lbcontrol::to_string(config->second.mptcp)
						       : "none"},
		{"committedMptcp",
		 map != view.maps.end() ? lbcontrol::to_string(map->second.mptcp) : "none"},
		{"mptcpFirstPort",
		 config != view.configs.end() ? config->second.mptcp_first_port : 0},
		{"committed", map != view.maps.end() ? map->second.generation() : 0},
		{"prepared", view.prepared.contains(vip) ? view.prepared.at(vip) : 0},
		{"backends", backends},
		{"acks", acks},
		{"error", view.errors.contains(vip) ? view.errors.at(vip) : ""}};
	if (config != view.configs.end() &&
	    config->second.health_check.kind != lbcontrol::HealthCheckConfig::Kind::none) {
		const auto &check = config->second.health_check;
		out["healthCheck"] = {{"type", lbcontrol::to_string(check.kind)},
				      {"port", check.port != 0 ? check.port : vip.port},
				      {"path", check.path},
				      {"intervalMsec", check.interval_ms},
				      {"timeoutMsec", check.timeout_ms},
				      {"rise", check.rise},
				      {"fall", check.fall}};
	} else {
		out["healthCheck"] = nullptr;
	}
	return out;
}

} // namespace

Result<json, Error> lb_json(const Daemon &daemon, const std::optional<lbcontrol::VipId> &only)
{
	const auto &plane = daemon.lb();
	auto range = plane.read();
	if (!range)
		return unexpected(range.error());
	const auto view = decode_view(plane, *range);
	std::set<lbcontrol::VipId> vips;
	for (const auto &[vip, config] : view.configs)
		vips.insert(vip);
	for (const auto &[vip, map] : view.maps)
		vips.insert(vip);
	for (const auto &[vip, error] : view.errors)
		vips.insert(vip);
	if (only && !vips.contains(*only))
		return unexpected(Error{"unknown VIP " + lbcontrol::to_string(*only)});
	json out_vips = json::array();
	for (const auto &vip : vips)
		if (!only || vip == *only)
			out_vips.push_back(vip_json(view, vip));
	json muxes = json::array();
	for (const auto &mux : view.muxes)
		muxes.push_back({{"name", mux.name}, {"since", mux.since}});
	json backends = json::array();
	for (const auto &backend : view.backends) {
		json addresses = json::array();
		for (const auto &address : backend.addresses)
			addresses.push_back(to_string(address));
		json served = json::array();
		for (const auto &vip : backend.vips)
			served.push_back(lbcontrol::to_string(vip));
		backends.push_back({{"name", backend.name},
				    {"addresses", addresses},
				    {"healthy", backend.healthy.value_or(false)},
				    {"vips", served},
				    {"error", backend.error}});
	}
	json endpoints = json::array();
	for (const auto &endpoint : plane.config().endpoints)
		endpoints.push_back(endpoint);
	return json{{"etcd", {{"endpoints", endpoints}, {"prefix", plane.config().prefix}}},
		    {"leader", view.leader},
		    {"muxes", muxes},
		    {"backends", backends},
		    {"vips", out_vips}};
}

std::string lb_text(const json &lb)
{
	std::string out =
		"etcd " + joined(lb.at("etcd").at("endpoints")) + " (prefix " +
		lb.at("etcd").at("prefix").get<std::string>() + "), controller leader " +
		(lb.at("leader").get<std::string>().empty() ? std::string("none")
							    : lb.at("leader").get<std::string>()) +
		"\n";
	std::string muxes;
	for (const auto &mux : lb.at("muxes"))
		muxes += (muxes.empty() ? "" : ", ") + mux.at("name").get<std::string>();
	out += "Muxes: " + (muxes.empty() ? std::string("none") : muxes) + "\n";
	std::string backends;
	for (const auto &backend : lb.at("backends"))
		backends += (backends.empty() ? "" : ", ") + backend.at("name").get<std::string>() +
			    (backend.at("healthy").get<bool>() ? "" : " (unhealthy)");
	out += "Backends registered: " + (backends.empty() ? std::string("none") : backends) + "\n";
	char line[256];
	for (const auto &vip : lb.at("vips")) {
		out += "\nVIP " + vip.at("vip").get<std::string>() + ": ";
		if (!vip.at("configured").get<bool>())
			out += "not configured (being removed)";
		else
			out += std::to_string(vip.at("buckets").get<uint32_t>()) + " buckets";
		out += ", generation " + std::to_string(vip.at("committed").get<uint32_t>());
		if (const auto prepared = vip.at("prepared").get<uint32_t>(); prepared != 0)
			out += " (" + std::to_string(prepared) + " prepared)";
		out += ", drain timeout " + std::to_string(vip.at("drainTimeout").get<uint32_t>()) +
		       " s";
		if (vip.at("mptcp") != "none" || vip.at("committedMptcp") != "none")
			out += ", MPTCP mode " + vip.at("mptcp").get<std::string>() +
			       (vip.at("committedMptcp") != vip.at("mptcp")
					? " (the committed map: " +
						  vip.at("committedMptcp").get<std::string>() + ")"
					: "") +
			       (vip.at("mptcp") == "port"
					? ", backends' ports from " +
						  std::to_string(
							  vip.at("mptcpFirstPort").get<uint32_t>())
					: "");
		out += "\n";
		if (const auto &check = vip.at("healthCheck"); !check.is_null()) {
			std::snprintf(
				line, sizeof(line),
				"  health check %s port %u%s every %u ms, timeout %u ms, "
				"rise %u, fall %u\n",
				check.at("type").get<std::string>().c_str(),
				check.at("port").get<uint32_t>(),
				check.at("type") == "http"
					? (" path " + check.at("path").get<std::string>()).c_str()
					: "",
				check.at("intervalMsec").get<uint32_t>(),
				check.at("timeoutMsec").get<uint32_t>(),
				check.at("rise").get<uint32_t>(), check.at("fall").get<uint32_t>());
			out += line;
		}
		if (const auto error = vip.at("error").get<std::string>(); !error.empty())
			out += "  error: " + error + "\n";
		std::snprintf(line, sizeof(line), "  %-40s %-6s %-5s %-18s %-7s %s\n", "Backend",
			      "Weight", "Drain", "State", "Health", "Buckets");
		out += line;
		for (const auto &backend : vip.at("backends")) {
			std::snprintf(line, sizeof(line), "  %-40s %-6u %-5s %-18s %-7s %u",
				      backend.at("address").get<std::string>().c_str(),
				      backend.at("weight").get<uint32_t>(),
				      backend.at("drain").get<bool>() ? "yes" : "no",
				      backend.at("state").get<std::string>().c_str(),
				      backend.at("health").get<std::string>().c_str(),
				      backend.at("buckets").get<uint32_t>());
			out += line;
			if (const auto port = backend.at("mptcpPort").get<uint32_t>(); port != 0)
				out += " (MPTCP port " + std::to_string(port) + ")";
			out += "\n";
		}
	}
	return out;
}

Result<json, Error> lb_buckets_json(const Daemon &daemon, const lbcontrol::VipId &vip)
{
	const auto &plane = daemon.lb();
	auto range = plane.read();
	if (!range)
		return unexpected(range.error());
	const auto view = decode_view(plane, *range);
	const auto map = view.maps.find(vip);
	if (map == view.maps.end())
		return unexpected(Error{view.configs.contains(vip)
						? "VIP " + lbcontrol::to_string(vip) +
							  " has no committed map yet"
						: "unknown VIP " + lbcontrol::to_string(vip)});
	const auto &buckets = map->second.map.buckets;
	json runs = json::array();
	for (size_t i = 0; i < buckets.size();) {
		size_t j = i + 1;
		while (j < buckets.size() && buckets[j] == buckets[i])
			j++;
		runs.push_back({{"first", i},
				{"length", j - i},
				{"owner", buckets[i].owner ? lb::to_string(*buckets[i].owner) : ""},
				{"previous",
				 buckets[i].previous ? lb::to_string(*buckets[i].previous) : ""},
				{"changedAt", buckets[i].changed_at}});
		i = j;
	}
	return json{{"vip", lbcontrol::to_string(vip)},
		    {"generation", map->second.generation()},
		    {"buckets", buckets.size()},
		    {"runs", runs}};
}

std::string lb_buckets_text(const json &buckets)
{
	std::string out = "VIP " + buckets.at("vip").get<std::string>() + ", generation " +
			  std::to_string(buckets.at("generation").get<uint32_t>()) + ", " +
			  std::to_string(buckets.at("buckets").get<size_t>()) + " buckets in " +
			  std::to_string(buckets.at("runs").size()) + " runs\n";
	char line[256];
	std::snprintf(line, sizeof(line), "%-13s %-40s %-40s %s\n", "Buckets", "Owner", "Previous",
		      "Changed at");
	out += line;
	for (const auto &run : buckets.at("runs")) {
		const auto first = run.at("first").get<size_t>();
		const auto last = first + run.at("length").get<size_t>() - 1;
		const auto owner = run.at("owner").get<std::string>();
		const auto previous = run.at("previous").get<std::string>();
		std::snprintf(line, sizeof(line), "%-13s %-40s %-40s %u\n",
			      (std::to_string(first) + "-" + std::to_string(last)).c_str(),
			      owner.empty() ? "none" : owner.c_str(),
			      previous.empty() ? "-" : previous.c_str(),
			      run.at("changedAt").get<uint32_t>());
		out += line;
	}
	return out;
}

} // namespace iplb

// --- `show iplb lb mux [json]` ---------------------------------------------

namespace iplb {

json lb_mux_json(const Daemon &daemon)
{
	const auto &plane = daemon.lb();
	json problems = json::array();
	for (const auto &problem : plane.problems())
		problems.push_back(problem);
	json interfaces = json::array();
	for (const auto &ifname : plane.config().interfaces)
		interfaces.push_back(ifname);
	const auto view = plane.mux_view();
	if (!view)
		return {{"running", false},
			{"reason", daemon.role() != Role::mux ? "the role is not mux"
				   : plane.config().interfaces.empty()
					   ? "no 'lb interface'"
					   : "the mux program is not open"},
			{"interfaces", interfaces},
			{"healthy", plane.healthy()},
			{"problems", problems}};
	json vips = json::array();
	for (const auto &vip : view->vips)
		vips.push_back({{"vip", lbcontrol::to_string(vip.vip)},
				{"committed", vip.committed},
				{"prepared", vip.prepared},
				{"active", vip.active},
				{"staged", vip.staged ? *vip.staged : 0},
				{"servable", vip.servable},
				{"reason", vip.reason}});
	return {{"running", true},
		{"name", view->name},
		{"interfaces", interfaces},
		{"instance", plane.config().instance},
		{"fibLookup", plane.config().fib_lookup},
		{"healthy", plane.healthy()},
		{"problems", problems},
		{"etcd",
		 {{"connected", view->etcd_connected},
		  {"registered", view->registered},
		  {"error", view->etcd_error},
		  {"lostSince", view->etcd_lost_since}}},
		{"vips", vips},
		{"counters",
		 {{"staged", view->staged},
		  {"activated", view->activated},
		  {"loadFailures", view->load_failures},
		  {"malformed", view->malformed}}}};
}

std::string lb_mux_text(const json &mux)
{
	if (!mux.at("running").get<bool>())
		return "Mux: not running: " + mux.at("reason").get<std::string>() + "\n" +
		       (mux.at("problems").empty() ? "" : "  " + joined(mux.at("problems")) + "\n");
	std::string out =
		"Mux " + mux.at("name").get<std::string>() + " on " + joined(mux.at("interfaces")) +
		" (instance " + mux.at("instance").get<std::string>() + "): " +
		(mux.at("healthy").get<bool>() ? "healthy"
					       : "NOT healthy: " + joined(mux.at("problems"))) +
		"\n";
	out += std::string("Tunnels to: ") +
	       (mux.at("fibLookup").get<bool>() ? "the FIB's next hop toward the backend"
						: "back to the router each packet came from") +
	       "\n";
	const auto &etcd = mux.at("etcd");
	out += "etcd: ";
	if (etcd.at("connected").get<bool>())
		out += "connected, registered\n";
	else
		out += "unreachable since " + std::to_string(etcd.at("lostSince").get<uint32_t>()) +
		       " (unix time): " + etcd.at("error").get<std::string>() +
		       "; forwarding with the last committed maps\n";
	char line[320];
	std::snprintf(line, sizeof(line), "%-40s %-9s %-7s %-7s %-9s %s\n", "VIP", "Committed",
		      "Active", "Staged", "Announced", "Reason");
	out += line;
	for (const auto &vip : mux.at("vips")) {
		const auto staged = vip.at("staged").get<uint32_t>();
		std::snprintf(line, sizeof(line), "%-40s %-9u %-7u %-7s %-9s %s\n",
			      vip.at("vip").get<std::string>().c_str(),
			      vip.at("committed").get<uint32_t>(), vip.at("active").get<uint32_t>(),
			      staged == 0 ? "-" : std::to_string(staged).c_str(),
			      vip.at("servable").get<bool>() ? "yes" : "no",
			      vip.at("reason").get<std::string>().empty()
				      ? "-"
				      : vip.at("reason").get<std::string>().c_str());
		out += line;
	}
	const auto &counters = mux.at("counters");
	out += "Versions staged " + std::to_string(counters.at("staged").get<uint64_t>()) +
	       ", activated " + std::to_string(counters.at("activated").get<uint64_t>()) +
	       ", load failures " + std::to_string(counters.at("loadFailures").get<uint64_t>()) +
	       ", malformed values " + std::to_string(counters.at("malformed").get<uint64_t>()) +
	       "\n";
	return out;
}

} // namespace iplb

// --- `show iplb lb backend [json]` -----------------------------------------

namespace iplb {

json lb_backend_json(const Daemon &daemon)
{
	const auto &plane = daemon.lb();
	json problems = json::array();
	for (const auto &problem : plane.problems())
		problems.push_back(problem);
	json interfaces = json::array();
	for (const auto &ifname : plane.config().interfaces)
		interfaces.push_back(ifname);
	const auto view = plane.backend_view();
	if (!view)
		return {{"running", false},
			{"reason", daemon.role() != Role::backend ? "the role is not backend"
				   : plane.config().interfaces.empty()
					   ? "no 'lb interface'"
					   : "the backend program or its addresses are missing"},
			{"interfaces", interfaces},
			{"problems", problems}};
	json vips = json::array();
	for (const auto &vip : view->vips)
		vips.push_back({{"vip", lbcontrol::to_string(vip.vip)},
				{"inDatapath", vip.in_datapath},
				{"reason", vip.reason}});
	return {{"running", true},
		{"name", view->name},
		{"interfaces", interfaces},
		{"healthy", view->healthy && plane.healthy()},
		{"error", view->error},
		{"problems", problems},
		{"mptcpDirect", view->mptcp_direct},
		{"mptcpPorts", view->mptcp_ports},
		{"etcd",
		 {{"connected", view->etcd_connected},
		  {"registered", view->registered},
		  {"error", view->etcd_error},
		  {"lostSince", view->etcd_lost_since}}},
		{"vips", vips}};
}

std::string lb_backend_text(const json &backend)
{
	if (!backend.at("running").get<bool>())
		return "Backend: not running: " + backend.at("reason").get<std::string>() + "\n" +
		       (backend.at("problems").empty()
				? ""
				: "  " + joined(backend.at("problems")) + "\n");
	std::string out =
		"Backend " + backend.at("name").get<std::string>() + " on " +
		joined(backend.at("interfaces")) + ": " +
		(backend.at("healthy").get<bool>()
			 ? std::string("healthy")
			 : "NOT healthy: " + backend.at("error").get<std::string>() + " " +
				   (backend.at("problems").empty()
					    ? std::string()
					    : joined(backend.at("problems")))) +
		"\netcd: " +
		(backend.at("etcd").at("connected").get<bool>()
			 ? std::string("connected, registered")
			 : "unreachable: " + backend.at("etcd").at("error").get<std::string>() +
				   "; keeping every VIP") +
		"\n";
	if (backend.at("mptcpDirect").get<bool>())
		out += "MPTCP direct mode: on (C flag set, its address announced)\n";
	for (const auto &port : backend.at("mptcpPorts"))
		out += "MPTCP port mode: C flag set, announcing " + port.get<std::string>() + "\n";
	for (const auto &vip : backend.at("vips"))
		out += "  " + vip.at("vip").get<std::string>() +
		       (vip.at("inDatapath").get<bool>() ? "" : " (NOT in the datapath)") + ": " +
		       vip.at("reason").get<std::string>() + "\n";
	return out;
}

} // namespace iplb
