// SPDX-License-Identifier: GPL-2.0-or-later
// iplb-sim's random numbers: the core's SplitMix64, so that a seed gives the
// same experiment on every machine.
#pragma once

#include "util/splitmix.hpp"

#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace iplb::sim {

using Rng = SplitMix64;

// A seed for one purpose of one experiment: the words mixed in order, so
// (seed, "traffic") and (seed, "ecmp", connection) give unrelated streams.
inline uint64_t mix_seed(std::initializer_list<uint64_t> words)
{
	uint64_t h = 0x6a09e667f3bcc909ULL;
	for (uint64_t w : words)
		h = Rng(h ^ w).next();
	return h;
}

} // namespace iplb::sim
