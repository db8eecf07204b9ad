// SPDX-License-Identifier: GPL-2.0-or-later
// iplb-sim's random numbers: SplitMix64 and a uniform draw without modulo
// bias, so that a seed gives the same experiment on every machine (the
// distributions of <random> are implementation-defined).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace iplb::sim {

class Rng {
public:
	explicit Rng(uint64_t seed) : state_(seed) {}

	uint64_t next()
	{
		uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		return z ^ (z >> 31);
	}

	// Uniform in [0, n), n > 0.
	size_t below(size_t n)
	{
		const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
		uint64_t x;
		do
			x = next();
		while (x >= limit);
		return static_cast<size_t>(x % n);
	}

private:
	uint64_t state_;
};

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
