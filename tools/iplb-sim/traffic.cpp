// SPDX-License-Identifier: GPL-2.0-or-later
#include "traffic.hpp"

#include "random.hpp"

#include <numeric>
#include <utility>

namespace iplb::sim {

std::vector<size_t> random_permutation_traffic(size_t n, uint64_t seed)
{
	if (n < 2)
		return {};
	Rng rng(seed);
	std::vector<size_t> to(n);
	for (;;) {
		std::iota(to.begin(), to.end(), size_t{0});
		for (size_t i = n - 1; i > 0; i--)
			std::swap(to[i], to[rng.below(i + 1)]);
		bool fixed_point = false;
		for (size_t i = 0; i < n && !fixed_point; i++)
			fixed_point = to[i] == i;
		if (!fixed_point)
			return to;
	}
}

} // namespace iplb::sim
