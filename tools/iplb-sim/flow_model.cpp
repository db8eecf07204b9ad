// SPDX-License-Identifier: GPL-2.0-or-later
#include "flow_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace iplb::sim {

namespace {

struct Crossing {
	uint32_t subflow; // index into the flattened subflows
	uint32_t times;	  // how often its path crosses the link
};

Result<std::vector<std::vector<Crossing>>, Error>
crossings_by_link(const std::vector<double> &capacities, const std::vector<Connection> &connections)
{
	for (size_t l = 0; l < capacities.size(); l++)
		if (!(capacities[l] > 0) || !std::isfinite(capacities[l]))
			return unexpected(Error{"link " + std::to_string(l) +
						": capacity must be a positive number, not " +
						std::to_string(capacities[l])});
	std::vector<std::vector<Crossing>> by_link(capacities.size());
	uint32_t flat = 0;
	for (size_t c = 0; c < connections.size(); c++) {
		const auto &subflows = connections[c].subflows;
		if (subflows.empty() || subflows.size() > max_subflows)
			return unexpected(Error{"connection " + std::to_string(c) + " has " +
						std::to_string(subflows.size()) +
						" subflows, not 1-" +
						std::to_string(max_subflows)});
		for (size_t s = 0; s < subflows.size(); s++, flat++) {
			if (subflows[s].empty())
				return unexpected(Error{"connection " + std::to_string(c) +
							", subflow " + std::to_string(s) +
							": empty path"});
			for (LinkId l : subflows[s]) {
				if (l >= capacities.size())
					return unexpected(Error{"connection " + std::to_string(c) +
								", subflow " + std::to_string(s) +
								": unknown link " +
								std::to_string(l)});
				// Subflows are listed in order, so an earlier crossing
				// of this subflow is the last entry.
				auto &list = by_link[l];
				if (!list.empty() && list.back().subflow == flat)
					list.back().times++;
				else
					list.push_back({flat, 1});
			}
		}
	}
	return by_link;
}

} // namespace

Result<Allocation, Error> allocate_max_min(const std::vector<double> &capacities,
					   const std::vector<Connection> &connections)
{
	auto crossings = crossings_by_link(capacities, connections);
	if (!crossings)
		return unexpected(crossings.error());
	const auto &by_link = *crossings;

	// Flattened subflows: weight, owning connection, links.
	std::vector<double> weight;
	std::vector<const LinkPath *> path;
	for (const Connection &c : connections)
		for (const LinkPath &p : c.subflows) {
			weight.push_back(1.0 / static_cast<double>(c.subflows.size()));
			path.push_back(&p);
		}
	const size_t n = weight.size();
	const size_t links = capacities.size();

	// Per link: load of frozen subflows, weight and number of active
	// crossings (the count decides "no active subflow", not a float).
	std::vector<double> frozen_load(links, 0), active_weight(links, 0);
	std::vector<size_t> active_count(links, 0);
	for (size_t l = 0; l < links; l++)
		for (const Crossing &x : by_link[l]) {
			active_weight[l] += weight[x.subflow] * x.times;
			active_count[l] += x.times;
		}

	std::vector<double> rate(n, 0);
	std::vector<bool> frozen(n, false);
	size_t remaining = n;
	Allocation out;
	constexpr double tolerance = 1e-12;
	while (remaining > 0) {
		// The level at which the first link fills.
		double level = std::numeric_limits<double>::infinity();
		for (size_t l = 0; l < links; l++)
			if (active_count[l] > 0)
				level = std::min(level, (capacities[l] - frozen_load[l]) /
								active_weight[l]);
		// Every active subflow crosses some link, so a level exists.
		level = std::max(level, 0.0);
		const double slack = tolerance * std::max(1.0, level);
		std::vector<uint32_t> freeze;
		for (size_t l = 0; l < links; l++) {
			if (active_count[l] == 0)
				continue;
			const double at = (capacities[l] - frozen_load[l]) / active_weight[l];
			if (at - level <= slack)
				for (const Crossing &x : by_link[l])
					if (!frozen[x.subflow]) {
						frozen[x.subflow] = true;
						freeze.push_back(x.subflow);
					}
		}
		for (uint32_t s : freeze) {
			rate[s] = weight[s] * level;
			for (LinkId l : *path[s]) {
				frozen_load[l] += rate[s];
				active_weight[l] -= weight[s];
				active_count[l]--;
			}
		}
		remaining -= freeze.size();
		out.rounds++;
	}

	out.link_load.assign(links, 0);
	size_t flat = 0;
	for (const Connection &c : connections) {
		std::vector<double> rates;
		double sum = 0;
		for (const LinkPath &p : c.subflows) {
			rates.push_back(rate[flat]);
			sum += rate[flat];
			for (LinkId l : p)
				out.link_load[l] += rate[flat];
			flat++;
		}
		out.subflow_rates.push_back(std::move(rates));
		out.connection_rates.push_back(sum);
		out.total += sum;
	}
	return out;
}

} // namespace iplb::sim
