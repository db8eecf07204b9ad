// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/bpf_programs.hpp"

#include "datapath/bpf_detail.hpp"
#include "datapath/tcx_link.hpp"

#include "iplb_host.skel.h"
#include "iplb_relay.skel.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <tuple>

namespace iplb {
namespace {

using namespace bpf_detail;

// A prefix as the key of its family's LPM trie, and the map it goes in.
struct LpmKey {
	union {
		iplb_v4_key v4;
		iplb_v6_key v6;
	};
	int map_fd;
};

LpmKey key_of(const IpPrefix &prefix, int v4_fd, int v6_fd)
{
	LpmKey key;
	std::memset(&key, 0, sizeof(key));
	if (const Ipv4Prefix *p = std::get_if<Ipv4Prefix>(&prefix)) {
		key.v4 = {p->length, htonl(p->address.value)};
		key.map_fd = v4_fd;
	} else {
		const Ipv6Prefix &p6 = std::get<Ipv6Prefix>(prefix);
		key.v6.prefixlen = p6.length;
		std::memcpy(key.v6.addr, p6.address.bytes.data(), 16);
		key.map_fd = v6_fd;
	}
	return key;
}

// The prefix of an LPM key: key_of() undone.
Ipv4Prefix prefix_of(const iplb_v4_key &key)
{
	return Ipv4Prefix{Ipv4{ntohl(key.addr)}, static_cast<uint8_t>(key.prefixlen)};
}

Ipv6Prefix prefix_of(const iplb_v6_key &key)
{
	Ipv6Prefix prefix;
	std::memcpy(prefix.address.bytes.data(), key.addr, 16);
	prefix.length = static_cast<uint8_t>(key.prefixlen);
	return prefix;
}

Result<iplb_config, Error> read_config(int map_fd)
{
	iplb_config config;
	const uint32_t zero = 0;
	if (bpf_map_lookup_elem(map_fd, &zero, &config) != 0)
		return unexpected(os_error("cannot read the datapath config", errno));
	return config;
}

Error layout_error(const std::string &where, uint32_t version)
{
	return Error{"the datapath pinned in " + where + " has table layout " +
		     std::to_string(version) + ", this build " +
		     std::to_string(IPLB_HOST_LAYOUT_VERSION) +
		     " (iplbctl purge removes it, and its table)"};
}

Error relay_layout_error(const std::string &where, uint32_t version)
{
	return Error{"the relay pinned in " + where + " has relay layout " +
		     std::to_string(version) + ", this build " +
		     std::to_string(IPLB_RELAY_LAYOUT_VERSION) +
		     " (iplbctl purge removes it, and its addresses and sources)"};
}

Result<uint32_t, Error> read_relay_version(int map_fd)
{
	iplb_relay_config config;
	const uint32_t zero = 0;
	if (bpf_map_lookup_elem(map_fd, &zero, &config) != 0)
		return unexpected(os_error("cannot read the relay config", errno));
	return config.layout_version;
}

// The relay layout pinned in dir: none if no relay map is pinned there; 1 if
// relay maps are, but no config map (layout 1 had none); else the config's
// version (0: maps just made, not yet stamped).
Result<std::optional<uint32_t>, Error> pinned_relay_layout(const PinDir &dir)
{
	UniqueFd config(bpf_obj_get((dir / "iplb_relay_config").c_str()));
	if (config) {
		auto version = read_relay_version(config.get());
		if (!version)
			return unexpected(version.error());
		return std::optional<uint32_t>{*version};
	}
	if (errno != ENOENT)
		return unexpected(os_error("cannot open " + (dir / "iplb_relay_config"), errno));
	for (const char *name : {"iplb_local_v4", "iplb_local_v6", "iplb_relay_counters"})
		if (::access((dir / name).c_str(), F_OK) == 0)
			return std::optional<uint32_t>{1};
	return std::optional<uint32_t>{};
}

std::string family_name(const IpPrefix &prefix)
{
	return is_v6(prefix) ? "IPv6" : "IPv4";
}

} // namespace

// ---------------------------------------------------------------------------

Result<HostMaps, Error> HostMaps::from_pins(const PinDir &dir)
{
	auto routes = pinned_map(dir, "iplb_routes_v4");
	if (!routes)
		return unexpected(routes.error());
	auto config = pinned_map(dir, "iplb_config");
	if (!config)
		return unexpected(config.error());
	auto route_counters = pinned_map(dir, "iplb_route_counters");
	if (!route_counters)
		return unexpected(route_counters.error());
	auto list_counters = pinned_map(dir, "iplb_list_counters");
	if (!list_counters)
		return unexpected(list_counters.error());
	// The layout first: a pin directory of another layout may lack maps.
	auto version = read_config(config->get());
	if (!version)
		return unexpected(version.error());
	if (version->layout_version != IPLB_HOST_LAYOUT_VERSION)
		return unexpected(layout_error(dir.path, version->layout_version));
	auto flows = pinned_map(dir, "iplb_flows");
	if (!flows)
		return unexpected(flows.error());
	auto routes6 = pinned_map(dir, "iplb_routes_v6");
	if (!routes6)
		return unexpected(routes6.error());
	return HostMaps(std::move(*routes), std::move(*routes6), std::move(*config),
			std::move(*route_counters), std::move(*list_counters), std::move(*flows));
}

Status HostMaps::set_config(const HostConfig &wanted)
{
	iplb_config config;
	std::memset(&config, 0, sizeof(config));
	if (auto current = read_config(config_.get()); current) {
		config.owner_deadline_jiffies = current->owner_deadline_jiffies;
		config.owner_renewed_ns = current->owner_renewed_ns;
		config.owner_lease_ms = current->owner_lease_ms;
	}
	config.layout_version = IPLB_HOST_LAYOUT_VERSION;
	config.source_v4 = wanted.source ? htonl(wanted.source->value) : 0;
	if (wanted.source6)
		std::memcpy(config.source_v6, wanted.source6->bytes.data(), 16);
	config.flags = wanted.fib_redirect ? IPLB_CONFIG_FIB_REDIRECT : 0;
	config.flow_idle_ms = wanted.flow_idle_ms;
	const uint32_t zero = 0;
	if (bpf_map_update_elem(config_.get(), &zero, &config, BPF_ANY) != 0)
		return unexpected(os_error("cannot write the datapath config", errno));
	return ok();
}

Result<HostConfig, Error> HostMaps::config() const
{
	auto raw = read_config(config_.get());
	if (!raw)
		return unexpected(raw.error());
	HostConfig config;
	if (raw->source_v4)
		config.source = Ipv4{ntohl(raw->source_v4)};
	if (raw->source_v6[0] | raw->source_v6[1] | raw->source_v6[2] | raw->source_v6[3]) {
		Ipv6 source6;
		std::memcpy(source6.bytes.data(), raw->source_v6, 16);
		config.source6 = source6;
	}
	config.fib_redirect = raw->flags & IPLB_CONFIG_FIB_REDIRECT;
	config.flow_idle_ms = raw->flow_idle_ms;
	return config;
}

Status HostMaps::set_owner_lease(std::optional<OwnerLease> lease)
{
	auto config = read_config(config_.get());
	if (!config)
		return unexpected(config.error());
	const OwnerLease l = lease.value_or(OwnerLease{});
	config->owner_deadline_jiffies = l.deadline_jiffies;
	config->owner_renewed_ns = static_cast<uint64_t>(l.renewed.count());
	config->owner_lease_ms = static_cast<uint32_t>(l.length.count());
	const uint32_t zero = 0;
	if (bpf_map_update_elem(config_.get(), &zero, &*config, BPF_ANY) != 0)
		return unexpected(os_error("cannot write the owner's lease", errno));
	return ok();
}

Result<std::optional<OwnerLease>, Error> HostMaps::owner_lease() const
{
	auto config = read_config(config_.get());
	if (!config)
		return unexpected(config.error());
	if (config->owner_deadline_jiffies == 0)
		return std::optional<OwnerLease>{};
	return std::optional<OwnerLease>{
		OwnerLease{config->owner_deadline_jiffies,
			   std::chrono::nanoseconds{static_cast<int64_t>(config->owner_renewed_ns)},
			   std::chrono::milliseconds{config->owner_lease_ms}}};
}

std::chrono::nanoseconds monotonic_now()
{
	timespec now{};
	::clock_gettime(CLOCK_MONOTONIC, &now);
	return std::chrono::seconds{now.tv_sec} + std::chrono::nanoseconds{now.tv_nsec};
}

Result<uint32_t, Error> HostMaps::layout_version() const
{
	auto raw = read_config(config_.get());
	if (!raw)
		return unexpected(raw.error());
	return raw->layout_version;
}

Result<std::vector<FlowEntry>, Error> HostMaps::flows() const
{
	// bpf_ktime_get_ns()'s clock
	const auto now = static_cast<uint64_t>(monotonic_now().count());
	std::vector<FlowEntry> out;
	iplb_flow_key key{}, next{};
	const iplb_flow_key *previous = nullptr;
	while (bpf_map_get_next_key(flows_.get(), previous, &next) == 0) {
		iplb_flow flow;
		// A flow evicted between the two calls is simply not listed.
		if (bpf_map_lookup_elem(flows_.get(), &next, &flow) == 0)
			out.push_back({address_of(next.saddr, next.family == AF_INET6),
				       address_of(next.daddr, next.family == AF_INET6),
				       ntohs(next.sport), ntohs(next.dport), next.protocol,
				       flow.list_key, flow.route_id,
				       now > flow.last_seen_ns ? now - flow.last_seen_ns : 0});
		key = next;
		previous = &key;
	}
	if (errno != ENOENT)
		return unexpected(os_error("cannot list the flows", errno));
	std::sort(out.begin(), out.end(), [](const FlowEntry &a, const FlowEntry &b) {
		return std::tie(a.destination, a.source, a.protocol, a.destination_port,
				a.source_port) < std::tie(b.destination, b.source, b.protocol,
							  b.destination_port, b.source_port);
	});
	return out;
}

Status HostMaps::forget_flows()
{
	iplb_flow_key key{};
	// Deleting the first key until none is left: deleting while walking
	// would restart the walk anyway.
	while (bpf_map_get_next_key(flows_.get(), nullptr, &key) == 0)
		if (bpf_map_delete_elem(flows_.get(), &key) != 0 && errno != ENOENT)
			return unexpected(os_error("cannot forget a flow", errno));
	if (errno != ENOENT)
		return unexpected(os_error("cannot list the flows", errno));
	return ok();
}

Status HostMaps::put_route(const IpPrefix &prefix, const iplb_route &record)
{
	const LpmKey key = key_of(prefix, routes_.get(), routes6_.get());
	if (bpf_map_update_elem(key.map_fd, &key, &record, BPF_ANY) != 0)
		return unexpected(os_error("cannot write " + to_string(prefix), errno));
	return ok();
}

Status HostMaps::delete_route(const IpPrefix &prefix)
{
	const LpmKey key = key_of(prefix, routes_.get(), routes6_.get());
	if (bpf_map_delete_elem(key.map_fd, &key) != 0)
		return unexpected(errno == ENOENT
					  ? Error{"no route for " + to_string(prefix)}
					  : os_error("cannot delete " + to_string(prefix), errno));
	return ok();
}

Result<std::optional<iplb_route>, Error> HostMaps::route(const IpPrefix &prefix) const
{
	const LpmKey key = key_of(prefix, routes_.get(), routes6_.get());
	iplb_route record;
	if (bpf_map_lookup_elem(key.map_fd, &key, &record) != 0) {
		if (errno == ENOENT)
			return std::optional<iplb_route>{};
		return unexpected(os_error("cannot read " + to_string(prefix), errno));
	}
	return std::optional<iplb_route>{record};
}

Result<std::vector<std::pair<IpPrefix, iplb_route>>, Error> HostMaps::routes() const
{
	auto v4 = entries<iplb_v4_key, iplb_route>(routes_.get(), "the IPv4 routes");
	if (!v4)
		return unexpected(v4.error());
	auto v6 = entries<iplb_v6_key, iplb_route>(routes6_.get(), "the IPv6 routes");
	if (!v6)
		return unexpected(v6.error());
	std::vector<std::pair<IpPrefix, iplb_route>> out;
	for (const auto &[key, record] : *v4)
		out.emplace_back(prefix_of(key), record);
	for (const auto &[key, record] : *v6)
		out.emplace_back(prefix_of(key), record);
	std::sort(out.begin(), out.end(),
		  [](const auto &a, const auto &b) { return a.first < b.first; });
	return out;
}

Result<iplb_counters, Error> HostMaps::route_counters(uint32_t id) const
{
	return sum_per_cpu<iplb_counters>(route_counters_.get(), id);
}

Result<iplb_list_counters, Error> HostMaps::list_counters(uint32_t id, uint32_t list) const
{
	return sum_per_cpu<iplb_list_counters>(list_counters_.get(), id * IPLB_MAX_LISTS + list);
}

Status HostMaps::clear_counters(uint32_t id)
{
	if (auto s = zero_per_cpu<iplb_counters>(route_counters_.get(), id); !s)
		return s;
	for (uint32_t list = 0; list < IPLB_MAX_LISTS; list++)
		if (auto s = zero_per_cpu<iplb_list_counters>(list_counters_.get(),
							      id * IPLB_MAX_LISTS + list);
		    !s)
			return s;
	return ok();
}

// ---------------------------------------------------------------------------

Result<RelayMaps, Error> RelayMaps::from_pins(const PinDir &dir)
{
	// The layout first: pins of another layout may lack maps, or mean
	// something else by them.
	auto version = pinned_relay_layout(dir);
	if (!version)
		return unexpected(version.error());
	if (!*version)
		return unexpected(Error{"no relay in " + dir.path + " (iplbctl attach relay DEV)"});
	if (**version != IPLB_RELAY_LAYOUT_VERSION)
		return unexpected(relay_layout_error(dir.path, **version));
	std::array<UniqueFd, 6> fds;
	const char *names[] = {"iplb_local_v4",	  "iplb_local_v6",     "iplb_sources_v4",
			       "iplb_sources_v6", "iplb_relay_config", "iplb_relay_counters"};
	for (size_t i = 0; i < fds.size(); i++) {
		auto fd = pinned_map(dir, names[i]);
		if (!fd)
			return unexpected(fd.error());
		fds[i] = std::move(*fd);
	}
	return RelayMaps(std::move(fds[0]), std::move(fds[1]), std::move(fds[2]), std::move(fds[3]),
			 std::move(fds[4]), std::move(fds[5]));
}

Status RelayMaps::add_local(const IpAddress &address)
{
	const uint8_t present = 1;
	int rc;
	if (const Ipv4 *v4 = std::get_if<Ipv4>(&address)) {
		const uint32_t key = htonl(v4->value);
		rc = bpf_map_update_elem(local_.get(), &key, &present, BPF_ANY);
	} else {
		rc = bpf_map_update_elem(local6_.get(), std::get<Ipv6>(address).bytes.data(),
					 &present, BPF_ANY);
	}
	if (rc != 0)
		return unexpected(
			os_error("cannot add relay address " + to_string(address), errno));
	return ok();
}

Status RelayMaps::remove_local(const IpAddress &address)
{
	int rc;
	if (const Ipv4 *v4 = std::get_if<Ipv4>(&address)) {
		const uint32_t key = htonl(v4->value);
		rc = bpf_map_delete_elem(local_.get(), &key);
	} else {
		rc = bpf_map_delete_elem(local6_.get(), std::get<Ipv6>(address).bytes.data());
	}
	if (rc != 0)
		return unexpected(
			errno == ENOENT
				? Error{to_string(address) + " is not a relay address here"}
				: os_error("cannot remove relay address " + to_string(address),
					   errno));
	return ok();
}

Result<std::vector<IpAddress>, Error> RelayMaps::locals() const
{
	auto v4 = entries<uint32_t, uint8_t>(local_.get(), "relay addresses");
	if (!v4)
		return unexpected(v4.error());
	auto v6 = entries<std::array<uint8_t, 16>, uint8_t>(local6_.get(), "relay addresses");
	if (!v6)
		return unexpected(v6.error());
	std::vector<IpAddress> out;
	for (const auto &[key, present] : *v4)
		out.push_back(Ipv4{ntohl(key)});
	for (const auto &[key, present] : *v6)
		out.push_back(Ipv6{key});
	std::sort(out.begin(), out.end());
	return out;
}

Status RelayMaps::add_source(const IpPrefix &prefix)
{
	const LpmKey key = key_of(prefix, sources_.get(), sources6_.get());
	const uint8_t present = 1;
	if (bpf_map_update_elem(key.map_fd, &key, &present, BPF_ANY) != 0) {
		if (errno == ENOSPC)
			return unexpected(Error{"cannot allow tunnel source " + to_string(prefix) +
						": a relay takes at most " +
						std::to_string(IPLB_MAX_SOURCES) + " " +
						family_name(prefix) + " source prefixes"});
		return unexpected(
			os_error("cannot allow tunnel source " + to_string(prefix), errno));
	}
	return ok();
}

Status RelayMaps::remove_source(const IpPrefix &prefix)
{
	const LpmKey key = key_of(prefix, sources_.get(), sources6_.get());
	if (bpf_map_delete_elem(key.map_fd, &key) != 0)
		return unexpected(
			errno == ENOENT
				? Error{to_string(prefix) + " is not an allowed tunnel source here"}
				: os_error("cannot remove tunnel source " + to_string(prefix),
					   errno));
	return ok();
}

Result<std::vector<IpPrefix>, Error> RelayMaps::sources() const
{
	auto v4 = entries<iplb_v4_key, uint8_t>(sources_.get(), "tunnel sources");
	if (!v4)
		return unexpected(v4.error());
	auto v6 = entries<iplb_v6_key, uint8_t>(sources6_.get(), "tunnel sources");
	if (!v6)
		return unexpected(v6.error());
	std::vector<IpPrefix> out;
	for (const auto &[key, present] : *v4)
		out.push_back(prefix_of(key));
	for (const auto &[key, present] : *v6)
		out.push_back(prefix_of(key));
	std::sort(out.begin(), out.end());
	return out;
}

Result<iplb_relay_counters, Error> RelayMaps::counters() const
{
	return sum_per_cpu<iplb_relay_counters>(counters_.get(), 0);
}

Result<uint32_t, Error> RelayMaps::layout_version() const
{
	return read_relay_version(config_.get());
}

// ---------------------------------------------------------------------------

void HostProgram::Close::operator()(iplb_host *skeleton) const
{
	iplb_host__destroy(skeleton);
}

Result<HostProgram, Error> HostProgram::make(std::optional<PinDir> pins, uint32_t flow_capacity)
{
	if (pins) {
		// Refuse a pinned table of another layout before libbpf tries to
		// reuse its maps (and fails on the first that differs, obscurely).
		if (UniqueFd config(bpf_obj_get((*pins / "iplb_config").c_str())); config) {
			auto raw = read_config(config.get());
			if (!raw)
				return unexpected(raw.error());
			if (raw->layout_version != 0 &&
			    raw->layout_version != IPLB_HOST_LAYOUT_VERSION)
				return unexpected(layout_error(pins->path, raw->layout_version));
		}
	}
	VerifierLog log;
	std::unique_ptr<iplb_host, Close> skeleton(iplb_host__open_opts(log.opts()));
	if (!skeleton)
		return unexpected(load_error("the host program", -errno));
	if (pins)
		pin_maps(skeleton.get(), *pins);
	if (int rc = bpf_map__set_max_entries(skeleton->maps.iplb_flows, flow_capacity); rc != 0)
		return unexpected(os_error("cannot size the flow table", rc));
	if (int rc = iplb_host__load(skeleton.get()); rc != 0)
		return unexpected(refused(load_error("the host program", rc), log));
	const auto &m = skeleton->maps;
	HostMaps maps(dup_fd(m.iplb_routes_v4), dup_fd(m.iplb_routes_v6), dup_fd(m.iplb_config),
		      dup_fd(m.iplb_route_counters), dup_fd(m.iplb_list_counters),
		      dup_fd(m.iplb_flows));
	auto version = maps.layout_version();
	if (!version)
		return unexpected(version.error());
	if (*version == 0) {
		// New maps: a working config before any route can match.
		if (auto s = maps.set_config(HostConfig{}); !s)
			return unexpected(s.error());
	} else if (*version != IPLB_HOST_LAYOUT_VERSION) {
		return unexpected(layout_error(pins ? pins->path : "(none)", *version));
	}
	return HostProgram(std::move(skeleton), std::move(maps), std::move(pins));
}

Result<HostProgram, Error> HostProgram::load(uint32_t flow_capacity)
{
	return make(std::nullopt, flow_capacity);
}

Result<HostProgram, Error> HostProgram::open(const PinDir &dir)
{
	return make(dir, IPLB_MAX_FLOWS);
}

int HostProgram::prog_fd() const
{
	return bpf_program__fd(skeleton_->progs.iplb_host_egress);
}

int HostProgram::ingress_prog_fd() const
{
	return bpf_program__fd(skeleton_->progs.iplb_host_ingress);
}

Status HostProgram::attach(const std::string &ifname)
{
	if (!pins_)
		return unexpected(Error{"a program without pins cannot be attached"});
	if (auto s = attach_tcx(prog_fd(), ifname, TcxDirection::egress,
				tcx_pin_path(pins_->path, "host", TcxDirection::egress, ifname));
	    !s)
		return s;
	return attach_tcx(ingress_prog_fd(), ifname, TcxDirection::ingress,
			  tcx_pin_path(pins_->path, "host", TcxDirection::ingress, ifname));
}

Status HostProgram::take_over(const PinDir &from, const std::string &ifname)
{
	if (!pins_)
		return unexpected(Error{"a program without pins cannot be attached"});
	for (auto direction : {TcxDirection::egress, TcxDirection::ingress}) {
		const std::string theirs = tcx_pin_path(from.path, "host", direction, ifname);
		const std::string ours = tcx_pin_path(pins_->path, "host", direction, ifname);
		UniqueFd link(bpf_obj_get(theirs.c_str()));
		if (!link)
			return unexpected(os_error("cannot open " + theirs, errno));
		const int prog = direction == TcxDirection::egress ? prog_fd() : ingress_prog_fd();
		if (bpf_link_update(link.get(), prog, nullptr) != 0)
			return unexpected(os_error("cannot swap the program of " + theirs, errno));
		// A link of our own there would run this program twice.
		(void)detach_tcx(ours);
		if (bpf_obj_pin(link.get(), ours.c_str()) != 0)
			return unexpected(os_error("cannot pin " + ours, errno));
		::unlink(theirs.c_str());
	}
	return ok();
}

Result<iplb_clock, Error> HostProgram::clock() const
{
	iplb_clock clock{};
	bpf_test_run_opts opts;
	std::memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	// A syscall program's context comes back where it went in (ctx_out is
	// refused for this program type).
	opts.ctx_in = &clock;
	opts.ctx_size_in = sizeof(clock);
	if (bpf_prog_test_run_opts(bpf_program__fd(skeleton_->progs.iplb_host_clock), &opts) != 0)
		return unexpected(os_error("cannot read the kernel's clocks", errno));
	return clock;
}

Status HostProgram::renew_lease(std::chrono::milliseconds length)
{
	auto now = clock();
	if (!now)
		return unexpected(now.error());
	if (!first_clock_) {
		first_clock_ = *now;
	} else if (!hz_ && now->monotonic_ns >= first_clock_->monotonic_ns + 1'000'000'000u) {
		// Ticks per second, rounded to the HZ a kernel can be built with.
		const double measured = double(now->jiffies - first_clock_->jiffies) * 1e9 /
					double(now->monotonic_ns - first_clock_->monotonic_ns);
		uint64_t best = 1000;
		for (uint64_t hz : {100u, 250u, 300u, 1000u})
			if (std::abs(double(hz) - measured) < std::abs(double(best) - measured))
				best = hz;
		hz_ = best;
	}
	const uint64_t hz = hz_.value_or(1000);
	const auto ms = static_cast<uint64_t>(length.count());
	OwnerLease lease;
	lease.deadline_jiffies = now->jiffies + (ms * hz + 999) / 1000;
	lease.renewed = std::chrono::nanoseconds{static_cast<int64_t>(now->monotonic_ns)};
	lease.length = length;
	return maps_.set_owner_lease(lease);
}

Result<HostProgram::Hooks, Error> HostProgram::hooks(const std::string &ifname) const
{
	Hooks hooks;
	const unsigned ifindex = if_nametoindex(ifname.c_str());
	if (ifindex == 0)
		return hooks;
	auto egress = program_id(prog_fd());
	if (!egress)
		return unexpected(egress.error());
	auto ingress = program_id(ingress_prog_fd());
	if (!ingress)
		return unexpected(ingress.error());
	auto on_egress = tcx_programs(ifindex, TcxDirection::egress);
	if (!on_egress)
		return unexpected(on_egress.error());
	auto on_ingress = tcx_programs(ifindex, TcxDirection::ingress);
	if (!on_ingress)
		return unexpected(on_ingress.error());
	hooks.egress = std::ranges::find(*on_egress, *egress) != on_egress->end();
	hooks.ingress = std::ranges::find(*on_ingress, *ingress) != on_ingress->end();
	// The kernel keeps 15 characters of a name.
	const std::string ours =
		std::string(bpf_program__name(skeleton_->progs.iplb_host_egress)).substr(0, 15);
	for (uint32_t id : *on_egress) {
		if (id == *egress)
			continue;
		// A program gone between the two calls is no longer there.
		if (auto name = program_name(id); name && *name == ours)
			hooks.other_hosts.push_back(id);
	}
	return hooks;
}

Result<std::vector<std::string>, Error> HostProgram::restore_pins()
{
	if (!pins_)
		return unexpected(Error{"a program without pins has none to restore"});
	std::vector<std::string> restored;
	bpf_map *map;
	bpf_object__for_each_map(map, skeleton_->obj)
	{
		if (bpf_map__is_internal(map))
			continue;
		const std::string path = *pins_ / bpf_map__name(map);
		auto ours = map_id(bpf_map__fd(map));
		if (!ours)
			return unexpected(ours.error());
		if (UniqueFd pinned(bpf_obj_get(path.c_str())); pinned) {
			if (auto theirs = map_id(pinned.get()); theirs && *theirs == *ours)
				continue;
			if (::unlink(path.c_str()) != 0)
				return unexpected(os_error("cannot replace " + path, errno));
		}
		if (bpf_obj_pin(bpf_map__fd(map), path.c_str()) != 0)
			return unexpected(os_error("cannot pin " + path, errno));
		restored.push_back(bpf_map__name(map));
	}
	return restored;
}

// ---------------------------------------------------------------------------

void RelayProgram::Close::operator()(iplb_relay *skeleton) const
{
	iplb_relay__destroy(skeleton);
}

Result<RelayProgram, Error> RelayProgram::make(std::optional<PinDir> pins)
{
	if (pins) {
		// Refuse relay pins of another layout before libbpf tries to reuse
		// their maps (and fails on the first that differs, obscurely, or
		// re-adopts one of the same size with another meaning).
		auto pinned = pinned_relay_layout(*pins);
		if (!pinned)
			return unexpected(pinned.error());
		if (*pinned && **pinned != 0 && **pinned != IPLB_RELAY_LAYOUT_VERSION)
			return unexpected(relay_layout_error(pins->path, **pinned));
	}
	VerifierLog log;
	std::unique_ptr<iplb_relay, Close> skeleton(iplb_relay__open_opts(log.opts()));
	if (!skeleton)
		return unexpected(load_error("the relay program", -errno));
	if (pins)
		pin_maps(skeleton.get(), *pins);
	if (int rc = iplb_relay__load(skeleton.get()); rc != 0)
		return unexpected(refused(load_error("the relay program", rc), log));
	const auto &m = skeleton->maps;
	RelayMaps maps(dup_fd(m.iplb_local_v4), dup_fd(m.iplb_local_v6), dup_fd(m.iplb_sources_v4),
		       dup_fd(m.iplb_sources_v6), dup_fd(m.iplb_relay_config),
		       dup_fd(m.iplb_relay_counters));
	auto version = maps.layout_version();
	if (!version)
		return unexpected(version.error());
	if (*version == 0) {
		// New maps: stamped with their layout, for the next loader.
		const iplb_relay_config config{IPLB_RELAY_LAYOUT_VERSION};
		const uint32_t zero = 0;
		if (bpf_map_update_elem(bpf_map__fd(m.iplb_relay_config), &zero, &config,
					BPF_ANY) != 0)
			return unexpected(os_error("cannot write the relay config", errno));
	} else if (*version != IPLB_RELAY_LAYOUT_VERSION) {
		return unexpected(relay_layout_error(pins ? pins->path : "(none)", *version));
	}
	return RelayProgram(std::move(skeleton), std::move(maps), std::move(pins));
}

Result<RelayProgram, Error> RelayProgram::load()
{
	return make(std::nullopt);
}

Result<RelayProgram, Error> RelayProgram::open(const PinDir &dir)
{
	return make(dir);
}

int RelayProgram::prog_fd() const
{
	return bpf_program__fd(skeleton_->progs.iplb_relay_ingress);
}

Status RelayProgram::attach(const std::string &ifname)
{
	if (!pins_)
		return unexpected(Error{"a program without pins cannot be attached"});
	return attach_tcx(prog_fd(), ifname, TcxDirection::ingress,
			  tcx_pin_path(pins_->path, "relay", TcxDirection::ingress, ifname));
}

// ---------------------------------------------------------------------------

Result<std::vector<AttachedInterface>, Error> attached_interfaces(const PinDir &dir)
{
	std::unique_ptr<DIR, int (*)(DIR *)> d(::opendir(dir.path.c_str()), ::closedir);
	if (!d)
		return unexpected(os_error("cannot read " + dir.path, errno));
	std::vector<AttachedInterface> out;
	while (const dirent *e = ::readdir(d.get())) {
		const std::string name = e->d_name;
		if (name.rfind("link-mux-xdp-", 0) == 0)
			out.push_back({name.substr(std::strlen("link-mux-xdp-")), "mux", true});
		for (const char *program : {"host", "relay", "backend"})
			for (bool ingress : {false, true}) {
				const std::string prefix = std::string("link-") + program +
							   (ingress ? "-ingress-" : "-egress-");
				if (name.rfind(prefix, 0) == 0)
					out.push_back(
						{name.substr(prefix.size()), program, ingress});
			}
	}
	std::sort(out.begin(), out.end());
	return out;
}

Status detach(const PinDir &dir, const AttachedInterface &where)
{
	if (where.program == "mux") {
		// Unpinning releases the XDP link, which detaches the program.
		const std::string pin = dir / ("link-mux-xdp-" + where.ifname);
		if (::unlink(pin.c_str()) != 0 && errno != ENOENT)
			return unexpected(os_error("cannot remove " + pin, errno));
		return ok();
	}
	return detach_tcx(tcx_pin_path(dir.path, where.program,
				       where.ingress ? TcxDirection::ingress : TcxDirection::egress,
				       where.ifname));
}

Result<std::optional<bool>, Error> running(const PinDir &dir, const AttachedInterface &where)
{
	const auto direction = where.ingress ? TcxDirection::ingress : TcxDirection::egress;
	const std::string path = where.program == "mux" ? dir / ("link-mux-xdp-" + where.ifname)
							: tcx_pin_path(dir.path, where.program,
								       direction, where.ifname);
	UniqueFd link(bpf_obj_get(path.c_str()));
	if (!link)
		return unexpected(os_error("cannot open " + path, errno));
	bpf_link_info info{};
	uint32_t length = sizeof(info);
	if (bpf_obj_get_info_by_fd(link.get(), &info, &length) != 0)
		return unexpected(os_error("cannot read " + path, errno));
	const unsigned ifindex = if_nametoindex(where.ifname.c_str());
	if (ifindex == 0)
		return std::optional<bool>{};
	if (where.program == "mux") {
		LIBBPF_OPTS(bpf_xdp_query_opts, query);
		if (bpf_xdp_query(static_cast<int>(ifindex), 0, &query) != 0)
			return unexpected(os_error("cannot query XDP on " + where.ifname, errno));
		return std::optional<bool>{query.drv_prog_id == info.prog_id ||
					   query.skb_prog_id == info.prog_id};
	}
	auto ids = tcx_programs(ifindex, direction);
	if (!ids)
		return unexpected(ids.error());
	return std::optional<bool>{std::ranges::find(*ids, info.prog_id) != ids->end()};
}

Status purge(const PinDir &dir)
{
	// Links first: no program may run on half a table.
	auto attached = attached_interfaces(dir);
	if (!attached)
		return unexpected(attached.error());
	for (const auto &a : *attached)
		if (auto s = detach(dir, a); !s)
			return s;
	std::unique_ptr<DIR, int (*)(DIR *)> d(::opendir(dir.path.c_str()), ::closedir);
	if (!d)
		return unexpected(os_error("cannot read " + dir.path, errno));
	while (const dirent *e = ::readdir(d.get())) {
		const std::string name = e->d_name;
		if (name != "." && name != ".." && ::unlink((dir / name).c_str()) != 0)
			return unexpected(os_error("cannot remove " + (dir / name), errno));
	}
	if (::rmdir(dir.path.c_str()) != 0)
		return unexpected(os_error("cannot remove " + dir.path, errno));
	return ok();
}

// ---------------------------------------------------------------------------

Result<TestRun, Error> test_run(int prog_fd, std::span<const uint8_t> frame)
{
	// Room for the most a program adds: every relay's header.
	std::vector<uint8_t> out(frame.size() + IPLB_MAX_RELAYS * 40 + 64);
	bpf_test_run_opts opts;
	std::memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.data_in = frame.data();
	opts.data_size_in = static_cast<uint32_t>(frame.size());
	opts.data_out = out.data();
	opts.data_size_out = static_cast<uint32_t>(out.size());
	opts.repeat = 1;
	if (int rc = bpf_prog_test_run_opts(prog_fd, &opts); rc != 0)
		return unexpected(os_error("BPF_PROG_TEST_RUN", rc));
	out.resize(opts.data_size_out);
	return TestRun{static_cast<int>(opts.retval), std::move(out)};
}

} // namespace iplb
