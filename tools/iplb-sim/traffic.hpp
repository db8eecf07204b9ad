// SPDX-License-Identifier: GPL-2.0-or-later
// Traffic matrices of iplb-sim.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace iplb::sim {

// A random derangement of 0..n-1 (n >= 2): entry i is the host i sends to;
// every host sends to exactly one other host and receives from exactly one.
// Uniform over derangements (Fisher-Yates shuffles, redrawn while one has a
// fixed point; about e draws on average). The same seed gives the same
// permutation on every machine.
std::vector<size_t> random_permutation_traffic(size_t n, uint64_t seed);

} // namespace iplb::sim
