// SPDX-License-Identifier: GPL-2.0-or-later
#include "lbcontrol/schema.hpp"

#include "lb/assign.hpp"
#include "util/enum_names.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

namespace iplb::lbcontrol {
namespace {

using nlohmann::json;

constexpr EnumNames<HealthCheckConfig::Kind, 3> check_kinds{
	"health check",
	{{{HealthCheckConfig::Kind::none, "none"},
	  {HealthCheckConfig::Kind::tcp, "tcp"},
	  {HealthCheckConfig::Kind::http, "http"}}}};
constexpr EnumNames<Health, 3> healths{
	"health", {{{Health::unknown, "unknown"}, {Health::up, "up"}, {Health::down, "down"}}}};

// The largest bucket map a version may hold; far above what a mux loads
// (IPLB_LB_MAX_BUCKETS), so the limit is the consumer's to state.
constexpr uint32_t max_stored_buckets = lb::max_bucket_count;

Result<std::string_view, Error> protocol_name(uint8_t protocol)
{
	if (protocol == 6)
		return std::string_view("tcp");
	if (protocol == 17)
		return std::string_view("udp");
	return unexpected(Error{"protocol " + std::to_string(protocol) + ": tcp or udp only"});
}

Result<uint8_t, Error> parse_protocol(std::string_view text)
{
	if (text == "tcp")
		return uint8_t{6};
	if (text == "udp")
		return uint8_t{17};
	return unexpected(Error{"protocol '" + std::string(text) + "': tcp or udp only"});
}

// A decoder's view of one JSON object: every getter names the field in its
// error, and the first error wins.
class Reader {
public:
	Reader(const json &object, std::string what) : object_(object), what_(std::move(what)) {}

	template <typename Integer>
	Integer integer(const char *name, Integer fallback, Integer min, Integer max)
	{
		const auto it = object_.find(name);
		if (it == object_.end())
			return fallback;
		if (!it->is_number_integer()) {
			fail(std::string(name) + " is not an integer");
			return fallback;
		}
		const auto value = it->get<int64_t>();
		if (value < static_cast<int64_t>(min) || value > static_cast<int64_t>(max)) {
			fail(std::string(name) + " " + std::to_string(value) + " is outside " +
			     std::to_string(min) + ".." + std::to_string(max));
			return fallback;
		}
		return static_cast<Integer>(value);
	}

	bool boolean(const char *name, bool fallback)
	{
		const auto it = object_.find(name);
		if (it == object_.end())
			return fallback;
		if (!it->is_boolean()) {
			fail(std::string(name) + " is not a boolean");
			return fallback;
		}
		return it->get<bool>();
	}

	std::string text(const char *name, std::string fallback = {})
	{
		const auto it = object_.find(name);
		if (it == object_.end())
			return fallback;
		if (!it->is_string()) {
			fail(std::string(name) + " is not a string");
			return fallback;
		}
		return it->get<std::string>();
	}

	// A required member of the given type, or null after a failure.
	const json *member(const char *name, json::value_t type)
	{
		const auto it = object_.find(name);
		if (it == object_.end() || it->type() != type) {
			fail(std::string(name) + " is missing or of the wrong type");
			return nullptr;
		}
		return &*it;
	}

	template <typename T>
	void check(const Result<T, Error> &result)
	{
		if (!result)
			fail(result.error().message);
	}
	void fail(std::string message)
	{
		if (!error_)
			error_ = what_ + ": " + std::move(message);
	}
	const std::optional<std::string> &error() const { return error_; }

private:
	const json &object_;
	std::string what_;
	std::optional<std::string> error_;
};

Result<json, Error> parse_object(std::string_view text, std::string_view what)
{
	auto parsed = json::parse(text, nullptr, false);
	if (parsed.is_discarded() || !parsed.is_object())
		return unexpected(Error{std::string(what) + ": not a JSON object"});
	return parsed;
}

Result<lb::Dip, Error> dip_of(const json &value)
{
	if (!value.is_string())
		return unexpected(Error{"a backend address is not a string"});
	auto dip = lb::parse_dip(value.get_ref<const std::string &>());
	if (!dip)
		return unexpected(dip.error());
	return *dip;
}

Result<std::monostate, Error> check_name_chars(std::string_view name, std::string_view what)
{
	if (name.empty() || name.size() > 64)
		return unexpected(Error{std::string(what) + " '" + std::string(name) +
					"': 1 to 64 characters"});
	for (const char c : name)
		if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
		      c == '-'))
			return unexpected(Error{std::string(what) + " '" + std::string(name) +
						"': letters, digits, '.', '_' and '-' only"});
	return std::monostate{};
}

} // namespace

std::string vip_name(const VipId &vip)
{
	const auto protocol = protocol_name(vip.protocol);
	return to_string(vip.address) + "-" +
	       std::string(protocol ? *protocol : std::string_view("proto")) +
	       (protocol ? "" : std::to_string(vip.protocol)) + "-" + std::to_string(vip.port);
}

Result<VipId, Error> parse_vip_name(std::string_view name)
{
	const auto last = name.rfind('-');
	const auto middle = last == std::string_view::npos || last == 0 ? std::string_view::npos
									: name.rfind('-', last - 1);
	if (middle == std::string_view::npos)
		return unexpected(Error{"VIP name '" + std::string(name) +
					"': expected ADDRESS-tcp|udp-PORT"});
	auto address = parse_ip_address(name.substr(0, middle));
	if (!address)
		return unexpected(
			Error{"VIP name '" + std::string(name) + "': " + address.error().message});
	auto protocol = parse_protocol(name.substr(middle + 1, last - middle - 1));
	if (!protocol)
		return unexpected(
			Error{"VIP name '" + std::string(name) + "': " + protocol.error().message});
	const auto port_text = name.substr(last + 1);
	uint16_t port = 0;
	const auto [end, ec] =
		std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
	if (ec != std::errc{} || end != port_text.data() + port_text.size() || port_text.empty())
		return unexpected(Error{"VIP name '" + std::string(name) + "': bad port"});
	return VipId{*address, *protocol, port};
}

std::string to_string(const VipId &vip)
{
	const auto protocol = protocol_name(vip.protocol);
	std::string text = to_string(vip.address) + " " +
			   std::string(protocol ? *protocol : std::string_view("?"));
	if (vip.port != 0)
		text += " port " + std::to_string(vip.port);
	return text;
}

Status check_vip(const VipId &vip)
{
	if (const auto why = unusable_node_address(vip.address); !why.empty())
		return unexpected(Error{"VIP " + to_string(vip.address) + ": " + std::string(why) +
					" cannot be a VIP"});
	if (auto protocol = protocol_name(vip.protocol); !protocol)
		return unexpected(protocol.error());
	return ok();
}

std::string_view to_string(HealthCheckConfig::Kind kind)
{
	return check_kinds.name(kind);
}

Status check_health_check(const HealthCheckConfig &check)
{
	if (check.kind == HealthCheckConfig::Kind::none)
		return ok();
	if (check.timeout_ms == 0)
		return unexpected(Error{"health check: the timeout must be above 0"});
	if (check.interval_ms < check.timeout_ms)
		return unexpected(Error{"health check: the interval (" +
					std::to_string(check.interval_ms) +
					" ms) is shorter than the timeout (" +
					std::to_string(check.timeout_ms) + " ms)"});
	if (check.rise < 1 || check.rise > 100 || check.fall < 1 || check.fall > 100)
		return unexpected(Error{"health check: rise and fall are 1..100"});
	if (check.kind == HealthCheckConfig::Kind::http) {
		if (check.path.empty() || check.path.front() != '/' || check.path.size() > 512)
			return unexpected(Error{"health check: the HTTP path '" + check.path +
						"' must start with '/' (512 characters at most)"});
		for (const char c : check.path)
			if (c <= ' ' || c > '~')
				return unexpected(Error{"health check: the HTTP path has a space "
							"or a control character"});
	}
	return ok();
}

std::string_view to_string(MptcpMode mode)
{
	switch (mode) {
	case MptcpMode::token:
		return "token";
	case MptcpMode::port:
		return "port";
	case MptcpMode::direct:
		return "direct";
	case MptcpMode::none:
		break;
	}
	return "none";
}

Result<MptcpMode, Error> parse_mptcp_mode(std::string_view text)
{
	if (text == "none")
		return MptcpMode::none;
	if (text == "token")
		return MptcpMode::token;
	if (text == "port")
		return MptcpMode::port;
	if (text == "direct")
		return MptcpMode::direct;
	return unexpected(
		Error{"MPTCP mode '" + std::string(text) + "': none, token, port or direct"});
}

std::string_view to_string(Health health)
{
	return healths.name(health);
}

Status check_vip_config(const VipConfig &config)
{
	if (auto vip = check_vip(config.vip); !vip)
		return vip;
	std::vector<lb::Backend> pool;
	std::set<lb::Dip> seen;
	for (const auto &backend : config.backends) {
		if (!seen.insert(backend.dip).second)
			return unexpected(Error{"VIP " + to_string(config.vip) + ": backend " +
						to_string(backend.dip) + " is configured twice"});
		pool.push_back({backend.dip, backend.weight, lb::BackendState::active});
	}
	if (auto checked = lb::check_pool(pool, config.bucket_count); !checked)
		return unexpected(
			Error{"VIP " + to_string(config.vip) + ": " + checked.error().message});
	if (config.drain_timeout > 86400)
		return unexpected(Error{"VIP " + to_string(config.vip) + ": drain timeout " +
					std::to_string(config.drain_timeout) + " s is over a day"});
	if (config.health_check.kind != HealthCheckConfig::Kind::none &&
	    config.health_check.port == 0 && config.vip.port == 0)
		return unexpected(
			Error{"VIP " + to_string(config.vip) +
			      ": the health check needs a port (the VIP takes every port)"});
	if (auto check = check_health_check(config.health_check); !check)
		return unexpected(
			Error{"VIP " + to_string(config.vip) + ": " + check.error().message});
	if (config.mptcp == MptcpMode::port)
		return check_mptcp_ports(config);
	return ok();
}

Status check_mptcp_ports(const VipConfig &config)
{
	const auto vip = "VIP " + to_string(config.vip) + ": MPTCP port mode";
	if (config.vip.protocol != 6 || config.vip.port == 0)
		return unexpected(Error{vip + " is for a TCP VIP on one port (the backends' "
					      "ports are other ports of its address)"});
	const uint32_t first = config.mptcp_first_port;
	const uint32_t last = first + mptcp_port_count - 1;
	if (first == 0 || last > 65535)
		return unexpected(Error{vip + " needs a first port of 1-" +
					std::to_string(65536 - mptcp_port_count) + " (" +
					std::to_string(mptcp_port_count) +
					" ports, one per backend)"});
	if (config.backends.size() > mptcp_port_count)
		return unexpected(Error{vip + " gives " + std::to_string(mptcp_port_count) +
					" backends a port each, not " +
					std::to_string(config.backends.size())});
	if (config.vip.port >= first && config.vip.port <= last)
		return unexpected(Error{vip + ": the VIP's port " +
					std::to_string(config.vip.port) + " is in the range " +
					std::to_string(first) + "-" + std::to_string(last)});
	return ok();
}

Status check_member_name(std::string_view name)
{
	return check_name_chars(name, "name");
}

// --- encoders ---------------------------------------------------------------

std::string encode(const VipConfig &config)
{
	json backends = json::array();
	for (const auto &backend : config.backends)
		backends.push_back({{"address", to_string(backend.dip)},
				    {"weight", backend.weight},
				    {"drain", backend.drain}});
	const auto &check = config.health_check;
	json out = {{"vip", to_string(config.vip.address)},
		    {"protocol", protocol_name(config.vip.protocol).value()},
		    {"port", config.vip.port},
		    {"buckets", config.bucket_count},
		    {"drain_timeout", config.drain_timeout},
		    {"backends", std::move(backends)},
		    {"health_check",
		     {{"type", to_string(check.kind)},
		      {"port", check.port},
		      {"path", check.path},
		      {"interval_ms", check.interval_ms},
		      {"timeout_ms", check.timeout_ms},
		      {"rise", check.rise},
		      {"fall", check.fall}}},
		    {"mptcp", to_string(config.mptcp)}};
	if (config.mptcp_first_port != 0)
		out["mptcp_first_port"] = config.mptcp_first_port;
	return out.dump();
}

std::string encode(const VipStatus &status)
{
	json backends = json::object();
	for (const auto &[dip, backend] : status.backends)
		backends[to_string(dip)] = {{"health", to_string(backend.health)},
					    {"drain_since", backend.drain_since}};
	return json{{"backends", std::move(backends)}}.dump();
}

// The buckets as runs of equal (owner, previous, changed_at), owners as
// indices into a table of DIPs: a map of 65536 buckets with a few hundred
// runs is a few kilobytes (etcd's default request limit is 1.5 MiB).
std::string encode(const MapVersion &version)
{
	std::vector<lb::Dip> dips;
	const auto index_of = [&dips](const std::optional<lb::Dip> &dip) -> int64_t {
		if (!dip)
			return -1;
		const auto it = std::find(dips.begin(), dips.end(), *dip);
		if (it != dips.end())
			return it - dips.begin();
		dips.push_back(*dip);
		return static_cast<int64_t>(dips.size() - 1);
	};
	json pool = json::array();
	for (const auto &backend : version.pool) {
		index_of(backend.dip);
		pool.push_back({{"address", to_string(backend.dip)},
				{"weight", backend.weight},
				{"state", lb::to_string(backend.state)}});
		if (const auto port = version.mptcp_ports.find(backend.dip);
		    port != version.mptcp_ports.end())
			pool.back()["mptcp_port"] = port->second;
	}
	json runs = json::array();
	const auto &buckets = version.map.buckets;
	for (size_t i = 0; i < buckets.size();) {
		size_t j = i + 1;
		while (j < buckets.size() && buckets[j] == buckets[i])
			j++;
		runs.push_back(json::array({j - i, index_of(buckets[i].owner),
					    index_of(buckets[i].previous), buckets[i].changed_at}));
		i = j;
	}
	json dip_names = json::array();
	for (const auto &dip : dips)
		dip_names.push_back(to_string(dip));
	return json{{"generation", version.map.generation},
		    {"buckets", buckets.size()},
		    {"pool", std::move(pool)},
		    {"dips", std::move(dip_names)},
		    {"runs", std::move(runs)},
		    {"mptcp", to_string(version.mptcp)}}
		.dump();
}

std::string encode(const Ack &ack)
{
	json out = {{"generation", ack.generation}, {"ok", ack.ok}};
	if (!ack.error.empty())
		out["error"] = ack.error;
	return out.dump();
}

std::string encode(const MemberRecord &member)
{
	json out = {{"name", member.name}, {"since", member.since}};
	if (member.address)
		out["address"] = to_string(*member.address);
	if (!member.addresses.empty()) {
		json addresses = json::array();
		for (const auto &address : member.addresses)
			addresses.push_back(to_string(address));
		out["addresses"] = std::move(addresses);
	}
	if (member.healthy)
		out["healthy"] = *member.healthy;
	// A backend that reports its health says which VIPs it has even when
	// it has none ("vips": []), so that a reader need not guess.
	if (!member.vips.empty() || member.healthy) {
		json vips = json::array();
		for (const auto &vip : member.vips)
			vips.push_back(vip_name(vip));
		out["vips"] = std::move(vips);
	}
	if (!member.error.empty())
		out["error"] = member.error;
	return out.dump();
}

// --- decoders ---------------------------------------------------------------

Result<VipConfig, Error> decode_vip_config(std::string_view text)
{
	auto object = parse_object(text, "VIP configuration");
	if (!object)
		return unexpected(object.error());
	Reader in(*object, "VIP configuration");
	VipConfig config;
	auto address = parse_ip_address(in.text("vip"));
	in.check(address);
	auto protocol = parse_protocol(in.text("protocol", "tcp"));
	in.check(protocol);
	config.vip.port = in.integer<uint16_t>("port", 0, 0, 65535);
	config.bucket_count = in.integer<uint32_t>("buckets", 0, 0, max_stored_buckets);
	config.drain_timeout = in.integer<uint32_t>("drain_timeout", 240, 0, 86400);
	auto config_mode = parse_mptcp_mode(in.text("mptcp", "none"));
	in.check(config_mode);
	if (config_mode)
		config.mptcp = *config_mode;
	config.mptcp_first_port = in.integer<uint16_t>("mptcp_first_port", 0, 0, 65535);
	if (const auto *backends = in.member("backends", json::value_t::array)) {
		for (const auto &entry : *backends) {
			if (!entry.is_object()) {
				in.fail("a backend is not an object");
				break;
			}
			Reader backend_in(entry, "backend");
			const auto dip =
				entry.contains("address")
					? dip_of(entry["address"])
					: Result<lb::Dip, Error>(unexpected(Error{"no address"}));
			backend_in.check(dip);
			BackendConfig backend{dip ? *dip : lb::Dip{}, 1, false};
			backend.weight = backend_in.integer<uint32_t>("weight", 1, lb::min_weight,
								      lb::max_weight);
			backend.drain = backend_in.boolean("drain", false);
			if (backend_in.error()) {
				in.fail(*backend_in.error());
				break;
			}
			config.backends.push_back(std::move(backend));
		}
	}
	if (object->contains("health_check")) {
		if (const auto *check = in.member("health_check", json::value_t::object)) {
			Reader check_in(*check, "health check");
			auto kind = check_kinds.parse(check_in.text("type", "none"));
			check_in.check(kind);
			auto &out = config.health_check;
			out.kind = kind ? *kind : HealthCheckConfig::Kind::none;
			out.port = check_in.integer<uint16_t>("port", 0, 0, 65535);
			out.path = check_in.text("path", "/");
			out.interval_ms =
				check_in.integer<uint32_t>("interval_ms", 2000, 1, 3600 * 1000);
			out.timeout_ms =
				check_in.integer<uint32_t>("timeout_ms", 1000, 1, 3600 * 1000);
			out.rise = check_in.integer<uint32_t>("rise", 3, 1, 100);
			out.fall = check_in.integer<uint32_t>("fall", 3, 1, 100);
			if (check_in.error())
				in.fail(*check_in.error());
		}
	}
	if (in.error())
		return unexpected(Error{*in.error()});
	config.vip.address = *address;
	config.vip.protocol = *protocol;
	std::sort(config.backends.begin(), config.backends.end(),
		  [](const auto &a, const auto &b) { return a.dip < b.dip; });
	if (auto checked = check_vip_config(config); !checked)
		return unexpected(checked.error());
	return config;
}

Result<VipStatus, Error> decode_vip_status(std::string_view text)
{
	auto object = parse_object(text, "VIP status");
	if (!object)
		return unexpected(object.error());
	Reader in(*object, "VIP status");
	VipStatus status;
	if (const auto *backends = in.member("backends", json::value_t::object)) {
		for (const auto &[address, entry] : backends->items()) {
			auto dip = lb::parse_dip(address);
			in.check(dip);
			if (!dip || !entry.is_object()) {
				in.fail("backend " + address + " is malformed");
				break;
			}
			Reader backend_in(entry, "backend " + address);
			auto health = healths.parse(backend_in.text("health", "unknown"));
			backend_in.check(health);
			BackendStatus backend;
			backend.health = health ? *health : Health::unknown;
			backend.drain_since = backend_in.integer<uint32_t>(
				"drain_since", 0, 0, std::numeric_limits<uint32_t>::max());
			if (backend_in.error()) {
				in.fail(*backend_in.error());
				break;
			}
			status.backends[*dip] = backend;
		}
	}
	if (in.error())
		return unexpected(Error{*in.error()});
	return status;
}

Result<MapVersion, Error> decode_map_version(std::string_view text)
{
	auto object = parse_object(text, "map version");
	if (!object)
		return unexpected(object.error());
	Reader in(*object, "map version");
	MapVersion version;
	version.map.generation =
		in.integer<uint32_t>("generation", 0, 1, std::numeric_limits<uint32_t>::max());
	const auto bucket_count =
		in.integer<uint32_t>("buckets", 0, lb::min_bucket_count, max_stored_buckets);
	auto mode = parse_mptcp_mode(in.text("mptcp", "none"));
	in.check(mode);
	if (mode)
		version.mptcp = *mode;
	std::vector<lb::Dip> dips;
	if (const auto *names = in.member("dips", json::value_t::array))
		for (const auto &name : *names) {
			auto dip = dip_of(name);
			in.check(dip);
			if (!dip)
				break;
			dips.push_back(*dip);
		}
	if (const auto *pool = in.member("pool", json::value_t::array))
		for (const auto &entry : *pool) {
			if (!entry.is_object()) {
				in.fail("a pool entry is not an object");
				break;
			}
			Reader entry_in(entry, "pool entry");
			auto dip =
				entry.contains("address")
					? dip_of(entry["address"])
					: Result<lb::Dip, Error>(unexpected(Error{"no address"}));
			entry_in.check(dip);
			auto state = lb::parse_backend_state(entry_in.text("state", "active"));
			entry_in.check(state);
			const auto weight = entry_in.integer<uint32_t>("weight", 1, lb::min_weight,
								       lb::max_weight);
			const auto port = entry_in.integer<uint16_t>("mptcp_port", 0, 0, 65535);
			if (entry_in.error()) {
				in.fail(*entry_in.error());
				break;
			}
			version.pool.push_back({*dip, weight, *state});
			if (port != 0)
				version.mptcp_ports[*dip] = port;
		}
	if (const auto *runs = in.member("runs", json::value_t::array)) {
		const auto index = [&](const json &value) -> std::optional<std::optional<lb::Dip>> {
			if (!value.is_number_integer())
				return std::nullopt;
			const auto i = value.get<int64_t>();
			if (i == -1)
				return std::optional<lb::Dip>{};
			if (i < 0 || static_cast<uint64_t>(i) >= dips.size())
				return std::nullopt;
			return std::optional<lb::Dip>{dips[static_cast<size_t>(i)]};
		};
		for (const auto &run : *runs) {
			if (!run.is_array() || run.size() != 4 || !run[0].is_number_unsigned() ||
			    !run[3].is_number_unsigned()) {
				in.fail("a run is not [length, owner, previous, changed_at]");
				break;
			}
			const auto length = run[0].get<uint64_t>();
			const auto changed_at = run[3].get<uint64_t>();
			const auto owner = index(run[1]);
			const auto previous = index(run[2]);
			if (length == 0 || length > bucket_count - version.map.buckets.size() ||
			    changed_at > std::numeric_limits<uint32_t>::max() || !owner ||
			    !previous) {
				in.fail("run " + run.dump() + " is out of range");
				break;
			}
			version.map.buckets.insert(
				version.map.buckets.end(), length,
				lb::Bucket{*owner, *previous, static_cast<uint32_t>(changed_at)});
		}
	}
	if (!in.error() && version.map.buckets.size() != bucket_count)
		in.fail("the runs hold " + std::to_string(version.map.buckets.size()) +
			" buckets, not " + std::to_string(bucket_count));
	if (in.error())
		return unexpected(Error{*in.error()});
	std::set<lb::Dip> pooled;
	for (const auto &backend : version.pool)
		if (!pooled.insert(backend.dip).second)
			return unexpected(Error{"map version: backend " + to_string(backend.dip) +
						" is in the pool twice"});
	for (const auto &bucket : version.map.buckets)
		if (bucket.owner && !pooled.contains(*bucket.owner))
			return unexpected(Error{"map version: bucket owner " +
						to_string(*bucket.owner) + " is not in the pool"});
	// Port mode's ports name their backends: one each, none twice.
	std::set<uint16_t> ports;
	for (const auto &[dip, port] : version.mptcp_ports)
		if (!ports.insert(port).second)
			return unexpected(Error{"map version: MPTCP port " + std::to_string(port) +
						" is given to two backends"});
	if (version.mptcp != MptcpMode::port && !version.mptcp_ports.empty())
		return unexpected(Error{"map version: MPTCP ports outside port mode"});
	if (version.mptcp == MptcpMode::port && version.mptcp_ports.size() != version.pool.size())
		return unexpected(Error{"map version: a backend has no MPTCP port in port mode"});
	return version;
}

Result<Ack, Error> decode_ack(std::string_view text)
{
	auto object = parse_object(text, "acknowledgement");
	if (!object)
		return unexpected(object.error());
	Reader in(*object, "acknowledgement");
	Ack ack;
	ack.generation =
		in.integer<uint32_t>("generation", 0, 1, std::numeric_limits<uint32_t>::max());
	ack.ok = in.boolean("ok", false);
	ack.error = in.text("error");
	if (!object->contains("generation"))
		in.fail("no generation");
	if (in.error())
		return unexpected(Error{*in.error()});
	return ack;
}

Result<MemberRecord, Error> decode_member(std::string_view text)
{
	auto object = parse_object(text, "member");
	if (!object)
		return unexpected(object.error());
	Reader in(*object, "member");
	MemberRecord member;
	member.name = in.text("name");
	member.since = in.integer<uint32_t>("since", 0, 0, std::numeric_limits<uint32_t>::max());
	if (object->contains("address")) {
		auto address = parse_ip_address(in.text("address"));
		in.check(address);
		if (address)
			member.address = *address;
	}
	if (object->contains("addresses")) {
		if (const auto *addresses = in.member("addresses", json::value_t::array)) {
			for (const auto &entry : *addresses) {
				if (!entry.is_string()) {
					in.fail("an address is not a string");
					break;
				}
				auto address =
					parse_ip_address(entry.get_ref<const std::string &>());
				in.check(address);
				if (!address)
					break;
				member.addresses.push_back(*address);
			}
		}
	}
	if (object->contains("healthy"))
		member.healthy = in.boolean("healthy", false);
	if (object->contains("vips")) {
		if (const auto *vips = in.member("vips", json::value_t::array)) {
			for (const auto &entry : *vips) {
				if (!entry.is_string()) {
					in.fail("a VIP is not a string");
					break;
				}
				auto vip = parse_vip_name(entry.get_ref<const std::string &>());
				in.check(vip);
				if (!vip)
					break;
				member.vips.push_back(*vip);
			}
		}
	}
	member.error = in.text("error");
	if (auto name = check_member_name(member.name); !name)
		in.fail(name.error().message);
	if (in.error())
		return unexpected(Error{*in.error()});
	return member;
}

ParsedKey parse_key(const Keys &keys, std::string_view key)
{
	ParsedKey out;
	if (!key.starts_with(keys.prefix))
		return out;
	key.remove_prefix(keys.prefix.size());
	if (key == "leader") {
		out.kind = ParsedKey::Kind::leader;
		return out;
	}
	const auto slash = key.find('/');
	if (slash == std::string_view::npos)
		return out;
	const auto kind = key.substr(0, slash);
	auto rest = key.substr(slash + 1);
	if (kind == "muxes" || kind == "backends") {
		if (!check_member_name(rest))
			return out;
		out.kind = kind == "muxes" ? ParsedKey::Kind::mux : ParsedKey::Kind::backend;
		out.member = std::string(rest);
		return out;
	}
	std::string_view member;
	if (kind == "acks") {
		const auto end = rest.find('/');
		if (end == std::string_view::npos)
			return out;
		member = rest.substr(end + 1);
		rest = rest.substr(0, end);
		if (!check_member_name(member))
			return out;
	}
	auto vip = parse_vip_name(rest);
	if (!vip)
		return out;
	if (kind == "config")
		out.kind = ParsedKey::Kind::config;
	else if (kind == "status")
		out.kind = ParsedKey::Kind::status;
	else if (kind == "prepared")
		out.kind = ParsedKey::Kind::prepared;
	else if (kind == "map")
		out.kind = ParsedKey::Kind::map;
	else if (kind == "acks")
		out.kind = ParsedKey::Kind::ack;
	else
		return out;
	out.vip = *vip;
	out.member = std::string(member);
	return out;
}

} // namespace iplb::lbcontrol
