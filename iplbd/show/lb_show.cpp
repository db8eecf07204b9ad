// SPDX-License-Identifier: GPL-2.0-or-later
// `show iplb lb controller [json]`: the load balancer's controller on this
// node, the text written from the JSON object.
#include "show/show.hpp"

#include <cstdio>

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
		  {"malformed", view->malformed}}}};
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
