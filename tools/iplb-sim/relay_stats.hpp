// SPDX-License-Identifier: GPL-2.0-or-later
// How many relays paths need, and what their headers cost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace iplb::sim {

// Paths counted by the length of their relay list.
class RelayHistogram {
public:
	void add(size_t relays, uint64_t paths = 1);
	void merge(const RelayHistogram &other);

	uint64_t paths() const { return paths_; }
	uint64_t count(size_t relays) const { return relays < count_.size() ? count_[relays] : 0; }
	size_t max_relays() const { return count_.empty() ? 0 : count_.size() - 1; }
	// The fraction of paths with at most r relays (1 when there are none).
	double cdf(size_t r) const;
	// cdf(0..r_max).
	std::vector<double> cdf_up_to(size_t r_max) const;
	// The smallest r with cdf(r) >= q, q in (0, 1].
	size_t percentile(double q) const;
	double mean() const;

private:
	std::vector<uint64_t> count_;
	uint64_t paths_ = 0;
};

// Per relay, one outer header: IPv4 (20 bytes) for IPIP, IPv4 + GRE (24).
constexpr unsigned ipip_bytes_per_relay = 20;
constexpr unsigned gre_bytes_per_relay = 24;

// The share of an MTU-sized packet taken by the headers of `relays` relays.
inline double header_share(double relays, unsigned bytes_per_relay, unsigned mtu)
{
	return relays * bytes_per_relay / mtu;
}

} // namespace iplb::sim
