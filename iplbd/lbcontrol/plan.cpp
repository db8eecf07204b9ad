// SPDX-License-Identifier: GPL-2.0-or-later
#include "lbcontrol/plan.hpp"

#include "lb/assign.hpp"

#include <algorithm>
#include <set>

namespace iplb::lbcontrol {
namespace {

bool drain_expired(const VipConfig &config, const BackendStatus &status, uint32_t now)
{
	return status.drain_since != 0 &&
	       uint64_t{now} >= uint64_t{status.drain_since} + config.drain_timeout;
}

bool serving(const std::optional<MapVersion> &committed, const lb::Dip &dip)
{
	if (!committed)
		return false;
	return std::any_of(committed->pool.begin(), committed->pool.end(), [&](const auto &b) {
		return b.dip == dip && b.state == lb::BackendState::active;
	});
}

} // namespace

VipStatus next_status(const VipConfig &config, const VipStatus &stored,
		      const std::map<lb::Dip, Health> &observed,
		      const std::optional<MapVersion> &committed, uint32_t now)
{
	const auto draining_in_map = [&](const lb::Dip &dip) {
		return committed &&
		       std::any_of(
			       committed->pool.begin(), committed->pool.end(), [&](const auto &b) {
				       return b.dip == dip && b.state == lb::BackendState::draining;
			       });
	};
	VipStatus out;
	for (const auto &backend : config.backends) {
		BackendStatus status;
		if (const auto it = stored.backends.find(backend.dip); it != stored.backends.end())
			status = it->second;
		if (const auto it = observed.find(backend.dip);
		    it != observed.end() && it->second != Health::unknown)
			status.health = it->second;
		if (config.health_check.kind == HealthCheckConfig::Kind::none)
			status.health = Health::unknown;
		if (!backend.drain)
			status.drain_since = 0;
		else if (status.drain_since == 0 && draining_in_map(backend.dip))
			status.drain_since = now;
		out.backends[backend.dip] = status;
	}
	return out;
}

std::vector<lb::Backend> effective_pool(const VipConfig &config, const VipStatus &status,
					const std::optional<MapVersion> &committed, uint32_t now)
{
	const bool checked = config.health_check.kind != HealthCheckConfig::Kind::none;
	std::vector<lb::Backend> pool;
	for (const auto &backend : config.backends) {
		BackendStatus observed;
		if (const auto it = status.backends.find(backend.dip); it != status.backends.end())
			observed = it->second;
		auto state = lb::BackendState::active;
		if (checked && observed.health == Health::down)
			state = lb::BackendState::down;
		else if (checked && observed.health == Health::unknown &&
			 !serving(committed, backend.dip))
			state = lb::BackendState::down;
		else if (backend.drain)
			state = drain_expired(config, observed, now) ? lb::BackendState::down
								     : lb::BackendState::draining;
		pool.push_back({backend.dip, backend.weight, state});
	}
	std::sort(pool.begin(), pool.end(),
		  [](const auto &a, const auto &b) { return a.dip < b.dip; });
	return pool;
}

std::optional<uint32_t> next_deadline(const VipConfig &config, const VipStatus &status,
				      uint32_t now)
{
	std::optional<uint32_t> earliest;
	for (const auto &backend : config.backends) {
		const auto it = status.backends.find(backend.dip);
		if (!backend.drain || it == status.backends.end() || it->second.drain_since == 0)
			continue;
		const uint64_t deadline = uint64_t{it->second.drain_since} + config.drain_timeout;
		if (deadline <= now || deadline > UINT32_MAX)
			continue;
		if (!earliest || deadline < *earliest)
			earliest = static_cast<uint32_t>(deadline);
	}
	return earliest;
}

std::map<lb::Dip, uint16_t> mptcp_ports(const VipConfig &config,
					const std::vector<lb::Backend> &pool,
					const std::optional<MapVersion> &committed)
{
	std::map<lb::Dip, uint16_t> out;
	if (config.mptcp != MptcpMode::port || config.mptcp_first_port == 0)
		return out;
	const uint32_t first = config.mptcp_first_port;
	const uint32_t end = std::min<uint32_t>(first + mptcp_port_count, 65536);
	std::set<uint32_t> taken;
	if (committed && committed->mptcp == MptcpMode::port)
		for (const auto &backend : pool)
			if (const auto it = committed->mptcp_ports.find(backend.dip);
			    it != committed->mptcp_ports.end() && it->second >= first &&
			    it->second < end && taken.insert(it->second).second)
				out[backend.dip] = it->second;
	uint32_t next = first;
	for (const auto &backend : pool) {
		if (out.contains(backend.dip))
			continue;
		while (next < end && taken.contains(next))
			next++;
		if (next == end)
			break; // more backends than ports: check_pool refuses that before
		taken.insert(next);
		out[backend.dip] = static_cast<uint16_t>(next);
	}
	return out;
}

Result<std::optional<MapVersion>, Error> next_version(const VipConfig &config,
						      const std::vector<lb::Backend> &pool,
						      const std::optional<MapVersion> &committed,
						      uint32_t now)
{
	auto ports = mptcp_ports(config, pool, committed);
	if (committed && committed->pool == pool && committed->mptcp == config.mptcp &&
	    committed->mptcp_ports == ports)
		return std::optional<MapVersion>{};
	const lb::BucketMap empty;
	const auto &current = committed ? committed->map : empty;
	// Buckets moved within the drain timeout are the last to move again.
	auto map = lb::assign(pool, current, config.bucket_count, now, config.drain_timeout);
	if (!map)
		return unexpected(
			Error{"VIP " + to_string(config.vip) + ": " + map.error().message});
	MapVersion next{pool, std::move(*map), config.mptcp, std::move(ports)};
	if (committed && next.map.generation == committed->map.generation)
		next.map.generation = committed->map.generation + 1;
	if (next.map.generation == 0) // wrapped: 0 means "no map"
		next.map.generation = 1;
	return std::optional<MapVersion>{std::move(next)};
}

std::optional<uint32_t> second_move_until(const MapVersion &committed, const MapVersion &next,
					  uint32_t window, uint32_t now)
{
	std::optional<uint32_t> until;
	const auto &before = committed.map.buckets;
	const auto &after = next.map.buckets;
	// A previous owner whose connections can still be chained: in the
	// pool and not down (a dead one's connections are gone anyway).
	std::set<lb::Dip> alive;
	for (const auto &backend : committed.pool)
		if (backend.state != lb::BackendState::down)
			alive.insert(backend.dip);
	for (size_t i = 0; i < before.size() && i < after.size(); ++i) {
		const auto &bucket = before[i];
		if (after[i].owner == bucket.owner || !bucket.previous || bucket.changed_at == 0 ||
		    !alive.contains(*bucket.previous))
			continue;
		// Back to its previous owner: that one holds its connections itself.
		if (after[i].owner == bucket.previous)
			continue;
		const uint64_t safe = uint64_t{bucket.changed_at} + window;
		if (safe <= now)
			continue;
		const auto at = static_cast<uint32_t>(std::min<uint64_t>(safe, UINT32_MAX));
		until = until ? std::max(*until, at) : at;
	}
	return until;
}

bool urgent(const VipConfig &config, const VipStatus &status, const MapVersion &committed)
{
	if (config.health_check.kind == HealthCheckConfig::Kind::none)
		return false;
	for (const auto &backend : committed.pool) {
		if (backend.state != lb::BackendState::active)
			continue;
		const auto it = status.backends.find(backend.dip);
		if (it != status.backends.end() && it->second.health == Health::down)
			return true;
	}
	return false;
}

bool first_checks_pending(const VipConfig &config, const VipStatus &status,
			  const std::optional<MapVersion> &committed)
{
	if (config.health_check.kind == HealthCheckConfig::Kind::none)
		return false;
	return std::any_of(config.backends.begin(), config.backends.end(), [&](const auto &b) {
		if (b.drain || serving(committed, b.dip))
			return false;
		const auto it = status.backends.find(b.dip);
		return it == status.backends.end() || it->second.health == Health::unknown;
	});
}

} // namespace iplb::lbcontrol
