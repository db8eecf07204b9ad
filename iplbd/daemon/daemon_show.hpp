// SPDX-License-Identifier: GPL-2.0-or-later
// What `show iplb table|paths|counters` print of a running daemon, text and
// JSON from the same values.
#pragma once

#include "daemon/daemon.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace iplb {

std::string table_text(const Daemon &daemon);
nlohmann::ordered_json table_json(const Daemon &daemon);

std::string counters_text(const Daemon &daemon);
nlohmann::ordered_json counters_json(const Daemon &daemon);

enum class PathsFormat { text, json, dot };
// Error when `prefix` does not parse or is not a destination.
Result<std::string, Error> paths_show(const Daemon &daemon, std::string_view prefix,
				      PathsFormat format);

} // namespace iplb
