// SPDX-License-Identifier: GPL-2.0-or-later
#include "roles/lb_mux_dataplane.hpp"

#include "netlink/interface_addresses.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace iplb {
namespace {

LbBackendState to_lb_state(lb::BackendState state)
{
	switch (state) {
	case lb::BackendState::active:
		return LbBackendState::active;
	case lb::BackendState::draining:
		return LbBackendState::draining;
	case lb::BackendState::down:
		return LbBackendState::down;
	}
	return LbBackendState::down;
}

lb::BackendState to_backend_state(LbBackendState state)
{
	switch (state) {
	case LbBackendState::active:
		return lb::BackendState::active;
	case LbBackendState::draining:
		return lb::BackendState::draining;
	case LbBackendState::down:
		return lb::BackendState::down;
	}
	return lb::BackendState::down;
}

std::optional<IpAddress> address_of(const std::optional<lb::Dip> &dip)
{
	return dip ? std::optional<IpAddress>(dip->address) : std::nullopt;
}

std::optional<lb::Dip> dip_of(const std::optional<IpAddress> &address)
{
	return address ? std::optional<lb::Dip>(lb::Dip{*address}) : std::nullopt;
}

} // namespace

VipKey to_vip_key(const lbcontrol::VipId &vip)
{
	return {vip.address, vip.protocol, vip.port};
}

lbcontrol::VipId to_vip_id(const VipKey &vip)
{
	return {vip.address, vip.protocol, vip.port};
}

LbMapVersion to_lb_map_version(const lbcontrol::MapVersion &version)
{
	LbMapVersion out;
	out.generation = version.generation();
	out.pool.reserve(version.pool.size());
	for (const lb::Backend &b : version.pool) {
		const auto port = version.mptcp_ports.find(b.dip);
		out.pool.push_back(
			{b.dip.address,
			 static_cast<uint16_t>(std::min<uint32_t>(
				 b.weight, std::numeric_limits<uint16_t>::max())),
			 to_lb_state(b.state),
			 port != version.mptcp_ports.end() ? port->second : uint16_t{0}});
	}
	out.buckets.reserve(version.map.buckets.size());
	for (const lb::Bucket &b : version.map.buckets)
		out.buckets.push_back({address_of(b.owner), address_of(b.previous), b.changed_at});
	// Direct mode's joins do not come through the muxes: nothing to steer.
	out.mptcp = version.mptcp == lbcontrol::MptcpMode::token  ? MuxMptcpMode::token
		    : version.mptcp == lbcontrol::MptcpMode::port ? MuxMptcpMode::port
								  : MuxMptcpMode::none;
	return out;
}

lbcontrol::MapVersion to_map_version(const LbMapVersion &version)
{
	lbcontrol::MapVersion out;
	out.map.generation = version.generation;
	out.pool.reserve(version.pool.size());
	for (const LbPoolEntry &b : version.pool) {
		out.pool.push_back({lb::Dip{b.dip}, b.weight, to_backend_state(b.state)});
		if (version.mptcp == MuxMptcpMode::port && b.mptcp_port != 0)
			out.mptcp_ports[lb::Dip{b.dip}] = b.mptcp_port;
	}
	out.map.buckets.reserve(version.buckets.size());
	for (const LbBucketEntry &b : version.buckets)
		out.map.buckets.push_back({dip_of(b.dip), dip_of(b.previous), b.changed_at});
	out.mptcp = version.mptcp == MuxMptcpMode::token  ? lbcontrol::MptcpMode::token
		    : version.mptcp == MuxMptcpMode::port ? lbcontrol::MptcpMode::port
							  : lbcontrol::MptcpMode::none;
	return out;
}

Status MuxMapsDataplane::stage(const lbcontrol::VipId &vip, const lbcontrol::MapVersion &version)
{
	return maps_.stage(to_vip_key(vip), to_lb_map_version(version));
}

Status MuxMapsDataplane::activate(const lbcontrol::VipId &vip, uint32_t generation)
{
	return maps_.activate(to_vip_key(vip), generation);
}

Status MuxMapsDataplane::remove(const lbcontrol::VipId &vip)
{
	return maps_.remove(to_vip_key(vip));
}

Result<std::map<lbcontrol::VipId, lbcontrol::InstalledGenerations>, Error>
MuxMapsDataplane::installed() const
{
	auto generations = maps_.generations();
	if (!generations)
		return unexpected(generations.error());
	std::map<lbcontrol::VipId, lbcontrol::InstalledGenerations> out;
	for (const auto &[key, g] : *generations)
		out.emplace(to_vip_id(key), lbcontrol::InstalledGenerations{g.active, g.staged});
	return out;
}

Status set_default_mux_source(MuxMaps &maps, const std::string &ifname)
{
	auto config = maps.config();
	if (!config)
		return unexpected(config.error());
	if (config->source || config->source6)
		return ok();
	auto addresses = interface_addresses(ifname);
	if (!addresses)
		return unexpected(addresses.error());
	for (const auto &address : *addresses) {
		if (const auto *v4 = std::get_if<Ipv4>(&address); v4 && !config->source)
			config->source = *v4;
		else if (const auto *v6 = std::get_if<Ipv6>(&address); v6 && !config->source6)
			config->source6 = *v6;
	}
	return maps.set_config(*config);
}

Status set_mux_fib_lookup(MuxMaps &maps, bool fib_lookup)
{
	auto config = maps.config();
	if (!config)
		return unexpected(config.error());
	if (config->fib == fib_lookup)
		return ok();
	config->fib = fib_lookup;
	return maps.set_config(*config);
}

Result<MuxMapsTokens, Error> MuxMapsTokens::open(MuxMaps &maps, int prog_fd)
{
	auto misses = TokenMisses::open(maps);
	if (!misses)
		return unexpected(misses.error());
	return MuxMapsTokens(maps, std::move(*misses), prog_fd);
}

Status MuxMapsTokens::set_token(uint32_t token, const std::string &dip)
{
	auto address = parse_ip_address(dip);
	if (!address)
		return unexpected(
			Error{"token " + mptcp::token_hex(token) + ": " + address.error().message});
	return maps_.set_token(token, *address);
}

Status MuxMapsTokens::remove_token(uint32_t token)
{
	return maps_.remove_token(token);
}

Result<std::map<uint32_t, std::string>, Error> MuxMapsTokens::tokens() const
{
	auto all = maps_.tokens();
	if (!all)
		return unexpected(all.error());
	std::map<uint32_t, std::string> out;
	for (const auto &[token, dip] : *all)
		out.emplace(token, to_string(dip));
	return out;
}

Status MuxMapsTokens::set_subflow(const SubflowKey &subflow, const std::string &dip)
{
	auto address = parse_ip_address(dip);
	if (!address)
		return unexpected(
			Error{"subflow " + to_string(subflow) + ": " + address.error().message});
	return maps_.set_subflow(subflow, *address);
}

Status MuxMapsTokens::remove_subflow(const SubflowKey &subflow)
{
	return maps_.remove_subflow(subflow);
}

Result<std::vector<mptcp::DroppedJoin>, Error> MuxMapsTokens::read_misses()
{
	auto read = misses_.read();
	if (!read)
		return unexpected(read.error());
	std::vector<mptcp::DroppedJoin> out;
	out.reserve(read->size());
	for (TokenMiss &miss : *read)
		out.push_back({miss.token, std::move(miss.frame), miss.ifindex, miss.rx_queue});
	return out;
}

Status MuxMapsTokens::replay(const mptcp::DroppedJoin &join)
{
	if (prog_fd_ < 0)
		return unexpected(Error{"no mux program to send dropped joins through"});
	return replay_frame(prog_fd_, join.frame, join.ifindex, join.rx_queue);
}

} // namespace iplb
