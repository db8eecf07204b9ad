// SPDX-License-Identifier: GPL-2.0-or-later
// Where the core's log messages go: the daemon hands them to FRR's zlog;
// tests collect them.
#pragma once

#include <functional>
#include <string>

namespace iplb {

enum class LogLevel { error = 0, warning = 1, info = 2, debug = 3 };

using LogSink = std::function<void(LogLevel, const std::string &)>;

} // namespace iplb
