// SPDX-License-Identifier: GPL-2.0-or-later
// iplbctl's datapath objects: attach/detach the eBPF programs, the host's
// prefix table (prefix add|del|show|flush, stats, config) and the relay's
// addresses and allowed tunnel sources (relay add|del|source|show).
// Everything goes through the maps pinned for the instance (iplbd/datapath),
// so a change made here is a change to the running datapath, and a bad
// command changes nothing.
#include "cli.hpp"

#include "datapath/bpf_programs.hpp"
#include "datapath/bpf_route_table.hpp"
#include "datapath/route_record.hpp"
#include "netlink/interface_addresses.hpp"

#include "pipeline/table_format.hpp"

#include "iplb_host_layout.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <utility>
#include <variant>

namespace iplbctl {
namespace {

using iplb::IpAddress;
using iplb::IpPrefix;
using iplb::Ipv4;
using json = nlohmann::ordered_json;

iplb::PinDir prepared(const Options &o)
{
	return take(iplb::prepare_pin_dir(o.pin_root, o.instance));
}

iplb::PinDir existing(const Options &o)
{
	return take(iplb::existing_pin_dir(o.pin_root, o.instance));
}

IpPrefix prefix_arg(const std::string &text)
{
	return usage_take(iplb::parse_ip_prefix(text));
}

IpAddress address_arg(const std::string &text)
{
	return usage_take(iplb::parse_ip_address(text));
}

// A prefix, or an address standing for its /32 or /128.
IpPrefix source_arg(const std::string &text)
{
	if (text.find('/') != std::string::npos)
		return prefix_arg(text);
	const IpAddress address = address_arg(text);
	if (const Ipv4 *v4 = std::get_if<Ipv4>(&address))
		return iplb::Ipv4Prefix{*v4, 32};
	return iplb::Ipv6Prefix{std::get<iplb::Ipv6>(address), 128};
}

// Keyword grammar, iproute2 style: "relay A,B weight 2 relay C encap ipip
// mode weighted"; a weight belongs to the relay list before it.
iplb::RouteSpec parse_route(const IpPrefix &prefix, std::span<const std::string> words)
{
	iplb::RouteSpec spec;
	spec.prefix = prefix;
	std::set<std::string> seen;
	bool weighted = false; // the last list has its weight
	for (const auto &[key, value] :
	     keyword_pairs(words, {"relay", "weight", "encap", "mode", "mtu"})) {
		if (key != "relay" && key != "weight" && !seen.insert(key).second)
			throw UsageError("'" + key + "' given twice");
		if (key == "relay") {
			auto list = iplb::parse_relay_list(value);
			if (!list)
				throw UsageError(list.error().message);
			spec.lists.push_back(*list);
			weighted = false;
		} else if (key == "weight") {
			if (spec.lists.empty() || weighted)
				throw UsageError("'weight' follows the relay list it weighs, once");
			spec.lists.back().weight =
				static_cast<uint16_t>(number_arg(key, value, 1, 65535));
			weighted = true;
		} else if (key == "encap") {
			auto encap = iplb::parse_encap(value);
			if (!encap)
				throw UsageError(encap.error().message);
			spec.encap = *encap;
		} else if (key == "mode") {
			auto mode = iplb::parse_selection(value);
			if (!mode)
				throw UsageError(mode.error().message);
			spec.selection = *mode;
		} else if (key == "mtu") {
			const unsigned long mtu = number_arg(key, value, 576, 65535);
			spec.mtu = static_cast<uint16_t>(mtu);
		} else {
			throw UsageError("unknown keyword '" + key +
					 "': expected relay, weight, encap, mode or mtu");
		}
	}
	if (spec.lists.empty())
		throw UsageError("at least one 'relay ADDR[,ADDR...]' is needed");
	return spec;
}

void print_route(const iplb::RouteSpec &spec)
{
	std::printf("%s encap %s mode %s", iplb::to_string(spec.prefix).c_str(),
		    std::string(iplb::to_string(spec.encap)).c_str(),
		    std::string(iplb::to_string(spec.selection)).c_str());
	if (spec.mtu)
		std::printf(" mtu %u", spec.mtu);
	std::printf("\n");
	for (const auto &list : spec.lists) {
		std::printf("    relay %s", iplb::to_string(list).c_str());
		if (list.weight != 1)
			std::printf(" weight %u", list.weight);
		std::printf("\n");
	}
}

int prefix_command(const Options &o, std::span<const std::string> words)
{
	if (words.empty())
		throw UsageError("usage: iplbctl prefix add|replace|del|show|flush ...");
	const std::string verb = words[0];
	if (verb == "add" || verb == "replace") {
		if (words.size() < 2)
			throw UsageError(
				"usage: iplbctl prefix " + verb +
				" PREFIX relay ADDR[,ADDR...] [weight N] "
				"[relay ...] [encap ipip|gre|gue] [mode hash|weighted|flow|round-robin] "
				"[mtu N]");
		const iplb::RouteSpec spec = parse_route(prefix_arg(words[1]), words.subspan(2));
		// Refused before anything is opened: bad input changes nothing.
		if (auto valid = iplb::encode_route(spec, 0); !valid)
			throw UsageError(valid.error().message);
		auto maps = take(iplb::HostMaps::from_pins(existing(o)));
		iplb::BpfRouteTable table(maps);
		if (verb == "add" && take(table.slot_for(spec.prefix)).second)
			throw CommandError(iplb::to_string(spec.prefix) +
					   " is already in the table (prefix replace changes it)");
		check(table.put(spec));
		return 0;
	}
	if (verb == "del") {
		if (words.size() != 2)
			throw UsageError("usage: iplbctl prefix del PREFIX");
		const IpPrefix prefix = prefix_arg(words[1]);
		auto maps = take(iplb::HostMaps::from_pins(existing(o)));
		check(maps.delete_route(prefix));
		return 0;
	}
	if (verb == "flush") {
		if (words.size() != 1)
			throw UsageError("usage: iplbctl prefix flush");
		auto maps = take(iplb::HostMaps::from_pins(existing(o)));
		for (const auto &[prefix, record] : take(maps.routes()))
			check(maps.delete_route(prefix));
		return 0;
	}
	if (verb == "show") {
		if (words.size() > 2)
			throw UsageError("usage: iplbctl prefix show [PREFIX]");
		std::optional<IpPrefix> only;
		if (words.size() == 2)
			only = prefix_arg(words[1]);
		auto maps = take(iplb::HostMaps::from_pins(existing(o)));
		json out = json::array();
		for (const auto &[prefix, record] : take(maps.routes())) {
			if (only && prefix != *only)
				continue;
			const auto spec = take(iplb::decode_route(prefix, record));
			if (o.json)
				out.push_back(iplb::route_json(spec));
			else
				print_route(spec);
		}
		if (o.json)
			std::printf("%s\n", out.dump().c_str());
		return 0;
	}
	throw UsageError("unknown command 'prefix " + verb +
			 "': expected add, replace, del, show or flush");
}

int stats_command(const Options &o, std::span<const std::string> words)
{
	if (words.size() > 1)
		throw UsageError("usage: iplbctl stats [PREFIX]");
	std::optional<IpPrefix> only;
	if (words.size() == 1)
		only = prefix_arg(words[0]);
	auto maps = take(iplb::HostMaps::from_pins(existing(o)));
	json out = json::array();
	for (const auto &[prefix, record] : take(maps.routes())) {
		if (only && prefix != *only)
			continue;
		const auto spec = take(iplb::decode_route(prefix, record));
		const auto c = take(maps.route_counters(record.id));
		json lists = json::array();
		if (!o.json)
			std::printf(
				"%s: %llu packets, %llu bytes; bypassed: %llu bad route, %llu no "
				"room, %llu too big, %llu no source, %llu stale (owner gone); "
				"%llu sent without FIB "
				"redirect; %llu MSS "
				"clamped; %llu flows assigned (%llu not remembered)\n",
				iplb::to_string(prefix).c_str(), (unsigned long long)c.packets,
				(unsigned long long)c.bytes,
				(unsigned long long)c.bypass[IPLB_BYPASS_BAD_ROUTE],
				(unsigned long long)c.bypass[IPLB_BYPASS_NO_ROOM],
				(unsigned long long)c.bypass[IPLB_BYPASS_TOO_BIG],
				(unsigned long long)c.bypass[IPLB_BYPASS_NO_SOURCE],
				(unsigned long long)c.bypass[IPLB_BYPASS_STALE],
				(unsigned long long)c.fib_fallback,
				(unsigned long long)c.mss_clamped,
				(unsigned long long)c.flows_assigned,
				(unsigned long long)c.flows_unremembered);
		for (uint32_t i = 0; i < spec.lists.size(); i++) {
			const auto l = take(maps.list_counters(record.id, i));
			if (o.json)
				lists.push_back({{"relays", iplb::to_string(spec.lists[i])},
						 {"packets", l.packets},
						 {"bytes", l.bytes}});
			else
				std::printf("    relay %s: %llu packets, %llu bytes\n",
					    iplb::to_string(spec.lists[i]).c_str(),
					    (unsigned long long)l.packets,
					    (unsigned long long)l.bytes);
		}
		if (o.json)
			out.push_back({{"prefix", iplb::to_string(prefix)},
				       {"packets", c.packets},
				       {"bytes", c.bytes},
				       {"bypass",
					{{"badRoute", c.bypass[IPLB_BYPASS_BAD_ROUTE]},
					 {"noRoom", c.bypass[IPLB_BYPASS_NO_ROOM]},
					 {"tooBig", c.bypass[IPLB_BYPASS_TOO_BIG]},
					 {"noSource", c.bypass[IPLB_BYPASS_NO_SOURCE]},
					 {"stale", c.bypass[IPLB_BYPASS_STALE]}}},
				       {"fibFallback", c.fib_fallback},
				       {"mssClamped", c.mss_clamped},
				       {"flowsAssigned", c.flows_assigned},
				       {"flowsUnremembered", c.flows_unremembered},
				       {"lists", lists}});
	}
	if (o.json)
		std::printf("%s\n", out.dump().c_str());
	return 0;
}

int config_command(const Options &o, std::span<const std::string> words)
{
	if (words.empty() || (words.size() == 1 && words[0] == "show")) {
		auto maps = take(iplb::HostMaps::from_pins(existing(o)));
		const iplb::HostConfig config = take(maps.config());
		const std::string source = config.source ? iplb::to_string(*config.source) : "none";
		const std::string source6 =
			config.source6 ? iplb::to_string(*config.source6) : "none";
		if (o.json)
			std::printf("%s\n", json({{"source", source},
						  {"source6", source6},
						  {"fibRedirect", config.fib_redirect},
						  {"flowIdleMs", config.flow_idle_ms},
						  {"layout", IPLB_HOST_LAYOUT_VERSION}})
						    .dump()
						    .c_str());
		else
			std::printf("source %s source6 %s fib-redirect %s flow-idle %u%s\n",
				    source.c_str(), source6.c_str(),
				    config.fib_redirect ? "on" : "off", config.flow_idle_ms / 1000,
				    config.flow_idle_ms % 1000 ? "(rounded down)" : "");
		return 0;
	}
	// Every word is checked before the running config is read: a bad
	// command changes nothing.
	using Change = std::function<void(iplb::HostConfig &)>;
	std::vector<Change> changes;
	std::set<std::string> seen;
	for (const auto &[key, value] :
	     keyword_pairs(words, {"source", "source6", "fib-redirect", "flow-idle"})) {
		if (!seen.insert(key).second)
			throw UsageError("'" + key + "' given twice");
		if (key == "source") {
			std::optional<Ipv4> source;
			if (value != "none") {
				auto v4 = iplb::parse_ipv4(value);
				if (!v4)
					throw UsageError(v4.error().message +
							 " (source6 for IPv6)");
				source = *v4;
			}
			changes.push_back([source](auto &c) { c.source = source; });
		} else if (key == "source6") {
			std::optional<iplb::Ipv6> source6;
			if (value != "none") {
				auto v6 = iplb::parse_ipv6(value);
				if (!v6)
					throw UsageError(v6.error().message);
				source6 = *v6;
			}
			changes.push_back([source6](auto &c) { c.source6 = source6; });
		} else if (key == "fib-redirect") {
			if (value != "on" && value != "off")
				throw UsageError("fib-redirect must be on or off, not '" + value +
						 "'");
			const bool on = value == "on";
			changes.push_back([on](auto &c) { c.fib_redirect = on; });
		} else if (key == "flow-idle") {
			const auto ms = static_cast<uint32_t>(
				number_arg(key, value, 1, 86400, "seconds") * 1000);
			changes.push_back([ms](auto &c) { c.flow_idle_ms = ms; });
		} else {
			throw UsageError("unknown keyword '" + key +
					 "': expected source, source6, fib-redirect or flow-idle");
		}
	}
	auto maps = take(iplb::HostMaps::from_pins(existing(o)));
	iplb::HostConfig config = take(maps.config());
	for (const Change &change : changes)
		change(config);
	check(maps.set_config(config));
	return 0;
}

const char *protocol_name(uint8_t protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_ICMP:
		return "icmp";
	default:
		return nullptr;
	}
}

int flow_command(const Options &o, std::span<const std::string> words)
{
	if (words.empty() || (words[0] != "show" && words[0] != "flush") ||
	    (words[0] == "flush" && words.size() != 1) || words.size() > 2)
		throw UsageError("usage: iplbctl flow show [PREFIX] | flow flush");
	std::optional<IpPrefix> only;
	if (words.size() == 2)
		only = prefix_arg(words[1]);
	auto maps = take(iplb::HostMaps::from_pins(existing(o)));
	if (words[0] == "flush") {
		check(maps.forget_flows());
		return 0;
	}
	// A flow names its route by counter slot and its list by key: show
	// both as the table has them now (a list since removed shows as such).
	std::map<uint32_t, std::pair<IpPrefix, iplb::RouteSpec>> by_id;
	for (const auto &[prefix, record] : take(maps.routes()))
		by_id.emplace(record.id,
			      std::pair(prefix, take(iplb::decode_route(prefix, record))));
	json out = json::array();
	for (const iplb::FlowEntry &flow : take(maps.flows())) {
		const auto route = by_id.find(flow.route_id);
		if (only && (route == by_id.end() || route->second.first != *only))
			continue;
		std::string relays = "(gone)";
		if (route != by_id.end())
			for (const auto &list : route->second.second.lists)
				if (iplb::relay_list_key(list) == flow.list_key)
					relays = iplb::to_string(list);
		const char *name = protocol_name(flow.protocol);
		const std::string protocol = name ? name : std::to_string(flow.protocol);
		const std::string prefix =
			route != by_id.end() ? iplb::to_string(route->second.first) : "(gone)";
		const uint64_t idle_ms = flow.idle_ns / 1000000;
		if (o.json) {
			out.push_back({{"source", iplb::to_string(flow.source)},
				       {"sourcePort", flow.source_port},
				       {"destination", iplb::to_string(flow.destination)},
				       {"destinationPort", flow.destination_port},
				       {"protocol", protocol},
				       {"prefix", prefix},
				       {"relays", relays},
				       {"idleMs", idle_ms}});
		} else {
			// [v6]:port, as ss and iproute2 write it.
			const auto endpoint = [](const IpAddress &a) {
				return iplb::is_v6(a) ? "[" + iplb::to_string(a) + "]"
						      : iplb::to_string(a);
			};
			std::printf("%s %s:%u -> %s:%u via %s (%s), idle %llu.%03llus\n",
				    protocol.c_str(), endpoint(flow.source).c_str(),
				    flow.source_port, endpoint(flow.destination).c_str(),
				    flow.destination_port, relays.c_str(), prefix.c_str(),
				    (unsigned long long)(idle_ms / 1000),
				    (unsigned long long)(idle_ms % 1000));
		}
	}
	if (o.json)
		std::printf("%s\n", out.dump().c_str());
	return 0;
}

// relay source add|del PREFIX...: the outer sources tunnels are accepted
// from. All or nothing: every prefix is parsed (and, to delete, found) before
// the first change, and an add the relay refuses takes back the others.
int relay_source_command(const Options &o, std::span<const std::string> words)
{
	if (words.size() < 2 || (words[0] != "add" && words[0] != "del"))
		throw UsageError("usage: iplbctl relay source add|del PREFIX [PREFIX...]");
	std::vector<IpPrefix> prefixes;
	for (const std::string &word : words.subspan(1))
		prefixes.push_back(source_arg(word));
	std::sort(prefixes.begin(), prefixes.end());
	prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
	auto maps = take(iplb::RelayMaps::from_pins(existing(o)));
	const auto present = take(maps.sources());
	const auto allowed = [&present](const IpPrefix &p) {
		return std::binary_search(present.begin(), present.end(), p);
	};
	if (words[0] == "del") {
		for (const IpPrefix &p : prefixes)
			if (!allowed(p))
				throw CommandError(iplb::to_string(p) +
						   " is not an allowed tunnel source here");
		for (const IpPrefix &p : prefixes)
			check(maps.remove_source(p));
		return 0;
	}
	std::vector<IpPrefix> added;
	for (const IpPrefix &p : prefixes) {
		if (allowed(p))
			continue;
		if (auto s = maps.add_source(p); !s) {
			for (const IpPrefix &q : added)
				(void)maps.remove_source(q);
			throw CommandError(s.error().message +
					   (added.empty() ? "" : " (none of the prefixes added)"));
		}
		added.push_back(p);
	}
	return 0;
}

int relay_command(const Options &o, std::span<const std::string> words)
{
	if (words.empty())
		throw UsageError("usage: iplbctl relay add|del|source|show ...");
	const std::string verb = words[0];
	if (verb == "source")
		return relay_source_command(o, words.subspan(1));
	if (verb == "add" || verb == "del") {
		if (words.size() == 3 && words[1] == "dev") {
			// Every global address of the interface: a relay's loopback.
			const auto addresses = take(iplb::interface_addresses(words[2]));
			if (addresses.empty())
				throw CommandError("no global address on " + words[2]);
			auto maps = take(iplb::RelayMaps::from_pins(existing(o)));
			const auto present = take(maps.locals());
			for (const IpAddress &address : addresses) {
				if (verb == "add")
					check(maps.add_local(address));
				else if (std::find(present.begin(), present.end(), address) !=
					 present.end())
					check(maps.remove_local(address));
			}
			return 0;
		}
		if (words.size() != 2)
			throw UsageError("usage: iplbctl relay " + verb + " ADDR | relay " + verb +
					 " dev DEV");
		const IpAddress address = address_arg(words[1]);
		auto maps = take(iplb::RelayMaps::from_pins(existing(o)));
		check(verb == "add" ? maps.add_local(address) : maps.remove_local(address));
		return 0;
	}
	if (verb == "show") {
		if (words.size() != 1)
			throw UsageError("usage: iplbctl relay show");
		auto maps = take(iplb::RelayMaps::from_pins(existing(o)));
		const auto locals = take(maps.locals());
		const auto sources = take(maps.sources());
		const auto c = take(maps.counters());
		if (o.json) {
			json addresses = json::array(), allowed = json::array();
			for (const IpAddress &a : locals)
				addresses.push_back(iplb::to_string(a));
			for (const IpPrefix &p : sources)
				allowed.push_back(iplb::to_string(p));
			std::printf("%s\n", json({{"addresses", addresses},
						  {"sources", allowed},
						  {"decapsulated", c.decapsulated},
						  {"bytes", c.bytes},
						  {"refusedSource", c.refused_source},
						  {"notLocal", c.not_local},
						  {"fragments", c.fragments},
						  {"malformed", c.malformed}})
						    .dump()
						    .c_str());
		} else {
			for (const IpAddress &a : locals)
				std::printf("relay %s\n", iplb::to_string(a).c_str());
			for (const IpPrefix &p : sources)
				std::printf("tunnel source %s\n", iplb::to_string(p).c_str());
			if (sources.empty())
				std::printf("no tunnel sources allowed: every tunnel is refused "
					    "(iplbctl relay source add PREFIX)\n");
			std::printf("decapsulated %llu packets, %llu bytes; refused %llu from "
				    "sources not allowed; passed on: %llu not local, %llu "
				    "fragments, %llu malformed\n",
				    (unsigned long long)c.decapsulated, (unsigned long long)c.bytes,
				    (unsigned long long)c.refused_source,
				    (unsigned long long)c.not_local,
				    (unsigned long long)c.fragments,
				    (unsigned long long)c.malformed);
		}
		return 0;
	}
	throw UsageError("unknown command 'relay " + verb + "': expected add, del, source or show");
}

int attach_command(const Options &o, std::span<const std::string> words)
{
	if (words.size() >= 2 && (words[0] == "mux" || words[0] == "backend"))
		return attach_lb(o, words[0], words.subspan(1));
	if (words.size() < 2 || (words[0] != "host" && words[0] != "relay"))
		throw UsageError("usage: iplbctl attach host|relay|mux|backend DEV [DEV...]");
	const auto dir = prepared(o);
	if (words[0] == "host") {
		auto program = take(iplb::HostProgram::open(dir));
		for (const auto &dev : words.subspan(1))
			check(program.attach(dev));
	} else {
		auto program = take(iplb::RelayProgram::open(dir));
		for (const auto &dev : words.subspan(1))
			check(program.attach(dev));
	}
	return 0;
}

int detach_command(const Options &o, std::span<const std::string> words)
{
	if (words.empty())
		throw UsageError("usage: iplbctl detach DEV [DEV...]");
	const auto dir = existing(o);
	const auto attached = take(iplb::attached_interfaces(dir));
	for (const auto &dev : words) {
		bool found = false;
		for (const auto &a : attached)
			if (a.ifname == dev) {
				check(iplb::detach(dir, a));
				found = true;
			}
		if (!found)
			throw CommandError("nothing of instance '" + o.instance + "' on " + dev);
	}
	return 0;
}

int purge_command(const Options &o, std::span<const std::string> words)
{
	if (!words.empty())
		throw UsageError("usage: iplbctl purge");
	check(iplb::purge(existing(o)));
	return 0;
}

int show_command(const Options &o, std::span<const std::string> words)
{
	if (!words.empty())
		throw UsageError("usage: iplbctl show");
	const auto dir = existing(o);
	const auto attached = take(iplb::attached_interfaces(dir));
	// What the kernel runs, not only what is pinned.
	std::vector<std::optional<bool>> runs;
	for (const auto &a : attached) {
		auto r = iplb::running(dir, a);
		runs.push_back(r ? *r : std::nullopt);
	}
	json devices = json::array();
	for (size_t i = 0; i < attached.size(); i++)
		devices.push_back({{"dev", attached[i].ifname},
				   {"program", attached[i].program},
				   {"hook", attached[i].program == "mux" ? "xdp"
					    : attached[i].ingress	 ? "tcx-ingress"
									 : "tcx-egress"},
				   {"running", runs[i] ? json(*runs[i]) : json(nullptr)}});
	auto host = iplb::HostMaps::from_pins(dir);
	const size_t prefixes = host ? take(host->routes()).size() : 0;
	// The owner's lease: seconds left (negative: passed), none without one.
	std::optional<double> lease;
	if (host)
		if (auto owner = take(host->owner_lease()))
			lease = std::chrono::duration<double>(
					owner->remaining(iplb::monotonic_now()))
					.count();
	if (o.json) {
		json out = {{"instance", o.instance},
			    {"pins", dir.path},
			    {"attached", devices},
			    {"prefixes", prefixes}};
		if (host)
			out["leaseSeconds"] = lease ? json(*lease) : json(nullptr);
		std::printf("%s\n", out.dump().c_str());
		return 0;
	}
	std::printf("instance %s (pins in %s)\n", o.instance.c_str(), dir.path.c_str());
	for (size_t i = 0; i < attached.size(); i++)
		std::printf("    %s: %s program, %s%s\n", attached[i].ifname.c_str(),
			    attached[i].program.c_str(),
			    attached[i].program == "mux" ? "XDP"
			    : attached[i].ingress	 ? "TCX ingress"
							 : "TCX egress",
			    !runs[i] ? " (not an interface of this network namespace: -N NS tells)"
			    : *runs[i] ? ""
				       : " (pinned, but the kernel does not run it there)");
	if (host)
		std::printf("    %zu prefixes\n", prefixes);
	if (lease && *lease >= 0)
		std::printf("    kept by its owner (iplbd): lease ends in %.0f s\n", *lease);
	else if (lease)
		std::printf("    STALE: its owner's lease ended %.0f s ago; packets go out "
			    "unencapsulated\n",
			    -*lease);
	return 0;
}

} // namespace

namespace {

// The datapath's objects and their commands: one list for dispatch and for
// telling a datapath object from the others.
using Command = int (*)(const Options &, std::span<const std::string>);
constexpr std::pair<std::string_view, Command> commands[] = {
	{"prefix", prefix_command}, {"stats", stats_command},	{"config", config_command},
	{"relay", relay_command},   {"attach", attach_command}, {"detach", detach_command},
	{"show", show_command},	    {"purge", purge_command},	{"flow", flow_command},
};

} // namespace

int datapath_command(const Options &o, const std::string &object,
		     std::span<const std::string> words)
{
	for (const auto &[name, command] : commands)
		if (name == object)
			return command(o, words);
	throw UsageError("unknown object '" + object + "' (see iplbctl --help)");
}

bool is_datapath_object(const std::string &object)
{
	for (const auto &[name, command] : commands)
		if (name == object)
			return true;
	return false;
}

} // namespace iplbctl
