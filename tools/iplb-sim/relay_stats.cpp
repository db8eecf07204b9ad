// SPDX-License-Identifier: GPL-2.0-or-later
#include "relay_stats.hpp"

namespace iplb::sim {

void RelayHistogram::add(size_t relays, uint64_t paths)
{
	if (count_.size() <= relays)
		count_.resize(relays + 1, 0);
	count_[relays] += paths;
	paths_ += paths;
}

void RelayHistogram::merge(const RelayHistogram &other)
{
	for (size_t r = 0; r < other.count_.size(); r++)
		if (other.count_[r] > 0)
			add(r, other.count_[r]);
}

double RelayHistogram::cdf(size_t r) const
{
	if (paths_ == 0)
		return 1;
	uint64_t below = 0;
	for (size_t i = 0; i <= r && i < count_.size(); i++)
		below += count_[i];
	return static_cast<double>(below) / static_cast<double>(paths_);
}

std::vector<double> RelayHistogram::cdf_up_to(size_t r_max) const
{
	std::vector<double> out;
	for (size_t r = 0; r <= r_max; r++)
		out.push_back(cdf(r));
	return out;
}

size_t RelayHistogram::percentile(double q) const
{
	uint64_t below = 0;
	for (size_t r = 0; r < count_.size(); r++) {
		below += count_[r];
		// Tolerance: 0.9 * 10 must not ask for more than 9 paths.
		if (static_cast<double>(below) >= q * static_cast<double>(paths_) * (1 - 1e-12))
			return r;
	}
	return max_relays();
}

double RelayHistogram::mean() const
{
	if (paths_ == 0)
		return 0;
	double sum = 0;
	for (size_t r = 0; r < count_.size(); r++)
		sum += static_cast<double>(r) * static_cast<double>(count_[r]);
	return sum / static_cast<double>(paths_);
}

} // namespace iplb::sim
