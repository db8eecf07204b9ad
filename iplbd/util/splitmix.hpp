// SPDX-License-Identifier: GPL-2.0-or-later
// SplitMix64: small, fast, and the same on every machine, which is why the
// generators, the path ranking and the simulator use it rather than
// <random>'s implementation-defined distributions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace iplb {

// The output of a SplitMix64 generator whose state is x: every input bit
// moves every output bit.
constexpr uint64_t splitmix64(uint64_t x)
{
	uint64_t z = x + 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

class SplitMix64 {
public:
	explicit SplitMix64(uint64_t seed) : state_(seed) {}

	uint64_t next()
	{
		const uint64_t out = splitmix64(state_);
		state_ += 0x9e3779b97f4a7c15ULL;
		return out;
	}

	// Uniform in [0, n), n > 0, without modulo bias.
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

} // namespace iplb
