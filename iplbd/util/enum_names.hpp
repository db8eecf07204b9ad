// SPDX-License-Identifier: GPL-2.0-or-later
// The CLI/YANG names of an enumeration, both ways, with the operator-facing
// error for an unknown name.
#pragma once

#include "util/result.hpp"

#include <array>
#include <string>
#include <string_view>
#include <utility>

namespace iplb {

template <typename E, size_t N>
struct EnumNames {
	std::string_view what; // "metric", "planner", ...
	std::array<std::pair<E, std::string_view>, N> names;

	std::string_view name(E value) const
	{
		for (const auto &[v, n] : names)
			if (v == value)
				return n;
		return "unknown";
	}

	// Exact match only; the error lists the accepted names.
	Result<E, Error> parse(std::string_view text) const
	{
		for (const auto &[v, n] : names)
			if (n == text)
				return v;
		std::string expected;
		for (size_t i = 0; i < N; i++)
			expected += (i == 0	  ? ""
				     : i + 1 == N ? " or "
						  : ", ") +
				    std::string(names[i].second);
		return unexpected(Error{"unknown " + std::string(what) + " '" + std::string(text) +
					"': expected " + expected});
	}
};

} // namespace iplb
