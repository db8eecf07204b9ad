// SPDX-License-Identifier: GPL-2.0-or-later
// iplbctl lb: the load balancer's mux and backend programs by hand, as
// `iplbctl prefix` programs the host table. A change to a VIP's pool is
// computed by the core's bucket assignment (iplbd/lb/) from the pool and the
// map the mux has installed (read back from its maps: no state of its own),
// then installed as the VIP's next map version.
#include "cli.hpp"

#include "datapath/bpf_programs.hpp"
#include "datapath/lb_programs.hpp"
#include "lb/assign.hpp"
#include "lb/bucket_map.hpp"
#include "netlink/interface_addresses.hpp"
#include "util/ipv6.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

namespace iplbctl {
namespace {

using iplb::IpAddress;
using iplb::VipKey;
using json = nlohmann::ordered_json;

iplb::PinDir pins(const Options &o, bool create)
{
	return take(create ? iplb::prepare_pin_dir(o.pin_root, o.instance)
			   : iplb::existing_pin_dir(o.pin_root, o.instance));
}

// A VIP's address: a host address, and one a client can reach.
IpAddress vip_address(const std::string &text)
{
	std::string address = text;
	if (const auto slash = text.find('/'); slash != std::string::npos) {
		const std::string length = text.substr(slash + 1);
		address = text.substr(0, slash);
		const bool v6 = address.find(':') != std::string::npos;
		if (length != (v6 ? "128" : "32"))
			throw UsageError("'" + text +
					 "' is not a host address: a VIP is an IPv4 /32 " +
					 "or an IPv6 /128");
	}
	const IpAddress a = usage_take(iplb::parse_ip_address(address), "'" + text + "': ");
	if (const auto why = iplb::unusable_node_address(a); !why.empty())
		throw UsageError("'" + text + "' cannot be a VIP: " + std::string(why));
	return a;
}

// "ADDR [port P] [proto tcp|udp]" from the front of words; the rest is left.
VipKey vip_key(std::span<const std::string> &words)
{
	if (words.empty())
		throw UsageError("a VIP address is missing");
	VipKey key{vip_address(words[0]), IPPROTO_TCP, 0};
	words = words.subspan(1);
	while (words.size() >= 2 && (words[0] == "port" || words[0] == "proto")) {
		if (words[0] == "port") {
			key.port = static_cast<uint16_t>(number_arg("port", words[1], 1, 65535));
		} else if (words[1] == "tcp" || words[1] == "udp") {
			key.protocol = words[1] == "tcp" ? IPPROTO_TCP : IPPROTO_UDP;
		} else {
			throw UsageError("proto '" + words[1] + "': tcp or udp");
		}
		words = words.subspan(2);
	}
	return key;
}

uint32_t unix_now()
{
	return static_cast<uint32_t>(std::time(nullptr));
}

iplb::lb::BackendState core_state(iplb::LbBackendState s)
{
	switch (s) {
	case iplb::LbBackendState::active:
		return iplb::lb::BackendState::active;
	case iplb::LbBackendState::draining:
		return iplb::lb::BackendState::draining;
	case iplb::LbBackendState::down:
		return iplb::lb::BackendState::down;
	}
	return iplb::lb::BackendState::down;
}

iplb::LbBackendState datapath_state(iplb::lb::BackendState s)
{
	switch (s) {
	case iplb::lb::BackendState::active:
		return iplb::LbBackendState::active;
	case iplb::lb::BackendState::draining:
		return iplb::LbBackendState::draining;
	case iplb::lb::BackendState::down:
		return iplb::LbBackendState::down;
	}
	return iplb::LbBackendState::down;
}

std::vector<iplb::lb::Backend> core_pool(const iplb::LbMapVersion &map)
{
	std::vector<iplb::lb::Backend> out;
	for (const auto &b : map.pool)
		out.push_back({{b.dip}, b.weight, core_state(b.state)});
	return out;
}

iplb::lb::BucketMap core_map(const iplb::LbMapVersion &map)
{
	iplb::lb::BucketMap out{map.generation, {}};
	for (const auto &b : map.buckets) {
		iplb::lb::Bucket bucket;
		if (b.dip)
			bucket.owner = iplb::lb::Dip{*b.dip};
		if (b.previous)
			bucket.previous = iplb::lb::Dip{*b.previous};
		bucket.changed_at = b.changed_at;
		out.buckets.push_back(bucket);
	}
	return out;
}

iplb::LbMapVersion datapath_map(std::span<const iplb::lb::Backend> pool,
				const iplb::lb::BucketMap &map)
{
	iplb::LbMapVersion out;
	out.generation = map.generation;
	for (const auto &b : pool)
		out.pool.push_back(
			{b.dip.address, static_cast<uint16_t>(b.weight), datapath_state(b.state)});
	for (const auto &b : map.buckets)
		out.buckets.push_back(
			{b.owner ? std::optional<IpAddress>(b.owner->address) : std::nullopt,
			 b.previous ? std::optional<IpAddress>(b.previous->address) : std::nullopt,
			 b.changed_at});
	return out;
}

// The next version of the VIP's map for `pool`, from the installed one.
iplb::LbMapVersion reassigned(const iplb::InstalledVip &vip,
			      std::span<const iplb::lb::Backend> pool)
{
	const auto current = core_map(vip.map);
	auto next = iplb::lb::assign(pool, current, static_cast<uint32_t>(current.buckets.size()),
				     unix_now());
	if (!next)
		throw UsageError(to_string(vip.key) + ": " + next.error().message);
	if (next->generation == current.generation)
		next->generation++; // the pool changed even where no bucket moved
	return datapath_map(pool, *next);
}

std::optional<iplb::MuxMaps> mux_maps(const iplb::PinDir &dir)
{
	auto maps = iplb::MuxMaps::from_pins(dir);
	if (!maps)
		return std::nullopt;
	return std::move(*maps);
}

std::optional<iplb::BackendMaps> backend_maps(const iplb::PinDir &dir)
{
	auto maps = iplb::BackendMaps::from_pins(dir);
	if (!maps)
		return std::nullopt;
	return std::move(*maps);
}

// The VIP the words name; by address alone when only one VIP has it.
// A VIP named on the command line: its words, parsed before anything is
// opened, and whether they named its port or protocol.
struct NamedVip {
	VipKey key;
	bool qualified = false;
};

NamedVip named_vip(std::span<const std::string> &words)
{
	const bool qualified = words.size() >= 3 && (words[1] == "port" || words[1] == "proto");
	return {vip_key(words), qualified};
}

iplb::InstalledVip find_vip(const iplb::MuxMaps &mux, const NamedVip &named)
{
	const VipKey &key = named.key;
	if (!named.qualified) {
		std::vector<iplb::InstalledVip> same;
		for (auto &v : take(mux.vips()))
			if (v.key.address == key.address)
				same.push_back(std::move(v));
		if (same.size() == 1)
			return std::move(same.front());
		if (same.size() > 1)
			throw UsageError("several VIPs on " + iplb::to_string(key.address) +
					 ": name one with port P and proto tcp|udp");
	}
	auto found = take(mux.vip(key));
	if (!found)
		throw CommandError("no VIP " + to_string(key) + " (iplbctl lb vip add)");
	return std::move(*found);
}

int vip_command(const Options &o, std::span<const std::string> words)
{
	if (words.size() < 2 || (words[0] != "add" && words[0] != "del"))
		throw UsageError("usage: iplbctl lb vip add|del ADDR [port P] [proto tcp|udp] "
				 "[buckets B]");
	const bool add = words[0] == "add";
	words = words.subspan(1);
	const bool qualified = words.size() >= 3 && (words[1] == "port" || words[1] == "proto");
	VipKey key = vip_key(words);
	std::optional<uint32_t> buckets;
	if (add && words.size() == 2 && words[0] == "buckets")
		buckets = static_cast<uint32_t>(number_arg(
			"buckets", words[1],
			std::max<uint32_t>(IPLB_LB_MIN_BUCKETS, iplb::lb::min_bucket_count),
			IPLB_LB_MAX_BUCKETS));
	else if (!words.empty())
		throw UsageError("unexpected '" + words[0] + "'");

	const auto dir = pins(o, false);
	auto mux = mux_maps(dir);
	auto backend = backend_maps(dir);
	if (!mux && !backend)
		throw CommandError("instance '" + o.instance +
				   "' has no mux or backend (iplbctl attach mux|backend DEV)");
	if (!add && !qualified) {
		// By address alone, when only one VIP has it.
		std::set<VipKey> same;
		if (mux)
			for (const auto &v : take(mux->vips()))
				if (v.key.address == key.address)
					same.insert(v.key);
		if (backend)
			for (const auto &v : take(backend->vips()))
				if (v.first.address == key.address)
					same.insert(v.first);
		if (same.size() > 1)
			throw UsageError("several VIPs on " + iplb::to_string(key.address) +
					 ": name one with port P and proto tcp|udp");
		if (same.size() == 1)
			key = *same.begin();
	}
	if (mux) {
		const bool present = take(mux->vip(key)).has_value();
		if (add && present)
			throw CommandError("VIP " + to_string(key) + " is there already");
		if (!add && !present)
			throw CommandError("no VIP " + to_string(key));
	}
	if (backend) {
		auto vips = take(backend->vips());
		const bool present = std::any_of(vips.begin(), vips.end(),
						 [&](const auto &v) { return v.first == key; });
		if (add && present)
			throw CommandError("VIP " + to_string(key) + " is there already");
		if (!add && !present)
			throw CommandError("no VIP " + to_string(key));
	}
	if (mux && add) {
		// No backend yet: every bucket drops (counted no_backend).
		const uint32_t count = buckets.value_or(iplb::lb::default_bucket_count(0));
		iplb::LbMapVersion empty;
		empty.generation = 1;
		empty.buckets.resize(count);
		check(mux->install(key, empty));
	} else if (mux) {
		check(mux->remove(key));
	}
	if (backend && add) {
		check(backend->add_vip(key));
		check(iplb::bind_host_address("lo", key.address));
	} else if (backend) {
		check(backend->remove_vip(key));
		// Another VIP on the same address keeps it bound.
		auto vips = take(backend->vips());
		if (std::none_of(vips.begin(), vips.end(),
				 [&](const auto &v) { return v.first.address == key.address; }))
			check(iplb::unbind_host_address("lo", key.address));
	}
	return 0;
}

int backend_command(const Options &o, std::span<const std::string> words)
{
	if (words.size() < 3 || (words[0] != "add" && words[0] != "del" && words[0] != "set"))
		throw UsageError(
			"usage: iplbctl lb backend add|del|set VIP [port P] [proto tcp|udp] "
			"ADDR [weight W] [drain|active|down]");
	const std::string verb = words[0];
	words = words.subspan(1);
	const NamedVip named = named_vip(words);
	if (words.empty())
		throw UsageError("the backend's address is missing");
	const IpAddress address =
		usage_take(iplb::parse_ip_address(words[0]), "'" + words[0] + "': ");
	if (const auto why = iplb::unusable_node_address(address); !why.empty())
		throw UsageError("'" + words[0] + "' cannot be a backend: " + std::string(why));
	words = words.subspan(1);
	std::optional<uint32_t> weight;
	std::optional<iplb::lb::BackendState> state;
	while (!words.empty()) {
		if (words[0] == "weight" && words.size() >= 2 && verb != "del") {
			weight = static_cast<uint32_t>(number_arg(
				"weight", words[1], iplb::lb::min_weight, iplb::lb::max_weight));
			words = words.subspan(2);
		} else if ((words[0] == "drain" || words[0] == "active" || words[0] == "down") &&
			   verb != "del") {
			state = words[0] == "drain"    ? iplb::lb::BackendState::draining
				: words[0] == "active" ? iplb::lb::BackendState::active
						       : iplb::lb::BackendState::down;
			words = words.subspan(1);
		} else {
			throw UsageError("unexpected '" + words[0] + "'");
		}
	}
	if (verb == "set" && !weight && !state)
		throw UsageError("set what? weight W, drain, active or down");
	auto mux = take(iplb::MuxMaps::from_pins(pins(o, false)));
	const auto vip = find_vip(mux, named);
	auto pool = core_pool(vip.map);
	auto it = std::find_if(pool.begin(), pool.end(),
			       [&](const auto &b) { return b.dip.address == address; });
	if (verb == "add") {
		if (it != pool.end())
			throw CommandError("backend " + iplb::to_string(address) +
					   " is in the pool of " + to_string(vip.key) + " already");
		pool.push_back({{address},
				weight.value_or(1),
				state.value_or(iplb::lb::BackendState::active)});
	} else {
		if (it == pool.end())
			throw CommandError("no backend " + iplb::to_string(address) +
					   " in the pool of " + to_string(vip.key));
		if (verb == "del") {
			pool.erase(it);
		} else {
			if (weight)
				it->weight = *weight;
			if (state)
				it->state = *state;
		}
	}
	check(mux.install(vip.key, reassigned(vip, pool)));
	return 0;
}

json vip_json(const iplb::InstalledVip &vip, const iplb::MuxMaps &mux, bool with_buckets)
{
	const auto map = core_map(vip.map);
	const auto pool = core_pool(vip.map);
	std::map<IpAddress, iplb::lb::OwnerLoad> loads;
	for (const auto &load : iplb::lb::owner_loads(map))
		if (load.owner)
			loads[load.owner->address] = load;
	json backends = json::array();
	for (const auto &b : pool) {
		const auto load = loads.find(b.dip.address);
		backends.push_back({{"address", iplb::to_string(b.dip.address)},
				    {"weight", b.weight},
				    {"state", iplb::lb::to_string(b.state)},
				    {"buckets", load == loads.end() ? 0u : load->second.buckets},
				    {"runs", load == loads.end() ? 0u : load->second.runs}});
	}
	uint32_t unowned = 0;
	for (const auto &b : vip.map.buckets)
		unowned += !b.dip;
	const auto c = take(mux.vip_counters(vip.id));
	json out = {{"address", iplb::to_string(vip.key.address)},
		    {"protocol", vip.key.protocol == IPPROTO_UDP ? "udp" : "tcp"},
		    {"port", vip.key.port},
		    {"buckets", vip.map.buckets.size()},
		    {"generation", vip.map.generation},
		    {"slot", vip.active_slot},
		    {"runs", iplb::lb::bucket_runs(map).size()},
		    {"withoutBackend", unowned},
		    {"imbalance", iplb::lb::imbalance(pool, map)},
		    {"backends", backends},
		    {"packets", c.packets},
		    {"bytes", c.bytes},
		    {"icmp", c.icmp},
		    {"noBackend", c.no_backend},
		    {"tooBig", c.too_big},
		    {"noRoute", c.no_route},
		    {"errors", c.errors},
		    {"mptcp", to_string(vip.map.mptcp)},
		    {"mptcpJoins", c.mptcp_joins},
		    {"mptcpSubflow", c.mptcp_subflow},
		    {"mptcpUnknownToken", c.mptcp_unknown_token}};
	if (with_buckets) {
		const auto packets = take(mux.bucket_counters(vip.key));
		json buckets = json::array();
		for (size_t i = 0; i < vip.map.buckets.size(); i++) {
			const auto &b = vip.map.buckets[i];
			buckets.push_back(
				{{"bucket", i},
				 {"dip", b.dip ? json(iplb::to_string(*b.dip)) : json(nullptr)},
				 {"previous",
				  b.previous ? json(iplb::to_string(*b.previous)) : json(nullptr)},
				 {"changedAt", b.changed_at},
				 {"packets", packets[i]}});
		}
		out["bucketMap"] = buckets;
	}
	return out;
}

int show_command(const Options &o, std::span<const std::string> words)
{
	const auto dir = pins(o, false);
	auto mux = mux_maps(dir);
	auto backend = backend_maps(dir);
	if (!mux && !backend)
		throw CommandError("instance '" + o.instance + "' has no mux or backend");
	bool with_buckets = false;
	if (!words.empty() && words.back() == "buckets") {
		with_buckets = true;
		words = words.first(words.size() - 1);
	}
	std::vector<iplb::InstalledVip> vips;
	if (mux) {
		if (!words.empty()) {
			const NamedVip named = named_vip(words);
			if (!words.empty())
				throw UsageError("unexpected '" + words[0] + "'");
			vips.push_back(find_vip(*mux, named));
		} else {
			vips = take(mux->vips());
		}
	} else if (!words.empty()) {
		throw UsageError("a backend has no bucket map to show: iplbctl lb show");
	}
	json out = {{"instance", o.instance}};
	if (mux) {
		json list = json::array();
		for (const auto &v : vips)
			list.push_back(vip_json(v, *mux, with_buckets));
		out["vips"] = list;
		const auto config = take(mux->config());
		out["source"] =
			config.source ? json(iplb::to_string(*config.source)) : json(nullptr);
		out["source6"] =
			config.source6 ? json(iplb::to_string(*config.source6)) : json(nullptr);
	}
	if (backend) {
		json list = json::array();
		for (const auto &[key, generation] : take(backend->vips()))
			list.push_back({{"address", iplb::to_string(key.address)},
					{"protocol", key.protocol == IPPROTO_UDP ? "udp" : "tcp"},
					{"port", key.port},
					{"generation", generation}});
		out["backendVips"] = list;
		out["daisyTimeout"] = take(backend->config()).daisy_timeout;
	}
	if (o.json) {
		std::printf("%s\n", out.dump().c_str());
		return 0;
	}
	if (mux) {
		for (const auto &v : out["vips"]) {
			std::printf("vip %s %s%s: %u buckets, generation %u (slot %u), %u runs, "
				    "imbalance %.3f\n",
				    v["address"].get<std::string>().c_str(),
				    v["protocol"].get<std::string>().c_str(),
				    v["port"].get<unsigned>()
					    ? (" port " + std::to_string(v["port"].get<unsigned>()))
						      .c_str()
					    : "",
				    v["buckets"].get<unsigned>(), v["generation"].get<unsigned>(),
				    v["slot"].get<unsigned>(), v["runs"].get<unsigned>(),
				    v["imbalance"].get<double>());
			for (const auto &b : v["backends"])
				std::printf("    backend %s weight %u %s: %u buckets in %u runs\n",
					    b["address"].get<std::string>().c_str(),
					    b["weight"].get<unsigned>(),
					    b["state"].get<std::string>().c_str(),
					    b["buckets"].get<unsigned>(),
					    b["runs"].get<unsigned>());
			if (v["withoutBackend"].get<unsigned>())
				std::printf("    %u buckets without a backend (their packets are "
					    "dropped)\n",
					    v["withoutBackend"].get<unsigned>());
			if (v.contains("bucketMap"))
				for (const auto &b : v["bucketMap"])
					std::printf(
						"    bucket %u: %s (previous %s, changed at %u), "
						"%llu packets\n",
						b["bucket"].get<unsigned>(),
						b["dip"].is_null()
							? "none"
							: b["dip"].get<std::string>().c_str(),
						b["previous"].is_null()
							? "none"
							: b["previous"].get<std::string>().c_str(),
						b["changedAt"].get<unsigned>(),
						static_cast<unsigned long long>(
							b["packets"].get<uint64_t>()));
		}
	}
	if (backend) {
		for (const auto &v : out["backendVips"])
			std::printf("backend vip %s %s%s: newest generation seen %u\n",
				    v["address"].get<std::string>().c_str(),
				    v["protocol"].get<std::string>().c_str(),
				    v["port"].get<unsigned>()
					    ? (" port " + std::to_string(v["port"].get<unsigned>()))
						      .c_str()
					    : "",
				    v["generation"].get<unsigned>());
		std::printf("daisy timeout %u s\n", out["daisyTimeout"].get<unsigned>());
	}
	return 0;
}

int stats_command(const Options &o, std::span<const std::string> words)
{
	if (!words.empty())
		throw UsageError("usage: iplbctl lb stats");
	const auto dir = pins(o, false);
	auto mux = mux_maps(dir);
	auto backend = backend_maps(dir);
	if (!mux && !backend)
		throw CommandError("instance '" + o.instance + "' has no mux or backend");
	json out = json::object();
	if (mux) {
		const auto c = take(mux->counters());
		json vips = json::array();
		for (const auto &v : take(mux->vips())) {
			const auto vc = take(mux->vip_counters(v.id));
			vips.push_back({{"vip", to_string(v.key)},
					{"packets", vc.packets},
					{"bytes", vc.bytes},
					{"icmp", vc.icmp},
					{"noBackend", vc.no_backend},
					{"tooBig", vc.too_big},
					{"noRoute", vc.no_route},
					{"errors", vc.errors},
					{"mptcpJoins", vc.mptcp_joins},
					{"mptcpSubflow", vc.mptcp_subflow},
					{"mptcpUnknownToken", vc.mptcp_unknown_token}});
		}
		out["mux"] = {{"fragments", c.fragments},
			      {"malformed", c.malformed},
			      {"icmpOther", c.icmp_other},
			      {"vips", vips}};
	}
	if (backend) {
		const auto c = take(backend->counters());
		out["backend"] = {{"delivered", c.delivered},
				  {"deliveredSyn", c.delivered_syn},
				  {"deliveredSocket", c.delivered_socket},
				  {"deliveredCookie", c.delivered_cookie},
				  {"deliveredLastResort", c.delivered_last_resort},
				  {"chained", c.chained},
				  {"droppedStale", c.dropped_stale},
				  {"droppedMalformed", c.dropped_malformed},
				  {"droppedChain", c.dropped_chain},
				  {"notVip", c.not_vip}};
	}
	if (o.json) {
		std::printf("%s\n", out.dump().c_str());
		return 0;
	}
	if (out.contains("mux")) {
		const auto &m = out["mux"];
		std::printf("mux: %llu fragments dropped, %llu malformed dropped, %llu other ICMP "
			    "passed\n",
			    static_cast<unsigned long long>(m["fragments"].get<uint64_t>()),
			    static_cast<unsigned long long>(m["malformed"].get<uint64_t>()),
			    static_cast<unsigned long long>(m["icmpOther"].get<uint64_t>()));
		for (const auto &v : m["vips"]) {
			std::printf("    %s:", v["vip"].get<std::string>().c_str());
			for (const char *k : {"packets", "bytes", "icmp", "noBackend", "tooBig",
					      "noRoute", "errors"})
				std::printf(" %s %llu", k,
					    static_cast<unsigned long long>(v[k].get<uint64_t>()));
			std::printf("\n");
		}
	}
	if (out.contains("backend")) {
		std::printf("backend:");
		for (const auto &[k, v] : out["backend"].items())
			std::printf(" %s %llu", k.c_str(),
				    static_cast<unsigned long long>(v.get<uint64_t>()));
		std::printf("\n");
	}
	return 0;
}

int config_command(const Options &o, std::span<const std::string> words)
{
	// Every value checked before anything is opened.
	std::optional<std::optional<iplb::Ipv4>> source;
	std::optional<std::optional<iplb::Ipv6>> source6;
	std::optional<bool> fib;
	std::optional<uint32_t> mtu, daisy_timeout;
	for (const auto &[key, value] :
	     keyword_pairs(words, {"source", "source6", "fib", "mtu", "daisy-timeout"})) {
		if (key == "daisy-timeout")
			daisy_timeout =
				static_cast<uint32_t>(number_arg(key, value, 1, 86400, " s"));
		else if (key == "source")
			source = value == "none" ? std::optional<iplb::Ipv4>()
						 : usage_take(iplb::parse_ipv4(value),
							      "source '" + value + "': ");
		else if (key == "source6")
			source6 = value == "none" ? std::optional<iplb::Ipv6>()
						  : usage_take(iplb::parse_ipv6(value),
							       "source6 '" + value + "': ");
		else if (key == "fib" && (value == "on" || value == "off"))
			fib = value == "on";
		else if (key == "fib")
			throw UsageError("fib '" + value + "': on or off");
		else
			mtu = static_cast<uint32_t>(number_arg(key, value, 0, 65535));
	}
	const auto dir = pins(o, false);
	auto mux = mux_maps(dir);
	auto backend = backend_maps(dir);
	if (!mux && !backend)
		throw CommandError("instance '" + o.instance + "' has no mux or backend");
	if (words.empty()) {
		// Nothing to set: what is in force.
		json out = json::object();
		if (mux) {
			const auto c = take(mux->config());
			out["mux"] = {
				{"source", c.source ? json(iplb::to_string(*c.source)) : json()},
				{"source6", c.source6 ? json(iplb::to_string(*c.source6)) : json()},
				{"fib", c.fib},
				{"mtu", c.mtu}};
		}
		if (backend)
			out["backend"] = {{"daisyTimeout", take(backend->config()).daisy_timeout}};
		if (o.json) {
			std::printf("%s\n", out.dump().c_str());
			return 0;
		}
		if (out.contains("mux")) {
			const auto &m = out["mux"];
			std::printf("mux: source %s, source6 %s, fib %s, mtu %u\n",
				    m["source"].is_null() ? "none"
							  : m["source"].get<std::string>().c_str(),
				    m["source6"].is_null()
					    ? "none"
					    : m["source6"].get<std::string>().c_str(),
				    m["fib"].get<bool>() ? "on" : "off", m["mtu"].get<uint32_t>());
		}
		if (out.contains("backend"))
			std::printf("backend: daisy-timeout %u s\n",
				    out["backend"]["daisyTimeout"].get<uint32_t>());
		return 0;
	}
	if (!mux && (source || source6 || fib || mtu))
		throw UsageError("source, source6, fib and mtu are a mux's settings");
	if (!backend && daisy_timeout)
		throw UsageError("daisy-timeout is a backend's setting");
	if (mux) {
		auto config = take(mux->config());
		if (source)
			config.source = *source;
		if (source6)
			config.source6 = *source6;
		if (fib)
			config.fib = *fib;
		if (mtu)
			config.mtu = *mtu;
		check(mux->set_config(config));
	}
	if (backend) {
		auto config = take(backend->config());
		if (daisy_timeout)
			config.daisy_timeout = *daisy_timeout;
		check(backend->set_config(config));
	}
	return 0;
}

} // namespace

// The source address a mux's tunnels get by default: its device's first
// address of each family.
void default_mux_source(iplb::MuxMaps &maps, const std::string &dev)
{
	auto config = take(maps.config());
	if (config.source || config.source6)
		return;
	for (const auto &a : take(iplb::interface_addresses(dev))) {
		if (const auto *v4 = std::get_if<iplb::Ipv4>(&a); v4 && !config.source)
			config.source = *v4;
		else if (const auto *v6 = std::get_if<iplb::Ipv6>(&a); v6 && !config.source6)
			config.source6 = *v6;
	}
	check(maps.set_config(config));
}

// The chain's FIB lookup (bpf_fib_lookup) answers "forwarding disabled" on an
// interface that does not forward, whatever the lookup's flags.
void warn_without_forwarding(const std::string &dev)
{
	for (const char *family : {"ipv4", "ipv6"}) {
		const std::string path =
			std::string("/proc/sys/net/") + family + "/conf/" + dev + "/forwarding";
		std::FILE *f = std::fopen(path.c_str(), "r");
		if (!f)
			continue;
		int on = 1;
		if (std::fscanf(f, "%d", &on) != 1)
			on = 1;
		std::fclose(f);
		if (!on)
			std::fprintf(stderr,
				     "iplbctl: %s: %s forwarding is off: packets chained to a "
				     "previous backend cannot leave (sysctl net.%s.conf.%s."
				     "forwarding=1)\n",
				     dev.c_str(), family, family, dev.c_str());
	}
}

int attach_lb(const Options &o, const std::string &program, std::span<const std::string> devs)
{
	const auto dir = pins(o, true);
	if (program == "mux") {
		auto mux = take(iplb::MuxProgram::open(dir));
		for (const auto &dev : devs) {
			const auto attached = take(mux.attach(dev));
			if (attached.mode == iplb::XdpMode::generic)
				std::fprintf(stderr,
					     "iplbctl: %s: XDP in generic mode, slower: %s\n",
					     dev.c_str(), iplb::why_generic(attached).c_str());
		}
		default_mux_source(mux.maps(), devs.front());
	} else {
		auto backend = take(iplb::BackendProgram::open(dir));
		for (const auto &dev : devs) {
			check(backend.attach(dev));
			warn_without_forwarding(dev);
		}
	}
	return 0;
}

int lb_command(const Options &o, std::span<const std::string> words)
{
	if (words.empty())
		throw UsageError("usage: iplbctl lb vip|backend|show|stats|config ...");
	const std::string what = words[0];
	words = words.subspan(1);
	if (what == "vip")
		return vip_command(o, words);
	if (what == "backend")
		return backend_command(o, words);
	if (what == "show")
		return show_command(o, words);
	if (what == "stats")
		return stats_command(o, words);
	if (what == "config")
		return config_command(o, words);
	throw UsageError("unknown lb object '" + what + "' (vip, backend, show, stats, config)");
}

} // namespace iplbctl
