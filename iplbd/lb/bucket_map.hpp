// SPDX-License-Identifier: GPL-2.0-or-later
// A VIP's bucket map (Beamer, NSDI'18): the mux hashes a flow's 5-tuple to
// one of B buckets, and each bucket names the backend (DIP) that serves it.
// A bucket that moved remembers its previous DIP and when it moved, so that
// the new owner can daisy-chain packets of older connections to the previous
// one. Values only: assign.hpp computes the maps, show prints them with the
// helpers at the end of this file.
#pragma once

#include "util/ipv6.hpp"
#include "util/result.hpp"

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iplb::lb {

// A backend's address: the destination of the outer (tunnel) header. Its
// own type rather than a bare IpAddress so that a DIP and a VIP cannot be
// swapped. Ordered as IpAddress: every IPv4 address before every IPv6 one.
struct Dip {
	IpAddress address;

	friend bool operator==(const Dip &, const Dip &) = default;
	friend auto operator<=>(const Dip &, const Dip &) = default;
};

inline bool is_v6(const Dip &dip)
{
	return iplb::is_v6(dip.address);
}
std::string to_string(const Dip &dip);
std::string to_string(const std::optional<Dip> &dip); // "none" when empty
Result<Dip, Error> parse_dip(std::string_view text);

// What a backend takes: active backends share the buckets; draining and
// down ones get none (a draining backend keeps its connections through the
// daisy chain: its buckets record it as their previous owner).
enum class BackendState : uint8_t { active, draining, down };

std::string_view to_string(BackendState state);
Result<BackendState, Error> parse_backend_state(std::string_view text);

struct Backend {
	Dip dip;
	uint32_t weight = 1; // min_weight..max_weight (assign.hpp), relative
	BackendState state = BackendState::active;

	friend bool operator==(const Backend &, const Backend &) = default;
};

struct Bucket {
	std::optional<Dip> owner;    // none only while no backend is active
	std::optional<Dip> previous; // the last DIP that owned it before owner
	uint32_t changed_at = 0;     // unix seconds of the last move; 0: never moved

	friend bool operator==(const Bucket &, const Bucket &) = default;
};

struct BucketMap {
	uint32_t generation = 0; // +1 (mod 2^32) on every change; 0: no map yet
	std::vector<Bucket> buckets;

	friend bool operator==(const BucketMap &, const BucketMap &) = default;
};

// --- For show and for the benchmarks ---------------------------------------

// A maximal range of adjacent buckets with one owner: what a hardware mux
// writes as one TCAM rule.
struct BucketRun {
	uint32_t first = 0;
	uint32_t length = 0;
	std::optional<Dip> owner;

	friend bool operator==(const BucketRun &, const BucketRun &) = default;
};

// In bucket order; ranges do not wrap around the end of the map.
std::vector<BucketRun> bucket_runs(const BucketMap &map);

struct OwnerLoad {
	std::optional<Dip> owner;
	uint32_t buckets = 0;
	uint32_t runs = 0;
};

// One entry per owner in the map, by DIP, the ownerless buckets last.
std::vector<OwnerLoad> owner_loads(const BucketMap &map);

// How much more the most loaded active backend carries than its weighted
// share: max over active backends of (buckets / weight), divided by the
// mean (buckets of active backends / their total weight). 1.0 is perfect;
// 0.0 when no backend is active or none holds a bucket. For display only:
// assign() never decides with floating point.
double imbalance(std::span<const Backend> pool, const BucketMap &map);
// The same from counts and weights, index by index (the benchmark uses it
// for Maglev tables too); entries with weight 0 are skipped.
double imbalance(std::span<const uint64_t> buckets, std::span<const uint32_t> weights);

} // namespace iplb::lb
