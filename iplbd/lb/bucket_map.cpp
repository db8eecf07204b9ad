// SPDX-License-Identifier: GPL-2.0-or-later
#include "lb/bucket_map.hpp"

#include "util/enum_names.hpp"

#include <algorithm>
#include <map>

namespace iplb::lb {

namespace {

constexpr EnumNames<BackendState, 3> state_names{"backend state",
						 {{{BackendState::active, "active"},
						   {BackendState::draining, "draining"},
						   {BackendState::down, "down"}}}};

} // namespace

std::string to_string(const Dip &dip)
{
	return iplb::to_string(dip.address);
}

std::string to_string(const std::optional<Dip> &dip)
{
	return dip ? to_string(*dip) : "none";
}

Result<Dip, Error> parse_dip(std::string_view text)
{
	auto address = parse_ip_address(text);
	if (!address)
		return unexpected(address.error());
	return Dip{*address};
}

std::string_view to_string(BackendState state)
{
	return state_names.name(state);
}

Result<BackendState, Error> parse_backend_state(std::string_view text)
{
	return state_names.parse(text);
}

std::vector<BucketRun> bucket_runs(const BucketMap &map)
{
	std::vector<BucketRun> runs;
	for (uint32_t b = 0; b < map.buckets.size(); b++) {
		const auto &owner = map.buckets[b].owner;
		if (!runs.empty() && runs.back().owner == owner)
			runs.back().length++;
		else
			runs.push_back({b, 1, owner});
	}
	return runs;
}

std::vector<OwnerLoad> owner_loads(const BucketMap &map)
{
	std::map<Dip, OwnerLoad> by_dip;
	OwnerLoad ownerless;
	for (const BucketRun &run : bucket_runs(map)) {
		OwnerLoad &load = run.owner ? by_dip[*run.owner] : ownerless;
		load.owner = run.owner;
		load.buckets += run.length;
		load.runs++;
	}
	std::vector<OwnerLoad> loads;
	for (const auto &[dip, load] : by_dip)
		loads.push_back(load);
	if (ownerless.buckets > 0)
		loads.push_back(ownerless);
	return loads;
}

double imbalance(std::span<const uint64_t> buckets, std::span<const uint32_t> weights)
{
	uint64_t total_buckets = 0;
	uint64_t total_weight = 0;
	double max_load = 0;
	for (size_t i = 0; i < buckets.size() && i < weights.size(); i++) {
		if (weights[i] == 0)
			continue;
		total_buckets += buckets[i];
		total_weight += weights[i];
		max_load = std::max(max_load, double(buckets[i]) / weights[i]);
	}
	if (total_buckets == 0)
		return 0.0;
	return max_load / (double(total_buckets) / double(total_weight));
}

double imbalance(std::span<const Backend> pool, const BucketMap &map)
{
	std::map<Dip, uint64_t> held;
	for (const Bucket &bucket : map.buckets)
		if (bucket.owner)
			held[*bucket.owner]++;
	std::vector<uint64_t> buckets;
	std::vector<uint32_t> weights;
	for (const Backend &backend : pool) {
		if (backend.state != BackendState::active)
			continue;
		const auto it = held.find(backend.dip);
		buckets.push_back(it == held.end() ? 0 : it->second);
		weights.push_back(backend.weight);
	}
	return imbalance(buckets, weights);
}

} // namespace iplb::lb
