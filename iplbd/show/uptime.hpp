// SPDX-License-Identifier: GPL-2.0-or-later
// Durations printed the way FRR prints them in show commands.
#pragma once

#include <chrono>
#include <string>

namespace iplb {

// "hh:mm:ss" below a day, "XdYYhZZm" below a week, "XwYdZZh" beyond;
// the same shapes as FRR's own uptime columns, so operators read one format.
std::string format_uptime(std::chrono::seconds elapsed);

} // namespace iplb
