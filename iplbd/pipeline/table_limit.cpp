// SPDX-License-Identifier: GPL-2.0-or-later
#include "pipeline/table_limit.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <variant>

namespace iplb {

namespace {

uint8_t length_of(const IpPrefix &prefix)
{
	return std::visit([](const auto &p) { return p.length; }, prefix);
}

} // namespace

bool ranks_before(const IpPrefix &a, const IpPrefix &b)
{
	// A family's prefixes together (IPv4 first), the longest first, then in
	// address order.
	if (a.index() != b.index())
		return a.index() < b.index();
	if (length_of(a) != length_of(b))
		return length_of(a) > length_of(b);
	return a < b;
}

Admission admit(std::vector<RouteSpec> routes, const std::set<IpPrefix> &statics,
		std::optional<size_t> capacity)
{
	Admission out;
	if (!capacity || routes.size() <= *capacity) {
		out.admitted = std::move(routes);
		return out;
	}
	// Static routes first, then the ranking; one stable order of all.
	std::sort(routes.begin(), routes.end(), [&](const RouteSpec &a, const RouteSpec &b) {
		const bool sa = statics.count(a.prefix) > 0, sb = statics.count(b.prefix) > 0;
		if (sa != sb)
			return sa;
		return ranks_before(a.prefix, b.prefix);
	});
	const auto split = routes.begin() + static_cast<std::ptrdiff_t>(*capacity);
	out.admitted.assign(std::make_move_iterator(routes.begin()),
			    std::make_move_iterator(split));
	out.left_out.assign(std::make_move_iterator(split), std::make_move_iterator(routes.end()));
	const auto by_prefix = [](const RouteSpec &a, const RouteSpec &b) {
		return a.prefix < b.prefix;
	};
	std::sort(out.admitted.begin(), out.admitted.end(), by_prefix);
	std::sort(out.left_out.begin(), out.left_out.end(), by_prefix);
	return out;
}

std::string to_string(const NotInstalled &entry)
{
	switch (entry.reason) {
	case NotInstalledReason::table_full:
		return "table full";
	case NotInstalledReason::write_failed:
		break;
	}
	return "write failed: " + entry.detail;
}

} // namespace iplb
