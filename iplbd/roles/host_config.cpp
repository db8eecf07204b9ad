// SPDX-License-Identifier: GPL-2.0-or-later
#include "roles/host_config.hpp"

#include "iplb_host_layout.h"

#include <net/if.h>

#include <algorithm>
#include <charconv>

namespace iplb {

namespace {

template <typename T, typename Parse>
std::optional<T> parse_or_none(std::string_view text, Parse parse, const std::string &what,
			       std::optional<Error> &error)
{
	if (text.empty())
		return std::nullopt;
	auto parsed = parse(text);
	if (!parsed) {
		if (!error)
			error = Error{what + ": " + parsed.error().message};
		return std::nullopt;
	}
	return *parsed;
}

} // namespace

void HostPlaneConfigBuilder::path(unsigned k, std::string_view metric, std::string_view planner,
				  unsigned max_relays)
{
	TableOptions &d = config_.pipeline.defaults;
	d.k = k;
	if (auto m = parse_or_none<Metric>(metric, parse_metric, "path metric", error_))
		d.metric = *m;
	if (auto p = parse_or_none<Planner>(planner, parse_planner, "path planner", error_))
		d.planner = *p;
	config_.pipeline.max_relays = max_relays;
}

void HostPlaneConfigBuilder::datapath(std::string_view engine, std::string_view instance,
				      std::string_view encap, std::string_view mode, unsigned mtu,
				      unsigned flow_idle_ms)
{
	TableOptions &d = config_.pipeline.defaults;
	if (auto e = parse_or_none<Encap>(encap, parse_encap, "datapath encap", error_))
		d.encap = *e;
	if (auto s = parse_or_none<Selection>(mode, parse_selection, "datapath mode", error_))
		d.selection = *s;
	if (mtu > UINT16_MAX)
		error("datapath mtu " + std::to_string(mtu) + " is more than 65535");
	config_.pipeline.mtu = static_cast<uint16_t>(std::min<unsigned>(mtu, UINT16_MAX));
	if (engine == "none") {
		config_.datapath.reset();
		config_.pipeline.capacity.reset(); // tables are only shown: no bound
		return;
	}
	if (engine != "bpf") {
		error("unknown datapath engine '" + std::string(engine) + "' (none, bpf)");
		return;
	}
	config_.pipeline.capacity = IPLB_MAX_ROUTES; // the eBPF table's route ids
	if (!config_.datapath)
		config_.datapath.emplace();
	if (!instance.empty())
		config_.datapath->instance = instance;
	config_.datapath->settings.flow_idle_ms = flow_idle_ms;
}

void HostPlaneConfigBuilder::datapath_congestion(std::string_view choice)
{
	if (auto c = parse_or_none<CongestionChoice>(choice, parse_congestion_choice,
						     "datapath congestion-control", error_))
		config_.congestion = *c;
}

void HostPlaneConfigBuilder::datapath_source(std::string_view address)
{
	if (!config_.datapath)
		return; // only the datapath uses it
	auto parsed = parse_ip_address(address);
	if (!parsed) {
		error("datapath source: " + parsed.error().message);
		return;
	}
	if (const Ipv4 *v4 = std::get_if<Ipv4>(&*parsed))
		config_.datapath->settings.source = *v4;
	else
		config_.datapath->settings.source6 = std::get<Ipv6>(*parsed);
}

void HostPlaneConfigBuilder::datapath_interface(std::string_view ifname)
{
	if (config_.datapath)
		config_.datapath->interfaces.insert(std::string(ifname));
}

void HostPlaneConfigBuilder::destination(bool include, std::string_view prefix)
{
	auto parsed = parse_prefix(prefix);
	if (!parsed) {
		error("destinations: " + parsed.error().message);
		return;
	}
	(include ? config_.pipeline.include : config_.pipeline.exclude).push_back(*parsed);
}

void HostPlaneConfigBuilder::destination_prefix_list(std::string_view name)
{
	config_.pipeline.prefix_list = name;
}

void HostPlaneConfigBuilder::policy(std::string_view prefix, unsigned k, std::string_view planner,
				    std::string_view encap, std::string_view mode,
				    std::string_view weights)
{
	auto parsed = parse_prefix(prefix);
	if (!parsed) {
		error("prefix: " + parsed.error().message);
		return;
	}
	const std::string what = "prefix " + to_string(*parsed);
	PrefixPolicy p;
	p.prefix = *parsed;
	if (k != 0)
		p.k = k;
	p.planner = parse_or_none<Planner>(planner, parse_planner, what + " planner", error_);
	p.encap = parse_or_none<Encap>(encap, parse_encap, what + " encap", error_);
	p.selection = parse_or_none<Selection>(mode, parse_selection, what + " mode", error_);
	while (!weights.empty()) {
		const auto comma = weights.find(',');
		const std::string_view item = weights.substr(0, comma);
		unsigned w = 0;
		const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), w);
		if (ec != std::errc{} || end != item.data() + item.size() || w == 0 ||
		    w > UINT16_MAX) {
			error(what + " weights: '" + std::string(item) +
			      "' is not a weight (1-65535)");
			break;
		}
		p.weights.push_back(static_cast<uint16_t>(w));
		weights = comma == std::string_view::npos ? std::string_view{}
							  : weights.substr(comma + 1);
	}
	config_.pipeline.policies.push_back(std::move(p));
}

RouteSpec &HostPlaneConfigBuilder::static_route(const IpPrefix &prefix)
{
	// Indexed: thousands of static routes are checked at every commit.
	auto &routes = config_.pipeline.static_routes;
	const auto [it, added] = static_index_.try_emplace(prefix, routes.size());
	if (!added)
		return routes[it->second];
	RouteSpec route;
	route.prefix = prefix;
	return routes.emplace_back(std::move(route));
}

void HostPlaneConfigBuilder::static_list(std::string_view prefix, std::string_view relays)
{
	auto parsed = parse_ip_prefix(prefix);
	if (!parsed) {
		error("static route: " + parsed.error().message);
		return;
	}
	auto list = parse_relay_list(relays);
	if (!list) {
		error("static route " + to_string(*parsed) + ": " + list.error().message);
		return;
	}
	static_route(*parsed).lists.push_back(std::move(*list));
}

void HostPlaneConfigBuilder::static_options(std::string_view prefix, std::string_view encap,
					    std::string_view mode)
{
	auto parsed = parse_ip_prefix(prefix);
	if (!parsed) {
		error("static route: " + parsed.error().message);
		return;
	}
	const std::string what = "static route " + to_string(*parsed);
	RouteSpec &route = static_route(*parsed);
	route.encap = parse_or_none<Encap>(encap, parse_encap, what + " encap", error_)
			      .value_or(config_.pipeline.defaults.encap);
	route.selection = parse_or_none<Selection>(mode, parse_selection, what + " mode", error_)
				  .value_or(config_.pipeline.defaults.selection);
}

Result<HostPlaneConfig, Error> HostPlaneConfigBuilder::finish() const
{
	if (error_)
		return unexpected(*error_);
	if (auto s = validate(config_); !s)
		return unexpected(s.error());
	return config_;
}

Status validate(const HostPlaneConfig &config)
{
	if (auto s = validate(config.pipeline); !s)
		return s;
	for (const RouteSpec &route : config.pipeline.static_routes)
		if (route.lists.empty())
			return unexpected(
				Error{"static route " + to_string(route.prefix) + " has no list"});
	if (!config.datapath)
		return ok();
	if (auto s = check_instance(config.datapath->instance); !s)
		return s;
	for (const std::string &ifname : config.datapath->interfaces)
		if (ifname.size() >= IF_NAMESIZE || if_nametoindex(ifname.c_str()) == 0)
			return unexpected(
				Error{"datapath interface " + ifname + ": no such interface here"});
	return ok();
}

} // namespace iplb
