// SPDX-License-Identifier: GPL-2.0-or-later
// iplbctl srv6: the SRv6 backend (iplbd/netlink/seg6_routes), the same
// table as native kernel routes. On a host, a prefix's relay lists are
// segment lists of one seg6 multipath route; on a relay, its SIDs are
// seg6local routes. Everything is checked before the netlink socket is
// opened, so bad input changes nothing (exit 2); what the kernel refuses is
// exit 1 with its reason.
#include "cli.hpp"

#include "netlink/seg6_routes.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <set>

namespace iplbctl {
namespace {

using iplb::Ipv6;
using json = nlohmann::ordered_json;

const char prefix_usage[] = "usage: iplbctl srv6 prefix add|replace PREFIX segs SID[,SID...] "
			    "[weight N] [segs ...] dev DEV | prefix del PREFIX | prefix show "
			    "[PREFIX]";
const char sid_usage[] = "usage: iplbctl srv6 sid add SID action end|end.dx4|end.dx6 "
			 "[nh4 A.B.C.D|nh6 X:X::X] dev DEV | sid del SID | sid show";

std::vector<Ipv6> segment_list(const std::string &text)
{
	std::vector<Ipv6> segments;
	for (size_t start = 0;;) {
		const size_t comma = text.find(',', start);
		auto sid = iplb::parse_ipv6(text.substr(start, comma - start));
		if (!sid)
			throw UsageError("bad segment list '" + text + "': " + sid.error().message);
		segments.push_back(*sid);
		if (comma == std::string::npos)
			return segments;
		start = comma + 1;
	}
}

std::string segment_text(const std::vector<Ipv6> &segments)
{
	std::string out;
	for (const Ipv6 &s : segments)
		out += (out.empty() ? "" : ",") + iplb::to_string(s);
	return out;
}

// "segs A,B weight 2 segs C dev X": a weight belongs to the list before it.
iplb::Seg6Route parse_route(const iplb::Ipv4Prefix &prefix, std::span<const std::string> words)
{
	iplb::Seg6Route route;
	route.prefix = prefix;
	bool weighted = false, has_dev = false;
	for (const auto &[key, value] : keyword_pairs(words, {"segs", "weight", "dev"})) {
		if (key == "segs") {
			route.paths.push_back({.segments = segment_list(value)});
			weighted = false;
		} else if (key == "weight") {
			if (route.paths.empty() || weighted)
				throw UsageError(
					"'weight' follows the segment list it weighs, once");
			route.paths.back().weight =
				static_cast<uint8_t>(number_arg(key, value, 1, 255));
			weighted = true;
		} else if (key == "dev") {
			if (has_dev)
				throw UsageError("'dev' given twice");
			route.dev = value;
			has_dev = true;
		} else {
			throw UsageError("unknown keyword '" + key +
					 "': expected segs, weight or dev");
		}
	}
	if (route.paths.empty())
		throw UsageError("at least one 'segs SID[,SID...]' is needed");
	if (!has_dev)
		throw UsageError("'dev DEV' is needed");
	if (auto valid = iplb::validate(route); !valid)
		throw UsageError(valid.error().message);
	return route;
}

json route_json(const iplb::Seg6Route &route)
{
	json paths = json::array();
	for (const auto &path : route.paths) {
		json segs = json::array();
		for (const Ipv6 &s : path.segments)
			segs.push_back(iplb::to_string(s));
		paths.push_back({{"segs", segs}, {"weight", path.weight}});
	}
	return {{"prefix", iplb::to_string(route.prefix)}, {"dev", route.dev}, {"paths", paths}};
}

int prefix_command(const Options &o, std::span<const std::string> words)
{
	if (words.empty())
		throw UsageError(prefix_usage);
	const std::string &verb = words[0];
	if (verb == "add" || verb == "replace") {
		if (words.size() < 2)
			throw UsageError(prefix_usage);
		const auto route =
			parse_route(usage_take(iplb::parse_prefix(words[1])), words.subspan(2));
		auto routes = take(iplb::Seg6Routes::open());
		check(verb == "add" ? routes.add(route) : routes.replace(route));
		return 0;
	}
	if (verb == "del") {
		if (words.size() != 2)
			throw UsageError("usage: iplbctl srv6 prefix del PREFIX");
		const auto prefix = usage_take(iplb::parse_prefix(words[1]));
		auto routes = take(iplb::Seg6Routes::open());
		check(routes.remove(prefix));
		return 0;
	}
	if (verb == "show") {
		if (words.size() > 2)
			throw UsageError("usage: iplbctl srv6 prefix show [PREFIX]");
		std::optional<iplb::Ipv4Prefix> only;
		if (words.size() == 2)
			only = usage_take(iplb::parse_prefix(words[1]));
		auto routes = take(iplb::Seg6Routes::open());
		json out = json::array();
		for (const auto &route : take(routes.routes())) {
			if (only && route.prefix != *only)
				continue;
			if (o.json) {
				out.push_back(route_json(route));
				continue;
			}
			std::printf("%s dev %s\n", iplb::to_string(route.prefix).c_str(),
				    route.dev.c_str());
			for (const auto &path : route.paths) {
				std::printf("    segs %s", segment_text(path.segments).c_str());
				if (path.weight != 1)
					std::printf(" weight %u", path.weight);
				std::printf("\n");
			}
		}
		if (o.json)
			std::printf("%s\n", out.dump().c_str());
		return 0;
	}
	throw UsageError("unknown command 'srv6 prefix " + verb +
			 "': expected add, replace, del or show");
}

iplb::Seg6Sid parse_sid(const std::string &address, std::span<const std::string> words)
{
	iplb::Seg6Sid sid;
	sid.sid = usage_take(iplb::parse_ipv6(address));
	std::set<std::string> seen;
	for (const auto &[key, value] : keyword_pairs(words, {"action", "nh4", "nh6", "dev"})) {
		if (!seen.insert(key).second)
			throw UsageError("'" + key + "' given twice");
		if (key == "action")
			sid.action = usage_take(iplb::parse_seg6_action(value));
		else if (key == "nh4")
			sid.nh4 = usage_take(iplb::parse_ipv4(value));
		else if (key == "nh6")
			sid.nh6 = usage_take(iplb::parse_ipv6(value));
		else if (key == "dev")
			sid.dev = value;
		else
			throw UsageError("unknown keyword '" + key +
					 "': expected action, nh4, nh6 or dev");
	}
	if (!seen.count("action"))
		throw UsageError("'action end|end.dx4|end.dx6' is needed");
	if (!seen.count("dev"))
		throw UsageError("'dev DEV' is needed");
	if (seen.count("nh4") && sid.action != iplb::Seg6Action::end_dx4)
		throw UsageError("nh4 is for action end.dx4 only");
	if (seen.count("nh6") && sid.action != iplb::Seg6Action::end_dx6)
		throw UsageError("nh6 is for action end.dx6 only");
	if (auto valid = iplb::validate(sid); !valid)
		throw UsageError(valid.error().message);
	return sid;
}

int sid_command(const Options &o, std::span<const std::string> words)
{
	if (words.empty())
		throw UsageError(sid_usage);
	const std::string &verb = words[0];
	if (verb == "add") {
		if (words.size() < 2)
			throw UsageError(sid_usage);
		const auto sid = parse_sid(words[1], words.subspan(2));
		auto routes = take(iplb::Seg6Routes::open());
		check(routes.add_sid(sid));
		return 0;
	}
	if (verb == "del") {
		if (words.size() != 2)
			throw UsageError("usage: iplbctl srv6 sid del SID");
		const Ipv6 sid = usage_take(iplb::parse_ipv6(words[1]));
		auto routes = take(iplb::Seg6Routes::open());
		check(routes.remove_sid(sid));
		return 0;
	}
	if (verb == "show") {
		if (words.size() != 1)
			throw UsageError("usage: iplbctl srv6 sid show");
		auto routes = take(iplb::Seg6Routes::open());
		json out = json::array();
		for (const auto &sid : take(routes.sids())) {
			const std::string action(iplb::to_string(sid.action));
			std::string next_hop;
			if (sid.action == iplb::Seg6Action::end_dx4)
				next_hop = iplb::to_string(sid.nh4);
			else if (sid.action == iplb::Seg6Action::end_dx6)
				next_hop = iplb::to_string(sid.nh6);
			const char *nh_key =
				sid.action == iplb::Seg6Action::end_dx4 ? "nh4" : "nh6";
			if (o.json) {
				json entry = {{"sid", iplb::to_string(sid.sid)},
					      {"action", action}};
				if (!next_hop.empty())
					entry[nh_key] = next_hop;
				entry["dev"] = sid.dev;
				entry["counters"] = nullptr;
				if (sid.counters)
					entry["counters"] = {{"packets", sid.counters->packets},
							     {"bytes", sid.counters->bytes},
							     {"errors", sid.counters->errors}};
				out.push_back(entry);
				continue;
			}
			std::printf("%s action %s", iplb::to_string(sid.sid).c_str(),
				    action.c_str());
			if (!next_hop.empty())
				std::printf(" %s %s", nh_key, next_hop.c_str());
			std::printf(" dev %s", sid.dev.c_str());
			if (sid.counters)
				std::printf(": %llu packets, %llu bytes, %llu errors\n",
					    (unsigned long long)sid.counters->packets,
					    (unsigned long long)sid.counters->bytes,
					    (unsigned long long)sid.counters->errors);
			else
				std::printf(" (not counted)\n");
		}
		if (o.json)
			std::printf("%s\n", out.dump().c_str());
		return 0;
	}
	throw UsageError("unknown command 'srv6 sid " + verb + "': expected add, del or show");
}

} // namespace

int srv6_command(const Options &options, std::span<const std::string> words)
{
	if (words.empty())
		throw UsageError("usage: iplbctl srv6 prefix|sid|probe ... (see iplbctl --help)");
	if (words[0] == "prefix")
		return prefix_command(options, words.subspan(1));
	if (words[0] == "sid")
		return sid_command(options, words.subspan(1));
	if (words[0] == "probe") {
		if (words.size() != 1)
			throw UsageError("usage: iplbctl srv6 probe");
		auto routes = take(iplb::Seg6Routes::open());
		const auto probed = routes.probe();
		if (options.json)
			std::printf("%s\n", json{{"srv6", probed.has_value()},
						 {"reason", probed ? "" : probed.error().message}}
						    .dump()
						    .c_str());
		else if (probed)
			std::printf("SRv6 lightweight tunnels: supported\n");
		else
			std::fprintf(stderr, "iplbctl: %s\n", probed.error().message.c_str());
		return probed ? 0 : 1;
	}
	throw UsageError("unknown object 'srv6 " + words[0] + "': expected prefix, sid or probe");
}

} // namespace iplbctl
