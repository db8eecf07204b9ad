// SPDX-License-Identifier: GPL-2.0-or-later
// `show iplb lb mptcp [json]`: the text is written from the JSON object, so
// that the two cannot disagree.
#include "daemon/daemon.hpp"
#include "mptcp/token_store.hpp"
#include "show/show.hpp"

#include <cstdio>

namespace iplb {

using json = nlohmann::ordered_json;

namespace {

std::string comma_joined(const json &list)
{
	std::string out;
	for (const auto &item : list)
		out += (out.empty() ? "" : ", ") + item.get<std::string>();
	return out;
}

json redis_json(const LbPlaneConfig &config, bool connected, const std::string &error)
{
	json endpoints = json::array();
	for (const auto &endpoint : config.redis)
		endpoints.push_back(endpoint);
	return {{"endpoints", endpoints}, {"connected", connected}, {"error", error}};
}

json mux_json(const LbPlane &plane, const mptcp::TokenMirrorView &view, size_t shown)
{
	json out = {{"role", "mux"},
		    {"running", true},
		    {"redis", redis_json(plane.config(), view.redis_connected, view.redis_error)}};
	json entries = json::array();
	size_t tokens = 0, subflows = 0;
	json vips = json::array();
	json ports = json::array();
	if (const MuxMaps *maps = plane.mux_maps()) {
		if (auto all = maps->tokens(); all) {
			tokens = all->size();
			for (const auto &[token, dip] : *all) {
				if (entries.size() >= shown)
					break;
				entries.push_back({{"token", mptcp::token_hex(token)},
						   {"dip", to_string(dip)}});
			}
		}
		if (auto all = maps->subflows(); all)
			subflows = all->size();
		if (auto installed = maps->vips(); installed)
			for (const auto &vip : *installed) {
				auto c = maps->vip_counters(vip.id);
				vips.push_back({{"vip", to_string(vip.key)},
						{"mode", to_string(vip.map.mptcp)},
						{"joins", c ? c->mptcp_joins : 0},
						{"subflowPackets", c ? c->mptcp_subflow : 0},
						{"unknownToken", c ? c->mptcp_unknown_token : 0},
						{"portPackets", c ? c->mptcp_port : 0}});
			}
		if (auto all = maps->mptcp_ports(); all)
			for (const auto &[port, dip] : *all)
				ports.push_back({{"address", to_string(port.address)},
						 {"port", port.port},
						 {"dip", to_string(dip)}});
	}
	out["portMap"] = ports;
	out["tokens"] = tokens;
	out["tokenMap"] = entries;
	out["subflows"] = subflows;
	out["vips"] = vips;
	out["counters"] = {{"fullReads", view.full_reads},
			   {"updates", view.updates},
			   {"malformed", view.malformed},
			   {"staleRemoved", view.stale_removed},
			   {"subflowUpdates", view.subflow_updates},
			   {"subflowsRead", view.subflows_read},
			   {"misses", view.misses},
			   {"missFound", view.miss_found},
			   {"missUnknown", view.miss_unknown},
			   {"missUnanswered", view.miss_unanswered},
			   {"replayed", view.replayed},
			   {"replayErrors", view.replay_errors},
			   {"parkedExpired", view.parked_expired},
			   {"dataplaneErrors", view.dataplane_errors}};
	return out;
}

// A mux's VIPs (mode and counters) and its port map, as text.
std::string vips_text(const json &mptcp)
{
	char line[200];
	std::snprintf(line, sizeof(line), "%-40s %-6s %10s %14s %13s %12s\n", "VIP", "Mode",
		      "Joins", "Subflow pkts", "Unknown tok", "Port pkts");
	std::string out = line;
	for (const auto &vip : mptcp.at("vips")) {
		std::snprintf(
			line, sizeof(line), "%-40s %-6s %10llu %14llu %13llu %12llu\n",
			vip.at("vip").get<std::string>().c_str(),
			vip.at("mode").get<std::string>().c_str(),
			static_cast<unsigned long long>(vip.at("joins").get<uint64_t>()),
			static_cast<unsigned long long>(vip.at("subflowPackets").get<uint64_t>()),
			static_cast<unsigned long long>(vip.at("unknownToken").get<uint64_t>()),
			static_cast<unsigned long long>(vip.at("portPackets").get<uint64_t>()));
		out += line;
	}
	for (const auto &entry : mptcp.at("portMap"))
		out += "  port " + entry.at("address").get<std::string>() + ":" +
		       std::to_string(entry.at("port").get<uint32_t>()) + " -> " +
		       entry.at("dip").get<std::string>() + "\n";
	return out;
}

json backend_json(const LbPlane &plane, const mptcp::TokenAgentView &view)
{
	json collisions = json::array();
	for (const auto &[token, holder] : view.collisions)
		collisions.push_back({{"token", mptcp::token_hex(token)}, {"holder", holder}});
	return {{"role", "backend"},
		{"running", true},
		{"redis", redis_json(plane.config(), view.redis_connected, view.redis_error)},
		{"tokens", view.tokens},
		{"subflows", view.subflows},
		{"pending", view.pending},
		{"collisions", collisions},
		{"counters",
		 {{"published", view.published},
		  {"withdrawn", view.withdrawn},
		  {"reconciles", view.reconciles},
		  {"staleWithdrawn", view.stale_withdrawn},
		  {"subflowsPublished", view.subflows_published},
		  {"subflowsWithdrawn", view.subflows_withdrawn},
		  {"staleSubflowsWithdrawn", view.stale_subflows_withdrawn},
		  {"malformedEvents", view.malformed_events},
		  {"lostEvents", view.lost_events}}}};
}

} // namespace

json lb_mptcp_json(const Daemon &daemon, size_t shown)
{
	const auto &plane = daemon.lb();
	if (auto view = plane.token_mirror_view())
		return mux_json(plane, *view, shown);
	// Port mode needs no Redis: a mux without the token mirror still shows
	// its VIPs' modes, counters and port map.
	if (daemon.role() == Role::mux && plane.mux_maps()) {
		auto out = mux_json(plane, mptcp::TokenMirrorView{}, shown);
		out["running"] = false;
		out["reason"] =
			"no 'lb redis endpoints' (token mode needs them; port mode does not)";
		return out;
	}
	if (auto view = plane.token_agent_view())
		return backend_json(plane, *view);
	const Role role = daemon.role();
	return {{"role", role == Role::mux	 ? "mux"
			 : role == Role::backend ? "backend"
						 : "host"},
		{"running", false},
		{"reason",
		 role != Role::mux && role != Role::backend ? "the role is neither mux nor backend"
		 : plane.config().redis.empty()
			 ? "no 'lb redis endpoints'"
			 : "the role's program or agent is not running (show iplb lb " +
				   std::string(role == Role::mux ? "mux" : "backend") + ")"}};
}

std::string lb_mptcp_text(const json &mptcp)
{
	if (!mptcp.at("running").get<bool>()) {
		std::string out =
			"MPTCP tokens: not running: " + mptcp.at("reason").get<std::string>() +
			"\n";
		if (mptcp.contains("vips"))
			out += vips_text(mptcp);
		return out;
	}
	const auto &redis = mptcp.at("redis");
	std::string out = "MPTCP tokens (" + mptcp.at("role").get<std::string>() + "), Redis " +
			  comma_joined(redis.at("endpoints")) + ": " +
			  (redis.at("connected").get<bool>()
				   ? std::string("connected")
				   : "unreachable: " + redis.at("error").get<std::string>()) +
			  "\n";
	const auto &c = mptcp.at("counters");
	const auto n = [&](const char *key) {
		return std::to_string(c.at(key).get<uint64_t>());
	};
	if (mptcp.at("role") == "backend") {
		out += "Connections held: " + std::to_string(mptcp.at("tokens").get<size_t>()) +
		       ", their join subflows: " +
		       std::to_string(mptcp.at("subflows").get<size_t>()) +
		       ", changes not yet in Redis: " +
		       std::to_string(mptcp.at("pending").get<size_t>()) + "\n";
		out += "Published " + n("published") + ", withdrawn " + n("withdrawn") +
		       ", reconciles " + n("reconciles") + " (stale withdrawn " +
		       n("staleWithdrawn") + "), events malformed " + n("malformedEvents") +
		       ", lost " + n("lostEvents") + "\n";
		out += "Join subflows published " + n("subflowsPublished") + ", withdrawn " +
		       n("subflowsWithdrawn") + " (stale " + n("staleSubflowsWithdrawn") + ")\n";
		for (const auto &collision : mptcp.at("collisions"))
			out += "Collision: token " + collision.at("token").get<std::string>() +
			       " is held by " + collision.at("holder").get<std::string>() +
			       " (this connection's joins cannot reach it)\n";
		return out;
	}
	out += "Token map: " + std::to_string(mptcp.at("tokens").get<size_t>()) +
	       " tokens; subflow map: " + std::to_string(mptcp.at("subflows").get<size_t>()) +
	       " subflows\n";
	out += "Full reads " + n("fullReads") + ", updates " + n("updates") + ", malformed " +
	       n("malformed") + ", stale removed " + n("staleRemoved") + "\n";
	out += "Backends' join subflows: updates " + n("subflowUpdates") + ", read " +
	       n("subflowsRead") + "\n";
	out += "Misses " + n("misses") + ": found " + n("missFound") + ", unknown " +
	       n("missUnknown") + ", unanswered (Redis down) " + n("missUnanswered") + "\n";
	out += "Dropped joins sent again " + n("replayed") + " (could not: " + n("replayErrors") +
	       "; no token in time: " + n("parkedExpired") + ")\n";
	out += vips_text(mptcp);
	for (const auto &entry : mptcp.at("tokenMap"))
		out += "  token " + entry.at("token").get<std::string>() + " -> " +
		       entry.at("dip").get<std::string>() + "\n";
	return out;
}

} // namespace iplb
