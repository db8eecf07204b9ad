// SPDX-License-Identifier: GPL-2.0-or-later
// The next bucket map of a VIP from its backend pool and its current map
// (docs/LB.md "Bucket assignment"). A pure function: no I/O, no clock (the
// caller passes `now`), no randomness, no floating point, no iteration over
// unordered containers, so that every controller computes the same map.
//
// What it guarantees, each tested in tests/unit/lb_assign_test.cpp:
//  1. Quotas: every active backend holds its weighted share B*w/sum(w)
//     rounded down or up (within one bucket of it); draining and down
//     backends hold none.
//  2. Minimal movement: only buckets of backends above their quota move,
//     only to backends below theirs, so exactly sum(max(0, old - quota))
//     buckets move; the rounding is chosen to minimise that sum.
//  3. Contiguity: a new VIP gets one block per backend; later changes free
//     whole short runs or the ends of runs, next to each other where they
//     can, and give them next to runs the receiver already owns, so runs
//     stay few (docs/LB.md has the bound and the measurements).
//  4. A moved bucket records its old owner as previous and `now`; a bucket
//     moved less than daisy_timeout ago moves again only when no other
//     bucket of that backend can go, and then back to its previous owner
//     when that one takes buckets (otherwise its connections from two
//     owners ago break: the chain is one hop).
//  5. Determinism: the result depends only on the arguments (not on the
//     order of the pool).
//  6. With no active backend every bucket is ownerless and remembers its
//     last owner as previous.
#pragma once

#include "lb/bucket_map.hpp"
#include "util/result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>

namespace iplb::lb {

// Weights are relative; 1000 levels are plenty, and the bound keeps a
// weight-1 backend from being rounded to nothing by less than 1/1000.
inline constexpr uint32_t min_weight = 1;
inline constexpr uint32_t max_weight = 1000;

// B is fixed for a VIP's life (changing it would move nearly every flow).
// Beamer sizes B at about 100 x N so that one bucket more or less is within
// 1% of a backend's share: a map needs at least 100 buckets per configured
// backend, whatever its state (so that a health check or a drain can never
// make a valid pool invalid; only adding a backend can). Up to 2^20 buckets:
// 10485 backends.
inline constexpr uint32_t buckets_per_backend = 100;
inline constexpr uint32_t min_bucket_count = buckets_per_backend;
inline constexpr uint32_t max_bucket_count = uint32_t{1} << 20;
// The smallest default: 4096 buckets (40 backends at 100 each).
inline constexpr uint32_t min_default_bucket_count = 4096;

// How long a backend daisy-chains packets it does not know to a bucket's
// previous owner (Beamer's backend module: 4 minutes).
inline constexpr uint32_t default_daisy_timeout = 240;

// The bucket count of a new VIP with `backends` backends: 200 per backend
// (room for the pool to double), at least min_default_bucket_count, at
// most max_bucket_count. Any count works (buckets are taken mod B): it is
// not rounded to a power of two.
uint32_t default_bucket_count(size_t backends);

struct AssignError {
	enum class Kind {
		duplicate_dip,		   // the same DIP twice in the pool
		unusable_dip,		   // 0.0.0.0, loopback, multicast, ...
		weight_out_of_range,	   // outside min_weight..max_weight
		mixed_families,		   // IPv4 and IPv6 DIPs in one VIP
		bucket_count_out_of_range, // outside min_bucket_count..max_bucket_count
		bucket_count_too_small,	   // under buckets_per_backend x pool size
		bucket_count_changed,	   // differs from the current map's
		invalid_time,		   // now == 0 (0 means "never moved")
	};
	Kind kind;
	std::string message; // for an operator, naming the offending value

	friend bool operator==(const AssignError &, const AssignError &) = default;
};

// The checks assign() makes on a pool for a map of bucket_count buckets,
// without a current map: for a configuration's validation.
Result<std::monostate, AssignError> check_pool(std::span<const Backend> pool,
					       uint32_t bucket_count);

// The map that follows `current` for `pool`. `current` without buckets is a
// new VIP (then its generation is the one before the first map's, normally
// 0). The result has generation + 1 when any bucket changed, and is equal
// to `current` when none did. Errors: see AssignError; `current` is never
// partly applied.
Result<BucketMap, AssignError> assign(std::span<const Backend> pool, const BucketMap &current,
				      uint32_t bucket_count, uint32_t now,
				      uint32_t daisy_timeout = default_daisy_timeout);

} // namespace iplb::lb
