// SPDX-License-Identifier: GPL-2.0-or-later
#include "show/uptime.hpp"

#include <cstdio>

namespace iplb {

std::string format_uptime(std::chrono::seconds elapsed)
{
	constexpr long minute = 60, hour = 60 * minute, day = 24 * hour, week = 7 * day;
	long total = elapsed.count() < 0 ? 0 : static_cast<long>(elapsed.count());
	char text[32];

	if (total < day)
		std::snprintf(text, sizeof(text), "%02ld:%02ld:%02ld", total / hour,
			      total % hour / minute, total % minute);
	else if (total < week)
		std::snprintf(text, sizeof(text), "%ldd%02ldh%02ldm", total / day,
			      total % day / hour, total % hour / minute);
	else
		std::snprintf(text, sizeof(text), "%02ldw%ldd%02ldh", total / week,
			      total % week / day, total % day / hour);
	return text;
}

} // namespace iplb
